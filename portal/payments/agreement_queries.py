"""What the officers' agreement pages list: agreements by status a page at a time (keyset,
newest first) and the bank accounts waiting for confirmation (oldest first, bounded). Each
list is one statement whatever the number of rows."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from sqlalchemy import select

from portal.accounts.models import Enterprise
from portal.applications.models import Application
from portal.core.extensions import db
from portal.payments.models import Agreement, AgreementStatus, BankAccount, BankAccountStatus
from portal.programs.models import Program

PAGE_SIZE = 50
PENDING_LIMIT = 100


@dataclass(frozen=True)
class AgreementRow:
    id: int
    application_id: int
    reference: str
    enterprise: str
    program_zh: str
    program_en: str
    amount: Decimal
    status: AgreementStatus
    offered_at: datetime
    accepted_at: datetime | None

    def program(self, locale: str) -> str:
        return self.program_en if locale == "en" else self.program_zh


@dataclass(frozen=True)
class AgreementPage:
    rows: list[AgreementRow]
    next_after: int | None  # the ``after`` of the next page, None on the last


@dataclass(frozen=True)
class PendingAccountRow:
    id: int
    agreement_id: int
    reference: str
    enterprise: str
    registered_name: str
    account_name: str
    bank_name: str
    account_number: str
    entered_at: datetime

    @property
    def name_matches(self) -> bool:
        return self.account_name.strip() == self.registered_name.strip()


def agreements_page(status: AgreementStatus, after: int | None = None) -> AgreementPage:
    query = (
        select(
            Agreement.id,
            Agreement.application_id,
            Application.reference,
            Enterprise.name,
            Program.name_zh,
            Program.name_en,
            Agreement.amount,
            Agreement.status,
            Agreement.offered_at,
            Agreement.accepted_at,
        )
        .join(Application, Application.id == Agreement.application_id)
        .join(Enterprise, Enterprise.id == Agreement.enterprise_id)
        .join(Program, Program.id == Agreement.program_id)
        .where(Agreement.status == status)
        .order_by(Agreement.id.desc())
        .limit(PAGE_SIZE + 1)
    )
    if after is not None:
        query = query.where(Agreement.id < after)
    rows = [AgreementRow(*row) for row in db.session.execute(query)]
    more = len(rows) > PAGE_SIZE
    rows = rows[:PAGE_SIZE]
    return AgreementPage(rows, rows[-1].id if more and rows else None)


def pending_accounts(limit: int = PENDING_LIMIT) -> list[PendingAccountRow]:
    query = (
        select(
            BankAccount.id,
            BankAccount.agreement_id,
            Application.reference,
            Enterprise.name,
            Enterprise.name,
            BankAccount.account_name,
            BankAccount.bank_name,
            BankAccount.account_number,
            BankAccount.entered_at,
        )
        .join(Agreement, Agreement.id == BankAccount.agreement_id)
        .join(Application, Application.id == Agreement.application_id)
        .join(Enterprise, Enterprise.id == BankAccount.enterprise_id)
        .where(BankAccount.status == BankAccountStatus.PENDING)
        .order_by(BankAccount.id)
        .limit(limit)
    )
    return [PendingAccountRow(*row) for row in db.session.execute(query)]
