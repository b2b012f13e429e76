"""Eligibility rules: every rule kind passes, fails and misses; groups; validation."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from decimal import Decimal as D
from types import SimpleNamespace
from typing import Any

import pytest
from flask import Flask
from flask_babel import Babel
from flask_babel.speaklater import LazyString

from portal.core.money import format_amount, format_money
from portal.programs.facts import (
    CreditBan,
    FirmFacts,
    OverdueReport,
    ProjectFigures,
    Recognition,
    Standing,
    YearFigures,
)
from portal.programs.parameters import InvalidParams, ParamSpec
from portal.programs.rule_catalogue import RULE_KINDS
from portal.programs.rule_checks import Status
from portal.programs.rules import (
    InvalidRuleTree,
    evaluate,
    missing_data,
    normalise_params,
    validate_tree,
)

P, F, M = Status.PASS, Status.FAIL, Status.MISSING
AS_OF = date(2026, 3, 15)  # last year is 2025, the year before 2024
FUXIN_USCC = "91210900MA0Y1B2C3C"  # region 210900 (Fuxin), valid check character
SHENZHEN_USCC = "914403001922038216"  # region 440300

_APP = Flask(__name__)
Babel(_APP)


def english(text: Any) -> str:
    """Stringify lazy text the way a page does, in a minimal app (English)."""
    with _APP.test_request_context():
        return str(text)


BASE_PROJECT = ProjectFigures(
    eligible_investment=D("2000000"),
    digital_level=3,
    project_accepted=True,
    other_public_funding=False,
)


def project(**changes: Any) -> ProjectFigures:
    return replace(BASE_PROJECT, **changes)


def firm(y2024: dict | None = None, y2025: dict | None = None, **overrides: Any) -> FirmFacts:
    """A Fuxin firm founded 2019-05-20 (6 on AS_OF) that passes every default rule."""
    years = {
        2024: YearFigures(
            2024,
            revenue=D("18000000"),
            employees=80,
            rd_expense=D("480000"),
            super_deduction_filed=True,
        ),
        2025: YearFigures(
            2025,
            revenue=D("25000000"),
            employees=95,
            rd_expense=D("620000"),
            super_deduction_filed=True,
        ),
    }
    for year, changes in ((2024, y2024), (2025, y2025)):
        if changes:
            years[year] = replace(years[year], **changes)
    values: dict[str, Any] = {
        "as_of": AS_OF,
        "uscc": FUXIN_USCC,
        "founded_on": date(2019, 5, 20),
        "in_fluorine_park": True,
        "high_tech_certificate": True,
        "has_rd_institution": True,
        "branch_or_trading_company": False,
        "on_abnormal_list": False,
        "on_dishonesty_list": False,
        "ip_class_i": 1,
        "ip_class_ii": 3,
        "software_copyrights": 4,
        "years": years,
        "recognitions": ((Recognition.YOUNG_EAGLE, 2025),),
        "project": BASE_PROJECT,
    }
    values.update(overrides)
    return FirmFacts(**values)


def case(
    case_id: str,
    kind: str,
    status: Status,
    fragments: tuple[str, ...] = (),
    params: dict | None = None,
    **facts: Any,
):
    return pytest.param(kind, params or {}, facts, status, fragments, id=case_id)


YE = Recognition.YOUNG_EAGLE
GZ = Recognition.GAZELLE
YOUNG_EAGLE_AGE_10 = {"recognition": YE, "within_years": 1, "max_company_age": 10}

LEAF_CASES = [
    # 1 registered_in_region
    case("region-fuxin", "registered_in_region", P, ("210900", "2109")),
    case("region-district", "registered_in_region", P, params={"prefix": "210900"}),
    case("region-shenzhen", "registered_in_region", F, ("440300", "2109"), uscc=SHENZHEN_USCC),
    case("region-other-district", "registered_in_region", F, params={"prefix": "210902"}),
    case("region-no-code", "registered_in_region", M, ("credit code",), uscc=""),
    # 2 not_on_risk_lists
    case("risk-clear", "not_on_risk_lists", P, ("Not on",)),
    case("risk-abnormal", "not_on_risk_lists", F, ("abnormal-operations",), on_abnormal_list=True),
    case("risk-dishonest", "not_on_risk_lists", F, ("dishonesty",), on_dishonesty_list=True),
    case(
        "risk-both",
        "not_on_risk_lists",
        F,
        ("abnormal-operations list and the serious-dishonesty",),
        on_abnormal_list=True,
        on_dishonesty_list=True,
    ),
    case(
        "risk-listed-beats-unknown",
        "not_on_risk_lists",
        F,
        ("dishonesty",),
        on_abnormal_list=None,
        on_dishonesty_list=True,
    ),
    case(
        "risk-abnormal-unknown",
        "not_on_risk_lists",
        M,
        ("not in your profile",),
        on_abnormal_list=None,
    ),
    case("risk-dishonest-unknown", "not_on_risk_lists", M, (), on_dishonesty_list=None),
    # 3 recognition_held
    case("ye-last-year", "recognition_held", P, ("Young eagle 2025",), {"recognition": YE}),
    case(
        "ye-this-year",
        "recognition_held",
        P,
        ("Young eagle 2026",),
        {"recognition": YE},
        recognitions=((YE, 2026),),
    ),
    case(
        "ye-two-years-ago-is-not-this-year-or-last",
        "recognition_held",
        F,
        ("none from 2025",),
        {"recognition": YE, "within_years": 1},
        recognitions=((YE, 2024),),
    ),
    case(
        "ye-last-year-is-not-this-year",
        "recognition_held",
        F,
        ("none from 2026",),
        {"recognition": YE, "within_years": 0},
    ),
    case(
        "ye-two-years-ago-within-two",
        "recognition_held",
        P,
        ("Young eagle 2024",),
        {"recognition": YE, "within_years": 2},
        recognitions=((YE, 2024),),
    ),
    case(
        "ye-future-year-not-counted",
        "recognition_held",
        F,
        (),
        {"recognition": YE},
        recognitions=((YE, 2027),),
    ),
    case(
        "ye-latest-year-shown",
        "recognition_held",
        P,
        ("Young eagle 2025",),
        {"recognition": YE},
        recognitions=((YE, 2024), (YE, 2025)),
    ),
    case(
        "gazelle-is-not-young-eagle",
        "recognition_held",
        F,
        ("Young eagle: none",),
        {"recognition": YE},
        recognitions=((GZ, 2025),),
    ),
    case(
        "gazelle-held",
        "recognition_held",
        P,
        ("Gazelle 2025",),
        {"recognition": GZ},
        recognitions=((GZ, 2025),),
    ),
    case(
        "unicorn-held",
        "recognition_held",
        P,
        ("Unicorn 2026",),
        {"recognition": Recognition.UNICORN},
        recognitions=((Recognition.UNICORN, 2026),),
    ),
    case(
        "ye-age-6",
        "recognition_held",
        P,
        ("company age 6 years ≤ 10",),
        YOUNG_EAGLE_AGE_10,
    ),
    case(
        "ye-age-10-on-tenth-birthday",
        "recognition_held",
        P,
        ("company age 10 years ≤ 10",),
        YOUNG_EAGLE_AGE_10,
        founded_on=date(2016, 3, 15),
    ),
    case(
        "ye-age-10-day-before-eleventh-birthday",
        "recognition_held",
        P,
        ("company age 10 years",),
        YOUNG_EAGLE_AGE_10,
        founded_on=date(2015, 3, 16),
    ),
    case(
        "ye-age-11-on-eleventh-birthday",
        "recognition_held",
        F,
        ("company age 11 years > 10",),
        YOUNG_EAGLE_AGE_10,
        founded_on=date(2015, 3, 15),
    ),
    case(
        "ye-age-unknown",
        "recognition_held",
        M,
        ("founding date",),
        YOUNG_EAGLE_AGE_10,
        founded_on=None,
    ),
    case(
        "not-held-beats-unknown-age",
        "recognition_held",
        F,
        ("none from 2025",),
        YOUNG_EAGLE_AGE_10,
        founded_on=None,
        recognitions=((YE, 2024),),
    ),
    case(
        "age-not-needed-without-limit",
        "recognition_held",
        P,
        (),
        {"recognition": YE},
        founded_on=None,
    ),
    # 4 company_age_at_most (on birthdays)
    case("age-6", "company_age_at_most", P, ("6 years ≤ 10", "2019-05-20")),
    case(
        "age-10-on-birthday",
        "company_age_at_most",
        P,
        ("10 years ≤ 10",),
        founded_on=date(2016, 3, 15),
    ),
    case(
        "age-9-day-before-birthday",
        "company_age_at_most",
        P,
        ("9 years",),
        founded_on=date(2016, 3, 16),
    ),
    case(
        "age-10-day-before-eleventh",
        "company_age_at_most",
        P,
        ("10 years",),
        founded_on=date(2015, 3, 16),
    ),
    case(
        "age-11-on-birthday",
        "company_age_at_most",
        F,
        ("11 years > 10",),
        founded_on=date(2015, 3, 15),
    ),
    case(
        "leap-day-founder-before-birthday",
        "company_age_at_most",
        P,
        ("9 years ≤ 9",),
        {"years": 9},
        founded_on=date(2016, 2, 29),
        as_of=date(2026, 2, 28),
    ),
    case(
        "leap-day-founder-after-birthday",
        "company_age_at_most",
        F,
        ("10 years > 9",),
        {"years": 9},
        founded_on=date(2016, 2, 29),
        as_of=date(2026, 3, 1),
    ),
    case("age-unknown", "company_age_at_most", M, ("founding date",), founded_on=None),
    # 5 super_deduction_filed_last_year
    case("super-deduction-filed", "super_deduction_filed_last_year", P, ("2025",)),
    case(
        "super-deduction-not-filed",
        "super_deduction_filed_last_year",
        F,
        ("No R&D super-deduction filed for 2025",),
        y2025={"super_deduction_filed": False},
    ),
    case(
        "super-deduction-unknown",
        "super_deduction_filed_last_year",
        M,
        ("2025",),
        y2025={"super_deduction_filed": None},
    ),
    case(
        "super-deduction-no-figures-for-last-year",
        "super_deduction_filed_last_year",
        M,
        ("2026",),
        as_of=date(2027, 1, 5),
    ),
    # 6 rd_last_year_at_least
    case("rd-620k", "rd_last_year_at_least", P, ("2025", "620,000", "≥", "500,000")),
    case(
        "rd-exactly-threshold",
        "rd_last_year_at_least",
        P,
        ("500,000 yuan ≥ 500,000",),
        y2025={"rd_expense": D("500000")},
    ),
    case(
        "rd-a-cent-short",
        "rd_last_year_at_least",
        F,
        ("499,999.99 yuan < 500,000",),
        y2025={"rd_expense": D("499999.99")},
    ),
    case(
        "rd-officer-threshold",
        "rd_last_year_at_least",
        F,
        ("620,000 yuan < 1,000,000",),
        {"amount": "1000000"},
    ),
    case(
        "rd-reads-last-year-only",
        "rd_last_year_at_least",
        F,
        ("400,000",),
        y2024={"rd_expense": D("900000")},
        y2025={"rd_expense": D("400000")},
    ),
    case(
        "rd-unknown",
        "rd_last_year_at_least",
        M,
        ("R&D spend for 2025",),
        y2025={"rd_expense": None},
    ),
    # 7 rd_grew
    case("rd-grew", "rd_grew", P, ("620,000", "480,000", "2024")),
    case(
        "rd-flat",
        "rd_grew",
        F,
        ("480,000 yuan ≤ 2024: 480,000",),
        y2025={"rd_expense": D("480000")},
    ),
    case("rd-fell", "rd_grew", F, ("≤",), y2024={"rd_expense": D("700000")}),
    case("rd-previous-unknown", "rd_grew", M, ("for 2024",), y2024={"rd_expense": None}),
    case("rd-current-unknown", "rd_grew", M, ("for 2025",), y2025={"rd_expense": None}),
    case(
        "rd-both-unknown",
        "rd_grew",
        M,
        ("2025 and 2024",),
        y2024={"rd_expense": None},
        y2025={"rd_expense": None},
    ),
    # 8 above_designated_size
    case("revenue-25m", "above_designated_size", P, ("25,000,000", "20,000,000")),
    case(
        "revenue-exactly-20m",
        "above_designated_size",
        P,
        ("20,000,000 yuan ≥",),
        y2025={"revenue": D("20000000")},
    ),
    case(
        "revenue-a-cent-short",
        "above_designated_size",
        F,
        ("19,999,999.99 yuan <",),
        y2025={"revenue": D("19999999.99")},
    ),
    case(
        "revenue-officer-threshold",
        "above_designated_size",
        F,
        ("30,000,000",),
        {"min_revenue": 30000000},
    ),
    case(
        "revenue-unknown",
        "above_designated_size",
        M,
        ("Revenue for 2025",),
        y2025={"revenue": None},
    ),
    # 9 high_tech_certificate
    case("high-tech", "high_tech_certificate", P),
    case("not-high-tech", "high_tech_certificate", F, high_tech_certificate=False),
    case("high-tech-unknown", "high_tech_certificate", M, high_tech_certificate=None),
    # 10 in_fluorine_park
    case("in-park", "in_fluorine_park", P),
    case("not-in-park", "in_fluorine_park", F, ("Not in",), in_fluorine_park=False),
    case("park-unknown", "in_fluorine_park", M, in_fluorine_park=None),
    # 11 rd_intensity_at_least
    case("intensity-2.48", "rd_intensity_at_least", P, ("2.48 % ≥ 1.5 %",)),
    case(
        "intensity-exactly-1.5",
        "rd_intensity_at_least",
        P,
        ("1.50 % ≥ 1.5 %",),
        y2025={"rd_expense": D("300000"), "revenue": D("20000000")},
    ),
    case(
        "intensity-just-below-shown-cut-down",
        "rd_intensity_at_least",
        F,
        ("1.49 % < 1.5 %",),
        y2025={"rd_expense": D("299999"), "revenue": D("20000000")},
    ),
    case(
        "intensity-officer-threshold",
        "rd_intensity_at_least",
        F,
        ("< 3 %",),
        {"percent": "3"},
    ),
    case(
        "intensity-zero-revenue",
        "rd_intensity_at_least",
        F,
        ("0 yuan",),
        y2025={"revenue": D("0")},
    ),
    case(
        "intensity-rd-unknown",
        "rd_intensity_at_least",
        M,
        ("R&D spend for 2025",),
        y2025={"rd_expense": None},
    ),
    case(
        "intensity-revenue-unknown",
        "rd_intensity_at_least",
        M,
        ("Revenue for 2025",),
        y2025={"revenue": None},
    ),
    case(
        "intensity-both-unknown",
        "rd_intensity_at_least",
        M,
        ("R&D spend and revenue for 2025",),
        years={},
    ),
    # 12 ip_class_i_at_least
    case("ip1-exactly-one", "ip_class_i_at_least", P, ("1 ≥ 1",)),
    case("ip1-none", "ip_class_i_at_least", F, ("0 < 1",), ip_class_i=0),
    case("ip1-officer-count", "ip_class_i_at_least", F, ("1 < 2",), {"count": 2}),
    case("ip1-unknown", "ip_class_i_at_least", M, ("class I intellectual",), ip_class_i=None),
    # 13 ip_class_ii_at_least
    case("ip2-three", "ip_class_ii_at_least", P, ("3 ≥ 2",)),
    case("ip2-exactly-two", "ip_class_ii_at_least", P, ("2 ≥ 2",), ip_class_ii=2),
    case("ip2-one", "ip_class_ii_at_least", F, ("1 < 2",), ip_class_ii=1),
    case("ip2-unknown", "ip_class_ii_at_least", M, ("class II",), ip_class_ii=None),
    # 14 has_rd_institution
    case("rd-institution", "has_rd_institution", P),
    case("no-rd-institution", "has_rd_institution", F, has_rd_institution=False),
    case("rd-institution-unknown", "has_rd_institution", M, has_rd_institution=None),
    # 15 not_branch_or_trading_company
    case("not-branch", "not_branch_or_trading_company", P, ("Not a branch",)),
    case(
        "branch",
        "not_branch_or_trading_company",
        F,
        ("A branch",),
        branch_or_trading_company=True,
    ),
    case(
        "branch-unknown",
        "not_branch_or_trading_company",
        M,
        (),
        branch_or_trading_company=None,
    ),
    # 16 project_accepted
    case("accepted", "project_accepted", P),
    case(
        "not-accepted",
        "project_accepted",
        F,
        ("not passed",),
        project=project(project_accepted=False),
    ),
    case(
        "accepted-no-application",
        "project_accepted",
        M,
        ("Stated in the application",),
        project=None,
    ),
    case(
        "accepted-not-stated",
        "project_accepted",
        M,
        ("not stated",),
        project=project(project_accepted=None),
    ),
    # 17 eligible_investment_at_least
    case("investment-2m", "eligible_investment_at_least", P, ("2,000,000", "500,000")),
    case(
        "investment-exactly-500k",
        "eligible_investment_at_least",
        P,
        ("500,000 yuan ≥",),
        project=project(eligible_investment=D("500000")),
    ),
    case(
        "investment-short",
        "eligible_investment_at_least",
        F,
        ("499,999 yuan <",),
        project=project(eligible_investment=D("499999")),
    ),
    case(
        "investment-no-application",
        "eligible_investment_at_least",
        M,
        ("Stated in the application (eligible investment).",),
        project=None,
    ),
    case(
        "investment-not-stated",
        "eligible_investment_at_least",
        M,
        ("not stated",),
        project=project(eligible_investment=None),
    ),
    # 18 digital_level_at_least
    case("level-3", "digital_level_at_least", P, ("3 ≥ 2",)),
    case(
        "level-exactly-2", "digital_level_at_least", P, ("2 ≥ 2",), project=project(digital_level=2)
    ),
    case("level-1", "digital_level_at_least", F, ("1 < 2",), project=project(digital_level=1)),
    case(
        "level-no-application",
        "digital_level_at_least",
        M,
        ("Stated in the application",),
        project=None,
    ),
    case(
        "level-not-stated",
        "digital_level_at_least",
        M,
        ("not stated",),
        project=project(digital_level=None),
    ),
    # 19 no_other_public_funding
    case("no-other-funding", "no_other_public_funding", P),
    case(
        "other-funding",
        "no_other_public_funding",
        F,
        ("has other public funding",),
        project=project(other_public_funding=True),
    ),
    case(
        "funding-no-application",
        "no_other_public_funding",
        M,
        ("Stated in the application",),
        project=None,
    ),
    case(
        "funding-not-stated",
        "no_other_public_funding",
        M,
        ("not stated",),
        project=project(other_public_funding=None),
    ),
    # 20 no_overdue_reports: the firm's standing is always known (read live), never missing
    case("no-report-overdue", "no_overdue_reports", P, ("No report overdue",)),
    case(
        "report-overdue",
        "no_overdue_reports",
        F,
        ("Progress report (Digital transformation) was due on 2026-11-20", "Submit the overdue"),
        standing=Standing(
            overdue_reports=(
                OverdueReport(
                    "中期进展报告 (数字化转型后补助)",
                    "Progress report (Digital transformation)",
                    date(2026, 11, 20),
                ),
            )
        ),
    ),
    # 21 no_credit_ban: a ban written by a decision to recover, explained with its notice
    case("no-credit-ban", "no_credit_ban", P, ("No ban in the credit record",)),
    case(
        "credit-ban",
        "no_credit_ban",
        F,
        ("Barred until 2029-12-20: recovery notice 阜科追〔2026〕3号",),
        standing=Standing(
            bans=(
                CreditBan(date(2028, 1, 5), "阜科追〔2025〕1号"),
                CreditBan(date(2029, 12, 20), "阜科追〔2026〕3号"),
            )
        ),
    ),
    case(
        "credit-ban-before-its-notice",
        "no_credit_ban",
        F,
        ("Barred until 2029-12-20 by a decision to recover support",),
        standing=Standing(bans=(CreditBan(date(2029, 12, 20), ""),)),
    ),
]

# Kinds whose facts are never missing: the firm's standing after earlier awards is read live.
NEVER_MISSING = {"no_overdue_reports", "no_credit_ban"}


@pytest.mark.parametrize(("kind", "params", "facts", "status", "fragments"), LEAF_CASES)
def test_rule_kind(kind, params, facts, status, fragments):
    result = evaluate({"rule": kind, "params": params}, firm(**facts))
    assert result.kind == kind
    assert result.status is status
    assert result.children == ()
    assert result.combinator is None
    assert isinstance(result.detail, LazyString)  # translated when shown
    detail = english(result.detail)
    for fragment in fragments:
        assert fragment in detail


def test_every_rule_kind_is_tested_passing_failing_and_missing():
    tested = {(case.values[0], case.values[3]) for case in LEAF_CASES}
    assert tested == {
        (kind, status)
        for kind in RULE_KINDS
        for status in Status
        if not (kind in NEVER_MISSING and status is Status.MISSING)
    }


def test_registry_order_and_project_kinds():
    assert list(RULE_KINDS) == [
        "registered_in_region",
        "not_on_risk_lists",
        "recognition_held",
        "company_age_at_most",
        "super_deduction_filed_last_year",
        "rd_last_year_at_least",
        "rd_grew",
        "above_designated_size",
        "high_tech_certificate",
        "in_fluorine_park",
        "rd_intensity_at_least",
        "ip_class_i_at_least",
        "ip_class_ii_at_least",
        "has_rd_institution",
        "not_branch_or_trading_company",
        "project_accepted",
        "eligible_investment_at_least",
        "digital_level_at_least",
        "no_other_public_funding",
        "no_overdue_reports",
        "no_credit_ban",
    ]
    assert {key for key, kind in RULE_KINDS.items() if kind.reads_project} == {
        "project_accepted",
        "eligible_investment_at_least",
        "digital_level_at_least",
        "no_other_public_funding",
    }
    for kind in RULE_KINDS.values():
        assert isinstance(kind.label, LazyString)
        assert all(isinstance(spec.label, LazyString) for spec in kind.params)


@pytest.mark.parametrize(
    ("node", "label"),
    [
        ({"rule": "rd_last_year_at_least"}, "R&D spend last year at least 500,000 yuan"),
        (
            {"rule": "rd_last_year_at_least", "params": {"amount": "1000000"}},
            "R&D spend last year at least 1,000,000 yuan",
        ),
        (
            {"rule": "rd_intensity_at_least", "params": {"percent": 1.5}},
            "R&D spend last year at least 1.5 % of revenue",
        ),
        (
            {"rule": "recognition_held", "params": {"recognition": "gazelle", "within_years": 0}},
            "Gazelle recognition this year",
        ),
        (
            {"rule": "recognition_held", "params": YOUNG_EAGLE_AGE_10},
            "Young eagle recognition this year or last, company at most 10 years old",
        ),
        (
            {"rule": "recognition_held", "params": {"recognition": "unicorn", "within_years": 2}},
            "Unicorn recognition this year or in the 2 years before",
        ),
        ({"rule": "rd_grew"}, "R&D spend grew last year"),
    ],
)
def test_leaf_label_names_the_parameters(node, label):
    assert english(evaluate(node, firm()).label) == label


# --- groups ---------------------------------------------------------------------------------

TRUTH = {P: True, F: False, M: None}
BOOL_RULES = (
    ("in_fluorine_park", "in_fluorine_park"),
    ("high_tech_certificate", "high_tech_certificate"),
    ("has_rd_institution", "has_rd_institution"),
)


@pytest.mark.parametrize(
    ("combinator", "statuses", "expected"),
    [
        ("all", (P,), P),
        ("all", (F,), F),
        ("all", (M,), M),
        ("all", (P, P, P), P),
        ("all", (P, F), F),
        ("all", (P, M), M),
        ("all", (F, M), F),
        ("all", (M, F), F),
        ("all", (M, M), M),
        ("all", (P, F, M), F),
        ("any", (P,), P),
        ("any", (F,), F),
        ("any", (M,), M),
        ("any", (F, F), F),
        ("any", (F, P), P),
        ("any", (M, P), P),
        ("any", (F, M), M),
        ("any", (M, M), M),
        ("any", (P, F, M), P),
    ],
)
def test_group(combinator, statuses, expected):
    rules_used = BOOL_RULES[: len(statuses)]
    facts = firm(
        **{fact: TRUTH[status] for (_, fact), status in zip(rules_used, statuses, strict=True)}
    )
    result = evaluate({combinator: [{"rule": rule} for rule, _ in rules_used]}, facts)
    assert [child.status for child in result.children] == list(statuses)
    assert result.status is expected
    assert (result.kind, result.detail, result.combinator) == (None, None, combinator)


@pytest.mark.parametrize(
    ("tree", "expected"),
    [
        # all[any[F, M], P] -> the any is missing, so the all is missing
        (
            {
                "all": [
                    {"any": [{"rule": "in_fluorine_park"}, {"rule": "high_tech_certificate"}]},
                    {"rule": "has_rd_institution"},
                ]
            },
            M,
        ),
        # any[all[P, F], M] -> missing
        (
            {
                "any": [
                    {"all": [{"rule": "has_rd_institution"}, {"rule": "in_fluorine_park"}]},
                    {"rule": "high_tech_certificate"},
                ]
            },
            M,
        ),
        # any[all[P, P], F] -> pass
        (
            {
                "any": [
                    {"all": [{"rule": "has_rd_institution"}, {"rule": "rd_grew"}]},
                    {"rule": "in_fluorine_park"},
                ]
            },
            P,
        ),
    ],
)
def test_nested_groups(tree, expected):
    facts = firm(in_fluorine_park=False, high_tech_certificate=None, has_rd_institution=True)
    assert evaluate(tree, facts).status is expected


YOUNG_EAGLE_OR_GAZELLE = {
    "all": [
        {"rule": "registered_in_region", "params": {"prefix": "2109"}},
        {"rule": "not_on_risk_lists"},
        {
            "any": [
                {
                    "rule": "recognition_held",
                    "params": {
                        "recognition": "young_eagle",
                        "within_years": 1,
                        "max_company_age": 10,
                    },
                },
                {
                    "rule": "recognition_held",
                    "params": {"recognition": "gazelle", "within_years": 1, "max_company_age": 20},
                },
            ]
        },
    ]
}
FOUNDING = "Your founding date is not in your profile yet."
RISK_LISTS = (
    "Whether you are on the abnormal-operations or serious-dishonesty list "
    "is not in your profile yet."
)


@pytest.mark.parametrize(
    ("facts", "status", "missing"),
    [
        pytest.param({}, P, [], id="young-eagle-last-year-age-6"),
        pytest.param(
            {"recognitions": ((YE, 2026),), "founded_on": date(2016, 3, 15)},
            P,
            [],
            id="young-eagle-this-year-age-10",
        ),
        pytest.param({"founded_on": date(2015, 3, 15)}, F, [], id="young-eagle-too-old-no-gazelle"),
        pytest.param(
            {"founded_on": date(2015, 3, 15), "recognitions": ((YE, 2025), (GZ, 2025))},
            P,
            [],
            id="too-old-for-young-eagle-but-gazelle",
        ),
        pytest.param(
            {"founded_on": date(2008, 1, 1), "recognitions": ((GZ, 2026),)},
            P,
            [],
            id="gazelle-age-18",
        ),
        pytest.param(
            {"founded_on": date(2005, 1, 1), "recognitions": ((GZ, 2026),)},
            F,
            [],
            id="gazelle-age-21",
        ),
        pytest.param({"recognitions": ((GZ, 2024),)}, F, [], id="gazelle-two-years-ago"),
        pytest.param({"recognitions": ((YE, 2024),)}, F, [], id="young-eagle-two-years-ago"),
        pytest.param({"recognitions": ()}, F, [], id="no-recognition"),
        pytest.param({"founded_on": None}, M, [FOUNDING], id="founding-date-unknown"),
        pytest.param(
            {"founded_on": None, "recognitions": ((YE, 2025), (GZ, 2025))},
            M,
            [FOUNDING],
            id="founding-date-asked-once",
        ),
        pytest.param({"on_dishonesty_list": True}, F, [], id="dishonest"),
        pytest.param({"uscc": SHENZHEN_USCC}, F, [], id="outside-the-city"),
        pytest.param({"on_abnormal_list": None}, M, [RISK_LISTS], id="risk-lists-unknown"),
        pytest.param(
            {"on_abnormal_list": None, "founded_on": None},
            M,
            [RISK_LISTS, FOUNDING],
            id="two-things-to-fill-in",
        ),
    ],
)
def test_young_eagle_or_gazelle(facts, status, missing):
    result = evaluate(YOUNG_EAGLE_OR_GAZELLE, firm(**facts))
    assert result.status is status
    assert [english(item) for item in missing_data(result)] == missing
    assert result.combinator == "all"
    assert [child.kind for child in result.children] == [
        "registered_in_region",
        "not_on_risk_lists",
        None,
    ]
    assert result.children[2].combinator == "any"
    assert len(result.children[2].children) == 2


def test_missing_data_lists_every_missing_leaf():
    tree = {
        "all": [
            {"rule": "rd_last_year_at_least"},
            {"any": [{"rule": "high_tech_certificate"}, {"rule": "in_fluorine_park"}]},
            {"rule": "eligible_investment_at_least"},
        ]
    }
    facts = firm(y2025={"rd_expense": None}, in_fluorine_park=None, project=None)
    result = evaluate(tree, facts)
    assert result.status is M
    assert [english(item) for item in missing_data(result)] == [
        "R&D spend for 2025 is not in your profile yet.",
        "Whether you are in the fluorine industrial park is not in your profile yet.",
        "Stated in the application (eligible investment).",
    ]
    assert missing_data(evaluate(tree, firm())) == []


# --- validation -----------------------------------------------------------------------------

EVERY_PARAM = {
    "all": [
        {"rule": "registered_in_region", "params": {"prefix": "2109"}},
        {"rule": "recognition_held", "params": YOUNG_EAGLE_AGE_10},
        {"rule": "company_age_at_most", "params": {"years": 10}},
        {"rule": "rd_last_year_at_least", "params": {"amount": "500000"}},
        {"rule": "above_designated_size", "params": {"min_revenue": 20000000}},
        {"rule": "rd_intensity_at_least", "params": {"percent": "1.5"}},
        {"rule": "ip_class_i_at_least", "params": {"count": 1}},
        {"rule": "ip_class_ii_at_least", "params": {"count": 2}},
        {"rule": "eligible_investment_at_least", "params": {"amount": 500000}},
        {"rule": "digital_level_at_least", "params": {"level": 2}},
        {"any": [{"rule": key} for key, kind in RULE_KINDS.items() if not kind.params]},
    ]
}


@pytest.mark.parametrize("tree", [YOUNG_EAGLE_OR_GAZELLE, EVERY_PARAM, {"rule": "rd_grew"}])
def test_valid_trees_have_no_problems(tree):
    assert validate_tree(tree) == []


def _nested(depth: int) -> dict:
    node: dict = {"rule": "rd_grew"}
    for _ in range(depth):
        node = {"all": [node]}
    return node


@pytest.mark.parametrize(
    ("tree", "fragments"),
    [
        (
            {"rule": "rd_last_year_at_most"},
            ("Top level", "unknown rule kind", "rd_last_year_at_most"),
        ),
        ({"rule": 5}, ("unknown rule kind",)),
        (
            {"rule": "rd_last_year_at_least", "params": {"amout": 600000}},
            ("“amout” is not a parameter",),
        ),
        ({"rule": "recognition_held", "params": {"within_years": 1}}, ("Recognition", "required")),
        ({"rule": "recognition_held"}, ("Recognition", "required")),
        ({"rule": "rd_last_year_at_least", "params": {"amount": None}}, ("Amount", "required")),
        ({"rule": "rd_last_year_at_least", "params": {"amount": "lots"}}, ("must be a number",)),
        ({"rule": "rd_last_year_at_least", "params": {"amount": True}}, ("must be a number",)),
        ({"rule": "rd_last_year_at_least", "params": {"amount": [1]}}, ("must be a number",)),
        ({"rule": "company_age_at_most", "params": {"years": 2.5}}, ("whole number",)),
        ({"rule": "company_age_at_most", "params": {"years": "ten"}}, ("whole number",)),
        ({"rule": "rd_last_year_at_least", "params": {"amount": -1}}, ("at least 0",)),
        ({"rule": "ip_class_i_at_least", "params": {"count": 0}}, ("at least 1",)),
        ({"rule": "company_age_at_most", "params": {"years": -1}}, ("at least 0",)),
        ({"rule": "rd_intensity_at_least", "params": {"percent": 150}}, ("from 0 to 100",)),
        ({"rule": "rd_intensity_at_least", "params": {"percent": "-1"}}, ("from 0 to 100",)),
        (
            {"rule": "recognition_held", "params": {"recognition": "dragon"}},
            ("must be one of", "Young eagle", "Gazelle", "Unicorn"),
        ),
        ({"rule": "registered_in_region", "params": {"prefix": "21O9"}}, ("expected form", "21O9")),
        ({"rule": "registered_in_region", "params": {"prefix": "2109001"}}, ("expected form",)),
        ({"rule": "registered_in_region", "params": {"prefix": 2109}}, ("must be text",)),
        ({"rule": "rd_grew", "params": [1, 2]}, ("parameters",)),
        ({"all": []}, ("Top level: the group is empty",)),
        ({"all": [{"rule": "rd_grew"}, {"any": []}]}, ("Rule 2: the group is empty",)),
        (
            {"any": [{"rule": "rd_grew"}, {"all": [{"rule": "rd_grew"}, {"rule": "x"}]}]},
            ("Rule 2.2: unknown rule kind “x”",),
        ),
        ({"all": "rd_grew"}, ("must list its rules",)),
        ({"rule": "rd_grew", "note": "x"}, ("unknown entry “note”",)),
        ({"rule": "rd_grew", "all": []}, ("expected a rule or a group",)),
        ({"none": [{"rule": "rd_grew"}]}, ("expected a rule or a group",)),
        ({}, ("expected a rule or a group",)),
        ("rd_grew", ("expected a rule or a group",)),
        (None, ("expected a rule or a group",)),
        (_nested(30), ("nested too deeply",)),
    ],
)
def test_validate_tree_names_the_problem(tree, fragments):
    with _APP.test_request_context():
        problems = validate_tree(tree)
    assert len(problems) == 1, problems
    assert all(isinstance(problem, str) for problem in problems)
    for fragment in fragments:
        assert fragment in problems[0]


def test_validate_tree_lists_every_problem():
    tree = {
        "all": [
            {"rule": "nope"},
            {"any": []},
            {"rule": "rd_last_year_at_least", "params": {"amount": "x", "foo": 1}},
        ]
    }
    assert len(validate_tree(tree)) == 4


def test_evaluate_refuses_an_invalid_tree():
    with pytest.raises(InvalidRuleTree) as raised:
        evaluate({"all": [{"rule": "nope"}]}, firm())
    assert "nope" in str(raised.value)


# --- parameters -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kind", "raw", "expected"),
    [
        ("rd_last_year_at_least", {}, {"amount": D("500000")}),
        ("rd_last_year_at_least", None, {"amount": D("500000")}),
        ("rd_last_year_at_least", {"amount": "620000.50"}, {"amount": D("620000.50")}),
        ("rd_last_year_at_least", {"amount": 600000}, {"amount": D("600000")}),
        ("rd_intensity_at_least", {}, {"percent": D("1.5")}),
        ("rd_intensity_at_least", {"percent": 2.5}, {"percent": D("2.5")}),
        ("rd_intensity_at_least", {"percent": "2"}, {"percent": D("2")}),
        ("company_age_at_most", {}, {"years": 10}),
        ("company_age_at_most", {"years": "12"}, {"years": 12}),
        ("above_designated_size", {}, {"min_revenue": D("20000000")}),
        ("registered_in_region", {}, {"prefix": "2109"}),
        ("registered_in_region", {"prefix": " 210902 "}, {"prefix": "210902"}),
        (
            "recognition_held",
            {"recognition": "gazelle"},
            {"recognition": "gazelle", "within_years": 1, "max_company_age": None},
        ),
        (
            "recognition_held",
            {"recognition": "young_eagle", "within_years": "0", "max_company_age": 10},
            {"recognition": "young_eagle", "within_years": 0, "max_company_age": 10},
        ),
        ("ip_class_ii_at_least", {}, {"count": 2}),
        ("digital_level_at_least", {}, {"level": 2}),
        ("eligible_investment_at_least", {}, {"amount": D("500000")}),
        ("not_on_risk_lists", {}, {}),
    ],
)
def test_normalise_params(kind, raw, expected):
    values = normalise_params(kind, raw)
    assert values == expected
    for name, value in expected.items():
        assert type(values[name]) is type(value)
    assert normalise_params(RULE_KINDS[kind], values) == values  # idempotent, kind object


@pytest.mark.parametrize(
    ("kind", "raw"),
    [
        ("rd_last_year_at_least", {"amount": "lots"}),
        ("rd_last_year_at_least", {"amount": "NaN"}),
        ("rd_last_year_at_least", {"amount": float("inf")}),
        ("rd_last_year_at_least", {"threshold": 1}),
        ("recognition_held", {}),
    ],
)
def test_normalise_params_refuses_bad_values(kind, raw):
    with pytest.raises(InvalidParams) as raised:
        normalise_params(kind, raw)
    assert raised.value.problems


BOOL_KIND = SimpleNamespace(
    key="test",
    label="Test",
    params=(ParamSpec("flag", "bool", "Flag", False),),
)


@pytest.mark.parametrize(
    ("raw", "expected"), [({}, False), ({"flag": True}, True), ({"flag": False}, False)]
)
def test_bool_params(raw, expected):
    assert normalise_params(BOOL_KIND, raw) == {"flag": expected}


@pytest.mark.parametrize("value", ["yes", 1, 0])
def test_bool_params_refuse_other_values(value):
    with pytest.raises(InvalidParams):
        normalise_params(BOOL_KIND, {"flag": value})


@pytest.mark.parametrize(
    ("value", "amount", "money"),
    [
        (D("620000"), "620,000", "620,000.00"),
        (D("620000.00"), "620,000", "620,000.00"),
        (D("1234.5"), "1,234.50", "1,234.50"),
        (D("499999.999"), "499,999.99", "499,999.99"),
        (0, "0", "0.00"),
        (D("20000000"), "20,000,000", "20,000,000.00"),
    ],
)
def test_amount_formatting(value, amount, money):
    assert format_amount(value) == amount
    assert format_money(value) == money
