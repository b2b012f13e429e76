"""What the payment pages show, each list in a fixed number of queries with keyset paging:
the due tranches (to batch), the batches, one batch's lines, the approver's waiting batches."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import aliased

from portal.accounts.models import Enterprise, User
from portal.applications import stages
from portal.applications.models import Application
from portal.core.extensions import db
from portal.core.money import sum_from_db
from portal.payments.batch_models import BatchStatus, PaymentBatch
from portal.payments.models import (
    Agreement,
    AgreementStatus,
    BankAccount,
    BankAccountStatus,
    Tranche,
    TrancheStatus,
)
from portal.programs.models import Program

PAGE_SIZE = 50


@dataclass(frozen=True)
class KeysetPage:
    rows: list[Any]
    next_after: int | None  # the key to ask for the next page with; None on the last page


def _page(rows: list[Any], key_of: Any, size: int) -> KeysetPage:
    more = len(rows) > size
    rows = rows[:size]
    return KeysetPage(rows, key_of(rows[-1]) if more and rows else None)


def due_tranches(
    *, program_id: int | None, after: int | None, locale: str, size: int = PAGE_SIZE
) -> KeysetPage:
    """Due tranches, oldest first, with their application, firm, programme and whether a bank
    account is confirmed (one query)."""
    confirmed = (
        select(func.count(BankAccount.id))
        .where(
            BankAccount.agreement_id == Tranche.agreement_id,
            BankAccount.status == BankAccountStatus.CONFIRMED,
        )
        .scalar_subquery()
    )
    query = (
        select(Tranche, Application.reference, Enterprise.name, Program, confirmed)
        .join(Application, Application.id == Tranche.application_id)
        .join(Enterprise, Enterprise.id == Tranche.enterprise_id)
        .join(Program, Program.id == Tranche.program_id)
        .where(Tranche.status == TrancheStatus.DUE)
        .order_by(Tranche.id)
        .limit(size + 1)
    )
    if program_id is not None:
        query = query.where(Tranche.program_id == program_id)
    if after is not None:
        query = query.where(Tranche.id > after)
    rows = [
        {
            "tranche": tranche,
            "reference": reference,
            "firm": firm,
            "program": program.name(locale),
            "account_confirmed": bool(accounts),
        }
        for tranche, reference, firm, program, accounts in db.session.execute(query).all()
    ]
    return _page(rows, lambda row: row["tranche"].id, size)


def due_summary() -> tuple[int, Decimal]:
    count, total = db.session.execute(
        select(func.count(Tranche.id), func.sum(Tranche.amount)).where(
            Tranche.status == TrancheStatus.DUE
        )
    ).one()
    return int(count or 0), sum_from_db(total)


def programmes_with_due(locale: str) -> list[tuple[int, str]]:
    rows = db.session.scalars(
        select(Program)
        .where(
            Program.id.in_(
                select(Tranche.program_id).where(Tranche.status == TrancheStatus.DUE).distinct()
            )
        )
        .order_by(Program.id)
    )
    return [(program.id, program.name(locale)) for program in rows]


def batches(*, status: BatchStatus | None, before: int | None, size: int = PAGE_SIZE) -> KeysetPage:
    """Batches, newest first, with who made and who approved each (one query)."""
    creator, approver = aliased(User), aliased(User)
    query = (
        select(PaymentBatch, creator.display_name, approver.display_name)
        .join(creator, creator.id == PaymentBatch.created_by_id)
        .outerjoin(approver, approver.id == PaymentBatch.approved_by_id)
        .order_by(PaymentBatch.id.desc())
        .limit(size + 1)
    )
    if status is not None:
        query = query.where(PaymentBatch.status == status)
    if before is not None:
        query = query.where(PaymentBatch.id < before)
    rows = [
        {"batch": batch, "created_by": made, "approved_by": approved or ""}
        for batch, made, approved in db.session.execute(query).all()
    ]
    return _page(rows, lambda row: row["batch"].id, size)


def _bank(account: BankAccount | None) -> str:
    if account is None:
        return ""
    return " ".join(filter(None, (account.bank_name, account.branch_name)))


def batch_lines(batch: PaymentBatch, locale: str) -> list[dict[str, Any]]:
    """The batch's tranches with application, firm, programme, and the confirmed account of
    each (two queries); an approved batch shows the lines as approved."""
    rows = db.session.execute(
        select(Tranche, Application.reference, Enterprise.name, Program)
        .join(Application, Application.id == Tranche.application_id)
        .join(Enterprise, Enterprise.id == Tranche.enterprise_id)
        .join(Program, Program.id == Tranche.program_id)
        .where(Tranche.id.in_(batch.tranche_ids))
    ).all()
    accounts: dict[int, BankAccount] = {}
    for account in db.session.scalars(
        select(BankAccount)
        .where(
            BankAccount.agreement_id.in_({t.agreement_id for t, *_ in rows}),
            BankAccount.status == BankAccountStatus.CONFIRMED,
        )
        .order_by(BankAccount.id)
    ):
        accounts[account.agreement_id] = account  # the latest confirmed one wins
    frozen = {line["tranche_id"]: line for line in batch.lines}
    by_id = {}
    for tranche, reference, firm, program in rows:
        line = frozen.get(tranche.id)
        confirmed = accounts.get(tranche.agreement_id)
        by_id[tranche.id] = {
            "tranche": tranche,
            "reference": reference,
            "firm": firm,
            "program": program.name(locale),
            "payee": line["payee"] if line else (confirmed.account_name if confirmed else firm),
            "account": line["account"] if line else (confirmed.account_number if confirmed else ""),
            "bank": line["bank"] if line else _bank(confirmed),
            "purpose": line["purpose"] if line else "",
            "letter_number": line["letter_number"] if line else "",
        }
    return [by_id[i] for i in batch.tranche_ids if i in by_id]


def waiting_count() -> int:
    return int(
        db.session.scalar(
            select(func.count(PaymentBatch.id)).where(PaymentBatch.status == BatchStatus.DRAFT)
        )
        or 0
    )


def payment_progress(application_id: int) -> stages.Payments:
    """The award's payments for its stages (拨付): agreement accepted, tranches planned (not
    cancelled) and paid, in one statement."""
    planned = select(func.count()).where(
        Tranche.application_id == application_id, Tranche.status != TrancheStatus.CANCELLED
    )
    paid = select(func.count()).where(
        Tranche.application_id == application_id, Tranche.status == TrancheStatus.PAID
    )
    accepted = select(Agreement.status).where(Agreement.application_id == application_id)
    row = db.session.execute(
        select(accepted.scalar_subquery(), planned.scalar_subquery(), paid.scalar_subquery())
    ).one()
    return stages.Payments(
        agreement_accepted=row[0] is AgreementStatus.ACCEPTED,
        planned=row[1] or 0,
        paid=row[2] or 0,
    )
