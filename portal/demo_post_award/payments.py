"""Demo states of the post-award stage: payments.

After the agreements part, the tranches of accepted agreements with confirmed accounts are due.
Of those, the officer (officer@example.com) batches the older half soon after they fell due
and the leader (leader@example.com) approves the batch, and finance's confirmation is recorded:
paid (last year's awards, months ago). With two or more, a second batch, made these days, is
approved and waits for finance's confirmation; the rest stay due, to be batched on the page.
Safe to run again: once a batch exists nothing is done.
"""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy import select

from portal.accounts.services import find_user_by_email
from portal.core.extensions import db
from portal.core.timeutil import to_bureau_time
from portal.demo_applications import Cast, DemoClock
from portal.payments import batches, confirmations
from portal.payments.batch_models import PaymentBatch
from portal.payments.models import Tranche, TrancheStatus


def _due() -> list[Tranche]:
    return list(
        db.session.scalars(
            select(Tranche).where(Tranche.status == TrancheStatus.DUE).order_by(Tranche.id)
        )
    )


def seed(clock: DemoClock, *, log: Callable[[str], None] = print) -> int:
    """Put demo awards into this part's states; return how many records were made."""
    cast = Cast.find()
    leader = find_user_by_email("leader@example.com")
    if cast is None or leader is None:
        return 0
    if db.session.scalar(select(PaymentBatch.id).limit(1)) is not None:
        return 0  # seeded before, or the bureau is already at work
    due = _due()
    if not due:
        return 0
    # The oldest are paid (a batch made soon after they fell due), the next waits in an
    # approved batch for finance, the newest stays due.
    due.sort(key=lambda t: (t.due_at is None, t.due_at, t.id))
    to_pay = due[: max(1, len(due) // 2)]
    waiting = due[len(to_pay) : len(to_pay) + 1]
    made = 0
    for group in (to_pay, waiting):
        if not group:
            continue
        latest = max(to_bureau_time(t.due_at).date() for t in group if t.due_at is not None)
        made_on = min(clock.next_working_day(latest), clock.today)
        if group is waiting:  # finance has it these days
            made_on = max(made_on, clock.working_day(-2))
        approved_on = min(clock.next_working_day(made_on), clock.today)
        paid_on = min(clock.next_working_day(approved_on), clock.today)
        clock.set(made_on, "09:40")
        batch = batches.create_batch([t.id for t in group], actor=cast.officer)
        clock.set(approved_on, "16:20")
        batches.approve_batch(
            batch, approver=leader, seen_count=batch.tranche_count, seen_total=batch.total
        )
        made += 1
        if group is to_pay:
            clock.set(paid_on, "11:00")
            for index, tranche in enumerate(group, start=1):
                confirmations.confirm_payment(
                    tranche,
                    paid_on=paid_on,
                    bank_reference=f"ICBC{paid_on:%Y%m%d}{tranche.id:04d}{index:02d}",
                    actor=cast.officer,
                )
                made += 1
    log(
        f"Payments: {len(to_pay)} paid, {len(waiting)} in an approved batch, "
        f"{len(due) - len(to_pay) - len(waiting)} due."
    )
    return made
