"""The subsidy portal: ``create_app`` builds the Flask application.

This is the one place that knows every part: it initialises core, lets each domain hook itself
up (jobs, audit listeners) and registers the web layer's blueprints and the commands.
"""

from __future__ import annotations

import logging
import os
from pathlib import Path
from typing import Any

from flask import Flask
from werkzeug.middleware.proxy_fix import ProxyFix

from portal import models  # noqa: F401  (register every model on the metadata)
from portal.accounts.session import init_login
from portal.cli import register_cli
from portal.config import settings_from_env
from portal.core.access import init_access
from portal.core.database import init_unit_of_work
from portal.core.errors import init_error_pages
from portal.core.extensions import csrf, db, limiter, migrate
from portal.core.i18n import init_i18n
from portal.core.inputs import init_id_converter
from portal.core.jobs import init_jobs
from portal.core.paths import PROJECT_ROOT
from portal.core.security import init_security
from portal.letters import init_letters
from portal.notifications import init_notifications
from portal.payments import init_payments
from portal.tasks import init_tasks
from portal.web import init_web

# Everything the portal writes (the database and its WAL, uploads, letters, the outbox's mails
# with live reset links, the secret key) is readable by the portal's own user only.
PRIVATE_FILES_UMASK = 0o077


def create_app(config: dict[str, Any] | None = None) -> Flask:
    os.umask(PRIVATE_FILES_UMASK)
    app = Flask(
        __name__,
        template_folder=str(PROJECT_ROOT / "templates"),
        static_folder=str(PROJECT_ROOT / "static"),
        instance_path=os.environ.get("PORTAL_INSTANCE_DIR") or str(PROJECT_ROOT / "instance"),
        instance_relative_config=True,
    )
    app.config.from_mapping(settings_from_env(os.environ, Path(app.instance_path)))
    if config:
        app.config.from_mapping(config)
    logging.basicConfig(level=app.config["LOG_LEVEL"])
    logging.getLogger("alembic.runtime.plugins").setLevel(logging.WARNING)
    # WeasyPrint narrates every step of every PDF at INFO: noise in a command's output.
    logging.getLogger("weasyprint.progress").setLevel(logging.WARNING)

    if app.config["PROXY_FIX_HOPS"]:
        # Only behind a configured proxy do we believe X-Forwarded-*; Flask-Login's strong
        # session protection and the rate limiter key on the client address.
        hops = app.config["PROXY_FIX_HOPS"]
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops)

    _init_core(app)
    # Domains hook themselves up: their background jobs and what follows the audit trail.
    init_letters(app)
    init_notifications(app)
    init_payments(app)
    init_tasks(app)
    init_jobs(app)  # after every domain has declared its jobs
    init_web(app)
    register_cli(app)
    return app


def _init_core(app: Flask) -> None:
    init_id_converter(app)  # before any blueprint adds a rule with an <int:...> id
    db.init_app(app)
    migrate.init_app(app, db, directory=str(PROJECT_ROOT / "migrations"))
    csrf.init_app(app)
    limiter.init_app(app)
    init_login(app)
    init_i18n(app)
    init_access(app)
    init_unit_of_work(app)
    init_security(app)
    init_error_pages(app)
