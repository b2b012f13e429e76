"""The pure rules of recovery (追回): how much may be recovered, the days that count, and how
long a ban lasts. No database, no request: the services and the tests call them with values.

- The firm states its case within ``statement_days`` *working* days (the bureau's calendar),
  counted from the day after the case is opened, the day it is told; the last of them is the
  statement's deadline, to its end (Asia/Shanghai).
- It repays within ``repayment_days`` *calendar* days from the notice's date.
- A ban starts on the day of the decision and lasts ``ban_years`` whole years: its last day is
  the day before the same date ``ban_years`` later (from 2026-12-21, three years end on
  2029-12-20). A ban from 29 February ends on 28 February (the anniversary falls on 1 March).
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from enum import StrEnum

from portal.review import calendar

ZERO = Decimal("0.00")


def anniversary(start: date, years: int) -> date:
    """The same day ``years`` later; 29 February falls on 1 March in a year without one."""
    try:
        return start.replace(year=start.year + years)
    except ValueError:  # 29 February in a common year
        return date(start.year + years, 3, 1)


def ban_until(ban_from: date, years: int) -> date:
    """The last day of a ban of ``years`` whole years that starts on ``ban_from``."""
    if years < 1:
        raise ValueError(f"a ban lasts at least one year, got {years!r}")
    return anniversary(ban_from, years) - timedelta(days=1)


def ban_applies(ban_from: date, last_day: date, as_of: date, *, repaired: bool) -> bool:
    """Whether a ban stops the firm applying on ``as_of``: within its days and not repaired."""
    return not repaired and ban_from <= as_of <= last_day


def statement_due_on(
    opened_on: date,
    days: int,
    holidays: Collection[date] = (),
    extra_working_days: Collection[date] = (),
) -> date:
    """The last day to state a case: ``days`` working days from the day after ``opened_on``."""
    return calendar.add_working_days(
        opened_on + timedelta(days=1), max(days, 1), holidays, extra_working_days
    )


def repayment_due_on(notice_date: date, days: int) -> date:
    """The last day to repay: ``days`` calendar days after the notice's date."""
    return notice_date + timedelta(days=max(days, 1))


def statement_open(due_on: date, today: date) -> bool:
    return today <= due_on


class AmountProblem(StrEnum):
    NOT_POSITIVE = "not_positive"
    OVER_RECOVERABLE = "over_recoverable"
    OVER_OUTSTANDING = "over_outstanding"


def recoverable(paid: Decimal, already_decided: Decimal) -> Decimal:
    """What a new decision may still recover on an award: paid less what earlier decisions on
    it already claim (never below 0)."""
    return max(paid - already_decided, ZERO)


def decision_problem(
    amount: Decimal, paid: Decimal, already_decided: Decimal
) -> AmountProblem | None:
    if amount <= 0:
        return AmountProblem.NOT_POSITIVE
    if amount > recoverable(paid, already_decided):
        return AmountProblem.OVER_RECOVERABLE
    return None


def repayment_problem(amount: Decimal, decided: Decimal, repaid: Decimal) -> AmountProblem | None:
    if amount <= 0:
        return AmountProblem.NOT_POSITIVE
    if amount > decided - repaid:
        return AmountProblem.OVER_OUTSTANDING
    return None


@dataclass(frozen=True)
class Balance:
    decided: Decimal
    repaid: Decimal

    @property
    def outstanding(self) -> Decimal:
        return self.decided - self.repaid

    @property
    def settled(self) -> bool:
        return self.decided > 0 and self.repaid == self.decided
