"""Subsidy formulas: amounts, caps, the steps shown, missing data, ranking and pro rata."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from decimal import Decimal as D
from fractions import Fraction
from typing import Any

import pytest
from flask import Flask
from flask_babel import Babel
from flask_babel.speaklater import LazyString
from hypothesis import given
from hypothesis import strategies as st

from portal.programs.facts import FirmFacts, ProjectFigures, Recognition, YearFigures
from portal.programs.formulas import (
    FORMULA_KINDS,
    Computation,
    InvalidFormula,
    apply_cap,
    compute,
    pro_rata,
    tier_amount,
    validate_formula,
)
from portal.programs.parameters import InvalidParams, normalise_params

AS_OF = date(2026, 3, 15)  # last year 2025, the year before 2024
YE, GZ = Recognition.YOUNG_EAGLE, Recognition.GAZELLE

_APP = Flask(__name__)
Babel(_APP)


def english(text: Any) -> str:
    with _APP.test_request_context():
        return str(text)


def firm(
    rd_2024: D | None = D("480000"),
    rd_2025: D | None = D("620000"),
    revenue_2025: D | None = D("15000000"),
    **overrides: Any,
) -> FirmFacts:
    """A small (below designated size) firm without a high-tech certificate by default."""
    values: dict[str, Any] = {
        "as_of": AS_OF,
        "uscc": "91210900MA0Y1B2C3C",
        "founded_on": date(2019, 5, 20),
        "high_tech_certificate": False,
        "years": {
            2024: YearFigures(2024, revenue=D("12000000"), rd_expense=rd_2024),
            2025: YearFigures(2025, revenue=revenue_2025, rd_expense=rd_2025),
        },
        "recognitions": (),
        "project": ProjectFigures(
            eligible_investment=D("2000000"),
            digital_level=3,
            project_accepted=True,
            other_public_funding=False,
        ),
    }
    values.update(overrides)
    return FirmFacts(**values)


def with_project(**changes: Any) -> FirmFacts:
    facts = firm()
    return replace(facts, project=replace(facts.project, **changes))


def assert_money(amount: D) -> None:
    assert isinstance(amount, D)
    assert amount.as_tuple().exponent == -2  # two decimals


def assert_steps_add_up(result: Computation) -> None:
    """The last step shows the amount; every step's label is translatable."""
    assert result.steps, "an amount is always explained"
    assert result.steps[-1].amount == result.amount
    for step in result.steps:
        assert isinstance(step.label, LazyString)
        assert isinstance(step.expression, str)
        assert_money(step.amount)


# --- recognition_award ----------------------------------------------------------------------

AWARD = {"formula": "recognition_award", "params": {}}


