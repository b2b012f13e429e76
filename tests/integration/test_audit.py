from __future__ import annotations

import pytest
from sqlalchemy import select, text
from sqlalchemy.exc import DBAPIError

from portal.core import audit
from portal.core.audit import AuditEvent, AuditLogIsAppendOnly
from portal.core.extensions import db


def test_audit_rows_cannot_be_changed_through_the_orm(app_ctx, demo):
    event = db.session.scalar(select(AuditEvent).limit(1))
    event.action = "rewritten"
    with pytest.raises(AuditLogIsAppendOnly):
        db.session.flush()
    db.session.rollback()
    db.session.delete(db.session.scalar(select(AuditEvent).limit(1)))
    with pytest.raises(AuditLogIsAppendOnly):
        db.session.flush()
    db.session.rollback()


@pytest.mark.parametrize(
    "statement",
    ["UPDATE audit_events SET action = 'rewritten'", "DELETE FROM audit_events"],
)
def test_the_database_refuses_changes_to_audit_rows(app_ctx, demo, statement):
    with pytest.raises(DBAPIError, match="append-only"):
        db.session.execute(text(statement))
    db.session.rollback()


def test_record_points_at_a_new_object_and_keeps_a_summary(app_ctx, demo):
    from portal.accounts.models import Enterprise

    firm = Enterprise(name="n", uscc="914403001922038216", contact_person="c", mobile="1")
    db.session.add(firm)
    event = audit.record("test.event", firm, changed={"a": [1, 2]})
    db.session.commit()
    stored = db.session.get(AuditEvent, event.id)
    assert stored.object_type == "enterprises" and stored.object_id == str(firm.id)
    assert stored.summary == {"changed": {"a": [1, 2]}}
    assert stored.occurred_at.tzinfo is not None
