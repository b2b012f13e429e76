"""Payment batches (拨付批次): an officer gathers due tranches into a batch, an approver who is
not that officer approves it (or sends it back), and the approved batch is the payment order
finance pays from (``payment_orders``).

A tranche is in one batch at a time: making a batch locks the chosen tranches and takes only
those still due. Approving locks the batch: of two approvers at once one approves, the other
is told who did. The payment order's lines (payee, account, bank, purpose, letter number) are
frozen on the batch when it is approved, so the file finance receives never changes.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from portal.accounts.models import Role, User
from portal.applications.models import Application
from portal.core import audit
from portal.core.audit import Action
from portal.core.concurrency import ConcurrentChange, flush_or_refuse, lock_row, service
from portal.core.domain import DomainError
from portal.core.extensions import db
from portal.core.timeutil import bureau_today, to_bureau_time, utcnow
from portal.letters.issuing import current_letters
from portal.letters.numbering import allocate_sequences
from portal.payments import agreements
from portal.payments.batch_models import BatchStatus, PaymentBatch
from portal.payments.models import Tranche, TrancheStatus
from portal.payments.tranches import move
from portal.programs.models import Program

# The sequence "issuer" of batch numbers in the shared number table (letters.numbering).
SEQUENCE_ISSUER = "拨付批次"
MAX_TRANCHES = 200
SEND_BACK_REASON_MAX = 1000


class BatchRefused(DomainError):
    pass


def batch_number(year: int, sequence: int) -> str:
    return f"PB-{year}-{sequence:04d}"


def purpose_of(program_name_zh: str, position: int) -> str:
    """The payment's purpose (用途) as the bank prints it."""
    return f"{program_name_zh} 资金拨付 第{position}笔"


def _name(user_id: int | None) -> str:
    user = db.session.get(User, user_id) if user_id is not None else None
    return user.display_name if user is not None else ""


def _tranche_label(tranche: Tranche, references: dict[int, str]) -> str:
    return f"{references.get(tranche.application_id, tranche.application_id)} #{tranche.position}"


# --- commands ---------------------------------------------------------------------------------


def _references(tranches: Sequence[Tranche]) -> dict[int, str]:
    return {
        key: value
        for key, value in db.session.execute(
            select(Application.id, Application.reference).where(
                Application.id.in_({t.application_id for t in tranches})
            )
        )
    }


def _locked_due(ids: list[int]) -> list[Tranche]:
    """The chosen tranches, locked and read again; refused unless each is still due and has
    a confirmed bank account."""
    tranches = list(
        db.session.scalars(
            select(Tranche)
            .where(Tranche.id.in_(ids))
            .order_by(Tranche.id)
            .with_for_update()
            .execution_options(populate_existing=True)
        )
    )
    if len(tranches) != len(ids):
        raise BatchRefused(_l("A chosen payment does not exist."), field="tranche_ids")
    references = _references(tranches)
    for tranche in tranches:
        if tranche.status is not TrancheStatus.DUE:
            raise BatchRefused(
                _l(
                    "Payment %(payment)s is no longer due (“%(status)s”): someone put it in a "
                    "batch meanwhile, or it was paid. Open the list again.",
                    payment=_tranche_label(tranche, references),
                    status=tranche.status.label,
                ),
                field="tranche_ids",
            )
        if agreements.current_bank_account(tranche.agreement_id) is None:
            raise BatchRefused(
                _l(
                    "Payment %(payment)s has no confirmed bank account.",
                    payment=_tranche_label(tranche, references),
                ),
                field="tranche_ids",
            )
    return tranches


@service
def create_batch(tranche_ids: Sequence[int], *, actor: Any) -> PaymentBatch:
    """A batch of the chosen due tranches, numbered PB-<year>-<n>. Refused as a whole when any
    of them is no longer due (in another batch, paid) or has no confirmed bank account."""
    if getattr(actor, "role", None) is not Role.OFFICER:
        raise BatchRefused(_l("Only an officer can prepare a payment batch."))
    ids = sorted({int(i) for i in tranche_ids})
    if not ids:
        raise BatchRefused(_l("Choose at least one due payment."), field="tranche_ids")
    if len(ids) > MAX_TRANCHES:
        raise BatchRefused(
            _l("A batch holds at most %(count)d payments.", count=MAX_TRANCHES),
            field="tranche_ids",
        )
    tranches = _locked_due(ids)
    year = bureau_today().year
    (sequence,) = allocate_sequences(SEQUENCE_ISSUER, year, 1)
    total = sum((t.amount for t in tranches), Decimal(0))
    batch = PaymentBatch(
        number=batch_number(year, sequence),
        status=BatchStatus.DRAFT,
        tranche_ids=[t.id for t in tranches],
        tranche_count=len(tranches),
        total=total,
        lines=[],
        created_by_id=actor.id,
        created_at=utcnow(),
    )
    db.session.add(batch)
    db.session.flush()
    for tranche in tranches:
        move(tranche, TrancheStatus.IN_BATCH)
        tranche.batch_id = batch.id
    flush_or_refuse()
    audit.record(
        Action.PAYMENT_BATCH_CREATED,
        batch,
        actor=actor,
        number=batch.number,
        count=batch.tranche_count,
        total=str(total),
        tranche_ids=batch.tranche_ids,
    )
    return batch