@pytest.mark.parametrize(
    ("recognitions", "rd_2025", "params", "amount", "fragments"),
    [
        pytest.param(
            ((YE, 2025),),
            D("1500000"),
            {},
            D("150000"),
            ("1,500,000.00 × 10 %",),
            id="ye-10-percent",
        ),
        pytest.param(
            ((YE, 2025),),
            D("3000000"),
            {},
            D("200000"),
            ("min(300,000.00, 200,000.00)",),
            id="ye-capped",
        ),
        pytest.param(((YE, 2026),), D("2000000"), {}, D("200000"), (), id="ye-exactly-cap"),
        pytest.param(
            ((YE, 2025),),
            D("1234567.89"),
            {},
            D("123456.78"),
            ("123,456.78",),
            id="ye-rounded-down",
        ),
        pytest.param(((GZ, 2025),), None, {}, D("300000"), ("first",), id="gazelle-first"),
        pytest.param(
            ((GZ, 2026),), None, {}, D("300000"), ("first",), id="gazelle-first-this-year"
        ),
        pytest.param(
            ((GZ, 2023), (GZ, 2025)),
            None,
            {},
            D("100000"),
            ("renewal", "2023"),
            id="gazelle-renewal",
        ),
        pytest.param(
            ((GZ, 2025), (GZ, 2026)),
            None,
            {},
            D("100000"),
            ("renewal",),
            id="gazelle-two-years-running",
        ),
        pytest.param(
            ((YE, 2025), (GZ, 2026)),
            D("1500000"),
            {},
            D("300000"),
            ("Gazelle",),
            id="gazelle-before-young-eagle",
        ),
        pytest.param(
            ((GZ, 2024), (YE, 2025)),
            D("1500000"),
            {},
            D("150000"),
            ("Young eagle",),
            id="old-gazelle-young-eagle-now",
        ),
        pytest.param(
            ((GZ, 2024),), D("1500000"), {}, D("0"), ("from 2025",), id="gazelle-two-years-ago"
        ),
        pytest.param(
            ((YE, 2024),), D("1500000"), {}, D("0"), ("No young eagle",), id="ye-two-years-ago"
        ),
        pytest.param(
            ((Recognition.UNICORN, 2025),), D("1500000"), {}, D("0"), (), id="unicorn-only"
        ),
        pytest.param((), D("1500000"), {}, D("0"), (), id="no-recognition"),
        pytest.param(
            ((YE, 2025),),
            D("1500000"),
            {"within_years": 0},
            D("0"),
            ("from 2026",),
            id="this-year-only",
        ),
        pytest.param(
            ((YE, 2025),),
            D("1500000"),
            {"young_eagle_rate": "5", "young_eagle_cap": "50000"},
            D("50000"),
            ("× 5 %",),
            id="officer-rate-and-cap",
        ),
        pytest.param(
            ((GZ, 2025),),
            None,
            {"gazelle_first": 250000},
            D("250000"),
            (),
            id="officer-gazelle-amount",
        ),
    ],
)
def test_recognition_award(recognitions, rd_2025, params, amount, fragments):
    facts = firm(rd_2025=rd_2025, recognitions=recognitions)
    result = compute({"formula": "recognition_award", "params": params}, facts)
    assert result.amount == amount
    assert_money(result.amount)
    assert result.missing == ()
    assert_steps_add_up(result)
    shown = " | ".join(f"{english(s.label)}: {s.expression}" for s in result.steps)
    for fragment in fragments:
        assert fragment in shown


def test_young_eagle_without_rd_spend_needs_it():
    result = compute(AWARD, firm(rd_2025=None, recognitions=((YE, 2025),)))
    assert result.amount is None
    assert [english(item) for item in result.missing] == [
        "R&D spend for 2025 is not in your profile yet."
    ]


# --- rd_increase_share ----------------------------------------------------------------------

RD = {"formula": "rd_increase_share", "params": {}}


