"""Deadline-day virtual firms for Locust, driven by ``benchmarks/load.py``.

Each virtual user is one person at a firm in the last hour before a programme closes. It takes
the next unused firm account, signs in through the real form, opens the programme page and starts
an application, saves the project summary as a draft a few times, confirms the figures and the
amount, uploads a real PDF for every required document, declares, checks its answers and submits;
then it signs out and takes the next firm, until none is left. Some firms click "Submit" twice at
once (an impatient double click); exactly one of the two may submit.

Every page is checked for what it must show (by markup, not by language): a missing form, a
status that is not the expected one or an unexpected redirect counts as a failure, like any
answer outside 2xx/3xx. Redirects are never followed silently: the browser's next GET is a request
of its own, named after the page it loads.

``load.py`` passes everything through the environment (see ``main`` there); each request and
each submission is written as one JSON line to ``LOAD_EVENTS`` so that it can compute exact
percentiles and check the submissions against the database.
"""

from __future__ import annotations

import json
import os
import random
import re
from pathlib import Path

import gevent
from locust import HttpUser, between, events, task
from locust.clients import HttpSession
from locust.exception import StopTest, StopUser

FIRMS_PATH = os.environ.get("LOAD_FIRMS", "")
FIRMS: list[str] = json.loads(Path(FIRMS_PATH).read_text("utf-8")) if FIRMS_PATH else []
PASSWORD = os.environ.get("LOAD_PASSWORD", "")
PROGRAM = os.environ.get("LOAD_PROGRAM", "rd-post-subsidy-2026")
DOCUMENTS = [key for key in os.environ.get("LOAD_DOCUMENTS", "").split(",") if key]
PDF_PATH = os.environ.get("LOAD_PDF", "")
EVENTS_PATH = os.environ.get("LOAD_EVENTS", "")
DOUBLE_SUBMIT = float(os.environ.get("LOAD_DOUBLE_SUBMIT", "0.1"))
THINK_MIN = float(os.environ.get("LOAD_THINK_MIN", "0.2"))
THINK_MAX = float(os.environ.get("LOAD_THINK_MAX", "1.0"))
RNG = random.Random(int(os.environ.get("LOAD_SEED", "2026")))

# The answer to a second, simultaneous "Submit" (the check page with this form error), in the
# default Chinese and in English.
ALREADY_SUBMITTED = ("该申报已提交。", "This application has already been submitted.")

CSRF = re.compile(r'name="csrf_token"(?: type="hidden")? value="([^"]+)"')
FIGURE_INPUT = re.compile(
    r'<input type="text"[^>]* name="((?:value|reason)__[^"]+)"[^>]* value="([^"]*)"'
)
FIGURE_SELECT = re.compile(r'<select name="(value__[^"]+)"[^>]*>(.*?)</select>', re.S)
SELECTED = re.compile(r'<option value="([^"]*)" selected>')
# "Save and continue" goes on to the next section the firm may change (or "Check your answers");
# the journey then looks at the application page itself, as before.
NEXT_STEP = r"(?:/[a-z-]+)?"
REFERENCE = re.compile(r'<a href="/applications/\d+">([0-9A-Z-]+)</a>')

_firms = iter(FIRMS)
_active = 0  # journeys under way (all greenlets share this process)
_exhausted = False  # every firm has been taken
# One line per request and per submission; closed when the process ends (flushed at quit).
_out = open(EVENTS_PATH, "a", encoding="utf-8") if EVENTS_PATH else None  # noqa: SIM115
_pdf = Path(PDF_PATH).read_bytes() if PDF_PATH else b""

TITLES = [
    "含氟电子化学品提纯工艺研发",
    "锂电池电解液添加剂中试",
    "工业软件与生产线数字孪生",
    "高端装备关键部件国产化",
]
SUMMARY_PARTS = [
    "本项目围绕企业主营产品的关键工艺开展研发，上年度研发投入较前一年明显增长。",
    "研发团队由高级工程师牵头，与辽宁工程技术大学共建联合实验室，已申请发明专利两项。",
    "项目实施后预计新增产值三千万元，带动上下游配套企业五家，新增就业岗位四十个。",
    "研发费用已按规定归集并完成加计扣除申报，研发辅助账与审计报告口径一致。",
    "下一步将扩大中试规模，完善质量体系，争取进入省级专精特新企业名录。",
]


def record(**line) -> None:
    if _out is not None:
        _out.write(json.dumps(line, ensure_ascii=False) + "\n")


@events.request.add_listener
def _log_request(request_type, name, response_time, response, exception, start_time=None, **_):
    record(
        kind="request",
        name=name,
        method=request_type,
        ms=round(response_time, 3),
        status=getattr(response, "status_code", 0),
        ok=exception is None,
        error=None if exception is None else str(exception)[:300],
        at=start_time,
    )


