"""The money invariants of payments, checked over the whole database (``flask --app portal
payments check``). What the database can keep itself it keeps (a tranche's amount is above 0,
a paid tranche has its day and bank reference, a bank reference is used once, a batch's
approver is not its maker); these are the rules that span rows:

- the tranches of an agreement add up to its amount;
- what was paid on an application is at most what was awarded;
- what was recovered (decided in recovery cases) is at most what was paid;
- a tranche in a batch points at its batch; a paid one paid from a batch points at an approved
  one (a payment recorded outside the portal's batches, e.g. before it, has no batch);
- a batch's total is the sum of its tranches.

Each check is one query, whatever the number of awards.
"""

from __future__ import annotations

from decimal import Decimal

from sqlalchemy import func, inspect, select, text
from sqlalchemy.orm import aliased

from portal.core.extensions import db
from portal.core.money import format_money, sum_from_db
from portal.payments.batch_models import BatchStatus, PaymentBatch
from portal.payments.models import Agreement, Tranche, TrancheStatus


def _split_problems() -> list[str]:
    rows = db.session.execute(
        select(Agreement.id, Agreement.application_id, Agreement.amount, func.sum(Tranche.amount))
        .join(Tranche, Tranche.agreement_id == Agreement.id)
        .group_by(Agreement.id, Agreement.application_id, Agreement.amount)
        .having(func.sum(Tranche.amount) != Agreement.amount)
        .order_by(Agreement.id)
    ).all()
    return [
        f"agreement {agreement_id} (application {application_id}): tranches add up to "
        f"{format_money(sum_from_db(total))}, the agreement says {format_money(amount)}"
        for agreement_id, application_id, amount, total in rows
    ]


def _paid_sums() -> dict[int, Decimal]:
    return {
        application_id: sum_from_db(total)
        for application_id, total in db.session.execute(
            select(Tranche.application_id, func.sum(Tranche.amount))
            .where(Tranche.status == TrancheStatus.PAID)
            .group_by(Tranche.application_id)
        ).all()
    }


def _overpaid_problems(paid: dict[int, Decimal]) -> list[str]:
    awarded = {
        application_id: amount
        for application_id, amount in db.session.execute(
            select(Agreement.application_id, Agreement.amount).where(
                Agreement.application_id.in_(list(paid))
            )
        )
    }
    return [
        f"application {application_id}: paid {format_money(total)} exceeds the award "
        f"{format_money(awarded.get(application_id) or 0)}"
        for application_id, total in sorted(paid.items())
        if total > sum_from_db(awarded.get(application_id))
    ]


def _recovered_problems(paid: dict[int, Decimal]) -> list[str]:
    inspector = inspect(db.session.connection())
    if "recovery_cases" not in inspector.get_table_names():
        return []
    columns = {c["name"] for c in inspector.get_columns("recovery_cases")}
    if not {"application_id", "decided_amount"} <= columns:
        return []
    rows = db.session.execute(
        text(
            "SELECT application_id, sum(decided_amount) FROM recovery_cases "
            "WHERE decided_amount IS NOT NULL GROUP BY application_id"
        )
    ).all()
    return [
        f"application {application_id}: recovery of {format_money(sum_from_db(total))} "
        f"exceeds what was paid ({format_money(paid.get(application_id, Decimal(0)))})"
        for application_id, total in rows
        if sum_from_db(total) > paid.get(application_id, Decimal(0))
    ]


def _tranche_problems() -> list[str]:
    batch = aliased(PaymentBatch)
    rows = db.session.execute(
        select(Tranche.id, Tranche.application_id, Tranche.status, batch.status)
        .outerjoin(batch, batch.id == Tranche.batch_id)
        .where(
            (
                (Tranche.status == TrancheStatus.PAID)
                & (
                    Tranche.paid_on.is_(None)
                    | Tranche.bank_reference.is_(None)
                    | (
                        Tranche.batch_id.is_not(None)
                        & (func.coalesce(batch.status, "") != BatchStatus.APPROVED.value)
                    )
                )
            )
            | ((Tranche.status == TrancheStatus.IN_BATCH) & Tranche.batch_id.is_(None))
        )
        .order_by(Tranche.id)
    ).all()
    return [
        f"tranche {tranche_id} (application {application_id}) is {status}"
        + (" without its day, bank reference or approved batch" if status == "paid" else "")
        + (" but in no batch" if status == "in_batch" else "")
        for tranche_id, application_id, status, _batch_status in rows
    ]


def _batch_problems() -> list[str]:
    problems = []
    batches = list(db.session.scalars(select(PaymentBatch).order_by(PaymentBatch.id)))
    amounts = {
        tranche_id: amount
        for tranche_id, amount in db.session.execute(
            select(Tranche.id, Tranche.amount).where(
                Tranche.id.in_([i for b in batches for i in b.tranche_ids])
            )
        )
    }
    for batch in batches:
        total = sum((amounts.get(i, Decimal(0)) for i in batch.tranche_ids), Decimal(0))
        if total != batch.total or len(batch.tranche_ids) != batch.tranche_count:
            problems.append(
                f"batch {batch.number}: {len(batch.tranche_ids)} tranches adding up to "
                f"{format_money(total)}, the batch says {batch.tranche_count} and "
                f"{format_money(batch.total)}"
            )
    return problems


def check_payments() -> list[str]:
    """Every broken invariant, in words; empty when all hold."""
    paid = _paid_sums()
    return [
        *_split_problems(),
        *_overpaid_problems(paid),
        *_recovered_problems(paid),
        *_tranche_problems(),
        *_batch_problems(),
    ]


__all__ = ["check_payments"]
