"""Finance's confirmation that a payment was made: recorded by hand per payment (the day and
the bank's reference), or imported from the bank's file and reconciled against the batches.

A tranche is paid at most once, whatever is clicked or imported twice: the tranche is locked,
only ``in_batch`` may become ``paid`` (``tranches.TRANSITIONS``), and a bank reference is
unique (a database constraint as well). A row of the bank's file whose reference is already
recorded is listed as already paid and changes nothing; a row that matches no payment of its
batch (unknown batch, unknown account, a different amount) is listed as a mismatch.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from portal.accounts.models import User
from portal.applications.models import Application
from portal.core import audit
from portal.core.audit import Action
from portal.core.concurrency import flush_or_refuse, lock_row, service
from portal.core.domain import DomainError
from portal.core.extensions import db
from portal.core.money import format_money
from portal.core.timeutil import bureau_today, utcnow
from portal.core.urls import path_for
from portal.notifications.services import notify
from portal.payments.batch_models import BatchStatus, PaymentBatch
from portal.payments.confirmation_file import REFERENCE_MAX, ConfirmationRow, normalise_account
from portal.payments.models import Tranche, TrancheStatus
from portal.payments.tranches import move
from portal.programs.models import Program


class PaymentRefused(DomainError):
    pass


# --- one payment ------------------------------------------------------------------------------


def _check_entry(paid_on: date | None, bank_reference: str) -> str:
    reference = (bank_reference or "").strip()
    if paid_on is None:
        raise PaymentRefused(_l("Enter the day the bank paid."), field="paid_on")
    if paid_on > bureau_today():
        raise PaymentRefused(_l("The day paid cannot be in the future."), field="paid_on")
    if not reference:
        raise PaymentRefused(_l("Enter the bank's reference."), field="bank_reference")
    if len(reference) > REFERENCE_MAX:
        raise PaymentRefused(
            _l("Keep the reference under %(count)d characters.", count=REFERENCE_MAX),
            field="bank_reference",
        )
    return reference


def _reference_owner(reference: str) -> int | None:
    return db.session.scalar(select(Tranche.id).where(Tranche.bank_reference == reference))


def _firm_users(enterprise_id: int) -> list[int]:
    with db.session.no_autoflush:
        return list(
            db.session.scalars(
                select(User.id).where(
                    User.enterprise_id == enterprise_id, User.disabled_at.is_(None)
                )
            )
        )


def _pay(tranche: Tranche, paid_on: date, reference: str, actor: Any, source: str) -> None:
    """Mark the locked, in-batch tranche paid; record it and tell the firm."""
    move(tranche, TrancheStatus.PAID)
    tranche.paid_on = paid_on
    tranche.bank_reference = reference
    tranche.paid_recorded_at = utcnow()
    tranche.paid_recorded_by_id = getattr(actor, "id", None)
    flush_or_refuse()
    audit.record(
        Action.PAYMENT_CONFIRMED,
        tranche,
        actor=actor,
        application_id=tranche.application_id,
        batch_id=tranche.batch_id,
        position=tranche.position,
        amount=str(tranche.amount),
        paid_on=paid_on.isoformat(),
        bank_reference=reference,
        source=source,
    )
    application = db.session.get(Application, tranche.application_id)
    program = db.session.get(Program, tranche.program_id)
    notify(
        _firm_users(tranche.enterprise_id),
        "payment_made",
        {
            "reference": application.reference if application else "",
            "program_zh": program.name_zh if program else "",
            "program_en": program.name_en if program else "",
            "amount": str(tranche.amount),
            "paid_on": paid_on.isoformat(),
            "position": tranche.position,
        },
        path_for("applications.show", application_id=tranche.application_id),
    )


@service
def confirm_payment(
    tranche: Tranche, *, paid_on: date | None, bank_reference: str, actor: Any
) -> Tranche:
    """Record by hand that finance paid the tranche (its batch approved)."""
    reference = _check_entry(paid_on, bank_reference)
    assert paid_on is not None
    tranche_id = tranche.id
    db.session.expire(tranche)  # paid meanwhile: say so, not "changed at the same moment"
    tranche = lock_row(Tranche, tranche_id)
    if tranche.status is TrancheStatus.PAID:
        raise PaymentRefused(
            _l(
                "This payment was already recorded as paid on %(day)s (%(reference)s). "
                "Nothing was changed.",
                day=tranche.paid_on.isoformat() if tranche.paid_on else "",
                reference=tranche.bank_reference or "",
            )
        )
    batch = db.session.get(PaymentBatch, tranche.batch_id) if tranche.batch_id else None
    if (
        tranche.status is not TrancheStatus.IN_BATCH
        or batch is None
        or batch.status is not BatchStatus.APPROVED
    ):
        raise PaymentRefused(_l("Only a payment of an approved batch can be recorded as paid."))
    if _reference_owner(reference) is not None:
        raise PaymentRefused(
            _l("This bank reference is already recorded for another payment."),
            field="bank_reference",
        )
    _pay(tranche, paid_on, reference, actor, "manual")
    return tranche


# --- the bank's file --------------------------------------------------------------------------

MATCHED, ALREADY_PAID, MISMATCHED = "matched", "already_paid", "mismatched"


@dataclass
class ResultRow:
    row: ConfirmationRow
    outcome: str
    message: Any = ""
    application_reference: str = ""
    payee: str = ""


@dataclass
class Reconciliation:
    rows: list[ResultRow] = field(default_factory=list)

    def of(self, outcome: str) -> list[ResultRow]:
        return [r for r in self.rows if r.outcome == outcome]

    @property
    def matched(self) -> list[ResultRow]:
        return self.of(MATCHED)

    @property
    def already_paid(self) -> list[ResultRow]:
        return self.of(ALREADY_PAID)

    @property
    def mismatched(self) -> list[ResultRow]:
        return self.of(MISMATCHED)

    def counts(self) -> dict[str, int]:
        return {outcome: len(self.of(outcome)) for outcome in (MATCHED, ALREADY_PAID, MISMATCHED)}


def _load(rows: Sequence[ConfirmationRow]) -> tuple[dict[str, PaymentBatch], dict[int, Tranche]]:
    """The batches the file names and their tranches, locked (two queries)."""
    numbers = {r.batch_number for r in rows if r.batch_number}
    batches = {
        b.number: b
        for b in db.session.scalars(select(PaymentBatch).where(PaymentBatch.number.in_(numbers)))
    }
    ids = [i for b in batches.values() for i in b.tranche_ids]
    tranches = {
        t.id: t
        for t in db.session.scalars(
            select(Tranche)
            .where(Tranche.id.in_(ids))
            .order_by(Tranche.id)
            .with_for_update()
            .execution_options(populate_existing=True)
        )
    }
    return batches, tranches


def _used_references(rows: Sequence[ConfirmationRow]) -> dict[str, int]:
    references = {r.bank_reference for r in rows if r.bank_reference}
    found = db.session.execute(
        select(Tranche.bank_reference, Tranche.id).where(Tranche.bank_reference.in_(references))
    )
    return {reference: tranche_id for reference, tranche_id in found if reference is not None}


def _candidates(
    row: ConfirmationRow, batches: dict[str, PaymentBatch], tranches: dict[int, Tranche]
) -> ResultRow | tuple[PaymentBatch, list[Tranche], str, str]:
    """The payments of the row's batch to its account for its amount (with the application's
    reference and the payee), or the mismatch that says why there are none."""
    if row.problem is not None:
        return ResultRow(row, MISMATCHED, row.problem)
    batch = batches.get(row.batch_number)
    if batch is None:
        return ResultRow(row, MISMATCHED, _l("Unknown batch number."))
    if batch.status is not BatchStatus.APPROVED:
        return ResultRow(row, MISMATCHED, _l("This batch is not approved."))
    lines = [line for line in batch.lines if normalise_account(line["account"]) == row.account]
    if not lines:
        return ResultRow(row, MISMATCHED, _l("No payment of this batch goes to this account."))
    payee, reference = lines[0]["payee"], lines[0]["reference"]
    same_amount = [line for line in lines if Decimal(str(line["amount"])) == row.amount]
    if not same_amount:
        expected = "、".join(format_money(line["amount"]) for line in lines)
        message = _l("The amount differs: the batch pays %(expected)s yuan.", expected=expected)
        return ResultRow(row, MISMATCHED, message, reference, payee)
    return batch, [tranches[line["tranche_id"]] for line in same_amount], reference, payee


def _reconcile_row(
    row: ConfirmationRow,
    batches: dict[str, PaymentBatch],
    tranches: dict[int, Tranche],
    used: dict[str, int],
    actor: Any,
) -> ResultRow:
    found = _candidates(row, batches, tranches)
    if isinstance(found, ResultRow):
        return found
    batch, candidates, reference, payee = found

    def result(outcome: str, message: Any = "") -> ResultRow:
        return ResultRow(row, outcome, message, reference, payee)

    owner = used.get(row.bank_reference)
    if owner is not None:
        if owner in {t.id for t in candidates}:
            return result(ALREADY_PAID, _l("Already recorded: not paid twice."))
        return result(MISMATCHED, _l("This bank reference is recorded for another payment."))
    open_ = [t for t in candidates if t.status is TrancheStatus.IN_BATCH and t.batch_id == batch.id]
    if not open_:
        paid = next((t for t in candidates if t.status is TrancheStatus.PAID), None)
        if paid is None:
            return result(MISMATCHED, _l("This payment is no longer in the batch."))
        return result(
            ALREADY_PAID,
            _l(
                "Already recorded as paid with reference %(reference)s: not paid twice.",
                reference=paid.bank_reference,
            ),
        )
    if row.paid_on is None or row.paid_on > bureau_today():
        return result(MISMATCHED, _l("The day paid is in the future."))
    _pay(open_[0], row.paid_on, row.bank_reference, actor, "import")
    used[row.bank_reference] = open_[0].id
    return result(MATCHED)


@service
def import_confirmations(
    rows: Sequence[ConfirmationRow], *, actor: Any, filename: str = ""
) -> Reconciliation:
    """Match each row of the bank's file to a payment of its batch (by account and amount) and
    record the matched ones as paid; the rest are listed, nothing else changes."""
    batches, tranches = _load(rows)
    used = _used_references(rows)
    result = Reconciliation()
    for row in rows:
        result.rows.append(_reconcile_row(row, batches, tranches, used, actor))
    counts = result.counts()
    audit.record(
        Action.PAYMENT_CONFIRMATIONS_IMPORTED,
        None,
        actor=actor,
        object_type="payment_batches",
        filename=filename[:200],
        rows=len(rows),
        batches=sorted({r.row.batch_number for r in result.rows if r.row.batch_number})[:50],
        **counts,
    )
    return result
