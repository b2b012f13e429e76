"""An officer's decision, or the release of a programme's decisions, that fails part-way leaves
the database and the file store as they were and answers with the portal's error page."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from portal.applications.models import Application, Status
from portal.core import audit
from portal.core.extensions import db
from portal.letters.models import Letter
from portal.notifications import services as notifications
from tests.fault.support import (
    APPROVER,
    Fault,
    approved_and_rejected,
    assert_clean_500,
    assert_rolled_back,
    client_for,
    count_events,
    db_snapshot,
    decide_url,
    decision_form,
    on_action,
    on_kind,
    program_id_of,
    propose_release,
    sign_off_pending,
    stored_files,
    submit_and_check,
)


def test_a_decision_failing_part_way_changes_nothing(app, firm, officer, monkeypatch):
    application_id = submit_and_check(app, firm, officer)
    before, files = db_snapshot(app), stored_files(app)
    # The audit writer runs after the decision has been written on the application.
    fault = Fault(monkeypatch, audit, "record", when=on_action("decision.recorded"))
    form = decision_form(app, application_id, "approve", "40000")

    response = officer.post(decide_url(application_id), data=form)

    assert_rolled_back(app, fault, before, files)
    assert_clean_500(response)

    # The same form, sent again once the fault is gone, goes through: nothing half-done (such
    # as a bumped lock version) makes it look stale.
    monkeypatch.undo()
    assert officer.post(decide_url(application_id), data=form).status_code == 302
    with app.app_context():
        application = db.session.get(Application, application_id)
        assert application.decision == "approve" and str(application.decided_amount) == "40000.00"
    assert count_events(app, "decision.recorded") == 1


# The release fails after every application has moved (their transitions, audit events and
# notifications flushed): in the programme's audit event, or in the approval's notification.
RELEASE_STEPS = {
    "audit writer": (audit, "record", on_action("decision.released")),
    "approval notification": (notifications, "notify", on_kind("approved_in_publicity")),
}


@pytest.mark.parametrize("step", sorted(RELEASE_STEPS))
def test_a_release_failing_part_way_changes_nothing(app, firm, officer, monkeypatch, step):
    approved, rejected = approved_and_rejected(app, firm, officer)
    propose_release(officer, program_id_of(app))
    leader = client_for(app, APPROVER)
    before, files = db_snapshot(app), stored_files(app)
    target, name, when = RELEASE_STEPS[step]
    fault = Fault(monkeypatch, target, name, when=when)

    # the approver's sign-off is the request that releases
    response = sign_off_pending(app, leader)

    # The rejection's letter was never issued (its job is queued only after a commit): no file.
    assert_rolled_back(app, fault, before, files)
    assert_clean_500(response)

    monkeypatch.undo()
    response = sign_off_pending(app, leader)
    assert response.status_code == 302
    with app.app_context():
        assert db.session.get(Application, approved).status is Status.PUBLICITY
        assert db.session.get(Application, rejected).status is Status.REJECTED
        (letter,) = db.session.scalars(select(Letter)).all()
        assert letter.application_id == rejected and letter.sequence == 1
    assert count_events(app, "decision.released") == 1