@events.test_start.add_listener
def _quit_when_done(environment, **_):
    """Stop the run as soon as every firm has been taken and every journey has ended."""

    def watch():
        while True:
            gevent.sleep(0.25)
            if _exhausted and _active == 0:
                environment.runner.quit()
                return

    gevent.spawn(watch)


@events.quitting.add_listener
def _flush(**_):
    if _out is not None:
        _out.flush()


class JourneyFailed(Exception):
    pass


class DeadlineFirm(HttpUser):
    wait_time = between(THINK_MIN, THINK_MAX)

    @task
    def apply_before_the_deadline(self):
        global _active, _exhausted
        email = next(_firms, None)
        if email is None:
            _exhausted = True
            raise StopUser()
        _active += 1
        record(kind="journey-started", email=email)
        try:
            self.journey(email)
        except JourneyFailed as failure:
            # Already counted as a failed request; the next firm starts afresh.
            record(kind="journey-failed", email=email, step=str(failure))
        except (StopUser, StopTest):
            raise  # the run is ending: this journey is cut off, not failed
        except Exception as error:
            # A fault of the scenario itself (Locust would only log it): an error of the run.
            record(kind="journey-crashed", email=email, error=repr(error)[:300])
            raise
        finally:
            _active -= 1
            self.client.cookies.clear()

    # --- one firm ------------------------------------------------------------------------

    def journey(self, email: str) -> None:
        self.client.cookies.clear()
        page = self.get("/login", "login page", must=['name="password"'])
        self.wait()
        home = self.post(
            "/login",
            {"csrf_token": token(page), "email": email, "password": PASSWORD, "next": ""},
            "sign-in",
            goes_to=r"/home$",
        )
        self.get(home, "home", must=['action="/logout"'])
        self.wait()
        program = self.get(
            f"/programmes/{PROGRAM}",
            "programme page",
            must=[f'action="/programmes/{PROGRAM}/apply"'],
        )
        self.wait()
        show = self.post(
            f"/programmes/{PROGRAM}/apply",
            {"csrf_token": token(program)},
            "start application",
            goes_to=r"/applications/\d+$",
        )
        base = show
        page = self.get(show, "application page", must=["status--draft"])
        found = REFERENCE.search(page)
        reference = found.group(1) if found else ""
        application_id = int(base.rsplit("/", 1)[1])

        # The summary, written over a few visits ("save and come back later").
        title = RNG.choice(TITLES)
        parts = RNG.sample(SUMMARY_PARTS, k=len(SUMMARY_PARTS))
        saves = RNG.randint(2, 4)
        for number in range(1, saves + 1):
            last = number == saves
            form = self.get(f"{base}/summary", "summary form", must=['name="project_summary"'])
            self.wait()
            text = "".join(parts[: 1 + number * (len(parts) - 1) // saves])
            after = self.post(
                f"{base}/summary",
                {
                    "csrf_token": token(form),
                    "project_title": title,
                    "project_summary": text,
                    "then": "continue" if last else "leave",
                },
                "draft save",
                goes_to=rf"{base}{NEXT_STEP}$" if last else r"/applications$",
            )
            if last:
                self.get(base, "application page", must=["status--draft"])
            else:
                self.get(after, "my applications", must=[f'href="{base}"'])
                self.wait()

        # Figures as copied from the profile, sent back unchanged, and confirmed.
        def figures(form: str) -> dict:
            data = {"confirm_figures": "y", **dict(FIGURE_INPUT.findall(form))}
            for name, options in FIGURE_SELECT.findall(form):
                chosen = SELECTED.search(options)
                data[name] = chosen.group(1) if chosen else ""
            return data

        self.save_section(base, "figures", "confirm_figures", figures)
        self.save_section(base, "amount", "requested_amount", {"requested_amount": ""})

        page = self.get(
            f"{base}/documents",
            "documents page",
            must=[f'action="{base}/documents/{key}"' for key in DOCUMENTS],
        )
        for key in DOCUMENTS:
            self.wait()
            after = self.post(
                f"{base}/documents/{key}",
                {"csrf_token": token(page)},
                "upload",
                goes_to=rf"{base}/documents$",
                files={"file": (f"{key}.pdf", _pdf, "application/pdf")},
            )
            page = self.get(after, "documents page", must=["tag--green"])

        declaration = {"declaration_name": "张经理", "declaration_title": "总经理", "agree": "y"}
        self.save_section(base, "declaration", "agree", declaration)

        check = self.get(
            f"{base}/check",
            "check page",
            must=[f'action="{base}/submit"'],
            must_not=["notice--warning"],  # "Before you can submit": a section is incomplete
        )
        self.wait()
        record(kind="submit-sent", id=application_id, email=email)
        data = {"csrf_token": token(check), "confirm": "y"}
        if RNG.random() < DOUBLE_SUBMIT:
            after = self.double_submit(base, data)
        else:
            after = self.post(f"{base}/submit", data, "submit", goes_to=rf"{base}$")
        page = self.get(after, "application page", must=["status--submitted"])
        record(kind="submitted", id=application_id, reference=reference, email=email)
        self.wait()
        self.post("/logout", {"csrf_token": token(page)}, "sign-out", goes_to=r"/$")

    def save_section(self, base: str, section: str, field: str, fields) -> None:
        """Open a section's form (it must have ``field``), think, send ``fields`` (a dict, or a
        function of the form's HTML giving one) with the form's token and go on to the
        application page, which must show the draft."""
        form = self.get(f"{base}/{section}", f"{section} form", must=[f'name="{field}"'])
        data = fields(form) if callable(fields) else fields
        self.wait()
        self.post(
            f"{base}/{section}",
            {"csrf_token": token(form), **data, "then": "continue"},
            f"{section} save",
            goes_to=rf"{base}{NEXT_STEP}$",
        )
        self.get(base, "application page", must=["status--draft"])

    def double_submit(self, base: str, data: dict) -> str:
        """Two "Submit" clicks at once from the same browser: one submits, the other is told
        that the application has already been submitted (or is redirected like the first)."""
        other = HttpSession(
            base_url=self.host, request_event=self.environment.events.request, user=self
        )
        other.cookies.update(self.client.cookies)
        other.headers.update(self.client.headers)
        first = gevent.spawn(self._submit_once, self.client, base, data, "submit")
        second = gevent.spawn(self._submit_once, other, base, data, "submit (double click)")
        gevent.joinall([first, second])
        # A click that failed is counted already; the journey goes on if one click submitted.
        redirects = [where for where in (first.value, second.value) if where not in (None, "")]
        if not redirects:
            raise JourneyFailed("no click submitted")
        return redirects[0]

    def _submit_once(self, client, base: str, data: dict, name: str) -> str | None:
        with client.post(
            f"{base}/submit", data=data, name=name, allow_redirects=False, catch_response=True
        ) as response:
            where = re.sub(r"^https?://[^/]+", "", response.headers.get("Location", ""))
            if response.status_code == 302 and re.search(rf"{base}$", where):
                response.success()
                return where
            if response.status_code == 422 and any(t in response.text for t in ALREADY_SUBMITTED):
                response.success()  # the clean answer to the slower click
                return ""
            response.failure(f"{response.status_code} {where or what_went_wrong(response.text)}")
            return None

    # --- requests with checks -------------------------------------------------------------

    def get(self, path: str, name: str, must=(), must_not=()) -> str:
        with self.client.get(
            path, name=name, allow_redirects=False, catch_response=True
        ) as response:
            if response.status_code != 200:
                location = response.headers.get("Location", "")
                response.failure(f"{response.status_code} {location}".strip())
                raise JourneyFailed(name)
            text = response.text
            missing = [m for m in must if m not in text] + [m for m in must_not if m in text]
            if missing:
                response.failure(f"content check failed: {missing}")
                raise JourneyFailed(name)
            return text

    def post(self, path: str, data: dict, name: str, goes_to: str, files=None) -> str:
        """POST a form; it must answer with a redirect whose path matches ``goes_to``."""
        with self.client.post(
            path, data=data, files=files, name=name, allow_redirects=False, catch_response=True
        ) as response:
            where = response.headers.get("Location", "")
            path_only = re.sub(r"^https?://[^/]+", "", where).split("?", 1)[0]
            if response.status_code not in (302, 303) or not re.search(goes_to, path_only):
                response.failure(
                    f"{response.status_code} {where or what_went_wrong(response.text)}"
                )
                raise JourneyFailed(name)
            return path_only


def what_went_wrong(page: str) -> str:
    """The error summary of a page that has one, else its title (for the failure list)."""
    for pattern in (
        r'<div class="error-summary".*?</div>',
        r'<div class="notice notice--warning".*?</div>',
        r"<title>.*?</title>",
    ):
        found = re.search(pattern, page, re.S)
        if found:
            return " ".join(re.sub(r"<[^>]+>", " ", found.group(0)).split())[:200]
    return repr(page[:200])


def token(page: str) -> str:
    found = CSRF.search(page)
    if not found:
        raise JourneyFailed("no CSRF token on the page")
    return found.group(1)