@pytest.mark.parametrize(
    ("rd_2024", "rd_2025", "revenue", "high_tech", "params", "amount", "cap_fragment"),
    [
        pytest.param(
            D("480000"),
            D("620000"),
            D("25000000"),
            False,
            {},
            D("14000"),
            "above designated size",
            id="620k-over-480k",
        ),
        pytest.param(
            D("1000000"),
            D("6000000"),
            D("15000000"),
            False,
            {},
            D("300000"),
            "other firms",
            id="small-firm-capped",
        ),
        pytest.param(
            D("1000000"),
            D("6000000"),
            D("25000000"),
            False,
            {},
            D("500000"),
            "above designated size",
            id="large-firm-under-cap",
        ),
        pytest.param(
            D("1000000"),
            D("13000000"),
            D("80000000"),
            False,
            {},
            D("1000000"),
            "above designated size",
            id="large-firm-capped",
        ),
        pytest.param(
            D("1000000"),
            D("13000000"),
            D("15000000"),
            True,
            {},
            D("1000000"),
            "high-tech",
            id="high-tech-small-firm",
        ),
        pytest.param(
            D("1000000"),
            D("6000000"),
            D("20000000"),
            False,
            {},
            D("500000"),
            "above designated size",
            id="revenue-exactly-threshold",
        ),
        pytest.param(
            D("1000000"),
            D("6000000"),
            D("19999999.99"),
            False,
            {},
            D("300000"),
            "other firms",
            id="revenue-a-cent-short",
        ),
        pytest.param(
            D("1000000"),
            D("4000000"),
            D("15000000"),
            False,
            {},
            D("300000"),
            "other firms",
            id="exactly-the-small-cap",
        ),
        pytest.param(
            D("1000000"),
            D("1123456.79"),
            D("15000000"),
            False,
            {},
            D("12345.67"),
            "other firms",
            id="rounded-down",
        ),
        pytest.param(
            D("1000000"),
            D("6000000"),
            D("15000000"),
            False,
            {"rate": "15", "cap": "200000"},
            D("200000"),
            "other firms",
            id="officer-rate-and-cap",
        ),
        pytest.param(
            D("1000000"),
            D("6000000"),
            D("25000000"),
            False,
            {"large_min_revenue": "30000000"},
            D("300000"),
            "other firms",
            id="officer-size-threshold",
        ),
        pytest.param(
            D("1000000"),
            D("13000000"),
            None,
            True,
            {},
            D("1000000"),
            "high-tech",
            id="revenue-unknown-but-high-tech",
        ),
        pytest.param(
            D("480000"),
            D("620000"),
            None,
            None,
            {},
            D("14000"),
            "either way",
            id="below-both-caps-needs-no-size",
        ),
    ],
)
def test_rd_increase_share(rd_2024, rd_2025, revenue, high_tech, params, amount, cap_fragment):
    facts = firm(
        rd_2024=rd_2024, rd_2025=rd_2025, revenue_2025=revenue, high_tech_certificate=high_tech
    )
    result = compute({"formula": "rd_increase_share", "params": params}, facts)
    assert result.amount == amount
    assert_money(result.amount)
    assert_steps_add_up(result)
    assert english(result.steps[0].label) == "R&D increase 2025 over 2024"
    assert cap_fragment in english(result.steps[-1].label)


def test_rd_increase_steps_show_the_computation():
    result = compute(RD, firm(revenue_2025=D("25000000")))
    assert [(english(s.label), s.expression, s.amount) for s in result.steps] == [
        ("R&D increase 2025 over 2024", "620,000.00 − 480,000.00", D("140000.00")),
        ("10 % of the increase", "140,000.00 × 10 %", D("14000.00")),
        (
            "Cap for firms above designated size (revenue 2025: 25,000,000 yuan ≥ 20,000,000)",
            "min(14,000.00, 1,000,000.00)",
            D("14000.00"),
        ),
    ]


@pytest.mark.parametrize(
    ("rd_2024", "rd_2025", "revenue"),
    [
        pytest.param(D("620000"), D("620000"), D("25000000"), id="flat"),
        pytest.param(D("700000"), D("620000"), D("25000000"), id="fell"),
        pytest.param(D("700000"), D("620000"), None, id="fell-size-unknown"),
    ],
)
def test_no_rd_increase_pays_nothing(rd_2024, rd_2025, revenue):
    result = compute(RD, firm(rd_2024=rd_2024, rd_2025=rd_2025, revenue_2025=revenue))
    assert result.amount == 0
    assert_money(result.amount)
    assert english(result.steps[0].label) == "No R&D increase 2025 over 2024"
    assert result.steps[0].amount == 0


@pytest.mark.parametrize(
    ("rd_2024", "rd_2025", "revenue", "high_tech", "missing"),
    [
        pytest.param(
            None, D("620000"), D("25000000"), False, ["R&D spend for 2024"], id="previous"
        ),
        pytest.param(D("480000"), None, D("25000000"), False, ["R&D spend for 2025"], id="current"),
        pytest.param(
            None,
            None,
            D("25000000"),
            False,
            ["R&D spend for 2025", "R&D spend for 2024"],
            id="both",
        ),
        pytest.param(
            D("1000000"), D("6000000"), None, False, ["Revenue for 2025"], id="size-decides"
        ),
        pytest.param(
            D("1000000"), D("6000000"), D("15000000"), None, ["high-tech"], id="certificate-decides"
        ),
        pytest.param(
            D("1000000"),
            D("6000000"),
            None,
            None,
            ["Revenue for 2025", "high-tech"],
            id="either-decides",
        ),
    ],
)
def test_rd_increase_share_names_missing_data(rd_2024, rd_2025, revenue, high_tech, missing):
    facts = firm(
        rd_2024=rd_2024, rd_2025=rd_2025, revenue_2025=revenue, high_tech_certificate=high_tech
    )
    result = compute(RD, facts)
    assert result.amount is None
    shown = [english(item) for item in result.missing]
    assert len(shown) == len(missing)
    for text, fragment in zip(shown, missing, strict=True):
        assert fragment in text


