"""Error pages in the portal's own look, and the two faults of the shared engines a request
can meet: a stored file that is gone (410) and a database that does not answer (503)."""

from __future__ import annotations

from flask import Flask, current_app, g, render_template, request
from flask_babel import force_locale
from flask_babel import lazy_gettext as _l
from flask_wtf.csrf import CSRFError
from sqlalchemy import inspect
from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError
from sqlalchemy.orm.exc import StaleDataError
from werkzeug.exceptions import HTTPException

from portal.core.concurrency import CHANGED_MEANWHILE, CHANGED_MEANWHILE_TITLE, ConcurrentChange
from portal.core.extensions import db, login_manager
from portal.core.files import StoredFileMissing

#: How long a client is asked to wait before trying again while the database is away.
RETRY_AFTER_SECONDS = 30

ERROR_TEXTS = {
    400: (_l("Bad request"), _l("The request could not be understood. Go back and try again.")),
    403: (_l("Not allowed"), _l("Your account does not give you access to this page.")),
    404: (_l("Page not found"), _l("There is no page at this address, or it is not yours to see.")),
    405: (_l("Not allowed"), _l("This page cannot be used that way.")),
    409: (CHANGED_MEANWHILE_TITLE, CHANGED_MEANWHILE),
    413: (
        _l("File too large"),
        _l("What you sent is larger than the portal accepts. Send a smaller file."),
    ),
    410: (
        _l("File not available"),
        _l("This file is not available at the moment. The bureau has been told; try again later."),
    ),
    429: (_l("Too many requests"), _l("You have tried too often. Wait a minute and try again.")),
    500: (
        _l("Something went wrong"),
        _l(
            "The portal could not finish your request; nothing was changed. "
            "Try again, and tell the bureau if it happens again."
        ),
    ),
    503: (
        _l("Briefly unavailable"),
        _l("The portal is briefly unavailable; nothing was saved. Try again in a minute."),
    ),
}


def render_error(code: int, detail: str | None = None) -> tuple[str, int]:
    title, text = ERROR_TEXTS.get(code, ERROR_TEXTS[500])
    return render_template("errors/error.html", code=code, title=title, text=detail or text), code


def init_error_pages(app: Flask) -> None:
    @app.errorhandler(CSRFError)
    def _csrf_error(error: CSRFError) -> tuple[str, int]:
        return render_error(
            400,
            str(
                _l(
                    "The form had expired or was not sent from this site. "
                    "Open the page again and resend the form."
                )
            ),
        )

    @app.errorhandler(HTTPException)
    def _http_error(error: HTTPException) -> HTTPException | tuple[str, int]:
        if error.code is None or error.code < 400:
            return error
        if error.code in ERROR_TEXTS:
            return render_error(error.code)
        return error

    @app.errorhandler(ConcurrentChange)
    @app.errorhandler(StaleDataError)
    def _changed_meanwhile(error: Exception) -> tuple[str, int]:
        # A conflict no view caught: a refusal that no view expected, or a flush outside any
        # service that found the row changed by another request since this one read it.
        db.session.rollback()
        detail = str(error.message) if isinstance(error, ConcurrentChange) else None
        return render_error(409, detail)

    @app.errorhandler(StoredFileMissing)
    def _stored_file_missing(error: StoredFileMissing) -> tuple[str, int]:
        # The row is there, its file is not: a lost file, or this host's storage is not the
        # shared one. Nothing the user can mend; the log is how the bureau is told.
        current_app.logger.error(
            "stored file %s is missing (endpoint %s, %s)", error.key, request.endpoint, request.path
        )
        return render_error(410)

    @app.errorhandler(DBAPIError)
    def _database_error(error: DBAPIError) -> tuple[str, int, dict[str, str]]:
        if not database_unavailable(error):
            raise error  # an ordinary failure: the 500 page below, with its traceback
        return _database_unavailable(error)

    @app.errorhandler(500)
    def _server_error(error: Exception) -> tuple[str, int] | tuple[str, int, dict[str, str]]:
        # A database that went away during the commit (after the view) ends up here.
        original = getattr(error, "original_exception", None)
        if isinstance(original, DBAPIError) and database_unavailable(original):
            return _database_unavailable(original)
        # A failed flush or commit leaves the session unusable, and the page reads the user.
        db.session.rollback()
        return render_error(500)


def database_unavailable(error: DBAPIError) -> bool:
    """Whether ``error`` means the database could not be reached or dropped the connection
    (PostgreSQL restarting, a failover, SQLite locked for too long), not that the request
    itself was wrong."""
    return bool(
        isinstance(error, OperationalError | InterfaceError) or error.connection_invalidated
    )


def _database_unavailable(error: DBAPIError) -> tuple[str, int, dict[str, str]]:
    """The 503 page. SQLAlchemy has already discarded a broken connection (and its pool the
    others opened before it), and ``pool_pre_ping`` tests each one handed out, so the next
    request works as soon as the database is back, without restarting the host."""
    first_line = str(error.orig or error).strip().splitlines()[0:1]
    current_app.logger.warning(
        "database unavailable (%s %s): %s",
        request.method,
        request.path,
        first_line[0] if first_line else type(error).__name__,
    )
    locale = _locale_of_loaded_user()
    db.session.rollback()
    # The page must not need the database: it is drawn for an anonymous visitor (the shell
    # would otherwise load the account and count its notifications), in the account's
    # language when that was already read.
    g._login_user = login_manager.anonymous_user()
    if locale:
        with force_locale(locale):
            page, code = render_error(503)
    else:
        page, code = render_error(503)
    return page, code, {"Retry-After": str(RETRY_AFTER_SECONDS)}


def _locale_of_loaded_user() -> str | None:
    """The signed-in account's language, if it was loaded before the fault (read from what
    is already in memory: no query)."""
    user = g.get("_login_user")
    state = inspect(user, raiseerr=False) if user is not None else None
    if state is None:
        return None
    locale = state.dict.get("locale")
    return str(locale) if locale else None
