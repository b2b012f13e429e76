"""Working days for the publicity period: weekends, configured holidays, make-up days."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from portal.review.calendar import (
    add_working_days,
    is_working_day,
    parse_holidays,
    working_days_between,
)


def d(text: str) -> date:
    return date.fromisoformat(text)


def days(first: str, last: str) -> set[date]:
    start, end = d(first), d(last)
    return {start + timedelta(n) for n in range((end - start).days + 1)}


# A National Day configuration (any dates will do: the functions do not know the real
# calendar). 2026-10-01 is a Thursday; make-up days Sunday 2026-09-27 and Saturday 2026-10-10.
NATIONAL_DAY = days("2026-10-01", "2026-10-07")
MAKE_UP = {d("2026-09-27"), d("2026-10-10")}


def test_weekdays_used_below():
    names = {
        "2026-11-23": "Mon",
        "2026-11-27": "Fri",
        "2026-11-28": "Sat",
        "2026-12-03": "Thu",
        "2026-10-01": "Thu",
        "2026-09-27": "Sun",
        "2026-10-10": "Sat",
        "2026-01-01": "Thu",
    }
    assert {text: d(text).strftime("%a") for text in names} == names


@pytest.mark.parametrize(
    ("start", "n", "holidays", "extra", "expected"),
    [
        # plain weeks
        ("2026-11-23", 5, (), (), "2026-11-27"),  # Mon -> Fri: the start is day 1
        ("2026-11-27", 5, (), (), "2026-12-03"),  # Fri, Mon, Tue, Wed, Thu
        ("2026-11-28", 5, (), (), "2026-12-04"),  # Saturday start: Mon 30 .. Fri 4
        ("2026-11-29", 5, (), (), "2026-12-04"),  # Sunday start
        ("2026-11-23", 1, (), (), "2026-11-23"),
        ("2026-11-28", 1, (), (), "2026-11-30"),
        ("2026-11-23", 6, (), (), "2026-11-30"),
        ("2026-11-23", 10, (), (), "2026-12-04"),
        # New Year's Day on a Thursday: Mon 29, Tue 30, Wed 31, Fri 2, Mon 5
        ("2025-12-29", 5, {d("2026-01-01")}, (), "2026-01-05"),
        # National Day without make-up days: Mon 28, Tue 29, Wed 30, Thu 8, Fri 9
        ("2026-09-28", 5, NATIONAL_DAY, (), "2026-10-09"),
        ("2026-09-30", 5, NATIONAL_DAY, (), "2026-10-13"),  # 30, 8, 9, 12, 13
        # with the make-up Saturday 10-10: 30, 8, 9, 10, 12
        ("2026-09-30", 5, NATIONAL_DAY, MAKE_UP, "2026-10-12"),
        # starting on a make-up Sunday: it is day 1 (27, 28, 29, 30, 8)
        ("2026-09-27", 5, NATIONAL_DAY, MAKE_UP, "2026-10-08"),
        ("2026-09-27", 5, NATIONAL_DAY, (), "2026-10-09"),  # not a make-up day: 28 .. 9
        # starting inside the holiday: 8, 9, 10 (make-up), 12, 13
        ("2026-10-03", 5, NATIONAL_DAY, MAKE_UP, "2026-10-13"),
        ("2026-10-01", 1, NATIONAL_DAY, MAKE_UP, "2026-10-08"),
        # a lone holiday on the last day pushes the end over the weekend
        ("2026-11-23", 5, {d("2026-11-27")}, (), "2026-11-30"),
        # lists work as well as sets
        ("2026-09-30", 5, sorted(NATIONAL_DAY), sorted(MAKE_UP), "2026-10-12"),
    ],
)
def test_add_working_days(start, n, holidays, extra, expected):
    assert add_working_days(d(start), n, holidays, extra) == d(expected)


@pytest.mark.parametrize("n", [0, -1, -5])
def test_add_working_days_needs_a_positive_count(n):
    with pytest.raises(ValueError, match="positive integer"):
        add_working_days(d("2026-11-23"), n)


@pytest.mark.parametrize("n", [True, 2.5, "5", None])
def test_add_working_days_needs_an_integer(n):
    with pytest.raises(ValueError, match="positive integer"):
        add_working_days(d("2026-11-23"), n)


@pytest.mark.parametrize(
    "call",
    [
        lambda: add_working_days(datetime(2026, 11, 23, 9, 0), 5),
        lambda: is_working_day(datetime(2026, 11, 23, 9, 0)),
        lambda: working_days_between(d("2026-11-23"), datetime(2026, 11, 27)),
        lambda: is_working_day("2026-11-23"),
    ],
)
def test_datetimes_and_strings_are_refused(call):
    # A datetime never equals a date, so holidays would silently be missed.
    with pytest.raises(TypeError, match="must be a date"):
        call()


@pytest.mark.parametrize(
    ("day", "holidays", "extra", "expected"),
    [
        ("2026-11-23", (), (), True),  # Monday
        ("2026-11-27", (), (), True),  # Friday
        ("2026-11-28", (), (), False),  # Saturday
        ("2026-11-29", (), (), False),  # Sunday
        ("2026-10-01", NATIONAL_DAY, MAKE_UP, False),  # holiday on a Thursday
        ("2026-10-08", NATIONAL_DAY, MAKE_UP, True),
        ("2026-10-10", NATIONAL_DAY, MAKE_UP, True),  # make-up Saturday
        ("2026-10-10", NATIONAL_DAY, (), False),
        ("2026-09-27", NATIONAL_DAY, MAKE_UP, True),  # make-up Sunday
        ("2026-10-11", NATIONAL_DAY, MAKE_UP, False),  # an ordinary Sunday
    ],
)
def test_is_working_day(day, holidays, extra, expected):
    assert is_working_day(d(day), holidays, extra) is expected


@pytest.mark.parametrize(
    ("start", "end", "holidays", "extra", "expected"),
    [
        ("2026-11-23", "2026-11-27", (), (), 5),  # Mon .. Fri, both ends included
        ("2026-11-23", "2026-11-29", (), (), 5),  # Mon .. Sun
        ("2026-11-23", "2026-11-30", (), (), 6),
        ("2026-11-28", "2026-11-29", (), (), 0),  # a weekend
        ("2026-11-23", "2026-11-23", (), (), 1),
        ("2026-11-28", "2026-11-28", (), (), 0),
        ("2026-11-27", "2026-11-23", (), (), 0),  # end before start
        ("2026-09-27", "2026-10-11", NATIONAL_DAY, (), 5),  # 28, 29, 30, 8, 9
        ("2026-09-27", "2026-10-11", NATIONAL_DAY, MAKE_UP, 7),  # + Sun 27 and Sat 10
        ("2026-01-01", "2026-12-31", (), (), 261),  # 2026 has 261 weekdays
        ("2026-01-01", "2026-12-31", NATIONAL_DAY, MAKE_UP, 261 - 5 + 2),
    ],
)
def test_working_days_between(start, end, holidays, extra, expected):
    assert working_days_between(d(start), d(end), holidays, extra) == expected


# Random calendars: dates in a 10-week window, holidays on any day, make-up days on weekends.
WINDOW_START = d("2026-09-21")
window_days = st.integers(min_value=0, max_value=69).map(lambda n: WINDOW_START + timedelta(n))


@st.composite
def calendars(draw):
    holidays = draw(st.sets(window_days, max_size=20))
    weekend = [day for day in draw(st.sets(window_days, max_size=8)) if day.weekday() >= 5]
    extra = set(weekend) - holidays
    return holidays, extra


@given(window_days, st.integers(min_value=1, max_value=30), calendars())
def test_add_working_days_agrees_with_counting(start, n, calendar):
    holidays, extra = calendar
    end = add_working_days(start, n, holidays, extra)
    assert end >= start
    assert is_working_day(end, holidays, extra)
    assert working_days_between(start, end, holidays, extra) == n
    # the day before the end still falls short
    assert working_days_between(start, end - timedelta(1), holidays, extra) == n - 1


@given(window_days, st.integers(min_value=1, max_value=30))
def test_without_holidays_only_weekends_are_skipped(start, n):
    end = add_working_days(start, n)
    span = [start + timedelta(i) for i in range((end - start).days + 1)]
    assert sum(1 for day in span if day.weekday() < 5) == n
    assert end.weekday() < 5


@given(window_days, st.integers(min_value=1, max_value=30), calendars())
def test_holidays_only_push_the_end_later(start, n, calendar):
    holidays, extra = calendar
    assert add_working_days(start, n, holidays) >= add_working_days(start, n)
    assert add_working_days(start, n, holidays, extra) <= add_working_days(start, n, holidays)


# --------------------------------------------------------------------------------------------
# parse_holidays


@pytest.mark.parametrize(
    ("text", "holidays", "extra"),
    [
        ("", set(), set()),
        ("   \n  ", set(), set()),
        (
            "2026-10-01..2026-10-07, 2026-01-01, +2026-10-10",
            NATIONAL_DAY | {d("2026-01-01")},
            {d("2026-10-10")},
        ),
        (
            "2026-10-01..2026-10-07\n+2026-09-27\n+2026-10-10\n",
            NATIONAL_DAY,
            MAKE_UP,
        ),
        (
            "2026-10-01 .. 2026-10-03 ,+ 2026-10-10",
            days("2026-10-01", "2026-10-03"),
            MAKE_UP - {d("2026-09-27")},
        ),
        ("2026-01-01，2026-05-01", {d("2026-01-01"), d("2026-05-01")}, set()),  # full-width comma
        ("2026-10-01..2026-10-01", {d("2026-10-01")}, set()),  # one-day range
        ("2026-10-01..2026-10-05 2026-10-03..2026-10-07", NATIONAL_DAY, set()),  # overlaps merge
        ("2026-01-01 2026-01-01", {d("2026-01-01")}, set()),
        ("2026-12-31..2027-01-01", {d("2026-12-31"), d("2027-01-01")}, set()),
        ("2028-02-28..2028-03-01", {d("2028-02-28"), d("2028-02-29"), d("2028-03-01")}, set()),
        ("+2026-10-10", set(), {d("2026-10-10")}),
    ],
)
def test_parse_holidays(text, holidays, extra):
    assert parse_holidays(text) == (holidays, extra)


@pytest.mark.parametrize(
    ("text", "token", "reason"),
    [
        ("2026-13-01", "2026-13-01", "no such date"),
        ("2026-02-30", "2026-02-30", "no such date"),
        ("2027-02-29", "2027-02-29", "no such date"),
        ("2026/10/01", "2026/10/01", "expected a date"),
        ("20261001", "20261001", "expected a date"),  # fromisoformat would accept it
        ("2026-W40-4", "2026-W40-4", "expected a date"),  # fromisoformat would accept it
        ("2026-1-1", "2026-1-1", "expected a date"),
        ("2026-01-01, tomorrow", "tomorrow", "expected a date"),
        ("2026-10-07..2026-10-01", "2026-10-07..2026-10-01", "ends before it starts"),
        ("2026-10-01..", "2026-10-01..", "expected a date"),
        ("..2026-10-07", "..2026-10-07", "expected a date"),
        ("2026-10-01...2026-10-07", "2026-10-01...2026-10-07", "expected a date"),
        ("2026-10-01..2026-10-07..2026-10-09", "2026-10-01..2026-10-07..2026-10-09", "expected"),
        ("2026-10-01-2026-10-07", "2026-10-01-2026-10-07", "expected a date"),
        ("+", "+", "expected a date"),
        ("++2026-10-10", "++2026-10-10", "expected a date"),
        ("+2026-10-09..2026-10-10", "+2026-10-09..2026-10-10", "expected a date"),
        ("+2026-10-12", "+2026-10-12", "Saturday or Sunday"),  # a Monday
        ("2026-10-01\n+2026-10-32", "+2026-10-32", "no such date"),
    ],
)
def test_parse_holidays_names_the_bad_entry(text, token, reason):
    with pytest.raises(ValueError, match="bad holiday entry") as error:
        parse_holidays(text)
    message = str(error.value)
    assert repr(token) in message
    assert reason in message


def test_a_day_cannot_be_both_holiday_and_make_up_day():
    with pytest.raises(ValueError, match="2026-10-03 both a holiday and a make-up"):
        parse_holidays("2026-10-01..2026-10-07, +2026-10-03")


def test_parsed_configuration_drives_the_publicity_period():
    holidays, extra = parse_holidays("2026-10-01..2026-10-07, +2026-09-27, +2026-10-10")
    assert add_working_days(d("2026-09-30"), 5, holidays, extra) == d("2026-10-12")
    assert working_days_between(d("2026-09-30"), d("2026-10-12"), holidays, extra) == 5


@given(st.sets(window_days, max_size=10), st.sets(window_days, max_size=10))
def test_parse_holidays_round_trip(holidays, extra):
    extra = {day for day in extra if day.weekday() >= 5} - holidays
    text = ", ".join([*(h.isoformat() for h in holidays), *(f"+{e.isoformat()}" for e in extra)])
    assert parse_holidays(text) == (holidays, extra)