def _lock(batch: PaymentBatch) -> PaymentBatch:
    """The batch's row locked and read again. What this session holds of it is forgotten
    first: another approver may have changed it meanwhile, and that is answered with words
    (``_check_decidable``), not as a stale version."""
    batch_id = batch.id
    db.session.expire(batch)
    return lock_row(PaymentBatch, batch_id)


def _check_decidable(batch: PaymentBatch, approver: Any) -> None:
    if getattr(approver, "role", None) is not Role.APPROVER:
        raise BatchRefused(_l("Only an approver can approve or send back a payment batch."))
    if batch.created_by_id == approver.id:
        raise BatchRefused(
            _l("You prepared this batch yourself: another approver must approve it.")
        )
    if batch.status is BatchStatus.APPROVED:
        raise BatchRefused(
            _l(
                "This batch was already approved by %(name)s at %(time)s. Nothing was changed.",
                name=_name(batch.approved_by_id),
                time=f"{to_bureau_time(batch.approved_at):%Y-%m-%d %H:%M}"
                if batch.approved_at
                else "",
            )
        )
    if batch.status is BatchStatus.SENT_BACK:
        raise BatchRefused(
            _l(
                "This batch was already sent back by %(name)s. Nothing was changed.",
                name=_name(batch.sent_back_by_id),
            )
        )


def batch_tranches(batch: PaymentBatch) -> list[Tranche]:
    """The tranches the batch was made of, in the batch's order (one query)."""
    by_id = {
        t.id: t
        for t in db.session.scalars(select(Tranche).where(Tranche.id.in_(batch.tranche_ids)))
    }
    return [by_id[i] for i in batch.tranche_ids if i in by_id]


def order_lines(tranches: Sequence[Tranche]) -> list[dict[str, Any]]:
    """The payment order's lines: who is paid, into which account, how much and why."""
    application_ids = list({t.application_id for t in tranches})
    letters = current_letters(application_ids)
    references = {
        key: value
        for key, value in db.session.execute(
            select(Application.id, Application.reference).where(Application.id.in_(application_ids))
        )
    }
    programs = {
        p.id: p
        for p in db.session.scalars(
            select(Program).where(Program.id.in_({t.program_id for t in tranches}))
        )
    }
    lines = []
    for tranche in tranches:
        account = agreements.current_bank_account(tranche.agreement_id)
        if account is None:
            raise BatchRefused(
                _l(
                    "Payment %(payment)s has no confirmed bank account any more: send the "
                    "batch back.",
                    payment=_tranche_label(tranche, references),
                )
            )
        letter = letters.get(tranche.application_id)
        lines.append(
            {
                "tranche_id": tranche.id,
                "application_id": tranche.application_id,
                "reference": references.get(tranche.application_id, ""),
                "payee": account.account_name,
                "account": account.account_number,
                "bank": " ".join(filter(None, (account.bank_name, account.branch_name))),
                "amount": str(tranche.amount),
                "purpose": purpose_of(programs[tranche.program_id].name_zh, tranche.position),
                "letter_number": letter.number if letter is not None else "",
            }
        )
    return lines


@service
def approve_batch(
    batch: PaymentBatch, *, approver: Any, seen_count: int | None, seen_total: Decimal | None
) -> PaymentBatch:
    """Approve the batch as the approver saw it on the confirmation page (count and total)."""
    batch = _lock(batch)
    _check_decidable(batch, approver)
    if seen_count != batch.tranche_count or seen_total != batch.total:
        raise ConcurrentChange(_l("This batch changed after you opened it. Open it again."))
    tranches = batch_tranches(batch)
    if any(t.status is not TrancheStatus.IN_BATCH or t.batch_id != batch.id for t in tranches):
        raise BatchRefused(_l("A payment of this batch is no longer in it: send the batch back."))
    batch.lines = order_lines(tranches)
    batch.status = BatchStatus.APPROVED
    batch.approved_by_id = approver.id
    batch.approved_at = utcnow()
    flush_or_refuse()
    audit.record(
        Action.PAYMENT_BATCH_APPROVED,
        batch,
        actor=approver,
        number=batch.number,
        count=batch.tranche_count,
        total=str(batch.total),
        created_by=batch.created_by_id,
        created_by_name=_name(batch.created_by_id),
        approved_by=approver.id,
        approved_by_name=approver.display_name,
    )
    return batch


@service
def send_back_batch(batch: PaymentBatch, *, approver: Any, reason: str) -> PaymentBatch:
    """Refuse the batch, saying why: its tranches are due again and can be batched anew."""
    batch = _lock(batch)
    _check_decidable(batch, approver)
    reason = (reason or "").strip()
    if not reason:
        raise BatchRefused(_l("Say why you send it back: the officer reads it."), field="reason")
    if len(reason) > SEND_BACK_REASON_MAX:
        raise BatchRefused(
            _l("Keep the reason under %(count)d characters.", count=SEND_BACK_REASON_MAX),
            field="reason",
        )
    for tranche in db.session.scalars(
        select(Tranche)
        .where(Tranche.batch_id == batch.id)
        .with_for_update()
        .execution_options(populate_existing=True)
    ):
        move(tranche, TrancheStatus.DUE)
        tranche.batch_id = None
    batch.status = BatchStatus.SENT_BACK
    batch.sent_back_by_id = approver.id
    batch.sent_back_at = utcnow()
    batch.send_back_reason = reason
    flush_or_refuse()
    audit.record(
        Action.PAYMENT_BATCH_SENT_BACK,
        batch,
        actor=approver,
        number=batch.number,
        reason=reason,
        created_by=batch.created_by_id,
    )
    return batch
