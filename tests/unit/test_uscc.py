import pytest
from hypothesis import given
from hypothesis import strategies as st

from portal.accounts.uscc import (
    ALPHABET,
    WEIGHTS,
    UsccProblem,
    check_character,
    check_uscc,
    normalise_uscc,
    with_check_character,
)


def test_weights_are_powers_of_three_mod_31():
    assert WEIGHTS == (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)


@pytest.mark.parametrize("code", ["914403001922038216", "9144030071526726XG"])
def test_real_codes_pass(code):
    assert check_uscc(code).ok


def test_input_is_normalised():
    result = check_uscc("  9144 0300 7152 6726xg ")
    assert result.ok
    assert result.code == "9144030071526726XG"
    assert normalise_uscc("91\t44\n03") == "914403"


@pytest.mark.parametrize(
    ("raw", "problem", "position", "character"),
    [
        ("", UsccProblem.EMPTY, None, None),
        ("   ", UsccProblem.EMPTY, None, None),
        ("91440300192203821", UsccProblem.LENGTH, None, None),
        ("9144030019220382160", UsccProblem.LENGTH, None, None),
        ("9144030019220382I6", UsccProblem.CHARACTER, 17, "I"),
        ("914403001922038O16", UsccProblem.CHARACTER, 16, "O"),
        ("91440300192203821-", UsccProblem.CHARACTER, 18, "-"),
        ("9144A3001922038216", UsccProblem.REGION, 5, "A"),
        ("914403001922038217", UsccProblem.CHECK_CHARACTER, 18, "7"),
    ],
)
def test_each_rule_is_named(raw, problem, position, character):
    result = check_uscc(raw)
    assert result.problem is problem
    assert result.position == position
    assert result.character == character


def test_wrong_check_character_reports_the_expected_one():
    result = check_uscc("914403001922038217")
    assert result.expected == "6"


def test_alphabet_excludes_ambiguous_letters():
    assert len(ALPHABET) == 31
    assert not set("IOSVZ") & set(ALPHABET)


@given(
    head=st.text(alphabet=ALPHABET, min_size=2, max_size=2),
    region=st.text(alphabet="0123456789", min_size=6, max_size=6),
    org=st.text(alphabet=ALPHABET, min_size=9, max_size=9),
)
def test_completed_codes_pass_and_any_single_change_of_the_check_character_fails(head, region, org):
    code = with_check_character(head + region + org)
    assert check_uscc(code).ok
    for other in ALPHABET:
        if other != code[17]:
            assert check_uscc(code[:17] + other).problem is UsccProblem.CHECK_CHARACTER


@given(st.text(alphabet=ALPHABET, min_size=17, max_size=17))
def test_check_character_is_in_alphabet(first17):
    assert check_character(first17) in ALPHABET
