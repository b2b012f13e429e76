"""The bank account's form checks: the firm's own name, a named bank and branch, 8-30 digits."""

from __future__ import annotations

import pytest

from portal.payments.bank_account_rules import (
    BankAccountInput,
    check_bank_account,
    grouped_number,
    masked_number,
    name_mismatch,
    normalise_account_number,
)

FIRM = "阜新氟化工科技有限公司"


def typed(**changes) -> BankAccountInput:
    values = {
        "account_name": FIRM,
        "bank_name": "中国工商银行",
        "branch_name": "阜新分行营业部",
        "account_number": "6222 0212 3456 7890",
    }
    values.update(changes)
    return BankAccountInput(**values)


def test_a_good_account_is_stored_trimmed_with_digits_only():
    checked = check_bank_account(typed(account_name=f"  {FIRM}\u3000"), FIRM)
    assert checked.ok
    assert checked.value == BankAccountInput(
        FIRM, "中国工商银行", "阜新分行营业部", "6222021234567890"
    )


@pytest.mark.parametrize(
    ("number", "digits"),
    [
        ("6222 0212 3456 7890", "6222021234567890"),
        ("6222-0212-3456", "622202123456"),
        ("６２２２０２１２３４５６", "622202123456"),
        ("\u00a012345678\u3000", "12345678"),
    ],
)
def test_grouping_is_dropped(number, digits):
    assert normalise_account_number(number) == digits


@pytest.mark.parametrize(
    ("number", "ok"),
    [
        ("1234567", False),
        ("12345678", True),
        ("1" * 30, True),
        ("1" * 31, False),
        ("1234 5678 abcd", False),
        ("١٢٣٤٥٦٧٨٩", False),  # other scripts' digits are not account digits
        ("", False),
    ],
)
def test_account_number_is_8_to_30_digits(number, ok):
    checked = check_bank_account(typed(account_number=number), FIRM)
    assert checked.ok is ok
    assert ("account_number" in checked.problems) is not ok


def test_the_name_must_be_the_registered_name_exactly_and_the_message_says_both():
    checked = check_bank_account(typed(account_name="阜新氟化工科技公司"), FIRM)
    assert not checked.ok and checked.value is None
    message = checked.problems["account_name"]
    assert FIRM in message and "阜新氟化工科技公司" in message
    assert name_mismatch(FIRM, f" {FIRM} ") is None
    assert name_mismatch("", FIRM)  # empty: asked for
    assert name_mismatch(FIRM.replace("有限", "（有限）"), FIRM)


@pytest.mark.parametrize("field", ["bank_name", "branch_name"])
@pytest.mark.parametrize(
    ("value", "ok"), [("", False), (" 工", False), ("工行", True), ("行" * 101, False)]
)
def test_bank_and_branch_are_named_within_reason(field, value, ok):
    checked = check_bank_account(typed(**{field: value}), FIRM)
    assert (field in checked.problems) is not ok


def test_every_problem_is_reported_at_once():
    checked = check_bank_account(BankAccountInput("", "", "", "12"), FIRM)
    assert set(checked.problems) == {"account_name", "bank_name", "branch_name", "account_number"}


def test_numbers_as_people_read_them():
    assert grouped_number("6222021234567890") == "6222 0212 3456 7890"
    assert masked_number("6222021234567890") == "···· 7890"