# --- ranked_tiers ---------------------------------------------------------------------------

TIERS = {
    "formula": "ranked_tiers",
    "params": {"tiers": [[10, "500000"], [20, "200000"]], "min_score": "60"},
}


@pytest.mark.parametrize(
    ("params", "note"),
    [
        (
            {},
            "Set by ranking after expert review: top 10 receive 500,000, the next 20 receive "
            "200,000 (minimum score 60).",
        ),
        (
            {"tiers": [[5, 800000], [10, 300000], [15, 100000]], "min_score": 70.5},
            "Set by ranking after expert review: top 5 receive 800,000, the next 10 receive "
            "300,000, the next 15 receive 100,000 (minimum score 70.5).",
        ),
    ],
)
def test_ranked_tiers_amount_is_set_later(params, note):
    result = compute({"formula": "ranked_tiers", "params": params}, firm(), D("100000"))
    assert result.amount is None
    assert result.missing == ()
    assert english(result.note) == note


@pytest.mark.parametrize(
    ("params", "rank", "score", "amount"),
    [
        (TIERS["params"], 1, D("85"), D("500000")),
        (TIERS["params"], 10, D("60"), D("500000")),
        (TIERS["params"], 11, D("90"), D("200000")),
        (TIERS["params"], 30, 75, D("200000")),
        (TIERS["params"], 31, D("99"), D("0")),
        (TIERS["params"], 1, D("59.99"), D("0")),
        (TIERS["params"], 5, D("60.00"), D("500000")),
        ({}, 12, D("80"), D("200000")),
        ({"tiers": [[5, 800000], [10, 300000], [15, 100000]]}, 15, D("80"), D("300000")),
        ({"tiers": [[5, 800000], [10, 300000], [15, 100000]]}, 16, D("80"), D("100000")),
        ({"tiers": [[5, 800000]], "min_score": 80}, 1, D("79.9"), D("0")),
    ],
)
def test_tier_amount(params, rank, score, amount):
    result = tier_amount(params, rank, score)
    assert result == amount
    assert_money(result)


@pytest.mark.parametrize(
    ("params", "rank", "score", "error"),
    [
        ({}, 0, D("80"), ValueError),
        ({}, 1, "good", ValueError),
        ({"tiers": []}, 1, D("80"), InvalidParams),
    ],
)
def test_tier_amount_refuses_nonsense(params, rank, score, error):
    with pytest.raises(error):
        tier_amount(params, rank, score)


# --- investment_share_by_level --------------------------------------------------------------

INVESTMENT = {"formula": "investment_share_by_level", "params": {}}


@pytest.mark.parametrize(
    ("investment", "level", "params", "amount", "cap_fragment"),
    [
        pytest.param(D("2000000"), 3, {}, D("400000"), "digital level 3", id="2m-level-3"),
        pytest.param(D("8000000"), 4, {}, D("1000000"), "digital level 4", id="8m-level-4"),
        pytest.param(D("1000000"), 2, {}, D("200000"), "digital level 2", id="1m-level-2"),
        pytest.param(D("2000000"), 2, {}, D("300000"), "digital level 2", id="2m-level-2-capped"),
        pytest.param(D("1500000"), 2, {}, D("300000"), "digital level 2", id="exactly-the-cap"),
        pytest.param(
            D("8000000"), 5, {}, D("1000000"), "the cap of level 4", id="level-above-table"
        ),
        pytest.param(D("1234567.89"), 3, {}, D("246913.57"), "digital level 3", id="rounded-down"),
        pytest.param(
            D("2000000"),
            2,
            {"caps": {"1": 100000, "3": 600000}},
            D("100000"),
            "the cap of level 1",
            id="officer-caps",
        ),
        pytest.param(
            D("2000000"), 3, {"rate": 30}, D("500000"), "digital level 3", id="officer-rate"
        ),
    ],
)
def test_investment_share_by_level(investment, level, params, amount, cap_fragment):
    facts = with_project(eligible_investment=investment, digital_level=level)
    result = compute({"formula": "investment_share_by_level", "params": params}, facts)
    assert result.amount == amount
    assert_money(result.amount)
    assert_steps_add_up(result)
    assert cap_fragment in english(result.steps[-1].label)


