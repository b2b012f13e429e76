"""Notice numbers (GB/T 9704 style), verification codes, amounts in Chinese capitals and letter
dates: the pure functions behind a letter, no database."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from portal.letters.content import amount_in_capitals, letter_date
from portal.letters.numbering import (
    CODE_ALPHABET,
    CODE_LENGTH,
    display_code,
    format_notice_number,
    new_verification_code,
    normalise_code,
)

# --- notice numbers ------------------------------------------------------------------------


def test_a_notice_number_is_issuer_year_in_brackets_and_sequence():
    assert format_notice_number("阜科发", 2026, 12) == "阜科发〔2026〕12号"


@pytest.mark.parametrize(
    ("sequence", "expected"),
    [(1, "阜科发〔2026〕1号"), (7, "阜科发〔2026〕7号"), (100, "阜科发〔2026〕100号")],
)
def test_a_notice_number_has_no_leading_zeros_and_no_di(sequence, expected):
    number = format_notice_number("阜科发", 2026, sequence)
    assert number == expected
    assert "〔2026〕0" not in number
    assert "第" not in number


def test_the_issuer_and_year_are_printed_as_given():
    assert format_notice_number("阜科资", 2027, 3) == "阜科资〔2027〕3号"


@pytest.mark.parametrize("sequence", [0, -1])
def test_a_notice_sequence_starts_at_one(sequence):
    with pytest.raises(ValueError):
        format_notice_number("阜科发", 2026, sequence)


# --- verification codes --------------------------------------------------------------------


def test_the_code_alphabet_leaves_out_characters_misread_on_paper():
    for confusable in "0O1IL":
        assert confusable not in CODE_ALPHABET
    assert len(set(CODE_ALPHABET)) == len(CODE_ALPHABET)
    assert CODE_ALPHABET.isupper() and CODE_ALPHABET.isalnum()


def test_a_new_code_has_the_length_and_the_alphabet():
    codes = [new_verification_code() for _ in range(300)]
    for code in codes:
        assert len(code) == CODE_LENGTH == 12
        assert set(code) <= set(CODE_ALPHABET)
        assert not set(code) & set("0O1IL")
        assert normalise_code(code) == code
    # Random, not a counter: 300 draws from 31**12 do not collide.
    assert len(set(codes)) == len(codes)


def test_a_code_is_displayed_in_groups_of_four():
    assert display_code("ABCDEFGHJKMN") == "ABCD-EFGH-JKMN"
    code = new_verification_code()
    shown = display_code(code)
    assert [len(group) for group in shown.split("-")] == [4, 4, 4]
    assert shown.replace("-", "") == code


@pytest.mark.parametrize(
    "typed",
    [
        "ABCDEFGHJKMN",
        "ABCD-EFGH-JKMN",
        "abcd-efgh-jkmn",
        "abcdefghjkmn",
        " ABCD EFGH JKMN ",
        "ABCD - EFGH - JKMN",
        "AbCd_EfGh_JkMn",
        "ABCD\tEFGH\nJKMN",
    ],
)
def test_a_typed_code_is_accepted_with_dashes_spaces_and_lower_case(typed):
    assert normalise_code(typed) == "ABCDEFGHJKMN"


def test_the_displayed_form_reads_back_to_the_stored_code():
    code = new_verification_code()
    assert normalise_code(display_code(code)) == code
    assert normalise_code(display_code(code).lower()) == code


@pytest.mark.parametrize(
    "typed",
    [
        "",
        None,
        "ABCD-EFGH-JKM",  # 11 characters
        "ABCD-EFGH-JKMNP",  # 13 characters
        "ABCD-EFGH-JKM0",  # zero
        "ABCD-EFGH-JKMO",  # letter O
        "ABCD-EFGH-JKM1",  # one
        "ABCD-EFGH-JKMI",  # letter I
        "ABCD-EFGH-JKML",  # letter L
        "abcd-efgh-jkml",  # lower-case l
        "ABCD.EFGH.JKMN",  # dots are not separators
        "ABCD/EFGH/JKMN",
        "ABCD-EFGH-JKM中",
        "ABCD-EFGH-JKMＮ",  # full-width N
        "../../etc/passwd",
        "<script>ABCD</script>",
    ],
)
def test_a_code_that_cannot_be_one_is_refused(typed):
    assert normalise_code(typed) is None


# --- amounts in capitals and dates ---------------------------------------------------------


@pytest.mark.parametrize(
    ("amount", "expected"),
    [
        (Decimal("100000"), "壹拾万元整"),
        (Decimal("100000.00"), "壹拾万元整"),
        (Decimal("200000"), "贰拾万元整"),
        (Decimal("1005.50"), "壹仟零伍元伍角"),
        (Decimal("0.05"), "伍分"),
        (Decimal("1234567.89"), "壹佰贰拾叁万肆仟伍佰陆拾柒元捌角玖分"),
        (Decimal("100010"), "壹拾万零壹拾元整"),
        (Decimal("1000000.01"), "壹佰万元零壹分"),
    ],
)
def test_amounts_are_written_in_chinese_capitals(amount, expected):
    assert amount_in_capitals(amount) == expected


def test_amounts_in_capitals_round_to_the_fen():
    assert amount_in_capitals(Decimal("1005.5")) == amount_in_capitals(Decimal("1005.50"))
    assert amount_in_capitals(Decimal("200000.001")) == "贰拾万元整"


@pytest.mark.parametrize(
    ("value", "zh", "en"),
    [
        (date(2026, 12, 1), "2026年12月1日", "1 December 2026"),
        (date(2027, 1, 5), "2027年1月5日", "5 January 2027"),
        (date(2026, 3, 31), "2026年3月31日", "31 March 2026"),
    ],
)
def test_letter_dates_use_arabic_numerals_without_leading_zeros(value, zh, en):
    assert letter_date(value, "zh") == zh
    assert letter_date(value, "en") == en
