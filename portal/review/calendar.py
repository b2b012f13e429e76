"""Working days for the publicity period (公示, usually 5 working days).

Pure functions. The portal does not know the official calendar: public holidays and make-up
working days (调休, weekend dates worked in exchange for a longer holiday) come from the
configuration, e.g. ``PORTAL_HOLIDAYS="2026-10-01..2026-10-07, +2026-10-10"``, parsed by
``parse_holidays``.

A date is a working day when it is a make-up working day, or a Monday to Friday that is not a
holiday. (``parse_holidays`` refuses a date that is both a holiday and a make-up day.)
"""

from __future__ import annotations

import re
from collections.abc import Collection
from datetime import date, datetime, timedelta

_ONE_DAY = timedelta(days=1)
_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_SEPARATORS = re.compile(r"[\s,，、;；]+")


def _check_date(value: date, name: str) -> None:
    # A datetime is a date too, but never equal to one: holiday look-ups would silently miss.
    if isinstance(value, datetime) or not isinstance(value, date):
        raise TypeError(f"{name} must be a date, got {value!r}")


def is_working_day(
    d: date, holidays: Collection[date] = (), extra_working_days: Collection[date] = ()
) -> bool:
    """Whether ``d`` is a working day: a make-up day, or Monday-Friday and not a holiday."""
    _check_date(d, "d")
    if d in extra_working_days:
        return True
    return d.weekday() < 5 and d not in holidays


def add_working_days(
    start: date,
    days: int,
    holidays: Collection[date] = (),
    extra_working_days: Collection[date] = (),
) -> date:
    """The last day of a period of ``days`` working days that starts on ``start``.

    ``start`` counts as day 1 when it is a working day (5 working days from a Monday end on
    that Friday); otherwise the period begins on the next working day. ValueError when
    ``days`` is not a positive integer.
    """
    _check_date(start, "start")
    if isinstance(days, bool) or not isinstance(days, int) or days <= 0:
        raise ValueError(f"days must be a positive integer, got {days!r}")
    holidays, extra_working_days = set(holidays), set(extra_working_days)
    current, counted = start, 0
    while True:
        if is_working_day(current, holidays, extra_working_days):
            counted += 1
            if counted == days:
                return current
        current += _ONE_DAY


def working_days_between(
    start: date,
    end: date,
    holidays: Collection[date] = (),
    extra_working_days: Collection[date] = (),
) -> int:
    """The number of working days from ``start`` to ``end``, both included (0 if end < start)."""
    _check_date(start, "start")
    _check_date(end, "end")
    holidays, extra_working_days = set(holidays), set(extra_working_days)
    count, current = 0, start
    while current <= end:
        if is_working_day(current, holidays, extra_working_days):
            count += 1
        current += _ONE_DAY
    return count


def _parse_date(text: str, token: str) -> date:
    if not _ISO_DATE.fullmatch(text):
        raise ValueError(f"bad holiday entry {token!r}: expected a date like 2026-10-01")
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise ValueError(f"bad holiday entry {token!r}: no such date") from None


def parse_holidays(text: str) -> tuple[set[date], set[date]]:
    """Parse holiday configuration into (holidays, make-up working days).

    Entries are separated by whitespace, newlines or commas: ``2026-01-01`` (one holiday),
    ``2026-10-01..2026-10-07`` (a range, both ends included) and ``+2026-10-10`` (a weekend
    date that is a make-up working day). Raises ValueError naming the bad entry; a reversed
    range, a make-up day on a weekday and a date that is both a holiday and a make-up day are
    errors too.
    """
    holidays: set[date] = set()
    extra: set[date] = set()
    # "2026-10-01 .. 2026-10-07" and "+ 2026-10-10" are the same entries with spaces.
    normalised = re.sub(r"\s*\.\.\s*", "..", text or "")
    normalised = re.sub(r"\+\s+", "+", normalised)
    for token in _SEPARATORS.split(normalised):
        if not token:
            continue
        if token.startswith("+"):
            day = _parse_date(token[1:], token)
            if day.weekday() < 5:
                raise ValueError(
                    f"bad holiday entry {token!r}: a make-up working day must be a Saturday "
                    "or Sunday"
                )
            extra.add(day)
        elif ".." in token:
            first_text, _, last_text = token.partition("..")
            first, last = _parse_date(first_text, token), _parse_date(last_text, token)
            if last < first:
                raise ValueError(f"bad holiday entry {token!r}: the range ends before it starts")
            day = first
            while day <= last:
                holidays.add(day)
                day += _ONE_DAY
        else:
            holidays.add(_parse_date(token, token))
    both = sorted(holidays & extra)
    if both:
        listed = ", ".join(d.isoformat() for d in both)
        raise ValueError(f"bad holiday entries: {listed} both a holiday and a make-up working day")
    return holidays, extra
