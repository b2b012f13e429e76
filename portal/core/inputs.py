"""Whole numbers from URLs and query strings, read so that no value can reach the database
out of range.

An id or a page number comes from the address bar, where anyone can type
``/applications/99999999999999999999`` or ``?page=99999999999999999999``. Python's ints have no
limit, but SQLite's driver refuses one over 2**63 - 1 (OverflowError, a 500) and PostgreSQL an
``integer`` over 2**31 - 1 (an error, a 500). So ids in paths go through ``IdConverter`` (a
value out of range matches no route: 404, as an id that does not exist), and integer query
arguments through ``query_int``, which reads anything malformed or out of range as not given.
"""

from __future__ import annotations

from typing import Any

from flask import Flask, request
from werkzeug.routing import IntegerConverter, Map, ValidationError

# The largest value of an ``integer`` column on PostgreSQL (ids, counts, years); SQLite holds
# more, but one rule for both databases keeps a URL's answer the same on either.
DB_INT_MAX = 2**31 - 1
_DB_INT_DIGITS = len(str(DB_INT_MAX))


class IdConverter(IntegerConverter):
    """``<int:…>`` in a route: unsigned digits up to ``DB_INT_MAX``; anything else is no match,
    so the request gets the 404 of an id that does not exist."""

    # Werkzeug's parameters, with its names (a rule may say ``<int(min=1):id>``).
    def __init__(
        self,
        map: Map,
        fixed_digits: int = 0,
        min: int | None = None,
        max: int | None = DB_INT_MAX,
        signed: bool = False,
    ) -> None:
        super().__init__(map, fixed_digits, min, max, signed)

    def to_python(self, value: str) -> Any:
        if len(value.lstrip("0")) > _DB_INT_DIGITS:  # refused before int() reads it
            raise ValidationError()
        return super().to_python(value)  # int() refusing 4300+ digits is a ValidationError too


def init_id_converter(app: Flask) -> None:
    """Make every ``<int:…>`` of the app an ``IdConverter``; before any blueprint is registered
    (a rule binds its converter when it is added)."""
    app.url_map.converters["int"] = IdConverter


def parse_int(raw: Any, *, minimum: int = 0, maximum: int = DB_INT_MAX) -> int | None:
    """``raw`` as a whole number from ``minimum`` to ``maximum``; None when it is not one
    (letters, "NaN", a sign where none is allowed, decimals, too many digits)."""
    text = str(raw or "").strip()
    negative = text.startswith("-") and minimum < 0
    digits = text[1:] if negative else text
    if not digits or not digits.isascii() or not digits.isdigit():
        return None
    digits = digits.lstrip("0") or "0"  # int() refuses over 4300 digits, zeros included
    if len(digits) > max(len(str(abs(minimum))), len(str(abs(maximum)))):
        return None
    value = -int(digits) if negative else int(digits)
    return value if minimum <= value <= maximum else None


def query_int(
    name: str, default: int | None = None, *, minimum: int = 0, maximum: int = DB_INT_MAX
) -> int | None:
    """The request's ``?name=`` as a whole number in range, or ``default`` when it is absent or
    malformed: a filter or a page number typed wrong shows the default view, never an error."""
    value = parse_int(request.args.get(name), minimum=minimum, maximum=maximum)
    return default if value is None else value
