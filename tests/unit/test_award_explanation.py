"""A released award explained: formula amount, pro-rata ratio, scaled, rounded, final."""

from __future__ import annotations

from decimal import Decimal as D
from fractions import Fraction
from typing import Any

import pytest
from flask import Flask
from flask_babel import Babel, force_locale

from portal.review.award_explanation import PRO_RATA_STEP, AwardExplanation, describe_award

_APP = Flask(__name__)
Babel(_APP)


def explain(**figures: Any) -> AwardExplanation:
    with _APP.test_request_context():
        return describe_award(**figures)


def test_the_rounding_step_is_the_one_pro_rata_uses():
    assert D("100") == PRO_RATA_STEP


def test_a_scaled_award_says_formula_ratio_scaled_rounding_and_result():
    explanation = explain(
        formula_amount=D("45000.00"),
        approved_amount=D("45000.00"),
        released_amount=D("38100.00"),
        final_amount=D("38100.00"),
        ratio=Fraction(8475, 10000),
    )
    assert explanation.scaled
    assert explanation.pro_rata_ratio == D("0.8475")
    assert explanation.scaled_amount == D("38137.50")
    assert explanation.rounding_step == D("100")
    assert explanation.final_amount == D("38100.00")
    assert explanation.sentences == (
        "The programme's formula gives 45,000.00 yuan.",
        "The programme's budget covered 84.75 % of all approved amounts, so every award was "
        "scaled by 0.8475: 45,000.00 yuan became 38,137.50 yuan, rounded down to the nearest "
        "100 yuan: 38,100.00 yuan.",
        "The award is 38,100.00 yuan.",
    )


def test_an_exact_ratio_is_cut_to_four_places_for_reading():
    explanation = explain(
        formula_amount=D("14000.00"),
        approved_amount=D("14000.00"),
        released_amount=D("10200.00"),
        final_amount=D("10200.00"),
        ratio=Fraction(20000, 27333),
    )
    assert explanation.pro_rata_ratio == D("0.7317")
    assert explanation.scaled_amount == D("10244.02")  # from the exact factor, cut to cents


def test_an_award_not_scaled_has_no_ratio():
    explanation = explain(
        formula_amount=D("45000.00"),
        approved_amount=D("40000.00"),
        released_amount=D("40000.00"),
        final_amount=D("40000.00"),
        ratio=None,
    )
    assert not explanation.scaled
    assert explanation.pro_rata_ratio is None and explanation.scaled_amount is None
    assert explanation.rounding_step is None
    assert "The bureau approved 40,000.00 yuan." in explanation.sentences


def test_a_scaled_award_whose_ratio_is_unknown_says_less_but_nothing_wrong():
    explanation = explain(
        formula_amount=None,
        approved_amount=D("500000.00"),
        released_amount=D("400000.00"),
        final_amount=D("400000.00"),
        ratio=None,
    )
    assert explanation.scaled and explanation.pro_rata_ratio is None
    assert any("scaled down in the same proportion" in s for s in explanation.sentences)
    assert not any("%" in s for s in explanation.sentences)


def test_a_corrected_award_says_so():
    explanation = explain(
        formula_amount=D("45000.00"),
        approved_amount=D("45000.00"),
        released_amount=D("45000.00"),
        final_amount=D("42000.00"),
        ratio=None,
    )
    assert explanation.sentences[-1] == "The bureau later corrected the award to 42,000.00 yuan."


@pytest.mark.parametrize("locale", ["zh_CN", "en"])
def test_sentences_are_in_the_current_language(locale):
    with _APP.test_request_context(), force_locale(locale):
        explanation = describe_award(
            formula_amount=D("45000.00"),
            approved_amount=D("45000.00"),
            released_amount=D("38100.00"),
            final_amount=D("38100.00"),
            ratio=Fraction(8475, 10000),
        )
    assert all(isinstance(sentence, str) for sentence in explanation.sentences)
    assert "38,100.00" in explanation.sentences[-1]


def test_a_factor_with_endless_decimals_is_printed_as_its_division_so_the_sum_is_exact():
    # 50,000 left for 59,000 approved: 0.847457…; "× 0.8474 = 38,135.59" would be false.
    explanation = explain(
        formula_amount=D("45000.00"),
        approved_amount=D("45000.00"),
        released_amount=D("38100.00"),
        final_amount=D("38100.00"),
        ratio=None,
        basis=(D("50000.00"), D("59000.00")),
    )
    assert explanation.budget_available == D("50000.00")
    assert explanation.approved_total == D("59000.00")
    assert explanation.scaled_amount == D("38135.59")  # 45,000 × 50,000 / 59,000, cut to cents
    assert (
        "What was left of the programme's budget, 50,000.00 yuan, covered 84.75 % of the "
        "59,000.00 yuan approved, so every award was multiplied by 50,000.00 / 59,000.00: "
        "45,000.00 yuan became 38,135.59 yuan, rounded down to the nearest 100 yuan: "
        "38,100.00 yuan."
    ) in explanation.sentences
