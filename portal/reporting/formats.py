"""Writers for the exports: CSV, XLSX and JSON bytes from plain rows. Pure: no database, no
request; labels arrive already translated.

CSV is UTF-8 with a byte-order mark, because Excel on Chinese Windows reads a CSV without one
as GBK and garbles every Chinese name. Text cells that a spreadsheet would take for a formula
(starting with = + - @, a tab or a carriage return) are defused by the portal's one CSV writer
(``core.csv_safe``): the CSV prefixes an apostrophe, the XLSX stores them as plain strings.
Numbers are handed to the writers as numbers, so a negative amount is never taken for text.
"""

from __future__ import annotations

import io
import json
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter

from portal.core.csv_safe import csv_text, defuse, xlsx_text
from portal.core.money import CENT, format_money
from portal.core.timeutil import to_bureau_time

# Kinds tell the writers how to render a value.
TEXT, MONEY, SCORE, COUNT, DATETIME, DATE = "text", "money", "score", "count", "datetime", "date"


@dataclass(frozen=True)
class Column:
    key: str  # stable: the row's field name
    label: Any  # the header, a lazy string translated when the file is written
    kind: str = TEXT


MONEY_FORMAT = "#,##0.00"
SCORE_FORMAT = "0.00"
COUNT_FORMAT = "0"
DATETIME_FORMAT = "yyyy-mm-dd hh:mm"
DATE_FORMAT = "yyyy-mm-dd"
NUMBER_FORMATS = {
    MONEY: MONEY_FORMAT,
    SCORE: SCORE_FORMAT,
    COUNT: COUNT_FORMAT,
    DATETIME: DATETIME_FORMAT,
    DATE: DATE_FORMAT,
}
MIN_WIDTH, MAX_WIDTH = 8, 48
SHEET_TITLE_MAX = 31  # Excel's limit
_SHEET_TITLE_FORBIDDEN = str.maketrans({c: " " for c in "[]:*?/\\"})


def _plain_decimal(value: Any) -> str:
    return f"{Decimal(str(value)).quantize(CENT)}"


def _bureau_naive(value: datetime) -> datetime:
    """Excel has no time zones: the bureau's wall-clock time, as officers read it."""
    return to_bureau_time(value).replace(tzinfo=None)


def csv_value(kind: str, value: Any) -> str:
    if value is None:
        return ""
    if kind in (MONEY, SCORE):
        return _plain_decimal(value)  # 1234567.80: no thousands separators
    if kind == COUNT:
        return str(int(value))
    if kind == DATETIME:
        return _bureau_naive(value).strftime("%Y-%m-%d %H:%M:%S")
    if kind == DATE:
        return value.isoformat()
    return defuse(str(value))


def _csv_cell(kind: str, value: Any) -> Any:
    """A cell for the CSV writer: numbers as numbers (never defused), everything else as text."""
    if value is None:
        return None
    if kind in (MONEY, SCORE):
        return Decimal(str(value)).quantize(CENT)  # 1234567.80: no thousands separators
    if kind == COUNT:
        return int(value)
    return csv_value(kind, value)


def csv_bytes(
    columns: Sequence[Column], rows: Iterable[Mapping[str, Any]], headers: Sequence[str]
) -> bytes:
    lines = ([_csv_cell(column.kind, row[column.key]) for column in columns] for row in rows)
    return csv_text([list(headers), *lines]).encode("utf-8")


def _xlsx_value(kind: str, value: Any) -> Any:
    if value is None:
        return None
    if kind in (MONEY, SCORE):
        return Decimal(str(value)).quantize(CENT)
    if kind == COUNT:
        return int(value)
    if kind == DATETIME:
        return _bureau_naive(value)
    if kind == DATE:
        return value
    return xlsx_text(value)


def display_width(text: str) -> int:
    """Columns a text takes in a spreadsheet: Chinese characters are about two wide."""
    return sum(2 if unicodedata.east_asian_width(ch) in ("W", "F") else 1 for ch in text)


def _shown(kind: str, value: Any) -> str:
    if value is None:
        return ""
    if kind == MONEY:
        return format_money(value)
    if kind == DATETIME:
        return _bureau_naive(value).strftime("%Y-%m-%d %H:%M")
    return csv_value(kind, value)


def column_widths(
    columns: Sequence[Column], rows: Sequence[Mapping[str, Any]], headers: Sequence[str]
) -> list[int]:
    widths = []
    for column, header in zip(columns, headers, strict=True):
        longest = max(
            [display_width(header)]
            + [display_width(_shown(column.kind, row[column.key])) for row in rows]
        )
        widths.append(max(MIN_WIDTH, min(MAX_WIDTH, longest + 2)))
    return widths


def sheet_title(text: str) -> str:
    return (text.translate(_SHEET_TITLE_FORBIDDEN).strip() or "Sheet")[:SHEET_TITLE_MAX]


def xlsx_bytes(
    columns: Sequence[Column],
    rows: Sequence[Mapping[str, Any]],
    headers: Sequence[str],
    *,
    title: str,
    creator: str = "",
) -> bytes:
    """A workbook with one sheet: bold, frozen, filterable header; typed, formatted cells."""
    workbook = Workbook(write_only=True)  # streams rows: memory stays flat for large exports
    workbook.properties.title = title
    workbook.properties.creator = creator or None
    sheet = workbook.create_sheet(sheet_title(title))
    sheet.freeze_panes = "A2"
    for index, width in enumerate(column_widths(columns, rows, headers), start=1):
        sheet.column_dimensions[get_column_letter(index)].width = width
    last = get_column_letter(len(columns))
    sheet.auto_filter.ref = f"A1:{last}{len(rows) + 1}"

    bold = Font(bold=True)
    wrap = Alignment(vertical="top", wrap_text=True)
    header_cells = []
    for header in headers:
        cell = WriteOnlyCell(sheet, value=header)
        cell.font = bold
        cell.alignment = wrap
        header_cells.append(cell)
    sheet.append(header_cells)
    for row in rows:
        cells = []
        for column in columns:
            cell = WriteOnlyCell(sheet, value=_xlsx_value(column.kind, row[column.key]))
            if column.kind in NUMBER_FORMATS:
                cell.number_format = NUMBER_FORMATS[column.kind]
            elif cell.value is not None:
                cell.data_type = "s"  # never a formula, whatever the text starts with
            cells.append(cell)
        sheet.append(cells)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _json_default(value: Any) -> Any:
    if isinstance(value, Decimal):
        # Money has at most 14 significant digits (Numeric(14, 2)): a float keeps it exactly.
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, datetime | date):
        return value.isoformat()
    raise TypeError(f"{type(value).__name__} is not JSON serialisable")


def json_bytes(document: Any) -> bytes:
    return json.dumps(document, ensure_ascii=False, indent=2, default=_json_default).encode("utf-8")
