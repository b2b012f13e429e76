"""Demo states of the post-award stage: agreements.

The applications' stories made some awards final, and each was offered its agreement then
(older databases: offered here). Of those, the demo firms accept about half: the firm enters
its bank account and accepts a few working days later, an officer confirms the account the day
after; with two or more, one firm has entered its account and waits for the officer (its
agreement still offered); the rest are still offered. Last year's awards (``last_year``) were
accepted there and are left alone.
Safe to run again: an agreement that has a bank account is left as it is.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

from sqlalchemy import select

from portal.accounts.models import Enterprise, User
from portal.core.extensions import db
from portal.core.timeutil import to_bureau_time
from portal.demo_applications import Cast, DemoClock
from portal.demo_post_award import last_year
from portal.payments import agreements, bank_accounts
from portal.payments.bank_account_rules import BankAccountInput
from portal.payments.models import Agreement, AgreementStatus, BankAccount
from portal.programs.models import Program

# (bank, branch, account number) of the demo firms' accounts, by firm in turn.
_BANKS = (
    ("中国工商银行", "阜新分行营业部", "0710 0012 0900 0123 456"),
    ("中国建设银行", "阜新细河支行", "2105 0167 0101 0000 0789"),
    ("中国银行", "阜新海州支行", "2987 6543 2100 0012"),
    ("中国农业银行", "阜新太平支行", "0616 0101 0400 1234 5"),
    ("阜新银行", "玉龙支行", "1208 0000 0000 8866 001"),
)


def _open_agreements() -> list[Agreement]:
    """The demo firms' agreements without a bank account, oldest first."""
    has_account = select(BankAccount.id).where(BankAccount.agreement_id == Agreement.id).exists()
    return list(
        db.session.scalars(
            select(Agreement)
            .where(Agreement.status == AgreementStatus.OFFERED, ~has_account)
            .order_by(Agreement.id)
        )
    )


def _days_after(clock: DemoClock, agreement: Agreement) -> tuple[date, date, date]:
    """Working days after the offer for entering the account, accepting and confirming; never
    later than today."""
    days = []
    day = to_bureau_time(agreement.offered_at).date()
    for _ in range(3):
        day = min(clock.next_working_day(day), clock.today)
        days.append(day)
    return days[0], days[1], days[2]


def seed(clock: DemoClock, *, log: Callable[[str], None] = print) -> int:
    """Put demo awards into this part's states; return how many records were made."""
    cast = Cast.find()
    if cast is None:
        return 0
    made = len(agreements.offer_missing())
    firms_by_enterprise = {user.enterprise_id: user for user in cast.firms.values()}
    candidates = [a for a in _open_agreements() if a.enterprise_id in firms_by_enterprise]
    this_year = (
        select(BankAccount.id)
        .join(Agreement, Agreement.id == BankAccount.agreement_id)
        .join(Program, Program.id == Agreement.program_id)
        .where(Program.code != last_year.CODE)
        .limit(1)
    )
    if not candidates or db.session.scalar(this_year) is not None:
        # Seeded before (or the bureau is already at work): leave the agreements as they are.
        if made:
            log(f"Agreements: {made} offered for earlier final awards.")
        return made
    to_accept = candidates[: max(1, len(candidates) // 2)]
    # An account waiting for the officer only when an offered agreement remains besides it.
    waiting = candidates[len(to_accept) : len(to_accept) + 1] if len(candidates) >= 2 else []
    for index, agreement in enumerate([*to_accept, *waiting]):
        firm: User = firms_by_enterprise[agreement.enterprise_id]
        enterprise = db.session.get(Enterprise, agreement.enterprise_id)
        bank, branch, number = _BANKS[index % len(_BANKS)]
        entered, accepted, confirmed = _days_after(clock, agreement)
        clock.set(entered, "09:30")
        account = bank_accounts.enter_account(
            agreement,
            BankAccountInput(enterprise.name, bank, branch, number),
            actor=firm,
        )
        made += 1
        if agreement in waiting:
            continue
        clock.set(accepted, "10:15")
        agreements.accept_agreement(agreement, actor=firm, lang="zh")
        clock.set(confirmed, "14:00")
        bank_accounts.confirm_account(account, actor=cast.officer)
        made += 2
    log(
        f"Agreements: {len(to_accept)} accepted with confirmed accounts, {len(waiting)} offered "
        f"with an account waiting for the officer, "
        f"{len(candidates) - len(to_accept) - len(waiting)} offered without an account."
    )
    return made
