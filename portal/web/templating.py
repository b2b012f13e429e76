"""Values every template can use: navigation for the user's role, languages, formatting."""

from __future__ import annotations

from datetime import datetime
from urllib.parse import urlencode

from flask import Flask, request, url_for
from flask_babel import format_datetime
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from portal.accounts.models import Role
from portal.core.audit import action_label
from portal.core.i18n import LANGUAGES, QUERY_PARAMETER, select_locale
from portal.core.money import format_money
from portal.core.uploads import human_size
from portal.notifications.services import unread_count
from portal.web.shared.forms import LanguageForm
from portal.web.shared.letter_presenters import export_status_label

NAVIGATION: dict[str | None, list[tuple[str, object]]] = {
    None: [
        ("public.index", _l("Home")),
        ("programs.index", _l("Programmes")),
        ("publicity.index", _l("Publicity")),
        ("verify.index", _l("Verify a letter")),
        ("accounts.login", _l("Sign in")),
        ("accounts.register", _l("Register an enterprise")),
    ],
    Role.ENTERPRISE: [
        ("accounts.home", _l("My enterprise")),
        ("programs.index", _l("Programmes for me")),
        ("applications.index", _l("My applications")),
        ("profiles.edit_profile", _l("Enterprise profile")),
    ],
    Role.OFFICER: [
        ("accounts.home", _l("Officer desk")),
        ("dashboard.index", _l("Dashboard")),
        ("staff_applications.index", _l("Applications")),
        ("program_admin.index", _l("Programmes")),
        ("review_admin.reviewers", _l("Expert reviewers")),
        ("decisions.index", _l("Decisions")),
        ("letter_admin.index", _l("Letters")),
        ("exports.index", _l("Exports")),
    ],
    Role.REVIEWER: [
        ("accounts.home", _l("My reviews")),
        ("reviewer.queue", _l("Review queue")),
    ],
    Role.ADMIN: [
        ("accounts.home", _l("Administration")),
        ("dashboard.index", _l("Dashboard")),
        ("admin.accounts", _l("Accounts")),
        ("program_admin.index", _l("Programmes")),
        ("staff_applications.index", _l("Applications")),
        ("review_admin.reviewers", _l("Expert reviewers")),
        ("decisions.index", _l("Decisions")),
        ("letter_admin.index", _l("Letters")),
        ("exports.index", _l("Exports")),
        ("admin.audit_log", _l("Audit log")),
    ],
    Role.APPROVER: [
        ("accounts.home", _l("Leadership desk")),
        ("sign_off.index", _l("Sign-off")),
        ("payments.batch_list", _l("Payment batches")),
        ("recovery.index", _l("Recovery")),
        ("wall.index", _l("Wall map")),
    ],
    Role.SUPERVISOR: [
        ("accounts.home", _l("Supervision desk")),
        ("wall.index", _l("Wall map")),
        ("wall.timeline", _l("Timeline")),
        ("wall.responsibility", _l("Responsibility")),
        ("slips.index", _l("Supervision slips")),
    ],
    Role.DEPARTMENT: [
        ("accounts.home", _l("My key tasks")),
        ("wall.index", _l("Wall map")),
        ("slips.index", _l("Supervision slips")),
    ],
}


def _navigation() -> list[dict[str, object]]:
    role = current_user.role if current_user.is_authenticated else None
    return [
        {"url": url_for(endpoint), "label": label, "current": request.endpoint == endpoint}
        for endpoint, label in NAVIGATION[role]
    ]


def _language_form() -> LanguageForm:
    form = LanguageForm(formdata=None)
    form.locale.data = select_locale()
    form.next.data = _this_page_without_lang() if request.method == "GET" else request.path
    return form


def _this_page_without_lang() -> str:
    """This page's address to come back to after a language button, less any ``?lang=`` (which
    would otherwise override the button just pressed)."""
    kept = [(k, v) for k, v in request.args.items(multi=True) if k != QUERY_PARAMETER]
    return f"{request.path}?{urlencode(kept)}" if kept else request.path


def _unread_notifications() -> int:
    if not current_user.is_authenticated:
        return 0

    return unread_count(current_user.id)


def bureau_time(value: datetime | None, pattern: str = "yyyy-MM-dd HH:mm") -> str:
    """Format a UTC time in Asia/Shanghai (Flask-Babel's configured zone)."""
    return "" if value is None else format_datetime(value, pattern)


def yuan(value) -> str:
    """Money with thousands separators and two decimals, cut to cents: 1,234,567.80."""
    return format_money(value)


def yes_no(value) -> str:
    if value is None or value == "":
        return "—"
    return str(_l("Yes")) if value else str(_l("No"))


def init_templating(app: Flask) -> None:
    app.jinja_env.filters["bureau_time"] = bureau_time
    app.jinja_env.filters["yuan"] = yuan
    app.jinja_env.filters["yes_no"] = yes_no
    app.jinja_env.filters["filesize"] = human_size
    app.jinja_env.filters["audit_action"] = action_label

    app.jinja_env.globals["export_status_label"] = export_status_label

    @app.context_processor
    def _shell_values():
        locale = select_locale()
        return {
            "navigation": _navigation(),
            "language_form": _language_form(),
            "languages": LANGUAGES,
            "current_locale": locale,
            "html_lang": "zh-CN" if locale == "zh_CN" else locale,
            "unread_notifications": _unread_notifications(),
        }