def test_investment_steps_show_the_computation():
    result = compute(INVESTMENT, with_project(eligible_investment=D("2000000"), digital_level=3))
    assert [(english(s.label), s.expression, s.amount) for s in result.steps] == [
        ("Eligible investment", "2,000,000.00", D("2000000.00")),
        ("20 % of eligible investment", "2,000,000.00 × 20 %", D("400000.00")),
        ("Cap for digital level 3", "min(400,000.00, 500,000.00)", D("400000.00")),
    ]


@pytest.mark.parametrize(
    ("investment", "level"),
    [(D("2000000"), 1), (D("2000000"), 0), (None, 1)],
)
def test_level_below_the_table_pays_nothing(investment, level):
    result = compute(INVESTMENT, with_project(eligible_investment=investment, digital_level=level))
    assert result.amount == 0
    assert_money(result.amount)
    assert "below 2" in english(result.steps[0].label)


@pytest.mark.parametrize(
    ("facts", "missing"),
    [
        pytest.param(
            firm(project=None),
            [
                "Stated in the application (eligible investment).",
                "Stated in the application (digital level).",
            ],
            id="no-application",
        ),
        pytest.param(
            with_project(eligible_investment=None),
            ["The eligible investment is not stated in the application yet."],
            id="investment",
        ),
        pytest.param(
            with_project(digital_level=None),
            ["The digital level is not stated in the application yet."],
            id="level",
        ),
        pytest.param(
            with_project(eligible_investment=None, digital_level=None),
            [
                "The eligible investment is not stated in the application yet.",
                "The digital level is not stated in the application yet.",
            ],
            id="both",
        ),
    ],
)
def test_investment_share_names_missing_data(facts, missing):
    result = compute(INVESTMENT, facts, D("50000"))
    assert result.amount is None
    assert [english(item) for item in result.missing] == missing


# --- caps -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("formula", "facts", "per_firm_cap", "amount", "cap_step"),
    [
        pytest.param(
            AWARD,
            firm(recognitions=((GZ, 2025),)),
            D("250000"),
            D("250000"),
            "min(300,000.00, 250,000.00)",
            id="cap-bites",
        ),
        pytest.param(
            AWARD, firm(recognitions=((GZ, 2025),)), D("300000"), D("300000"), None, id="cap-equal"
        ),
        pytest.param(AWARD, firm(recognitions=((GZ, 2025),)), None, D("300000"), None, id="no-cap"),
        pytest.param(
            {**AWARD, "per_firm_cap": "200000"},
            firm(recognitions=((GZ, 2025),)),
            None,
            D("200000"),
            "min(300,000.00, 200,000.00)",
            id="cap-in-formula-data",
        ),
        pytest.param(
            {**AWARD, "per_firm_cap": "200000"},
            firm(recognitions=((GZ, 2025),)),
            D("280000"),
            D("280000"),
            "min(300,000.00, 280,000.00)",
            id="argument-beats-data",
        ),
        pytest.param(
            RD,
            firm(rd_2024=D("1000000"), rd_2025=D("13000000"), revenue_2025=D("80000000")),
            D("800000"),
            D("800000"),
            "min(1,000,000.00, 800,000.00)",
            id="rd-large-firm",
        ),
        pytest.param(AWARD, firm(), D("0"), D("0"), None, id="zero-amount-zero-cap"),
    ],
)
def test_per_firm_cap(formula, facts, per_firm_cap, amount, cap_step):
    result = compute(formula, facts, per_firm_cap)
    assert result.amount == amount
    assert_money(result.amount)
    assert_steps_add_up(result)
    last = result.steps[-1]
    if cap_step is None:
        assert english(last.label) != "Programme cap per firm"
    else:
        assert (english(last.label), last.expression) == ("Programme cap per firm", cap_step)


