"""The demo's recovery story: on ent4's 2025 award, whose first tranche was paid through an
approved batch, a case opened with evidence, the firm's statement, a decision to recover, the
notice, half repaid, and the ban in ent4's credit record; a second run makes nothing."""

from __future__ import annotations

from decimal import Decimal

from sqlalchemy import select

from portal.accounts.models import User
from portal.core.audit import AuditEvent
from portal.core.extensions import db
from portal.core.timeutil import bureau_today
from portal.demo_applications import demo_clock, seed_demo
from portal.demo_post_award import PARTS
from portal.demo_post_award import recovery as demo_recovery
from portal.payments import credit_record
from portal.payments.batch_models import PaymentBatch
from portal.payments.models import Tranche, TrancheStatus
from portal.payments.recovery_models import CreditRecord, RecoveryCase, RecoveryStatus


def test_the_demo_has_a_case_decided_noticed_partly_repaid_with_a_ban(app_ctx):
    seed_demo(log=lambda _line: None)
    db.session.commit()
    with demo_clock() as clock:
        for part in PARTS:
            if part is not demo_recovery:
                part.seed(clock, log=lambda _line: None)
        made = demo_recovery.seed(clock, log=lambda _line: None)
    db.session.commit()
    assert made == 4

    (case,) = db.session.scalars(select(RecoveryCase)).all()
    firm = db.session.scalar(select(User).where(User.email == "ent4@example.com"))
    assert case.enterprise_id == firm.enterprise_id
    # What is recovered was really paid, through a batch the leader approved.
    (paid,) = db.session.scalars(
        select(Tranche).where(
            Tranche.application_id == case.application_id, Tranche.status == TrancheStatus.PAID
        )
    ).all()
    batch = db.session.get_one(PaymentBatch, paid.batch_id)
    assert batch.approved_by_id is not None and case.decided_amount <= paid.amount
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
