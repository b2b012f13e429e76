"""The bank account an award is paid into: the firm enters it, an officer confirms it or sends
it back with a reason.

Rows are never edited in their details: a change is a new row, which needs the officer's
confirmation like the first. The account it replaces keeps being paid into until then; once
the new one is confirmed, the old one is kept as ``replaced``. An entry that was still waiting
when a newer one came in is ``replaced`` at once (it was never confirmed).
"""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select

from portal.accounts.models import Enterprise, User
from portal.applications.models import Application
from portal.core import audit
from portal.core.audit import Action
from portal.core.concurrency import lock_row, service
from portal.core.domain import DomainError
from portal.core.extensions import db
from portal.core.timeutil import utcnow
from portal.core.urls import path_for
from portal.notifications.services import notify
from portal.payments.bank_account_rules import (
    BankAccountInput,
    check_bank_account,
    masked_number,
)
from portal.payments.models import Agreement, BankAccount, BankAccountStatus
from portal.programs.models import Program

REJECTION_REASON_MAX = 1000
PENDING_LIST_LIMIT = 100


class BankAccountRefused(DomainError):
    """The typed account does not pass the checks: one message per field (``problems``)."""

    def __init__(self, problems: dict[str, str]) -> None:
        super().__init__(next(iter(problems.values())), field=next(iter(problems)))
        self.problems = problems


def firm_users(enterprise_id: int) -> list[int]:
    with db.session.no_autoflush:
        return list(
            db.session.scalars(
                select(User.id).where(
                    User.enterprise_id == enterprise_id, User.disabled_at.is_(None)
                )
            )
        )


def accounts_of(agreement_id: int) -> list[BankAccount]:
    """Every account entered for the agreement, newest first (the replaced ones too)."""
    return list(
        db.session.scalars(
            select(BankAccount)
            .where(BankAccount.agreement_id == agreement_id)
            .order_by(BankAccount.id.desc())
        )
    )


def confirmed_account(agreement_id: int) -> BankAccount | None:
    """The confirmed account the award is paid into, or None."""
    return db.session.scalar(
        select(BankAccount)
        .where(
            BankAccount.agreement_id == agreement_id,
            BankAccount.status == BankAccountStatus.CONFIRMED,
        )
        .order_by(BankAccount.id.desc())
        .limit(1)
    )


def latest_account(agreement_id: int) -> BankAccount | None:
    """The latest account the firm entered that is still in play (waiting, confirmed or sent
    back): what the firm's page shows as its account."""
    return db.session.scalar(
        select(BankAccount)
        .where(
            BankAccount.agreement_id == agreement_id,
            BankAccount.status != BankAccountStatus.REPLACED,
        )
        .order_by(BankAccount.id.desc())
        .limit(1)
    )


@service
def enter_account(agreement: Agreement, typed: BankAccountInput, *, actor: Any) -> BankAccount:
    """Record the account the firm typed (checked against its registered name), waiting for
    the officer. Raises ``BankAccountRefused`` with a message per field; nothing is written."""
    enterprise = db.session.get(Enterprise, agreement.enterprise_id)
    checked = check_bank_account(typed, enterprise.name if enterprise else "")
    if not checked.ok or checked.value is None:
        raise BankAccountRefused(checked.problems)
    value = checked.value
    lock_row(Agreement, agreement.id)  # one entry at a time per agreement
    for waiting in db.session.scalars(
        select(BankAccount).where(
            BankAccount.agreement_id == agreement.id,
            BankAccount.status == BankAccountStatus.PENDING,
        )
    ):
        waiting.status = BankAccountStatus.REPLACED
        waiting.decided_at = utcnow()
    account = BankAccount(
        agreement_id=agreement.id,
        enterprise_id=agreement.enterprise_id,
        status=BankAccountStatus.PENDING,
        account_name=value.account_name,
        bank_name=value.bank_name,
        branch_name=value.branch_name,
        account_number=value.account_number,
        entered_at=utcnow(),
        entered_by_id=getattr(actor, "id", None),
    )
    db.session.add(account)
    db.session.flush()
    audit.record(
        Action.BANK_ACCOUNT_ENTERED,
        account,
        actor=actor,
        application_id=agreement.application_id,
        agreement_id=agreement.id,
        bank=value.bank_name,
        account=masked_number(value.account_number),
    )
    return account


def _pending_or_refuse(account_id: int) -> BankAccount:
    account = lock_row(BankAccount, account_id)
    if account.status is not BankAccountStatus.PENDING:
        raise DomainError(
            _l(
                "This account is no longer waiting for confirmation (it is “%(status)s”).",
                status=account.status.label,
            )
        )
    return account


@service
def confirm_account(account: BankAccount, *, actor: Any) -> BankAccount:
    """The officer checked the details: the account is confirmed and the one it replaces (if
    any) is kept as replaced."""
    account = _pending_or_refuse(account.id)
    now = utcnow()
    for older in db.session.scalars(
        select(BankAccount).where(
            BankAccount.agreement_id == account.agreement_id,
            BankAccount.status == BankAccountStatus.CONFIRMED,
        )
    ):
        older.status = BankAccountStatus.REPLACED
        older.decided_at = older.decided_at or now
    account.status = BankAccountStatus.CONFIRMED
    account.decided_at = now
    account.decided_by_id = getattr(actor, "id", None)
    db.session.flush()
    agreement = db.session.get(Agreement, account.agreement_id)
    audit.record(
        Action.BANK_ACCOUNT_CONFIRMED,
        account,
        actor=actor,
        application_id=agreement.application_id if agreement else None,
        agreement_id=account.agreement_id,
        bank=account.bank_name,
        account=masked_number(account.account_number),
    )
    return account


@service
def send_back_account(account: BankAccount, reason: str, *, actor: Any) -> BankAccount:
    """The officer found the details wrong: the account is sent back with a reason the firm
    reads, and the firm is told."""
    reason = (reason or "").strip()
    if not reason:
        raise DomainError(_l("Say what is wrong: the firm reads it."), field="reason")
    if len(reason) > REJECTION_REASON_MAX:
        raise DomainError(
            _l("Keep the reason within %(max)d characters.", max=REJECTION_REASON_MAX),
            field="reason",
        )
    account = _pending_or_refuse(account.id)
    account.status = BankAccountStatus.REJECTED
    account.decided_at = utcnow()
    account.decided_by_id = getattr(actor, "id", None)
    account.rejection_reason = reason
    db.session.flush()
    agreement = db.session.get(Agreement, account.agreement_id)
    application_id = agreement.application_id if agreement else None
    audit.record(
        Action.BANK_ACCOUNT_REJECTED,
        account,
        actor=actor,
        application_id=application_id,
        agreement_id=account.agreement_id,
        reason=reason,
    )
    if agreement is not None:
        application = db.session.get(Application, agreement.application_id)
        reference = application.reference if application is not None else ""
        notify(
            firm_users(account.enterprise_id),
            "bank_account_sent_back",
            {"reference": reference, "reason": reason, **_program_names(agreement)},
            path_for("firm_agreements.show", agreement_id=agreement.id),
        )
    return account


def _program_names(agreement: Agreement) -> dict[str, str]:
    program = db.session.get(Program, agreement.program_id)
    if program is None:
        return {}
    return {"program_zh": program.name_zh, "program_en": program.name_en}


def pending_count() -> int:
    return (
        db.session.scalar(
            select(func.count(BankAccount.id)).where(
                BankAccount.status == BankAccountStatus.PENDING
            )
        )
        or 0
    )