def test_per_firm_cap_leaves_missing_amounts_alone():
    result = compute(AWARD, firm(rd_2025=None, recognitions=((YE, 2025),)), D("1000"))
    assert result.amount is None
    assert result.missing


@pytest.mark.parametrize(
    ("amount", "cap", "expected"),
    [
        (D("500"), None, D("500")),
        (D("500"), D("400"), D("400")),
        (D("500"), D("500"), D("500")),
        (D("500"), D("600"), D("500")),
        (D("500"), 0, D("0")),
        (D("0"), D("600"), D("0")),
    ],
)
def test_apply_cap(amount, cap, expected):
    assert apply_cap(amount, cap) == expected


def test_apply_cap_refuses_a_negative_cap():
    with pytest.raises(ValueError):
        apply_cap(D("500"), D("-1"))


# --- pro rata -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("amounts", "budget", "step", "expected"),
    [
        pytest.param(
            {"a": D("600000"), "b": D("400000")},
            D("500000"),
            D("100"),
            {"a": D("300000"), "b": D("200000")},
            id="halved",
        ),
        pytest.param(
            {"a": D("123456.78"), "b": D("234567.89"), "c": D("345678.90")},
            D("500000"),
            D("100"),
            {"a": D("87700"), "b": D("166600"), "c": D("245600")},
            id="uneven-rounded-down-to-100",
        ),
        pytest.param(
            {"a": D("600000"), "b": D("400000")},
            D("1000000"),
            D("100"),
            {"a": D("600000"), "b": D("400000")},
            id="exactly-the-budget",
        ),
        pytest.param(
            {"a": D("123456.78"), "b": D("400000")},
            D("900000"),
            D("100"),
            {"a": D("123456.78"), "b": D("400000")},
            id="under-budget-unchanged",
        ),
        pytest.param({"a": D("750000")}, D("500000"), D("100"), {"a": D("500000")}, id="one-firm"),
        pytest.param(
            {"a": D("600000"), "b": D("400000")},
            D("0"),
            D("100"),
            {"a": D("0"), "b": D("0")},
            id="no-budget",
        ),
        pytest.param({}, D("500000"), D("100"), {}, id="nobody"),
        pytest.param(
            {"a": D("1000.00"), "b": D("2000.00")},
            D("1000"),
            D("1"),
            {"a": D("333"), "b": D("666")},
            id="step-of-one-yuan",
        ),
        pytest.param(
            {1: D("300000"), 2: D("300000"), 3: D("300000")},
            D("500000"),
            D("100"),
            {1: D("166600"), 2: D("166600"), 3: D("166600")},
            id="thirds",
        ),
    ],
)
def test_pro_rata(amounts, budget, step, expected):
    result = pro_rata(amounts, budget, step)
    assert result == expected
    assert list(result) == list(amounts)
    assert sum(result.values(), D(0)) <= max(budget, sum(amounts.values(), D(0)))
    total = sum(amounts.values(), D(0))
    if total > budget:
        for key, value in result.items():
            assert value % step == 0
            assert Fraction(value) <= Fraction(amounts[key]) * Fraction(budget) / Fraction(total)
            assert_money(value)


@pytest.mark.parametrize(
    ("amounts", "budget", "step"),
    [
        ({"a": D("-1")}, D("500"), D("100")),
        ({"a": D("600")}, D("-1"), D("100")),
        ({"a": D("600")}, D("500"), D("0")),
        ({"a": D("NaN")}, D("500"), D("100")),
    ],
)
def test_pro_rata_refuses_nonsense(amounts, budget, step):
    with pytest.raises(ValueError):
        pro_rata(amounts, budget, step)


MONEY = st.decimals(min_value=0, max_value=D("100000000"), places=2)


