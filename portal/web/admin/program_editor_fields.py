"""Field types of the programme editor, and the checks they share.

The basic details use fields whose ``data`` is the parsed value (a time, an amount, a whole
number). The rows below them (documents, rubric criteria, the rules' groups) use text fields
whose ``data`` is the stripped text and whose input shows exactly what was typed; a number
field of a row also gives the number it holds (``number``), None when it holds none. Every
refused value is shown again as it was typed, with the problem beside it.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from flask_babel import lazy_gettext as _l
from wtforms import Field, StringField
from wtforms.validators import ValidationError
from wtforms.widgets import DateTimeLocalInput, NumberInput, TextInput

from portal.core.money import CENT, MoneyError, parse_money
from portal.core.timeutil import BUREAU_ZONE, to_bureau_time
from portal.programs.parameters import as_decimal, as_int, format_number

DATETIME_FORMATS = ("%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M", "%Y-%m-%d %H:%M:%S")


def strip(value: Any) -> Any:
    return value.strip() if isinstance(value, str) else value


def multiline(value: Any) -> Any:
    # Browsers send CRLF from a textarea; store what the officer sees.
    return value.replace("\r\n", "\n").strip() if isinstance(value, str) else value


# --- the basic details ------------------------------------------------------------------------


class BureauDateTimeField(Field):
    """A ``datetime-local`` input read as China Standard Time; ``data`` is an aware UTC time."""

    widget = DateTimeLocalInput()

    def _value(self) -> str:
        if self.raw_data:
            return self.raw_data[0]
        if self.data is None:
            return ""
        local = to_bureau_time(self.data)
        return local.strftime("%Y-%m-%dT%H:%M:%S" if local.second else "%Y-%m-%dT%H:%M")

    def process_formdata(self, valuelist: list[str]) -> None:
        self.data = None
        text = valuelist[0].strip() if valuelist else ""
        if not text:
            return
        for pattern in DATETIME_FORMATS:
            try:
                local = datetime.strptime(text, pattern)
            except ValueError:
                continue
            self.data = local.replace(tzinfo=BUREAU_ZONE).astimezone(UTC)
            return
        raise ValueError(str(_l("Enter a date and time, for example 2026-03-01 09:00.")))


class DecimalNumberField(Field):
    """A number that is not money (a score spread), with or without thousands separators;
    ``data`` is a Decimal. Amounts of money use ``core.forms.MoneyField``."""

    widget = TextInput()

    def _value(self) -> str:
        if self.raw_data:
            return self.raw_data[0]
        return "" if self.data is None else format_number(self.data)

    def process_formdata(self, valuelist: list[str]) -> None:
        self.data = None
        text = (valuelist[0] if valuelist else "").replace(",", "").replace("，", "").strip()
        if not text:
            return
        number = as_decimal(text)
        if number is None:
            raise ValueError(str(_l("Enter a number, for example 500000.")))
        self.data = number


class WholeNumberField(Field):
    """A whole number; ``data`` is an int."""

    widget = NumberInput(step="1")

    def _value(self) -> str:
        if self.raw_data:
            return self.raw_data[0]
        return "" if self.data is None else str(self.data)

    def process_formdata(self, valuelist: list[str]) -> None:
        self.data = None
        text = (valuelist[0] if valuelist else "").strip()
        if not text:
            return
        number = as_int(text)
        if number is None:
            raise ValueError(str(_l("Enter a whole number.")))
        self.data = number


def within(minimum: Any, maximum: Any, message: Any, *, cents: bool = False) -> Callable:
    """The value, when there is one, lies from ``minimum`` to ``maximum`` (in cents)."""

    def check(_form, field) -> None:
        value = field.data
        if value is None:
            return
        if not minimum <= value <= maximum:
            raise ValidationError(str(message))
        if cents and value != value.quantize(CENT):
            raise ValidationError(str(_l("Use at most two decimal places.")))

    return check


# --- the rows ---------------------------------------------------------------------------------


class RowTextField(StringField):
    """Text in a row of the editor: ``data`` is stripped; the input shows what was typed."""

    def process_formdata(self, valuelist: list[str]) -> None:
        self.data = valuelist[0].strip() if valuelist else ""

    def _value(self) -> str:
        return self.raw_data[0] if self.raw_data else super()._value()


class RowWholeNumberField(RowTextField):
    """A whole number in a row, kept as typed; ``number`` is it as an int."""

    widget = NumberInput(step="1")

    @property
    def number(self) -> int | None:
        return as_int(self.data) if self.data else None


class RowAmountField(RowTextField):
    """Yuan in a row, kept as typed; ``number`` is it as a Decimal, read as every amount is
    (``core.money.parse_money``: "1,000,000", full-width digits, "¥"), None when it is not one."""

    @property
    def number(self) -> Decimal | None:
        if not self.data:
            return None
        try:
            return parse_money(self.data)
        except MoneyError:
            return None


def whole_number_from(minimum: int, maximum: int, message: Any) -> Callable:
    """A row's whole number is there and lies from ``minimum`` to ``maximum``."""

    def check(_form, field: RowWholeNumberField) -> None:
        number = field.number
        if number is None or not minimum <= number <= maximum:
            raise ValidationError(str(message))

    return check
