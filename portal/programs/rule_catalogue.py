"""The catalogue of eligibility rule kinds: their names, parameters and how they read.

A leaf of a rule tree ``{"rule": "<kind>", "params": {...}}`` names one of ``RULE_KINDS``.
Each kind has a label, its parameters (``ParamSpec``, with defaults taken from the demo
programmes), whether it reads the application's project figures, its check (``rule_checks``)
and, when it has parameters, a summary that says the rule with them filled in.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from flask_babel import lazy_gettext as _l

from portal.core.money import format_amount
from portal.programs.facts import FirmFacts
from portal.programs.parameters import ParamSpec, Text, format_number
from portal.programs.rule_checks import (
    RECOGNITION_CHOICES,
    RECOGNITION_LABELS,
    RECOGNITION_WITHIN_LABEL,
    Outcome,
    above_designated_size,
    company_age_at_most,
    digital_level_at_least,
    eligible_investment_at_least,
    has_rd_institution,
    high_tech_certificate,
    in_fluorine_park,
    ip_class_i_at_least,
    ip_class_ii_at_least,
    no_credit_ban,
    no_other_public_funding,
    no_overdue_reports,
    not_branch_or_trading_company,
    not_on_risk_lists,
    project_accepted,
    rd_grew,
    rd_intensity_at_least,
    rd_last_year_at_least,
    recognition_held,
    registered_in_region,
    super_deduction_filed_last_year,
)


@dataclass(frozen=True)
class RuleKind:
    """``summary`` (optional) gives the label with the parameters filled in, for results."""

    key: str
    label: Text
    params: tuple[ParamSpec, ...]
    reads_project: bool
    evaluate: Callable[[FirmFacts, dict[str, Any]], Outcome]
    summary: Callable[[dict[str, Any]], Text] | None = None

    def describe(self, params: dict[str, Any]) -> Text:
        """The label with these (normalised) parameters, e.g. "R&D spend last year at least
        500,000 yuan"."""
        return self.summary(params) if self.summary is not None else self.label


def _recognition_summary(params: dict[str, Any]) -> Text:
    name = RECOGNITION_LABELS[params["recognition"]]
    within = params["within_years"]
    if within == 0:
        text = _l("%(recognition)s recognition this year", recognition=name)
    elif within == 1:
        text = _l("%(recognition)s recognition this year or last", recognition=name)
    else:
        text = _l(
            "%(recognition)s recognition this year or in the %(years)d years before",
            recognition=name,
            years=within,
        )
    if params["max_company_age"] is None:
        return text
    return _l(
        "%(recognition)s, company at most %(years)d years old",
        recognition=text,
        years=params["max_company_age"],
    )


AMOUNT_LABEL = _l("Amount (yuan)")

