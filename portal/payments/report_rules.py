"""The pure rules of progress reports: when each is due, which moves are allowed, whether one is
overdue and which reminder is owed on a day. No database, no request."""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import date

from portal.payments.report_models import ReportStatus

# The one transition table: move -> (the statuses it starts from, the status it leads to).
TRANSITIONS: dict[str, tuple[frozenset[ReportStatus], ReportStatus]] = {
    "submit": (frozenset({ReportStatus.DUE, ReportStatus.RETURNED}), ReportStatus.SUBMITTED),
    "accept": (frozenset({ReportStatus.SUBMITTED}), ReportStatus.ACCEPTED),
    "return": (frozenset({ReportStatus.SUBMITTED}), ReportStatus.RETURNED),
}

# What the firm can still change: a report not yet submitted, or returned to it.
EDITABLE = frozenset({ReportStatus.DUE, ReportStatus.RETURNED})
# Owed by the firm: past its due date in one of these, the report is overdue.
OWED = EDITABLE

# Reminders: days before the due date, and the stamp each one sets.
REMINDER_14 = "14"
REMINDER_3 = "3"
REMINDER_DUE = "due"
REMINDER_DAYS = {REMINDER_14: 14, REMINDER_3: 3, REMINDER_DUE: 0}


def add_months(start: date, months: int) -> date:
    """The same day ``months`` later; a day the month lacks becomes its last day
    (31 August + 6 months = 28 February, or 29 in a leap year)."""
    if months < 0:
        raise ValueError("months must not be negative")
    index = start.month - 1 + months
    year, month = start.year + index // 12, index % 12 + 1
    return date(year, month, min(start.day, calendar.monthrange(year, month)[1]))


def may(move: str, status: ReportStatus) -> bool:
    return status in TRANSITIONS[move][0]


def is_overdue(status: ReportStatus, due_on: date, today: date) -> bool:
    """Not submitted (or returned and not submitted again) and its due date has passed."""
    return status in OWED and due_on < today


@dataclass(frozen=True)
class ReminderStamps:
    reminded_14: bool
    reminded_3: bool
    reminded_due: bool


def reminder_owed(
    status: ReportStatus, due_on: date, today: date, sent: ReminderStamps
) -> str | None:
    """The reminder to send today, or None. Only the most pressing one is sent: a report whose
    14-day reminder was missed (created late, or the job did not run) gets the 3-day one, and
    sending a reminder marks the ones before it as done, so each goes at most once."""
    if status not in OWED:
        return None
    days_left = (due_on - today).days
    if days_left <= 0:
        # On the due date, or late if the job did not run that day; never again after that.
        return None if sent.reminded_due else REMINDER_DUE
    if days_left <= 3:
        return None if sent.reminded_3 or sent.reminded_due else REMINDER_3
    if days_left <= 14:
        return None if sent.reminded_14 or sent.reminded_3 or sent.reminded_due else REMINDER_14
    return None


def stamps_after(reminder: str) -> tuple[str, ...]:
    """The stamp columns that sending ``reminder`` sets (itself and the earlier ones)."""
    order = ("reminded_14_at", "reminded_3_at", "reminded_due_at")
    upto = {REMINDER_14: 1, REMINDER_3: 2, REMINDER_DUE: 3}[reminder]
    return order[:upto]
