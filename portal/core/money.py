"""Money: one column type, one rounding rule, one way to show it and one way to read it.

Amounts are yuan as ``Decimal`` with two decimals, stored as ``MONEY`` (``Numeric(14, 2)``: at
most 12 integer digits); sums over many rows (the tallies) are ``MONEY_SUM``.

The one rounding rule for money is ``to_cents``: cut to whole cents (ROUND_DOWN, towards zero).
Cutting, never rounding up, means a computed award never exceeds the cap it was limited to, and
a figure just below a threshold never shows as equal to it ("499,999.99", not "500,000.00").
``format_money`` shows amounts by the same rule. The one exception is ``sum_from_db``: SQLite
adds NUMERIC columns as floating point, so a sum comes back as 1234.5699999 and is rounded to
the nearest cent, which is what the exact sum was.

``parse_money`` reads an amount as people type it, the same for firms and officers: thousands
separators ("1,000,000", "1，000，000", "1 000 000"), full-width digits ("１２３"), a leading
"¥" or "￥", a trailing "元". It refuses rather than rounds: an amount with more than two
decimals ("0.000000001") is a ``MoneyError``, as is anything that is not a plain amount of at
least 0 that fits the column. Nothing here knows about forms or requests.
"""

from __future__ import annotations

import re
from decimal import ROUND_DOWN, Decimal
from enum import StrEnum
from typing import Any

from sqlalchemy import Numeric

MONEY = Numeric(14, 2)  # one amount: up to 999,999,999,999.99 yuan
MONEY_SUM = Numeric(16, 2)  # a sum of amounts (the running tallies)

CENT = Decimal("0.01")
MAX_INTEGER_DIGITS = 12  # Numeric(14, 2): 14 digits, 2 of them after the point
MAX_MONEY = Decimal("999999999999.99")


# --- rounding and showing ----------------------------------------------------------------------


def _decimal(value: Any) -> Decimal:
    """An exact Decimal; a float goes through its shortest text (0.1 is 0.1, not 0.1000000000…)."""
    if isinstance(value, Decimal):
        return value
    if isinstance(value, int):
        return Decimal(value)
    return Decimal(str(value))


def to_cents(value: Any) -> Decimal:
    """``value`` cut to whole cents (ROUND_DOWN): 1.239 -> 1.23. The one rounding rule for money:
    an award computed from a rate never exceeds its cap, a figure never shows as reaching a
    threshold it does not reach."""
    return _decimal(value).quantize(CENT, rounding=ROUND_DOWN)


def format_money(value: Any) -> str:
    """Yuan with thousands separators and two decimals, cut to cents: "1,234,567.80".
    None or "" (no amount) is shown as ""."""
    if value is None or value == "":
        return ""
    return f"{to_cents(value):,.2f}"


def format_amount(value: Decimal | int) -> str:
    """Yuan with thousands separators, decimals only when there are any: "620,000", "1,234.50"
    (a programme's thresholds and tiers, as an officer typed them). Cut to cents as well."""
    number = _decimal(value)
    if number == number.to_integral_value():
        return f"{int(number):,}"
    return f"{to_cents(number):,.2f}"


def sum_from_db(value: Any) -> Decimal:
    """A sum of money columns as the database returns it, as exact yuan; None (no rows) is 0.

    SQLite adds NUMERIC columns as floating point (1234.5699999999), so this rounds to the
    nearest cent, which the exact sum of two-decimal amounts is; cutting would lose a cent."""
    if value is None:
        return Decimal("0.00")
    return _decimal(value).quantize(CENT)


# --- reading what people type ------------------------------------------------------------------


class MoneyProblem(StrEnum):
    """Why ``parse_money`` refused a text; forms show one message per problem."""

    EMPTY = "empty"
    NOT_A_NUMBER = "not_a_number"
    NOT_FINITE = "not_finite"  # NaN, sNaN, Infinity
    NEGATIVE = "negative"
    TOO_MANY_DECIMALS = "too_many_decimals"
    TOO_LARGE = "too_large"


class MoneyError(ValueError):
    """A typed amount that is not accepted; ``reason`` says why (a ``MoneyProblem``)."""

    def __init__(self, reason: MoneyProblem, text: str) -> None:
        super().__init__(f"{reason.value}: {text!r}")
        self.reason = reason
        self.text = text


# Full-width forms typed with a Chinese input method, and the spaces people group digits with.
_WIDE = str.maketrans(
    {
        **{chr(0xFF10 + digit): str(digit) for digit in range(10)},
        "，": ",",
        "．": ".",
        "＋": "+",
        "－": "-",
        "−": "-",  # minus sign
        "￥": "¥",
        "\u3000": " ",  # ideographic space
        "\u00a0": " ",  # no-break space
        "\u202f": " ",  # narrow no-break space
        "\u2009": " ",  # thin space
    }
)
_NOT_FINITE = re.compile(r"[+-]?(?:s?nan\d*|inf|infinity)", re.IGNORECASE)
# A plain amount: digits, or digits grouped by three with "," or " ", then decimals.
_AMOUNT = re.compile(
    r"(?P<sign>[+-]?)"
    r"(?P<whole>[0-9]+|[0-9]{1,3}(?:[, ][0-9]{3})+|)"
    r"(?:\.(?P<fraction>[0-9]*))?"
)


def _bare(text: str) -> str:
    """The number alone: full-width forms made plain, the currency sign and 元 taken off."""
    bare = text.translate(_WIDE).strip()
    bare = bare.removeprefix("¥").removesuffix("元").strip()
    if bare.startswith(("+¥", "-¥")):  # "-¥5" is as negative as "¥-5"
        bare = bare[0] + bare[2:].strip()
    return bare


def parse_money(text: str | None) -> Decimal:
    """An amount as typed, as the exact Decimal it spells ("650000" is ``Decimal("650000")``,
    "1,234.5" is ``Decimal("1234.5")``); ``MoneyError`` when it is refused.

    Refused, each with its own ``reason``: nothing typed; not an amount ("abc", "1e3", "1,5":
    digits are grouped by three); NaN or Infinity; below 0; more than two decimals (cents are
    not rounded away: "0.001" is refused, "1.50" and "1.500" are 1.5); more than 12 integer
    digits (does not fit ``MONEY``). So what is accepted is stored without rounding."""
    raw = text or ""
    bare = _bare(raw)
    if not bare:
        raise MoneyError(MoneyProblem.EMPTY, raw)
    if _NOT_FINITE.fullmatch(bare):
        raise MoneyError(MoneyProblem.NOT_FINITE, raw)
    match = _AMOUNT.fullmatch(bare)
    if match is None or not (match["whole"] or match["fraction"]):
        raise MoneyError(MoneyProblem.NOT_A_NUMBER, raw)
    whole = re.sub(r"[, ]", "", match["whole"]) or "0"
    fraction = match["fraction"] or ""
    if match["sign"] == "-" and (whole.strip("0") or fraction.strip("0")):
        raise MoneyError(MoneyProblem.NEGATIVE, raw)
    if len(whole.lstrip("0")) > MAX_INTEGER_DIGITS:
        raise MoneyError(MoneyProblem.TOO_LARGE, raw)
    if len(fraction.rstrip("0")) > 2:
        raise MoneyError(MoneyProblem.TOO_MANY_DECIMALS, raw)
    return Decimal(f"{whole}.{fraction}" if fraction else whole)  # "-0" is 0: no sign kept
