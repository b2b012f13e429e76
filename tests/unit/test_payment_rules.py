"""Pure rules of payments: the tranche state machine, the split of an award, the payment
order's rows and the bank's confirmation file."""

from __future__ import annotations

import io
from datetime import date
from decimal import Decimal

import openpyxl
import pytest

from portal.payments import confirmation_file as cf
from portal.payments.batches import batch_number, purpose_of
from portal.payments.models import Tranche, TrancheStatus
from portal.payments.payment_orders import confirmation_template, order_rows
from portal.payments.plan import split_amount
from portal.payments.tranches import TRANSITIONS, TrancheRefused, can_move, move

S = TrancheStatus


def test_the_transition_table():
    assert can_move(S.PLANNED, S.DUE) and can_move(S.DUE, S.IN_BATCH)
    assert can_move(S.IN_BATCH, S.PAID) and can_move(S.IN_BATCH, S.DUE)
    assert can_move(S.DUE, S.CANCELLED) and can_move(S.PLANNED, S.CANCELLED)
    for final in (S.PAID, S.CANCELLED):
        assert not any(source is final for source, _ in TRANSITIONS)
    assert not can_move(S.PLANNED, S.PAID)  # nothing skips the batch
    assert not can_move(S.DUE, S.PAID)


def test_move_refuses_illegal_moves_and_a_second_payment():
    tranche = Tranche(status=S.PLANNED)
    assert move(tranche, S.DUE) == "condition_met" and tranche.status is S.DUE
    with pytest.raises(TrancheRefused):
        move(tranche, S.PAID)
    move(tranche, S.IN_BATCH)
    move(tranche, S.PAID)
    with pytest.raises(TrancheRefused) as refused:
        move(tranche, S.PAID)
    assert "only once" in str(refused.value.message)
    assert tranche.status is S.PAID


@pytest.mark.parametrize(
    ("amount", "shares", "parts"),
    [
        ("63500.00", ["60", "40"], ["38100.00", "25400.00"]),
        ("100000.01", ["60", "40"], ["60000.01", "40000.00"]),
        ("0.03", ["33.33", "33.33", "33.34"], ["0.01", "0.01", "0.01"]),
        ("50000", ["100"], ["50000"]),
    ],
)
def test_the_split_adds_up_to_the_award(amount, shares, parts):
    result = split_amount(Decimal(amount), [Decimal(s) for s in shares])
    assert result == [Decimal(p) for p in parts]
    assert sum(result) == Decimal(amount)


def test_batch_numbers_and_purpose():
    assert batch_number(2026, 1) == "PB-2026-0001"
    assert batch_number(2026, 12345) == "PB-2026-12345"
    assert purpose_of("高新技术企业奖励", 2) == "高新技术企业奖励 资金拨付 第2笔"


LINES = [
    {
        "payee": "阜新甲有限公司",
        "account": "6222 0207 0000 1234",
        "bank": "工商银行 阜新分行",
        "amount": "38100.00",
        "purpose": "甲 资金拨付 第1笔",
        "letter_number": "阜科发〔2026〕3号",
    },
    {
        "payee": "=HYPERLINK(1)",
        "account": "6222",
        "bank": "",
        "amount": "0.50",
        "purpose": "",
        "letter_number": "",
    },
]


def test_order_rows_with_capitals_and_totals():
    rows = order_rows("PB-2026-0001", LINES)
    assert rows[0][1] == "收款单位" and len(rows) == 4
    assert rows[1][4] == Decimal("38100.00") and rows[1][5] == "叁万捌仟壹佰元整"
    assert rows[-1][0] == "合计" and rows[-1][4] == Decimal("38100.50")
    assert rows[-1][1] == "2笔"


def test_the_confirmation_template_is_readable_by_the_parser():
    data = confirmation_template("PB-2026-0001", LINES).encode("utf-8")
    rows = cf.parse_csv(data)
    assert [r.account for r in rows] == ["6222020700001234", "6222"]
    assert all(r.problem is not None for r in rows)  # date and reference still to fill in


def test_parse_csv_reads_each_column_and_keeps_bad_rows():
    text = (
        "银行流水号,付款日期,金额,收款账号,批次号\n"
        'R1,2026-11-20,"38,100.00",6222 0207,pb-2026-0001\n'
        "R2,20261121,12000.5,6223,PB-2026-0001\n"
        "R3,yesterday,1.00,6224,PB-2026-0001\n"
        "R4,2026/11/22,abc,6225,PB-2026-0001\n"
        ",,,,\n"
    )
    rows = cf.parse_csv(text.encode("gb18030"))
    assert len(rows) == 4
    first = rows[0]
    assert (first.batch_number, first.account, first.amount) == (
        "PB-2026-0001",
        "62220207",
        Decimal("38100.00"),
    )
    assert first.paid_on == date(2026, 11, 20) and first.bank_reference == "R1"
    assert rows[1].paid_on == date(2026, 11, 21) and rows[1].problem is None
    assert "date" in str(rows[2].problem) and "amount" in str(rows[3].problem)
    assert rows[3].line == 5


def test_parse_refuses_files_it_cannot_take():
    with pytest.raises(cf.FileRefused):
        cf.parse_csv(b"a,b\n1,2\n")  # no known columns
    with pytest.raises(cf.FileRefused):
        cf.parse_csv(b"")
    with pytest.raises(cf.FileRefused):
        cf.parse_csv(b"x" * (cf.MAX_BYTES + 1))
    header = "批次号,收款账号,金额,付款日期,银行流水号\n"
    many = header + "PB-1,1,1.00,2026-01-01,R\n" * (cf.MAX_ROWS + 1)
    with pytest.raises(cf.FileRefused):
        cf.parse_csv(many.encode())
    assert (
        len(cf.parse_csv((header + "PB-1,1,1.00,2026-01-01,R\n" * cf.MAX_ROWS).encode()))
        == cf.MAX_ROWS
    )


def test_parse_xlsx_reads_numbers_and_date_cells():
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.append(["Batch number", "Payee account", "Amount", "Date", "Bank reference"])
    sheet.append(["PB-2026-0002", 6222020700001234, 38100.5, date(2026, 11, 20), 778899])
    buffer = io.BytesIO()
    workbook.save(buffer)
    data = buffer.getvalue()
    assert cf.is_xlsx(data)
    (row,) = cf.parse_xlsx(data)
    assert row.account == "6222020700001234" and row.amount == Decimal("38100.50")
    assert row.paid_on == date(2026, 11, 20) and row.bank_reference == "778899"


def test_the_order_files_never_carry_a_formula():
    from portal.payments.payment_orders import order_csv, order_xlsx

    assert "'=HYPERLINK(1)" in order_csv("PB-2026-0001", LINES)
    sheet = openpyxl.load_workbook(io.BytesIO(order_xlsx("PB-2026-0001", LINES))).active
    cell = sheet["B3"]
    assert cell.value == "=HYPERLINK(1)" and cell.data_type == "s"
    assert sheet["E4"].value == 38100.5 and sheet["A4"].value == "合计"
