"""Two tabs of one firm's session send the submit form of the same draft at the same moment:
one submission is made, the other tab is told it was already submitted, nobody sees a 500."""

from __future__ import annotations

import threading

from flask import request
from sqlalchemy import select

from portal.core.audit import AuditEvent
from portal.core.extensions import db
from portal.web.firm import applications as routes
from tests.fault.support import assert_submitted_once, prepare_draft, text_of

ALREADY = "This application has already been submitted."


def second_tab(app, client):
    """Another test client carrying the same signed-in session cookie."""
    tab = app.test_client()
    tab.set_cookie("session", client.get_cookie("session").value)
    return tab


def test_two_tabs_submitting_at_once_make_one_submission(app, firm, monkeypatch):
    application_id = prepare_draft(app, firm)
    tabs = [firm, second_tab(app, firm)]
    assert tabs[1].get(f"/applications/{application_id}/check").status_code == 200
    with app.app_context():
        dialect = db.engine.dialect.name
    if dialect == "postgresql":
        # Both requests have read the draft before either goes on: the race a row lock must
        # settle. (SQLite takes its write lock at the first statement of a POST, so there the
        # second request waits for the first one's commit before it reads anything.)
        both_read = threading.Barrier(2, timeout=30)
        load = routes.application_or_404

        def read_then_wait(application_id: int):
            application = load(application_id)
            if request.endpoint == "applications.submit":
                both_read.wait()
            return application

        monkeypatch.setattr(routes, "application_or_404", read_then_wait)

    start = threading.Barrier(2, timeout=30)
    responses: dict[int, object] = {}

    def submit(index: int) -> None:
        start.wait()
        responses[index] = tabs[index].post(
            f"/applications/{application_id}/submit", data={"confirm": "y"}
        )

    threads = [threading.Thread(target=submit, args=(index,)) for index in (0, 1)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    statuses = sorted(response.status_code for response in responses.values())
    assert statuses == [302, 422], statuses
    (loser,) = [r for r in responses.values() if r.status_code == 422]
    assert ALREADY in text_of(loser)
    application = assert_submitted_once(app, application_id)
    with app.app_context():
        events = db.session.scalars(
            select(AuditEvent.summary).where(AuditEvent.action == "application.submit")
        ).all()
        assert [event["submission"] for event in events] == [1]
    # the firm's page shows one submitted application with its reference
    page = text_of(firm.get(f"/applications/{application_id}"))
    assert application.reference in page
