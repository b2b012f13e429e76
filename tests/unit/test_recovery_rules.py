"""The pure rules of recovery: how much may be recovered and repaid, the statement's and the
repayment's last days, and how long a ban lasts (leap days included)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from portal.payments import recovery_rules as rules
from portal.payments.recovery_rules import AmountProblem

D = Decimal


def test_a_ban_of_three_years_ends_the_day_before_the_third_anniversary():
    assert rules.ban_until(date(2026, 12, 21), 3) == date(2029, 12, 20)
    assert rules.ban_until(date(2026, 1, 1), 1) == date(2026, 12, 31)


def test_a_ban_from_a_leap_day_ends_on_the_last_day_of_february():
    assert rules.anniversary(date(2028, 2, 29), 3) == date(2031, 3, 1)
    assert rules.ban_until(date(2028, 2, 29), 3) == date(2031, 2, 28)
    assert rules.ban_until(date(2028, 2, 29), 4) == date(2032, 2, 28)  # 2032-02-29 exists
    assert rules.ban_until(date(2027, 3, 1), 1) == date(2028, 2, 29)  # through a leap day


def test_a_ban_lasts_at_least_a_year():
    with pytest.raises(ValueError):
        rules.ban_until(date(2026, 1, 1), 0)


def test_a_ban_applies_within_its_days_unless_repaired():
    start, end = date(2026, 12, 21), date(2029, 12, 20)
    assert rules.ban_applies(start, end, start, repaired=False)
    assert rules.ban_applies(start, end, end, repaired=False)
    assert not rules.ban_applies(start, end, date(2029, 12, 21), repaired=False)
    assert not rules.ban_applies(start, end, date(2026, 12, 20), repaired=False)
    assert not rules.ban_applies(start, end, date(2027, 6, 1), repaired=True)


def test_the_statement_is_due_after_working_days_counted_from_the_next_day():
    # Opened on Friday 2026-12-04: ten working days from Monday 12-07 end on Friday 12-18.
    assert rules.statement_due_on(date(2026, 12, 4), 10) == date(2026, 12, 18)
    # A holiday inside the period pushes the deadline on by a working day.
    assert rules.statement_due_on(date(2026, 12, 4), 10, {date(2026, 12, 9)}) == date(2026, 12, 21)
    assert rules.statement_open(date(2026, 12, 18), date(2026, 12, 18))
    assert not rules.statement_open(date(2026, 12, 18), date(2026, 12, 19))


def test_repayment_is_due_after_calendar_days():
    assert rules.repayment_due_on(date(2026, 12, 21), 30) == date(2027, 1, 20)


def test_a_decision_recovers_more_than_0_and_at_most_paid_less_earlier_claims():
    assert rules.decision_problem(D("0"), D("90000"), D("0")) is AmountProblem.NOT_POSITIVE
    assert rules.decision_problem(D("-1"), D("90000"), D("0")) is AmountProblem.NOT_POSITIVE
    assert rules.decision_problem(D("90000"), D("90000"), D("0")) is None
    assert (
        rules.decision_problem(D("90000.01"), D("90000"), D("0")) is AmountProblem.OVER_RECOVERABLE
    )
    assert rules.decision_problem(D("30000"), D("90000"), D("60000")) is None
    assert rules.decision_problem(D("30000.01"), D("90000"), D("60000")) is (
        AmountProblem.OVER_RECOVERABLE
    )
    assert rules.decision_problem(D("1"), D("0"), D("0")) is AmountProblem.OVER_RECOVERABLE
    assert rules.recoverable(D("100"), D("150")) == D("0.00")


def test_repayments_add_up_to_at_most_the_decided_amount():
    assert rules.repayment_problem(D("0"), D("60000"), D("0")) is AmountProblem.NOT_POSITIVE
    assert rules.repayment_problem(D("60000"), D("60000"), D("0")) is None
    assert rules.repayment_problem(D("40000.01"), D("60000"), D("20000")) is (
        AmountProblem.OVER_OUTSTANDING
    )
    balance = rules.Balance(D("60000"), D("60000"))
    assert balance.settled and balance.outstanding == D("0")
    assert not rules.Balance(D("60000"), D("20000")).settled
