"""The demo's recovery story: on ent2's final R&D award, a case opened with evidence, the firm's
statement, a decision to recover, the notice, half repaid, and the ban in ent2's credit record;
a second run makes nothing."""

from __future__ import annotations

from decimal import Decimal

from sqlalchemy import select

from portal.accounts.models import User
from portal.core.audit import AuditEvent
from portal.core.extensions import db
from portal.core.timeutil import bureau_today
from portal.demo_applications import demo_clock, seed_demo
from portal.demo_post_award import recovery as demo_recovery
from portal.payments import credit_record
from portal.payments.recovery_models import CreditRecord, RecoveryCase, RecoveryStatus


def test_the_demo_has_a_case_decided_noticed_partly_repaid_with_a_ban(app_ctx):
    seed_demo(log=lambda _line: None)
    db.session.commit()
    with demo_clock() as clock:
        made = demo_recovery.seed(clock, log=lambda _line: None)
    db.session.commit()
    assert made >= 4

    (case,) = db.session.scalars(select(RecoveryCase)).all()
    firm = db.session.scalar(select(User).where(User.email == "ent2@example.com"))
    assert case.enterprise_id == firm.enterprise_id
    assert case.status is RecoveryStatus.NOTICE_ISSUED and case.document_id is not None
    assert case.statement and case.decided_amount > 0
    assert case.repaid_amount == (case.decided_amount / 2).quantize(Decimal("0.01"))
    record = db.session.scalar(select(CreditRecord).where(CreditRecord.case_id == case.id))
    assert record.notice_number.startswith("阜科追〔")
    bans = credit_record.standing(firm.enterprise_id, bureau_today()).bans
    assert [ban.notice_number for ban in bans] == [record.notice_number]
    actions = set(
        db.session.scalars(
            select(AuditEvent.action).where(AuditEvent.application_id == case.application_id)
        )
    )
    assert {"recovery.opened", "recovery.decided", "credit.ban_recorded"} <= actions

    with demo_clock() as clock:
        assert demo_recovery.seed(clock, log=lambda _line: None) == 0
