"""The one way the portal writes spreadsheet cells: CSV rows and XLSX text that cannot run.

A spreadsheet takes a cell that starts with ``=``, ``+``, ``-`` or ``@`` (and, in some programs,
a tab or a carriage return) for a formula: a firm named ``=HYPERLINK("http://x","y")`` would
run on the officer's PC when the export is opened (OWASP "CSV injection"). Every text cell is
therefore defused: a leading apostrophe makes the spreadsheet show the text as it is. The
full-width forms of those signs are defused too, because spreadsheets on Chinese systems may
read them as the ASCII ones. Numbers are not text: a negative amount stays a number, so only
``str`` cells are defused; callers pass numbers as ``int`` or ``Decimal``.

XLSX cells hold their type, so there text is stored as a string cell (never a formula cell);
``xlsx_text`` only drops the control characters the XML format cannot hold.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from decimal import Decimal
from typing import Any

from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "＝", "＋", "－", "＠")
UTF8_BOM = "\ufeff"
# Cells written as they are: numbers (and booleans, which are ints) cannot be formulas.
NUMBER_TYPES = (int, float, Decimal)


def defuse(text: str) -> str:
    """``text`` as a spreadsheet must show it: an apostrophe before a formula's first sign."""
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def safe_cell(value: Any) -> Any:
    """A CSV cell: None is empty, a number stays a number, anything else is defused text."""
    if value is None:
        return ""
    if isinstance(value, NUMBER_TYPES):
        return value
    return defuse(str(value))


class SafeCsvWriter:
    """``csv.writer`` (RFC 4180 quoting, CRLF line ends) whose every text cell is defused."""

    def __init__(self, stream: Any) -> None:
        self._writer = csv.writer(stream)

    def writerow(self, row: Iterable[Any]) -> None:
        self._writer.writerow([safe_cell(value) for value in row])

    def writerows(self, rows: Iterable[Iterable[Any]]) -> None:
        for row in rows:
            self.writerow(row)


def csv_text(rows: Iterable[Iterable[Any]]) -> str:
    """A whole CSV document, UTF-8 BOM first: Excel on Chinese Windows reads a CSV without one
    as GBK and garbles every Chinese name."""
    buffer = io.StringIO(newline="")
    buffer.write(UTF8_BOM)
    SafeCsvWriter(buffer).writerows(rows)
    return buffer.getvalue()


def xlsx_text(value: Any) -> str:
    """Text for an XLSX string cell (the caller sets the cell's type to string)."""
    return ILLEGAL_CHARACTERS_RE.sub("", str(value))
