"""Languages: Simplified Chinese by default, English complete.

The portal calls the Chinese locale ``zh_CN``. Babel expands that to ``zh_Hans_CN`` and then
looks for catalogues under ``zh_Hans_CN`` and ``zh``, so the Chinese catalogue lives in
``translations/zh``.
"""

from __future__ import annotations

from flask import Flask, has_request_context, request, session
from flask_login import current_user

from portal.core.extensions import babel

LANGUAGES = {"zh_CN": "中文", "en": "English"}
DEFAULT_LOCALE = "zh_CN"
# ``?lang=en`` on any address: links in mails and on other sites can open a page in a language.
QUERY_PARAMETER = "lang"
# Session flag: the session's language came from ``?lang=`` and outranks the account's choice.
ADDRESS_CHOICE = "locale_from_address"
# What people type or browsers send, to the portal's locale names.
_SPELLINGS = {"zh": "zh_CN", "zh_cn": "zh_CN", "zh-cn": "zh_CN", "zh-hans": "zh_CN", "en": "en"}
# Accept-Language tags in the order the portal prefers them when a browser ranks them equally.
_BROWSER_TAGS = ["zh-CN", "zh", "en"]


def locale_named(value: str | None) -> str | None:
    """The portal's locale for ``value`` (``en``, ``zh``, ``zh-CN``, ``zh_CN``…), or None."""
    if not value:
        return None
    return _SPELLINGS.get(value.strip().lower()[:16])


def requested_locale() -> str | None:
    """The locale asked for in this request's address (``?lang=``), if it names one."""
    return locale_named(request.args.get(QUERY_PARAMETER))


def browser_locale() -> str | None:
    """The best of the portal's languages for the browser's Accept-Language, if any fits."""
    best = request.accept_languages.best_match(_BROWSER_TAGS)
    return locale_named(best) if best else None


def select_locale() -> str:
    """The language of this response.

    In order: ``?lang=`` in the address, the account's choice, the session's (a visitor who
    pressed a language button or came through ``?lang=``), the browser's Accept-Language, and
    Chinese. ``web.account`` remembers a ``?lang=`` in the session. A GET never writes to the
    database, so a signed-in user's ``?lang=`` cannot change the account's choice: the session
    marks it (``ADDRESS_CHOICE``) and it holds for the rest of that session.
    """
    if not has_request_context():  # CLI and background jobs
        return DEFAULT_LOCALE
    asked = requested_locale()
    if asked:
        return asked
    chosen = session.get("locale")
    if session.get(ADDRESS_CHOICE) and chosen in LANGUAGES:
        return str(chosen)
    if current_user and current_user.is_authenticated and current_user.locale in LANGUAGES:
        return str(current_user.locale)
    if chosen in LANGUAGES:
        return str(chosen)
    return browser_locale() or DEFAULT_LOCALE


def init_i18n(app: Flask) -> None:
    babel.init_app(app, locale_selector=select_locale)