_KINDS = (
    RuleKind(
        "registered_in_region",
        _l("Registered in the region"),
        (
            ParamSpec(
                "prefix",
                "str",
                _l("Region code starts with (1 to 6 digits)"),
                "2109",
                pattern=r"\d{1,6}",
            ),
        ),
        False,
        registered_in_region,
        lambda p: _l("Registered in the region with code %(prefix)s", prefix=p["prefix"]),
    ),
    RuleKind(
        "not_on_risk_lists",
        _l("Not on the abnormal-operations or serious-dishonesty list"),
        (),
        False,
        not_on_risk_lists,
    ),
    RuleKind(
        "recognition_held",
        _l("Recognition held"),
        (
            ParamSpec(
                "recognition",
                "choice",
                _l("Recognition"),
                None,
                choices=RECOGNITION_CHOICES,
                required=True,
            ),
            ParamSpec("within_years", "int", RECOGNITION_WITHIN_LABEL, 1, minimum=0),
            ParamSpec(
                "max_company_age",
                "int",
                _l("Company at most this many years old (empty = any age)"),
                None,
                minimum=0,
            ),
        ),
        False,
        recognition_held,
        _recognition_summary,
    ),
    RuleKind(
        "company_age_at_most",
        _l("Company age at most"),
        (ParamSpec("years", "int", _l("Years"), 10, minimum=0),),
        False,
        company_age_at_most,
        lambda p: _l("Company age at most %(years)d years", years=p["years"]),
    ),
    RuleKind(
        "super_deduction_filed_last_year",
        _l("R&D super-deduction filed last year"),
        (),
        False,
        super_deduction_filed_last_year,
    ),
    RuleKind(
        "rd_last_year_at_least",
        _l("R&D spend last year at least"),
        (ParamSpec("amount", "decimal", AMOUNT_LABEL, Decimal("500000"), minimum=Decimal(0)),),
        False,
        rd_last_year_at_least,
        lambda p: _l(
            "R&D spend last year at least %(amount)s yuan", amount=format_amount(p["amount"])
        ),
    ),
    RuleKind("rd_grew", _l("R&D spend grew last year"), (), False, rd_grew),
    RuleKind(
        "above_designated_size",
        _l("Above designated size (revenue last year at least)"),
        (
            ParamSpec(
                "min_revenue",
                "decimal",
                _l("Revenue (yuan)"),
                Decimal("20000000"),
                minimum=Decimal(0),
            ),
        ),
        False,
        above_designated_size,
        lambda p: _l(
            "Above designated size: revenue last year at least %(amount)s yuan",
            amount=format_amount(p["min_revenue"]),
        ),
    ),
    RuleKind(
        "high_tech_certificate",
        _l("High-tech enterprise certificate"),
        (),
        False,
        high_tech_certificate,
    ),
    RuleKind(
        "in_fluorine_park", _l("In the fluorine industrial park"), (), False, in_fluorine_park
    ),
    RuleKind(
        "rd_intensity_at_least",
        _l("R&D spend last year as a share of revenue at least"),
        (ParamSpec("percent", "percent", _l("Percent"), Decimal("1.5")),),
        False,
        rd_intensity_at_least,
        lambda p: _l(
            "R&D spend last year at least %(percent)s %% of revenue",
            percent=format_number(p["percent"]),
        ),
    ),
    RuleKind(
        "ip_class_i_at_least",
        _l("Class I intellectual property rights at least"),
        (ParamSpec("count", "int", _l("Number"), 1, minimum=1),),
        False,
        ip_class_i_at_least,
        lambda p: _l("Class I intellectual property rights: at least %(count)d", count=p["count"]),
    ),
    RuleKind(
        "ip_class_ii_at_least",
        _l("Class II intellectual property rights at least"),
        (ParamSpec("count", "int", _l("Number"), 2, minimum=1),),
        False,
        ip_class_ii_at_least,
        lambda p: _l("Class II intellectual property rights: at least %(count)d", count=p["count"]),
    ),
    RuleKind("has_rd_institution", _l("Has an R&D institution"), (), False, has_rd_institution),
    RuleKind(
        "not_branch_or_trading_company",
        _l("Not a branch or trading company"),
        (),
        False,
        not_branch_or_trading_company,
    ),
    RuleKind("project_accepted", _l("Project accepted"), (), True, project_accepted),
    RuleKind(
        "eligible_investment_at_least",
        _l("Eligible investment at least"),
        (ParamSpec("amount", "decimal", AMOUNT_LABEL, Decimal("500000"), minimum=Decimal(0)),),
        True,
        eligible_investment_at_least,
        lambda p: _l(
            "Eligible investment at least %(amount)s yuan", amount=format_amount(p["amount"])
        ),
    ),
    RuleKind(
        "digital_level_at_least",
        _l("Digital level at least"),
        (ParamSpec("level", "int", _l("Level"), 2, minimum=1),),
        True,
        digital_level_at_least,
        lambda p: _l("Digital level at least %(level)d", level=p["level"]),
    ),
    RuleKind(
        "no_other_public_funding",
        _l("No other public funding for the project"),
        (),
        True,
        no_other_public_funding,
    ),
    RuleKind(
        "no_overdue_reports",
        _l("No report overdue on earlier awards"),
        (),
        False,
        no_overdue_reports,
    ),
    RuleKind(
        "no_credit_ban",
        _l("No ban in the credit record (recovery of earlier support)"),
        (),
        False,
        no_credit_ban,
    ),
)

RULE_KINDS: dict[str, RuleKind] = {kind.key: kind for kind in _KINDS}

GROUP_LABELS: dict[str, Text] = {"all": _l("All of these"), "any": _l("At least one of these")}
