"""Languages: Simplified Chinese by default, English complete.

The portal calls the Chinese locale ``zh_CN``. Babel expands that to ``zh_Hans_CN`` and then
looks for catalogues under ``zh_Hans_CN`` and ``zh``, so the Chinese catalogue lives in
``translations/zh``.
"""

from __future__ import annotations

from flask import Flask, has_request_context, session
from flask_login import current_user

from portal.core.extensions import babel

LANGUAGES = {"zh_CN": "中文", "en": "English"}
DEFAULT_LOCALE = "zh_CN"


def select_locale() -> str:
    if not has_request_context():  # CLI and background jobs
        return DEFAULT_LOCALE
    if current_user and current_user.is_authenticated and current_user.locale in LANGUAGES:
        return current_user.locale
    chosen = session.get("locale")
    return chosen if chosen in LANGUAGES else DEFAULT_LOCALE


def init_i18n(app: Flask) -> None:
    babel.init_app(app, locale_selector=select_locale)
