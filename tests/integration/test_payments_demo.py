"""The demo's payments: due tranches are batched by the officer, approved by the leader and
partly paid, through the real services; seeding again makes nothing."""

from __future__ import annotations

from sqlalchemy import select

from portal.accounts.models import User
from portal.core.extensions import db
from portal.demo_applications import demo_clock
from portal.demo_post_award import payments as demo_payments
from portal.payments.batch_models import BatchStatus, PaymentBatch
from portal.payments.models import Tranche, TrancheStatus
from tests.payments_world import award


def _seed(app) -> int:
    with app.app_context():
        with demo_clock() as clock:
            made = demo_payments.seed(clock, log=lambda _line: None)
        db.session.commit()
        return made


def test_without_due_tranches_the_demo_makes_nothing(app, demo):
    assert _seed(app) == 0


def test_the_demo_pays_some_batches_some_and_leaves_some_due(app, demo):
    for _ in range(3):
        award(app)
    assert _seed(app) == 3  # two batches, one payment
    with app.app_context():
        statuses = sorted(t.status.value for t in db.session.scalars(select(Tranche)))
        assert statuses == ["due", "in_batch", "paid"]
        names = {u.id: u.email for u in db.session.scalars(select(User))}
        found = db.session.scalars(select(PaymentBatch).order_by(PaymentBatch.id)).all()
        assert [b.status for b in found] == [BatchStatus.APPROVED, BatchStatus.APPROVED]
        assert {names[b.created_by_id] for b in found} == {"officer@example.com"}
        assert {names[b.approved_by_id] for b in found} == {"leader@example.com"}
        paid = db.session.scalar(select(Tranche).where(Tranche.status == TrancheStatus.PAID))
        assert paid.bank_reference and paid.paid_on
    assert _seed(app) == 0
