"""The tranche's life: one transition table, the conditions that make a tranche due, and the
sums other parts read (paid and awarded per application).

::

    planned ─condition met─▶ due ─officer batches─▶ in_batch ─finance confirms─▶ paid
                              ▲                        │
                              └──batch sent back───────┘
    planned, due ─▶ cancelled

A tranche on the agreement becomes due when the agreement is accepted and the bank account
confirmed (``agreements.ready_for_payment``); a tranche after acceptance when the project
passed acceptance and the agreement's tranche is at least due. Both are found by following the
audit trail (``on_audit_event``, registered in ``init_payments``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select

from portal.applications.models import Application
from portal.core import audit
from portal.core.audit import Action, AuditEvent
from portal.core.domain import DomainError
from portal.core.extensions import db
from portal.core.money import sum_from_db
from portal.core.timeutil import utcnow
from portal.payments import agreements
from portal.payments.models import Agreement, Tranche, TrancheCondition, TrancheStatus

PLANNED, DUE, IN_BATCH, PAID, CANCELLED = (
    TrancheStatus.PLANNED,
    TrancheStatus.DUE,
    TrancheStatus.IN_BATCH,
    TrancheStatus.PAID,
    TrancheStatus.CANCELLED,
)

# (from, to) -> the move's name. Nothing else is a legal move; paid and cancelled are final.
TRANSITIONS: dict[tuple[TrancheStatus, TrancheStatus], str] = {
    (PLANNED, DUE): "condition_met",
    (DUE, IN_BATCH): "add_to_batch",
    (IN_BATCH, DUE): "batch_sent_back",
    (IN_BATCH, PAID): "payment_confirmed",
    (PLANNED, CANCELLED): "cancel",
    (DUE, CANCELLED): "cancel",
}
# A tranche at least due: its condition was met at some point.
REACHED_DUE = frozenset({DUE, IN_BATCH, PAID})


class TrancheRefused(DomainError):
    pass


def can_move(current: TrancheStatus, target: TrancheStatus) -> bool:
    return (current, target) in TRANSITIONS


def move(tranche: Tranche, target: TrancheStatus) -> str:
    """Set the tranche's status to ``target`` if the table allows it; return the move's name.
    A refused move says where the tranche stands, in words a person can act on."""
    current = TrancheStatus(tranche.status)
    name = TRANSITIONS.get((current, target))
    if name is None:
        if current is PAID:
            raise TrancheRefused(_l("This payment has already been made: it is paid only once."))
        raise TrancheRefused(
            _l(
                "This payment is “%(status)s”; it cannot become “%(target)s”.",
                status=current.label,
                target=target.label,
            )
        )
    tranche.status = target
    return name


# --- conditions -------------------------------------------------------------------------------


def _locked_tranches(agreement_id: int) -> list[Tranche]:
    return list(
        db.session.scalars(
            select(Tranche)
            .where(Tranche.agreement_id == agreement_id)
            .order_by(Tranche.position)
            .with_for_update()
            .execution_options(populate_existing=True)
        )
    )


def acceptance_passed(application_id: int) -> bool:
    """Whether the latest acceptance conclusion of the application was "passed"."""
    with db.session.no_autoflush:
        summary = db.session.scalar(
            select(AuditEvent.summary)
            .where(
                AuditEvent.application_id == application_id,
                AuditEvent.action == Action.ACCEPTANCE_CONCLUDED,
            )
            .order_by(AuditEvent.id.desc())
            .limit(1)
        )
    return isinstance(summary, dict) and summary.get("outcome") == "passed"


def make_due_where_met(
    agreement: Agreement, *, acceptance: bool | None = None, actor: Any = None
) -> list[Tranche]:
    """Move to due each planned tranche of the agreement whose condition is met now; return
    them. ``acceptance``: whether the project passed acceptance (None: read it from the
    audit trail). Safe to call again: a tranche already due is left alone."""
    tranches = _locked_tranches(agreement.id)
    ready = agreements.ready_for_payment(agreement)
    made: list[Tranche] = []
    for tranche in tranches:
        if tranche.status is not PLANNED or tranche.condition is not TrancheCondition.AGREEMENT:
            continue
        if ready:
            made.append(tranche)
    agreement_part_due = all(
        t.status in REACHED_DUE or t in made
        for t in tranches
        if t.condition is TrancheCondition.AGREEMENT
    )
    later = [
        t for t in tranches if t.status is PLANNED and t.condition is TrancheCondition.ACCEPTANCE
    ]
    if later and agreement_part_due and ready:
        passed = (
            acceptance if acceptance is not None else acceptance_passed(agreement.application_id)
        )
        if passed:
            made.extend(later)
    now = utcnow()
    for tranche in made:
        move(tranche, DUE)
        tranche.due_at = now
        audit.record(
            Action.TRANCHE_DUE,
            tranche,
            actor=actor,
            application_id=tranche.application_id,
            position=tranche.position,
            amount=str(tranche.amount),
            condition=tranche.condition.value,
        )
    return made


def on_audit_event(event: AuditEvent, obj: Any) -> None:
    """Follow the audit trail: an accepted agreement, a confirmed bank account, a passed
    acceptance may each make tranches due."""
    action = event.action
    if action in (Action.AGREEMENT_ACCEPTED, Action.BANK_ACCOUNT_CONFIRMED):
        agreement = obj if isinstance(obj, Agreement) else None
        if agreement is None and getattr(obj, "agreement_id", None) is not None:
            agreement = db.session.get(Agreement, obj.agreement_id)
        if agreement is not None:
            make_due_where_met(agreement)
    elif action == Action.ACCEPTANCE_CONCLUDED:
        summary = event.summary or {}
        if summary.get("outcome") != "passed" or summary.get("application_id") is None:
            return
        agreement = db.session.scalar(
            select(Agreement).where(Agreement.application_id == summary["application_id"])
        )
        if agreement is not None:
            make_due_where_met(agreement, acceptance=True)


# --- sums -------------------------------------------------------------------------------------


def paid_total(application_id: int) -> Decimal:
    """What has been paid of the application's award (confirmed by finance)."""
    return sum_from_db(
        db.session.scalar(
            select(func.sum(Tranche.amount)).where(
                Tranche.application_id == application_id, Tranche.status == PAID
            )
        )
    )


def awarded_total(application_id: int) -> Decimal:
    """The award: the agreement's amount, or the final decision's before an agreement."""
    amount = db.session.scalar(
        select(Agreement.amount).where(Agreement.application_id == application_id)
    )
    if amount is None:
        amount = db.session.scalar(
            select(Application.decided_amount).where(Application.id == application_id)
        )
    return sum_from_db(amount)


@dataclass(frozen=True)
class PaymentLine:
    """One tranche as the firm sees it on its application page."""

    position: int
    share_percent: Decimal
    amount: Decimal
    condition: TrancheCondition
    status: TrancheStatus
    paid_on: date | None


def payments_of(application_id: int) -> list[PaymentLine]:
    """The application's tranches, in order (one query)."""
    return [
        PaymentLine(t.position, t.share_percent, t.amount, t.condition, t.status, t.paid_on)
        for t in db.session.scalars(
            select(Tranche)
            .where(Tranche.application_id == application_id)
            .order_by(Tranche.position)
        )
    ]


def tranches_by_id(ids: Sequence[int]) -> dict[int, Tranche]:
    if not ids:
        return {}
    return {t.id: t for t in db.session.scalars(select(Tranche).where(Tranche.id.in_(list(ids))))}
