"""The payment order of an approved batch (拨付指令), as finance's system takes it: an XLSX
workbook and the same table as CSV, and the template of the bank's confirmation file.

The columns are a fixed format that finance's import reads, so their headers are Chinese
whatever the page's language: 序号, 收款单位, 账号, 开户行, 金额, 金额大写, 用途, 文号, 批次号,
with a totals row (合计) under the lines. Text cells are written so that no spreadsheet can
take them for a formula (``core.csv_safe``); amounts are numbers with two places.
"""

from __future__ import annotations

import io
from collections.abc import Iterable, Sequence
from decimal import Decimal
from typing import Any

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font

from portal.core.csv_safe import csv_text, xlsx_text
from portal.core.money import CENT
from portal.letters.content import amount_in_capitals

ORDER_HEADERS = (
    "序号",
    "收款单位",
    "账号",
    "开户行",
    "金额",
    "金额大写",
    "用途",
    "文号",
    "批次号",
)
TOTAL_LABEL = "合计"
MONEY_FORMAT = "#,##0.00"
WIDTHS = (6, 34, 24, 30, 16, 34, 40, 22, 14)
# The bank's confirmation file (see confirmations.py): these headers, one row per payment.
CONFIRMATION_HEADERS = ("批次号", "收款账号", "金额", "付款日期", "银行流水号")


def _amount(line: dict[str, Any]) -> Decimal:
    return Decimal(str(line["amount"])).quantize(CENT)


def order_rows(number: str, lines: Sequence[dict[str, Any]]) -> list[list[Any]]:
    """The header, one row per payment and the totals row (pure)."""
    rows: list[list[Any]] = [list(ORDER_HEADERS)]
    for index, line in enumerate(lines, start=1):
        amount = _amount(line)
        rows.append(
            [
                index,
                line["payee"],
                line["account"],
                line["bank"],
                amount,
                amount_in_capitals(amount),
                line["purpose"],
                line["letter_number"],
                number,
            ]
        )
    total = sum((_amount(line) for line in lines), Decimal(0))
    rows.append(
        [TOTAL_LABEL, f"{len(lines)}笔", "", "", total, amount_in_capitals(total), "", "", number]
    )
    return rows


def order_csv(number: str, lines: Sequence[dict[str, Any]]) -> str:
    return csv_text(order_rows(number, lines))


def order_xlsx(number: str, lines: Sequence[dict[str, Any]]) -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = number[:31]
    rows = order_rows(number, lines)
    for row_index, row in enumerate(rows, start=1):
        for column_index, value in enumerate(row, start=1):
            cell = sheet.cell(row=row_index, column=column_index)
            if isinstance(value, (int, Decimal)):
                cell.value = value
                if isinstance(value, Decimal):
                    cell.number_format = MONEY_FORMAT
            else:
                cell.value = xlsx_text(value)
                cell.data_type = "s"
        if row_index in (1, len(rows)):
            for cell in sheet[row_index]:
                cell.font = Font(bold=True)
    for column_index, width in enumerate(WIDTHS, start=1):
        sheet.column_dimensions[chr(ord("A") + column_index - 1)].width = width
    sheet.freeze_panes = "A2"
    for cell in sheet["E"]:
        cell.alignment = Alignment(horizontal="right")
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def confirmation_template(number: str | None, lines: Iterable[dict[str, Any]] = ()) -> str:
    """The confirmation file's template as CSV: the header, and for a batch one row per
    payment with the batch number, account and amount filled in; finance adds the day paid
    (YYYY-MM-DD) and the bank's reference."""
    rows: list[list[Any]] = [list(CONFIRMATION_HEADERS)]
    for line in lines:
        rows.append([number or "", line["account"], _amount(line), "", ""])
    return csv_text(rows)
