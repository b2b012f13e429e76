"""One commit point per request.

Services add and flush; nothing in a view or service calls ``commit`` or ``rollback``. When the
view has finished, the request commits once if it succeeded and rolls back otherwise. A refused
service call has already undone its own work (its savepoint, ``core.concurrency.service``), so
a view that shows the form again after a refusal may answer 200 or 302 all the same. A request
"succeeded" when it is not a safe method (GET never writes) and its status is below 400, or
when the view explicitly keeps its changes on a refusal (a failed sign-in must still count).
"""

from __future__ import annotations

from flask import Flask, Response, current_app, g, request

from portal.core.concurrency import ConcurrentChange, refuse_stale_writes
from portal.core.errors import render_error
from portal.core.extensions import db
from portal.core.jobs import dispatch_ready

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def keep_changes_on_refusal() -> None:
    """Commit this request's changes even though it answers with an error status."""
    g.keep_changes_on_refusal = True


def _finish_unit_of_work(response: Response) -> Response:
    session = db.session
    if request.method in SAFE_METHODS:
        if session.new or session.dirty or session.deleted:
            current_app.logger.error("GET %s tried to write; rolled back", request.path)
        session.rollback()
    elif response.status_code < 400 or g.get("keep_changes_on_refusal"):
        try:
            with refuse_stale_writes():
                session.commit()
        except ConcurrentChange:
            # Another request changed a row this one changes (its version moved on) after
            # this one read it: nothing is saved, and the user is told so, not shown a 500.
            session.rollback()
            return current_app.make_response(render_error(409))
        dispatch_ready()
    else:
        session.rollback()
    return response


def init_unit_of_work(app: Flask) -> None:
    app.after_request(_finish_unit_of_work)
