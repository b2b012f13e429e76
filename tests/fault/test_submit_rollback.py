"""A firm's submission that fails part-way leaves the database and the file store as they were,
answers with the portal's error page, and can simply be sent again."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from portal import audit
from portal.applications.models import Application, ApplicationSubmission, Status
from portal.audit import AuditEvent
from portal.extensions import db
from portal.notifications import services as notifications
from portal.notifications.models import Notification
from tests.fault.support import (
    Fault,
    assert_changed,
    assert_clean_500,
    assert_same,
    db_snapshot,
    on_action,
    on_kind,
    prepare_draft,
    stored_files,
)

# Where the submission fails: the audit writer of the status change (the application row has
# been flushed by then), and the receipt notification (the submitted version, the audit event
# and the new status have been flushed by then).
STEPS = {
    "audit writer": (audit, "record", on_action("application.submit")),
    "receipt notification": (notifications, "notify", on_kind("submitted")),
}


@pytest.mark.parametrize("step", sorted(STEPS))
def test_a_submission_failing_part_way_changes_nothing(app, firm, monkeypatch, step):
    application_id = prepare_draft(app, firm)
    before, files = db_snapshot(app), stored_files(app)
    target, name, when = STEPS[step]
    fault = Fault(monkeypatch, target, name, when=when)

    response = firm.post(f"/applications/{application_id}/submit", data={"confirm": "y"})

    assert fault.struck
    assert_clean_500(response)
    assert_changed(before, fault.during)
    assert_same(before, db_snapshot(app))
    assert stored_files(app) == files

    # Nothing half-done is in the way: the firm sends it again and it goes through once.
    monkeypatch.undo()
    response = firm.post(f"/applications/{application_id}/submit", data={"confirm": "y"})
    assert response.status_code == 302
    with app.app_context():
        application = db.session.get(Application, application_id)
        assert application.status is Status.SUBMITTED and application.submission_count == 1
        numbers = db.session.scalars(
            select(ApplicationSubmission.number).where(
                ApplicationSubmission.application_id == application_id
            )
        ).all()
        assert numbers == [1]
        assert (
            db.session.scalar(
                select(func.count(AuditEvent.id)).where(AuditEvent.action == "application.submit")
            )
            == 1
        )
        assert (
            db.session.scalar(
                select(func.count(Notification.id)).where(Notification.kind == "submitted")
            )
            == 1
        )