@given(amounts=st.dictionaries(st.integers(0, 60), MONEY, max_size=40), budget=MONEY)
def test_pro_rata_never_exceeds_the_budget_nor_raises_an_amount(amounts, budget):
    result = pro_rata(amounts, budget)
    assert result.keys() == amounts.keys()
    for key, value in result.items():
        assert 0 <= value <= amounts[key]
    total = sum(amounts.values(), D(0))
    if total <= budget:
        assert result == amounts
    else:
        assert sum(result.values(), D(0)) <= budget
        for key, value in result.items():
            exact = Fraction(amounts[key]) * Fraction(budget) / Fraction(total)
            assert value % 100 == 0
            assert exact - 100 < Fraction(value) <= exact


# --- validation and registry ----------------------------------------------------------------

DEMO_FORMULAS = [
    {
        "formula": "recognition_award",
        "params": {
            "young_eagle_rate": "10",
            "young_eagle_cap": "200000",
            "gazelle_first": "300000",
            "gazelle_renewal": "100000",
            "within_years": 1,
        },
    },
    {
        "formula": "rd_increase_share",
        "params": {
            "rate": "10",
            "cap": "300000",
            "cap_large": "1000000",
            "large_min_revenue": "20000000",
        },
    },
    TIERS,
    {
        "formula": "investment_share_by_level",
        "params": {"rate": "20", "caps": {"2": "300000", "3": "500000", "4": "1000000"}},
    },
    {"formula": "rd_increase_share"},
    {"formula": "ranked_tiers", "params": None, "per_firm_cap": None},
]


@pytest.mark.parametrize("formula", DEMO_FORMULAS)
def test_valid_formulas(formula):
    assert validate_formula(formula) == []


@pytest.mark.parametrize(
    ("formula", "fragment"),
    [
        ({"formula": "lottery"}, "unknown kind of formula “lottery”"),
        ({}, "choose a kind of formula"),
        (None, "choose a kind of formula"),
        ("recognition_award", "choose a kind of formula"),
        ({"formula": "rd_increase_share", "params": {"rate": "ten"}}, "must be a number"),
        ({"formula": "rd_increase_share", "params": {"rate": 150}}, "from 0 to 100"),
        ({"formula": "rd_increase_share", "params": {"cap": -1}}, "at least 0"),
        ({"formula": "rd_increase_share", "params": {"bonus": 1}}, "“bonus” is not a parameter"),
        ({"formula": "recognition_award", "params": {"within_years": 1.5}}, "whole number"),
        ({"formula": "ranked_tiers", "params": {"tiers": []}}, "pairs"),
        ({"formula": "ranked_tiers", "params": {"tiers": [[0, 500000]]}}, "pairs"),
        ({"formula": "ranked_tiers", "params": {"tiers": [[10]]}}, "pairs"),
        ({"formula": "ranked_tiers", "params": {"tiers": [[10, "lots"]]}}, "pairs"),
        ({"formula": "ranked_tiers", "params": {"tiers": [[10, -5]]}}, "pairs"),
        ({"formula": "ranked_tiers", "params": {"tiers": "10:500000"}}, "pairs"),
        ({"formula": "ranked_tiers", "params": {"min_score": -1}}, "at least 0"),
        ({"formula": "investment_share_by_level", "params": {"caps": {}}}, "levels"),
        ({"formula": "investment_share_by_level", "params": {"caps": {"two": 300000}}}, "levels"),
        ({"formula": "investment_share_by_level", "params": {"caps": {"2": -5}}}, "levels"),
        ({"formula": "investment_share_by_level", "params": {"caps": [[2, 3], [2, 4]]}}, "levels"),
        ({"formula": "investment_share_by_level", "params": {"caps": 300000}}, "levels"),
        ({"formula": "ranked_tiers", "cap": 1}, "unknown entry “cap”"),
        ({"formula": "ranked_tiers", "per_firm_cap": -1}, "cap per firm"),
        ({"formula": "ranked_tiers", "per_firm_cap": "lots"}, "cap per firm"),
        ({"formula": "ranked_tiers", "params": [1]}, "parameters"),
    ],
)
def test_validate_formula_names_the_problem(formula, fragment):
    with _APP.test_request_context():
        problems = validate_formula(formula)
    assert len(problems) == 1, problems
    assert isinstance(problems[0], str)
    assert fragment in problems[0]


