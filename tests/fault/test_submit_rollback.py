"""A firm's submission that fails part-way leaves the database and the file store as they were,
answers with the portal's error page, and can simply be sent again."""

from __future__ import annotations

import pytest

from portal.core import audit
from portal.notifications import services as notifications
from tests.fault.support import (
    Fault,
    assert_clean_500,
    assert_rolled_back,
    assert_submitted_once,
    count_events,
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

    assert_rolled_back(app, fault, before, files)
    assert_clean_500(response)

    # Nothing half-done is in the way: the firm sends it again and it goes through once.
    monkeypatch.undo()
    response = firm.post(f"/applications/{application_id}/submit", data={"confirm": "y"})
    assert response.status_code == 302
    assert_submitted_once(app, application_id)
    assert count_events(app, "application.submit") == 1
