"""Money in one place: the rounding rule, how amounts are shown and how typed ones are read."""

from __future__ import annotations

from decimal import Decimal as D

import pytest
from hypothesis import given
from hypothesis import strategies as st

from portal.core.money import (
    CENT,
    MONEY,
    MONEY_SUM,
    MoneyError,
    MoneyProblem,
    format_amount,
    format_money,
    parse_money,
    sum_from_db,
    to_cents,
)


def test_column_types_fit_twelve_integer_digits_and_cents():
    assert (MONEY.precision, MONEY.scale) == (14, 2)
    assert (MONEY_SUM.precision, MONEY_SUM.scale) == (16, 2)
    assert D("0.01") == CENT


# --- the rounding rule --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (D("1.239"), D("1.23")),
        (D("1.999"), D("1.99")),  # never up
        (D("499999.999"), D("499999.99")),  # below a threshold stays below it
        (D("0.005"), D("0.00")),  # half-even would make 0.00 too, half-up 0.01
        (D("0.015"), D("0.01")),  # half-even would make 0.02
        (D("-1.239"), D("-1.23")),  # towards zero
        (100, D("100.00")),
        ("12.345", D("12.34")),
        (0.1, D("0.10")),  # a float through its shortest text, not 0.1000000000000000055…
    ],
)
def test_to_cents_cuts_to_whole_cents(value, expected):
    result = to_cents(value)
    assert result == expected
    assert result.as_tuple().exponent == -2


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (D("1234567.8"), "1,234,567.80"),
        (D("1234567.899"), "1,234,567.89"),
        (D("0"), "0.00"),
        (500000, "500,000.00"),
        ("150000.00", "150,000.00"),
        (12.5, "12.50"),
        (None, ""),
        ("", ""),
    ],
)
def test_format_money(value, expected):
    assert format_money(value) == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [(D("620000"), "620,000"), (D("1234.5"), "1,234.50"), (D("0.019"), "0.01"), (7, "7")],
)
def test_format_amount_shows_decimals_only_when_there_are_any(value, expected):
    assert format_amount(value) == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (None, D("0.00")),
        (1234.5699999999, D("1234.57")),  # SQLite's float sum: the nearest cent, not cut
        (0.30000000000000004, D("0.30")),
        (D("1234.50"), D("1234.50")),
        (12, D("12.00")),
    ],
)
def test_sum_from_db_repairs_floating_point_sums(value, expected):
    assert sum_from_db(value) == expected


# --- reading typed amounts ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("1000000", D("1000000")),
        ("1,000,000", D("1000000")),
        ("1，000，000", D("1000000")),  # full-width commas
        ("1 000 000", D("1000000")),
        ("1\u3000000\u3000000", D("1000000")),  # ideographic spaces
        ("１２３", D("123")),  # full-width digits
        ("１２３．４５", D("123.45")),
        ("¥500", D("500")),
        ("￥500", D("500")),
        ("¥ 1,234.50", D("1234.50")),
        ("500元", D("500")),
        ("¥500元", D("500")),
        ("  150000.00  ", D("150000.00")),
        ("1,234.5", D("1234.5")),
        (".5", D("0.5")),
        ("0", D("0")),
        ("-0", D("0")),
        ("1.500", D("1.5")),  # trailing zeros are not decimals
        ("999,999,999,999.99", D("999999999999.99")),
        ("000000000000001", D("1")),  # leading zeros are not integer digits
    ],
)
def test_parse_money_accepts_the_usual_spellings(text, expected):
    assert parse_money(text) == expected


def test_parse_money_keeps_the_amount_as_typed():
    """Exact, not quantized: what an audit trail records stays what the person typed."""
    assert str(parse_money("650000")) == "650000"
    assert str(parse_money("1,234.5")) == "1234.5"


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("", MoneyProblem.EMPTY),
        ("   ", MoneyProblem.EMPTY),
        (None, MoneyProblem.EMPTY),
        ("¥", MoneyProblem.EMPTY),
        ("abc", MoneyProblem.NOT_A_NUMBER),
        ("12abc", MoneyProblem.NOT_A_NUMBER),
        ("1e3", MoneyProblem.NOT_A_NUMBER),  # no exponents
        ("1e400", MoneyProblem.NOT_A_NUMBER),
        ("1,5", MoneyProblem.NOT_A_NUMBER),  # a decimal comma is not read as 15
        ("1,0000", MoneyProblem.NOT_A_NUMBER),
        ("1.2.3", MoneyProblem.NOT_A_NUMBER),
        (".", MoneyProblem.NOT_A_NUMBER),
        ("-", MoneyProblem.NOT_A_NUMBER),
        ("٣", MoneyProblem.NOT_A_NUMBER),  # Decimal() reads Arabic-Indic digits; we do not
        ("NaN", MoneyProblem.NOT_FINITE),
        ("nan", MoneyProblem.NOT_FINITE),
        ("sNaN", MoneyProblem.NOT_FINITE),
        ("-sNaN12", MoneyProblem.NOT_FINITE),
        ("Infinity", MoneyProblem.NOT_FINITE),
        ("-inf", MoneyProblem.NOT_FINITE),
        ("-5", MoneyProblem.NEGATIVE),
        ("−5", MoneyProblem.NEGATIVE),  # a minus sign
        ("－5", MoneyProblem.NEGATIVE),  # full-width
        ("-¥5", MoneyProblem.NEGATIVE),
        ("-0.01", MoneyProblem.NEGATIVE),
        ("0.001", MoneyProblem.TOO_MANY_DECIMALS),
        ("0.000000001", MoneyProblem.TOO_MANY_DECIMALS),  # refused, not rounded to 0.00
        ("12.345", MoneyProblem.TOO_MANY_DECIMALS),
        ("1234567890123", MoneyProblem.TOO_LARGE),  # 13 integer digits
        ("1,234,567,890,123", MoneyProblem.TOO_LARGE),
        ("9999999999999.99", MoneyProblem.TOO_LARGE),
        ("9" * 400, MoneyProblem.TOO_LARGE),
    ],
)
def test_parse_money_refuses_with_a_reason(text, reason):
    with pytest.raises(MoneyError) as refused:
        parse_money(text)
    assert refused.value.reason is reason
    assert isinstance(refused.value, ValueError)


# --- properties --------------------------------------------------------------------------------

AMOUNTS = st.decimals(
    min_value=0, max_value=D("999999999999.99"), places=2, allow_nan=False, allow_infinity=False
)


@given(AMOUNTS)
def test_format_then_parse_round_trips(amount):
    shown = format_money(amount)
    assert parse_money(shown) == amount
    assert parse_money(f"¥{shown}元") == amount


@given(st.decimals(min_value=-(10**9), max_value=10**9, allow_nan=False, allow_infinity=False))
def test_to_cents_never_rounds_away_from_zero(value):
    cut = to_cents(value)
    assert abs(cut) <= abs(value)
    assert abs(value - cut) < CENT