def test_compute_refuses_an_invalid_formula():
    with pytest.raises(InvalidFormula):
        compute({"formula": "lottery"}, firm())


def test_registry():
    assert list(FORMULA_KINDS) == [
        "recognition_award",
        "rd_increase_share",
        "ranked_tiers",
        "investment_share_by_level",
    ]
    assert [key for key, kind in FORMULA_KINDS.items() if kind.reads_project] == [
        "investment_share_by_level"
    ]
    for kind in FORMULA_KINDS.values():
        assert isinstance(kind.label, LazyString)
        values = normalise_params(kind, {})
        assert normalise_params(kind, values) == values  # defaults valid, normalising idempotent


@pytest.mark.parametrize(
    ("kind", "raw", "expected"),
    [
        (
            "ranked_tiers",
            {},
            {"tiers": ((10, D("500000")), (20, D("200000"))), "min_score": D("60")},
        ),
        (
            "investment_share_by_level",
            {"caps": {"4": "1000000", "2": 300000}},
            {"rate": D("20"), "caps": {2: D("300000"), 4: D("1000000")}},
        ),
        (
            "investment_share_by_level",
            {},
            {"rate": D("20"), "caps": {2: D("300000"), 3: D("500000"), 4: D("1000000")}},
        ),
        (
            "rd_increase_share",
            {"rate": 12.5},
            {
                "rate": D("12.5"),
                "cap": D("300000"),
                "cap_large": D("1000000"),
                "large_min_revenue": D("20000000"),
            },
        ),
    ],
)
def test_formula_params_normalise(kind, raw, expected):
    assert normalise_params(FORMULA_KINDS[kind], raw) == expected


# --- steps read as sentences ----------------------------------------------------------------


def test_rd_increase_steps_read_as_sentences():
    result = compute(RD, firm(revenue_2025=D("25000000")))
    assert [english(step.sentence) for step in result.steps] == [
        "R&D increase 2025 over 2024: 620,000.00 yuan less 480,000.00 yuan is 140,000.00 yuan.",
        "10 % of the increase of 140,000.00 yuan is 14,000.00 yuan.",
        "Cap for firms above designated size (revenue 2025: 25,000,000 yuan ≥ 20,000,000): "
        "1,000,000.00 yuan, so the amount is 14,000.00 yuan.",
    ]
    assert not any("min(" in english(step.sentence) for step in result.steps)


def test_a_cap_that_bites_says_the_amount_is_limited():
    result = compute(AWARD, firm(recognitions=((GZ, 2025),)), D("250000"))
    assert english(result.steps[-1].sentence) == (
        "Programme cap per firm: 250,000.00 yuan, so the amount of 300,000.00 yuan is limited "
        "to 250,000.00 yuan."
    )


def test_no_increase_and_a_fixed_amount_read_as_sentences():
    result = compute(RD, firm(rd_2024=D("700000")))
    assert english(result.steps[0].sentence) == (
        "No R&D increase 2025 over 2024: 620,000.00 yuan is not more than 700,000.00 yuan, "
        "so the amount is 0.00 yuan."
    )
    gazelle = compute(AWARD, firm(recognitions=((GZ, 2025),)))
    assert english(gazelle.steps[0].sentence) == (
        "Gazelle 2025, first recognition: 300,000.00 yuan."
    )


def test_stored_steps_read_as_the_same_sentences():
    """An application stores its steps as label, expression and amount strings."""
    from portal.programs.formula_steps import step_sentence

    step = compute(RD, firm(revenue_2025=D("25000000"))).steps[-1]
    stored = (english(step.label), step.expression, str(step.amount))
    assert english(step_sentence(*stored)) == english(step.sentence)
    assert english(step_sentence("Something else", "a × b", "1")) == (
        "Something else: a × b = 1.00 yuan."
    )
