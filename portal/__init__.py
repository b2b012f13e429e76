"""The subsidy portal: ``create_app`` builds the Flask application."""

from __future__ import annotations

import logging
import os
from pathlib import Path
from typing import Any

from flask import Flask

PROJECT_ROOT = Path(__file__).resolve().parent.parent


def create_app(config: dict[str, Any] | None = None) -> Flask:
    app = Flask(
        __name__,
        template_folder=str(PROJECT_ROOT / "templates"),
        static_folder=str(PROJECT_ROOT / "static"),
        instance_path=os.environ.get("PORTAL_INSTANCE_DIR") or str(PROJECT_ROOT / "instance"),
        instance_relative_config=True,
    )
    from portal.config import settings_from_env

    app.config.from_mapping(settings_from_env(os.environ, Path(app.instance_path)))
    if config:
        app.config.from_mapping(config)
    logging.basicConfig(level=app.config["LOG_LEVEL"])
    logging.getLogger("alembic.runtime.plugins").setLevel(logging.WARNING)

    if app.config["PROXY_FIX_HOPS"]:
        # Only behind a configured proxy do we believe X-Forwarded-*; Flask-Login's strong
        # session protection and the rate limiter key on the client address.
        from werkzeug.middleware.proxy_fix import ProxyFix

        hops = app.config["PROXY_FIX_HOPS"]
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops)

    _init_extensions(app)
    _register_blueprints(app)

    from portal.cli import register_cli

    register_cli(app)
    return app


def _init_extensions(app: Flask) -> None:
    from portal import models  # noqa: F401  (register every model on the metadata)
    from portal.access import init_access
    from portal.accounts.session import init_login
    from portal.database import init_unit_of_work
    from portal.errors import init_error_pages
    from portal.extensions import csrf, db, limiter, migrate
    from portal.i18n import init_i18n
    from portal.security import init_security
    from portal.templating import init_templating

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
    init_templating(app)
    from portal.jobs import init_jobs
    from portal.letters import init_letters

    init_jobs(app)
    init_letters(app)
    from portal.notifications import init_notifications

    init_notifications(app)


def _register_blueprints(app: Flask) -> None:
    from portal.accounts.routes import bp as accounts_bp
    from portal.admin.routes import bp as admin_bp
    from portal.applications.downloads import bp as files_bp
    from portal.applications.routes import bp as applications_bp
    from portal.applications.staff_routes import bp as staff_applications_bp
    from portal.profiles.routes import bp as profiles_bp
    from portal.programs.admin_routes import bp as program_admin_bp
    from portal.programs.editor_routes import bp as program_editor_bp
    from portal.programs.routes import bp as programs_bp
    from portal.public.routes import bp as public_bp

    app.register_blueprint(public_bp)
    app.register_blueprint(accounts_bp)
    app.register_blueprint(admin_bp, url_prefix="/admin")
    app.register_blueprint(profiles_bp)
    app.register_blueprint(programs_bp)
    app.register_blueprint(program_admin_bp)
    app.register_blueprint(program_editor_bp)
    app.register_blueprint(applications_bp)
    app.register_blueprint(staff_applications_bp)
    app.register_blueprint(files_bp)
    from portal.review.decision_routes import bp as decisions_bp

    app.register_blueprint(decisions_bp)
    from portal.public.publicity_routes import bp as publicity_bp

    app.register_blueprint(publicity_bp)
    from portal.review.officer_routes import bp as review_admin_bp

    app.register_blueprint(review_admin_bp)
    from portal.review.reviewer_routes import bp as reviewer_bp

    app.register_blueprint(reviewer_bp)
    from portal.letters.program_routes import bp as letter_admin_bp
    from portal.letters.routes import bp as letters_bp
    from portal.letters.verify_routes import bp as verify_bp

    app.register_blueprint(letters_bp)
    app.register_blueprint(letter_admin_bp)
    app.register_blueprint(verify_bp)
    from portal.dashboard.routes import bp as dashboard_bp
    from portal.exports.routes import bp as exports_bp

    app.register_blueprint(dashboard_bp)
    app.register_blueprint(exports_bp)
    from portal.notifications.routes import bp as notifications_bp

    app.register_blueprint(notifications_bp)
