"""The bank's confirmation file, read (pure: bytes in, rows out; no database).

The format (a template is offered on the batch page): a CSV (UTF-8, or GB18030 as Excel on
Chinese Windows saves it) or an XLSX workbook whose first sheet has a header row and one row
per payment, with these columns in any order (Chinese or English headers):

====================  ==================  =============================================
批次号                batch number        PB-2026-0001
收款账号 (账号)       payee account       as on the payment order; spaces are ignored
金额                  amount              yuan, two places at most: 38100.00, 38,100.00
付款日期              date                YYYY-MM-DD (also YYYY/MM/DD, YYYYMMDD, a date cell)
银行流水号            bank reference      the bank's unique reference of the transfer
====================  ==================  =============================================

Limits: ``MAX_BYTES`` per file and ``MAX_ROWS`` rows; a longer file is refused whole. An XLSX
is read with openpyxl in read-only mode (after the upload check in the sandbox). A row that
cannot be read is kept with its problem, so that the reconciliation lists it.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

import openpyxl
from flask_babel import lazy_gettext as _l

from portal.core.domain import DomainError
from portal.core.money import MoneyError, parse_money

MAX_BYTES = 2 * 1024 * 1024
MAX_ROWS = 2000
REFERENCE_MAX = 60

COLUMNS: dict[str, tuple[str, ...]] = {
    "batch_number": ("批次号", "batch number", "batch", "batch_number"),
    "account": ("收款账号", "账号", "payee account", "account", "account number"),
    "amount": ("金额", "amount"),
    "paid_on": ("付款日期", "日期", "date", "paid on", "payment date"),
    "bank_reference": ("银行流水号", "流水号", "bank reference", "reference"),
}


class FileRefused(DomainError):
    """The file as a whole cannot be read; nothing is imported."""


@dataclass(frozen=True)
class ConfirmationRow:
    line: int  # the row's number in the file (the header is row 1)
    batch_number: str
    account: str
    amount: Decimal | None
    paid_on: date | None
    bank_reference: str
    problem: Any = None  # a message when the row cannot be read


def normalise_account(text: Any) -> str:
    return re.sub(r"[\s\-]", "", str(text or "")).strip()


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def parse_day(value: Any) -> date | None:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    text = _text(value)
    for pattern in ("%Y-%m-%d", "%Y/%m/%d", "%Y%m%d", "%Y.%m.%d"):
        try:
            return datetime.strptime(text, pattern).date()
        except ValueError:
            continue
    return None


def _amount(value: Any) -> Decimal | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, Decimal)):
        return Decimal(value)
    if isinstance(value, float):
        value = f"{value:.2f}" if round(value, 2) == value else repr(value)
    try:
        return parse_money(_text(value))
    except MoneyError:
        return None


def _header_map(header: list[Any]) -> dict[str, int]:
    names = [_text(cell).lower() for cell in header]
    found: dict[str, int] = {}
    for key, aliases in COLUMNS.items():
        for index, name in enumerate(names):
            if name in aliases:
                found[key] = index
                break
    missing = [COLUMNS[key][0] for key in COLUMNS if key not in found]
    if missing:
        raise FileRefused(
            _l(
                "The file's first row must name the columns; missing: %(columns)s. Use the "
                "template.",
                columns="、".join(missing),
            )
        )
    return found


def _row(line: int, cells: list[Any], columns: dict[str, int]) -> ConfirmationRow | None:
    def cell(key: str) -> Any:
        index = columns[key]
        return cells[index] if index < len(cells) else None

    if all(_text(value) == "" for value in cells):
        return None  # an empty row
    amount = _amount(cell("amount"))
    paid_on = parse_day(cell("paid_on"))
    reference = _text(cell("bank_reference"))
    problem: Any = None
    if amount is None or amount <= 0:
        problem = _l("The amount cannot be read.")
    elif paid_on is None:
        problem = _l("The date cannot be read (write it as YYYY-MM-DD).")
    elif not reference:
        problem = _l("The bank reference is missing.")
    elif len(reference) > REFERENCE_MAX:
        problem = _l("The bank reference is longer than %(count)d characters.", count=REFERENCE_MAX)
    return ConfirmationRow(
        line=line,
        batch_number=_text(cell("batch_number")).upper(),
        account=normalise_account(cell("account")),
        amount=amount,
        paid_on=paid_on,
        bank_reference=reference,
        problem=problem,
    )


def _too_many() -> FileRefused:
    return FileRefused(
        _l("The file has more than %(count)d rows: split it into smaller files.", count=MAX_ROWS)
    )


def _rows_of(table: Any) -> list[ConfirmationRow]:
    iterator = iter(table)
    header = next(iterator, None)
    if header is None:
        raise FileRefused(_l("The file is empty."))
    columns = _header_map(list(header))
    rows: list[ConfirmationRow] = []
    for line, cells in enumerate(iterator, start=2):
        if line > MAX_ROWS + 1:
            raise _too_many()
        row = _row(line, list(cells), columns)
        if row is not None:
            rows.append(row)
    return rows


def _decode(data: bytes) -> str:
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise FileRefused(_l("The CSV file is neither UTF-8 nor GB18030 text."))


def parse_csv(data: bytes) -> list[ConfirmationRow]:
    if len(data) > MAX_BYTES:
        raise FileRefused(_l("The file is larger than 2 MB."))
    try:
        return _rows_of(csv.reader(io.StringIO(_decode(data), newline="")))
    except csv.Error:
        raise FileRefused(_l("The CSV file cannot be read.")) from None


def parse_xlsx(data: bytes) -> list[ConfirmationRow]:
    """Rows of the first sheet (checked in the sandbox before: ``core.uploads``)."""
    if len(data) > MAX_BYTES:
        raise FileRefused(_l("The file is larger than 2 MB."))
    try:
        workbook = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception:
        raise FileRefused(_l("The workbook cannot be read.")) from None
    try:
        sheet = workbook.worksheets[0]
        return _rows_of(sheet.iter_rows(values_only=True, max_row=MAX_ROWS + 2))
    finally:
        workbook.close()


def is_xlsx(data: bytes) -> bool:
    return data[:4] == b"PK\x03\x04"
