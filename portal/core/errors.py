"""Error pages in the portal's own look."""

from __future__ import annotations

from flask import Flask, render_template
from flask_babel import lazy_gettext as _l
from flask_wtf.csrf import CSRFError
from sqlalchemy.orm.exc import StaleDataError
from werkzeug.exceptions import HTTPException

from portal.core.concurrency import CHANGED_MEANWHILE, CHANGED_MEANWHILE_TITLE, ConcurrentChange
from portal.core.extensions import db

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
    429: (_l("Too many requests"), _l("You have tried too often. Wait a minute and try again.")),
    500: (
        _l("Something went wrong"),
        _l(
            "The portal could not finish your request; nothing was changed. "
            "Try again, and tell the bureau if it happens again."
        ),
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

    @app.errorhandler(500)
    def _server_error(_error: Exception) -> tuple[str, int]:
        # A failed flush or commit leaves the session unusable, and the page reads the user.
        db.session.rollback()
        return render_error(500)
