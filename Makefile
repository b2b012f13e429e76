# Two commands: `make run` (set up and serve the portal) and `make test` (set up and run every test).
# Everything else here is a step they use.

SHELL := /bin/bash
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 5000
export FLASK_APP := portal
# A test worker per core (pytest-xdist), whole files to each; `make test PYTEST_ARGS=` runs in one.
PYTEST_ARGS ?= -n auto --dist loadfile

# Debian packages: WeasyPrint's libraries and Chinese fonts to run (unicode-data: the list of the
# 通用规范汉字表 the letter fonts cover); a browser and poppler to test, nginx as the proxy of
# the multi-host tests.
RUN_PACKAGES := libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 fonts-noto-cjk unicode-data
TEST_PACKAGES := $(RUN_PACKAGES) chromium poppler-utils nginx-light

.PHONY: run test bench bench-letters load setup setup-test system-packages-run system-packages-test translations letter-fonts \
	migrate seed lint format extract-messages clean

# A second `make run` with nothing to do starts in a few seconds: every step below skips what is
# up to date (file targets and stamps), and the schema upgrade and the demo seed share one process.
run: setup seed
	@echo
	@echo "  Subsidy portal: http://$(HOST):$(PORT)/"
	@echo "  Demo sign-ins (password: $${PORTAL_DEMO_PASSWORD:-Demo-Portal-2026}):"
	@echo "    admin@example.com  officer@example.com  leader@example.com (approver)  reviewer1..3@example.com"
	@echo "    supervisor@example.com (wall map)  ent1..5@example.com (firms)  -- the README lists them all"
	@echo
	@# Files under instance/ are the portal's alone (the app sets umask 077 for new ones).
	@chmod -R go= instance
	@# The background job consumer (letters, exports) runs beside the web server and stops with it.
	@# Ctrl-C reaches both (one process group); each stops cleanly and make reports no error.
	@# The worker starts at a lower priority, so that the web server is up first.
	@trap 'kill $$worker 2>/dev/null' EXIT INT TERM; \
	nice -n 5 $(BIN)/flask jobs worker & worker=$$!; \
	HOST=$(HOST) PORT=$(PORT) $(BIN)/gunicorn -c python:portal.serving 'portal:create_app()'

test: setup-test
	$(BIN)/ruff check .
	$(BIN)/lint-imports
	$(BIN)/mypy
	$(BIN)/pytest $(PYTEST_ARGS)

# Figures, not tests (see benchmarks/README.md). At the full sizes: --sizes 1000,100000.
bench: setup
	$(BIN)/python benchmarks/pages.py --sizes 1000,10000 --repeat 10
bench-letters: setup
	$(BIN)/python benchmarks/letters.py
# Deadline day: firms sign in, fill and submit at once against gunicorn and PostgreSQL, on one
# host and then on two hosts behind nginx (Redis database 15), side by side (about 3 minutes;
# options in benchmarks/README.md, e.g. make load LOAD_ARGS="--hosts 1 --firms 500 --users 80").
LOAD_ARGS ?= --compare-hosts 1,2
load: setup
	@$(BIN)/python -c "import locust, gunicorn" 2>/dev/null || $(BIN)/pip install --quiet -e '.[load]'
	$(BIN)/python benchmarks/load.py $(LOAD_ARGS)

setup: system-packages-run $(VENV)/.installed translations letter-fonts
setup-test: system-packages-test $(VENV)/.installed translations letter-fonts

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $@

# Checked again only when Debian's package database has changed since the last check.
DPKG_STATUS := $(wildcard /var/lib/dpkg/status)
system-packages-run: $(VENV)/.system-packages-run
system-packages-test: $(VENV)/.system-packages-test
$(VENV)/.system-packages-run: $(DPKG_STATUS) Makefile
	@$(MAKE) --no-print-directory _system-packages PACKAGES="$(RUN_PACKAGES)"
	@mkdir -p $(VENV) && touch $@
$(VENV)/.system-packages-test: $(DPKG_STATUS) Makefile
	@$(MAKE) --no-print-directory _system-packages PACKAGES="$(TEST_PACKAGES)"
	@mkdir -p $(VENV) && touch $@

# Installs missing Debian packages with apt-get when root; otherwise prints the command and stops.
_system-packages:
	@missing=""; \
	for pkg in $(PACKAGES); do \
	  dpkg-query -W -f='$${Status}' $$pkg 2>/dev/null | grep -q "install ok installed" || missing="$$missing $$pkg"; \
	done; \
	if [ -n "$$missing" ]; then \
	  if [ "$$(id -u)" = "0" ]; then \
	    echo "Installing system packages:$$missing"; \
	    apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends $$missing; \
	  else \
	    echo "Missing system packages:$$missing"; \
	    echo "Install them with:  sudo apt-get install -y$$missing"; \
	    exit 1; \
	  fi; \
	fi

# The letters' fonts: subsets of the installed Noto CJK faces in instance/fonts, built once
# (about 40 s) and again only when the faces or the tool change; the tool checks, in a blink.
letter-fonts: system-packages-run $(VENV)/.installed
	@$(BIN)/python tools/build_letter_fonts.py --quiet

# Compiled catalogues are built here, never committed; each only when its .po is newer.
CATALOGUES := $(patsubst %.po,%.mo,$(wildcard portal/translations/*/LC_MESSAGES/messages.po))
translations: $(CATALOGUES)
portal/translations/%/LC_MESSAGES/messages.mo: portal/translations/%/LC_MESSAGES/messages.po | $(VENV)/.installed
	@$(BIN)/pybabel compile --use-fuzzy -q -l $* -i $< -o $@ 2>/dev/null || $(BIN)/pybabel compile -l $* -i $< -o $@

migrate: $(VENV)/.installed
	$(BIN)/flask db upgrade

# The schema brought up to date, then the demo (accounts, programmes, applications at every
# stage; see README): one process, and nothing written when both are already there.
seed: $(VENV)/.installed
	$(BIN)/flask seed-demo --migrate

lint: $(VENV)/.installed
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports
	$(BIN)/mypy

format: $(VENV)/.installed
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

# Refresh the message catalogues after changing user-facing strings.
extract-messages: $(VENV)/.installed
	$(BIN)/pybabel extract -F babel.cfg -k _l -k lazy_gettext -o portal/translations/messages.pot --no-location --sort-output .
	$(BIN)/pybabel update -i portal/translations/messages.pot -d portal/translations --no-fuzzy-matching --ignore-obsolete
	$(BIN)/python tools/catalogues.py

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache
	find portal -name '*.mo' -delete
