"""Progress reports' pure rules: due dates, the transition table, overdue, reminders."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from portal.payments.report_models import ReportStatus
from portal.payments.report_rules import (
    REMINDER_3,
    REMINDER_14,
    REMINDER_DUE,
    ReminderStamps,
    add_months,
    is_overdue,
    may,
    reminder_owed,
    stamps_after,
)

DUE, SUBMITTED, RETURNED, ACCEPTED = (
    ReportStatus.DUE,
    ReportStatus.SUBMITTED,
    ReportStatus.RETURNED,
    ReportStatus.ACCEPTED,
)
NONE_SENT = ReminderStamps(False, False, False)


@pytest.mark.parametrize(
    ("start", "months", "expected"),
    [
        (date(2026, 5, 20), 6, date(2026, 11, 20)),
        (date(2026, 5, 20), 12, date(2027, 5, 20)),
        (date(2026, 8, 31), 6, date(2027, 2, 28)),  # February has no 31st
        (date(2027, 8, 31), 6, date(2028, 2, 29)),  # a leap year
        (date(2026, 1, 31), 1, date(2026, 2, 28)),
        (date(2026, 3, 31), 1, date(2026, 4, 30)),
        (date(2026, 12, 15), 1, date(2027, 1, 15)),
        (date(2026, 7, 1), 0, date(2026, 7, 1)),
        (date(2026, 7, 1), 30, date(2029, 1, 1)),
    ],
)
def test_due_dates_keep_the_day_of_month_clamped(start, months, expected):
    assert add_months(start, months) == expected


def test_negative_months_are_refused():
    with pytest.raises(ValueError):
        add_months(date(2026, 1, 1), -1)


def test_one_transition_table():
    assert may("submit", DUE) and may("submit", RETURNED)
    assert not may("submit", SUBMITTED) and not may("submit", ACCEPTED)
    assert may("accept", SUBMITTED) and may("return", SUBMITTED)
    for status in (DUE, RETURNED, ACCEPTED):
        assert not may("accept", status) and not may("return", status)


def test_overdue_is_after_the_due_date_and_only_while_owed():
    due = date(2026, 11, 20)
    assert not is_overdue(DUE, due, due)
    assert is_overdue(DUE, due, due + timedelta(days=1))
    assert is_overdue(RETURNED, due, due + timedelta(days=1))
    assert not is_overdue(SUBMITTED, due, due + timedelta(days=30))
    assert not is_overdue(ACCEPTED, due, due + timedelta(days=30))


@pytest.mark.parametrize(
    ("days_left", "sent", "expected"),
    [
        (20, NONE_SENT, None),
        (15, NONE_SENT, None),
        (14, NONE_SENT, REMINDER_14),
        (10, NONE_SENT, REMINDER_14),  # a missed day is caught up
        (10, ReminderStamps(True, False, False), None),
        (3, ReminderStamps(True, False, False), REMINDER_3),
        (3, NONE_SENT, REMINDER_3),  # made late: the 14-day one is skipped
        (1, ReminderStamps(True, True, False), None),
        (0, ReminderStamps(True, True, False), REMINDER_DUE),
        (-5, NONE_SENT, REMINDER_DUE),  # the job did not run that day
        (-5, ReminderStamps(True, True, True), None),
    ],
)
def test_reminders(days_left, sent, expected):
    today = date(2026, 11, 1)
    assert reminder_owed(DUE, today + timedelta(days=days_left), today, sent) == expected


def test_no_reminder_for_a_submitted_or_accepted_report():
    today = date(2026, 11, 1)
    for status in (SUBMITTED, ACCEPTED):
        assert reminder_owed(status, today, today, NONE_SENT) is None
    assert reminder_owed(RETURNED, today, today, NONE_SENT) == REMINDER_DUE


def test_sending_a_reminder_marks_the_earlier_ones():
    assert stamps_after(REMINDER_14) == ("reminded_14_at",)
    assert stamps_after(REMINDER_3) == ("reminded_14_at", "reminded_3_at")
    assert stamps_after(REMINDER_DUE) == ("reminded_14_at", "reminded_3_at", "reminded_due_at")
