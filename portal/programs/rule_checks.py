"""What each kind of eligibility rule checks in a firm's facts: pass, fail or missing.

Each check reads only ``FirmFacts`` and the rule's normalised parameters and returns an
``Outcome`` whose detail tells the firm why (or, when the data needed is not given, what to fill
in). The catalogue of rule kinds (``rule_catalogue``) names them and their parameters.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum
from fractions import Fraction
from typing import Any

from flask_babel import LazyString, get_locale
from flask_babel import lazy_gettext as _l

from portal.core.money import format_amount, format_money
from portal.programs.facts import FirmFacts, OverdueReport, Recognition
from portal.programs.parameters import Text, format_number

RECOGNITION_CHOICES: tuple[tuple[str, Text], ...] = (
    (Recognition.YOUNG_EAGLE, _l("Young eagle")),
    (Recognition.GAZELLE, _l("Gazelle")),
    (Recognition.UNICORN, _l("Unicorn")),
    (Recognition.HIGH_TECH, _l("High-tech enterprise")),
    (Recognition.TECH_SME, _l("Technology-based SME")),
)
RECOGNITION_LABELS = dict(RECOGNITION_CHOICES)
RECOGNITION_WITHIN_LABEL = _l("Years counted (0 = this year only, 1 = this year or last)")


# --- outcomes -------------------------------------------------------------------------------


class Status(StrEnum):
    PASS = "pass"  # noqa: S105 - a status, not a password
    FAIL = "fail"
    MISSING = "missing"  # the data needed is not given; the detail says what to fill in


@dataclass(frozen=True)
class Outcome:
    status: Status
    detail: Text


def _passes(condition: bool, detail_pass: Text, detail_fail: Text) -> Outcome:
    return Outcome(Status.PASS, detail_pass) if condition else Outcome(Status.FAIL, detail_fail)


def _yes_no(
    value: bool | None, *, passes_when: bool, yes: Text, no: Text, unknown: Text
) -> Outcome:
    """A yes/no fact: ``yes`` is the detail when it is True, ``no`` when False."""
    if value is None:
        return Outcome(Status.MISSING, unknown)
    return Outcome(Status.PASS if value is passes_when else Status.FAIL, yes if value else no)


# --- checks ---------------------------------------------------------------------------------


def _missing_rd(year: int) -> Outcome:
    return Outcome(
        Status.MISSING, _l("R&D spend for %(year)d is not in your profile yet.", year=year)
    )


def _missing_revenue(year: int) -> Outcome:
    return Outcome(
        Status.MISSING, _l("Revenue for %(year)d is not in your profile yet.", year=year)
    )


def _missing_founding_date() -> Outcome:
    return Outcome(Status.MISSING, _l("Your founding date is not in your profile yet."))


def registered_in_region(facts: FirmFacts, params: dict[str, Any]) -> Outcome:
    if len(facts.uscc or "") < 8:
        return Outcome(
            Status.MISSING, _l("Your unified social credit code is not in your profile yet.")
        )
    code, prefix = facts.region_code, params["prefix"]
    return _passes(
        code.startswith(prefix),
        _l("Region code %(code)s is in the area %(prefix)s.", code=code, prefix=prefix),
        _l("Region code %(code)s is outside the area %(prefix)s.", code=code, prefix=prefix),
    )


def not_on_risk_lists(facts: FirmFacts, params: dict[str, Any]) -> Outcome:
    abnormal, dishonest = facts.on_abnormal_list, facts.on_dishonesty_list
    if abnormal is True and dishonest is True:
        return Outcome(
            Status.FAIL, _l("On the abnormal-operations list and the serious-dishonesty list.")
        )
    if abnormal is True:
        return Outcome(Status.FAIL, _l("On the abnormal-operations list."))
    if dishonest is True:
        return Outcome(Status.FAIL, _l("On the serious-dishonesty list."))
    if abnormal is None or dishonest is None:
        return Outcome(
            Status.MISSING,
            _l(
                "Whether you are on the abnormal-operations or serious-dishonesty list "
                "is not in your profile yet."
            ),
        )
    return Outcome(Status.PASS, _l("Not on the abnormal-operations or serious-dishonesty list."))


def qualifying_recognition_years(
    facts: FirmFacts, recognition: str, within_years: int
) -> list[int]:
    """Years of ``recognition`` from ``as_of.year - within_years`` to this year (1 = this year
    or last); later years are not counted."""
    first = facts.as_of.year - within_years
    return [y for y in facts.recognition_years(recognition) if first <= y <= facts.as_of.year]


def recognition_held(facts: FirmFacts, params: dict[str, Any]) -> Outcome:
    recognition, within = params["recognition"], params["within_years"]
    max_age = params["max_company_age"]
    name = RECOGNITION_LABELS[recognition]
    from_year = facts.as_of.year - within
    held = qualifying_recognition_years(facts, recognition, within)
    if not held:
        return Outcome(
            Status.FAIL,
            _l(
                "%(recognition)s: none from %(from_year)d or later in your profile.",
                recognition=name,
                from_year=from_year,
            ),
        )
    year = max(held)
    if max_age is None:
        return Outcome(
            Status.PASS,
            _l(
                "%(recognition)s %(year)d held (%(from_year)d or later counts).",
                recognition=name,
                year=year,
                from_year=from_year,
            ),
        )
    age = facts.company_age_years()
    if age is None:
        return _missing_founding_date()
    return _passes(
        age <= max_age,
        _l(
            "%(recognition)s %(year)d held; company age %(age)d years ≤ %(max_age)d.",
            recognition=name,
            year=year,
            age=age,
            max_age=max_age,
        ),
        _l(
            "%(recognition)s %(year)d held, but company age %(age)d years > %(max_age)d.",
            recognition=name,
            year=year,
            age=age,
            max_age=max_age,
        ),
    )


def company_age_at_most(facts: FirmFacts, params: dict[str, Any]) -> Outcome:
    age, limit = facts.company_age_years(), params["years"]
    if age is None or facts.founded_on is None:
        return _missing_founding_date()
    founded = facts.founded_on.isoformat()
    return _passes(
        age <= limit,
        _l(
            "Company age %(age)d years ≤ %(limit)d (founded %(founded)s).",
            age=age,
            limit=limit,
            founded=founded,
        ),
        _l(
            "Company age %(age)d years > %(limit)d (founded %(founded)s).",
            age=age,
            limit=limit,
            founded=founded,
        ),
    )


def super_deduction_filed_last_year(facts: FirmFacts, params: dict[str, Any]) -> Outcome:
    year = facts.last_year
    return _yes_no(
        facts.year(year).super_deduction_filed,
        passes_when=True,
        yes=_l("R&D super-deduction filed for %(year)d.", year=year),
        no=_l("No R&D super-deduction filed for %(year)d.", year=year),
        unknown=_l(
            "Whether you filed the R&D super-deduction for %(year)d is not in your profile yet.",
            year=year,
        ),
    )


def rd_last_year_at_least(facts: FirmFacts, params: dict[str, Any]) -> Outcome:
    year = facts.last_year
    value, threshold = facts.year(year).rd_expense, params["amount"]
    if value is None:
        return _missing_rd(year)
    shown = {"year": year, "value": format_amount(value), "threshold": format_amount(threshold)}
    return _passes(
        value >= threshold,
        _l("R&D %(year)d: %(value)s yuan ≥ %(threshold)s yuan", **shown),
        _l("R&D %(year)d: %(value)s yuan < %(threshold)s yuan", **shown),
    )


def rd_grew(facts: FirmFacts, params: dict[str, Any]) -> Outcome:
    year, previous_year = facts.last_year, facts.last_year - 1
    value, previous = facts.year(year).rd_expense, facts.year(previous_year).rd_expense
    if value is None and previous is None:
        return Outcome(
            Status.MISSING,
            _l(
                "R&D spend for %(year)d and %(previous_year)d is not in your profile yet.",
                year=year,
                previous_year=previous_year,
            ),
        )
    if value is None:
        return _missing_rd(year)
    if previous is None:
        return _missing_rd(previous_year)
    shown = {
        "year": year,
        "value": format_amount(value),
        "previous_year": previous_year,
        "previous": format_amount(previous),
    }
    return _passes(
        value > previous,
        _l("R&D %(year)d: %(value)s yuan > %(previous_year)d: %(previous)s yuan", **shown),
        _l("R&D %(year)d: %(value)s yuan ≤ %(previous_year)d: %(previous)s yuan", **shown),
    )


def above_designated_size(facts: FirmFacts, params: dict[str, Any]) -> Outcome:
    year = facts.last_year
    value, threshold = facts.year(year).revenue, params["min_revenue"]
    if value is None:
        return _missing_revenue(year)
    shown = {"year": year, "value": format_amount(value), "threshold": format_amount(threshold)}
    return _passes(
        value >= threshold,
        _l("Revenue %(year)d: %(value)s yuan ≥ %(threshold)s yuan", **shown),
        _l("Revenue %(year)d: %(value)s yuan < %(threshold)s yuan", **shown),
    )


def high_tech_certificate(facts: FirmFacts, params: dict[str, Any]) -> Outcome:
    return _yes_no(
        facts.high_tech_certificate,
        passes_when=True,
        yes=_l("Holds a high-tech enterprise certificate."),
        no=_l("No high-tech enterprise certificate."),
        unknown=_l(
            "Whether you hold a high-tech enterprise certificate is not in your profile yet."
        ),
    )


def in_fluorine_park(facts: FirmFacts, params: dict[str, Any]) -> Outcome:
    return _yes_no(
        facts.in_fluorine_park,
        passes_when=True,
        yes=_l("In the fluorine industrial park."),
        no=_l("Not in the fluorine industrial park."),
        unknown=_l("Whether you are in the fluorine industrial park is not in your profile yet."),
    )


def rd_intensity_at_least(facts: FirmFacts, params: dict[str, Any]) -> Outcome:
    year = facts.last_year
    figures = facts.year(year)
    rd, revenue, threshold = figures.rd_expense, figures.revenue, params["percent"]
    if rd is None and revenue is None:
        return Outcome(
            Status.MISSING,
            _l("R&D spend and revenue for %(year)d are not in your profile yet.", year=year),
        )
    if rd is None:
        return _missing_rd(year)
    if revenue is None:
        return _missing_revenue(year)
    if revenue <= 0:
        return Outcome(
            Status.FAIL,
            _l(
                "Revenue %(year)d is %(revenue)s yuan, so R&D intensity cannot reach "
                "%(threshold)s %%.",
                year=year,
                revenue=format_amount(revenue),
                threshold=format_number(threshold),
            ),
        )
    # exact: compare rd / revenue >= percent / 100 without dividing; show 2 decimals cut down
    ratio = Fraction(rd) * 100 / Fraction(revenue)
    shown = {
        "year": year,
        "rd": format_amount(rd),
        "revenue": format_amount(revenue),
        "value": format_money(Decimal(math.floor(ratio * 100)) / 100),  # a percentage, 2 places
        "threshold": format_number(threshold),
    }
    return _passes(
        ratio >= Fraction(threshold),
        _l(
            "R&D intensity %(year)d: %(rd)s / %(revenue)s yuan = %(value)s %% ≥ %(threshold)s %%",
            **shown,
        ),
        _l(
            "R&D intensity %(year)d: %(rd)s / %(revenue)s yuan = %(value)s %% < %(threshold)s %%",
            **shown,
        ),
    )


def ip_class_i_at_least(facts: FirmFacts, params: dict[str, Any]) -> Outcome:
    value, threshold = facts.ip_class_i, params["count"]
    if value is None:
        return Outcome(
            Status.MISSING,
            _l("Your count of class I intellectual property rights is not in your profile yet."),
        )
    return _passes(
        value >= threshold,
        _l(
            "Class I intellectual property: %(value)d ≥ %(threshold)d",
            value=value,
            threshold=threshold,
        ),
        _l(
            "Class I intellectual property: %(value)d < %(threshold)d",
            value=value,
            threshold=threshold,
        ),
    )


def ip_class_ii_at_least(facts: FirmFacts, params: dict[str, Any]) -> Outcome:
    value, threshold = facts.ip_class_ii, params["count"]
    if value is None:
        return Outcome(
            Status.MISSING,
            _l("Your count of class II intellectual property rights is not in your profile yet."),
        )
    return _passes(
        value >= threshold,
        _l(
            "Class II intellectual property: %(value)d ≥ %(threshold)d",
            value=value,
            threshold=threshold,
        ),
        _l(
            "Class II intellectual property: %(value)d < %(threshold)d",
            value=value,
            threshold=threshold,
        ),
    )


def has_rd_institution(facts: FirmFacts, params: dict[str, Any]) -> Outcome:
    return _yes_no(
        facts.has_rd_institution,
        passes_when=True,
        yes=_l("Has an R&D institution."),
        no=_l("No R&D institution."),
        unknown=_l("Whether you have an R&D institution is not in your profile yet."),
    )


def not_branch_or_trading_company(facts: FirmFacts, params: dict[str, Any]) -> Outcome:
    return _yes_no(
        facts.branch_or_trading_company,
        passes_when=False,
        yes=_l("A branch or trading company."),
        no=_l("Not a branch or trading company."),
        unknown=_l("Whether you are a branch or trading company is not in your profile yet."),
    )


def project_accepted(facts: FirmFacts, params: dict[str, Any]) -> Outcome:
    if facts.project is None:
        return Outcome(Status.MISSING, _l("Stated in the application (project acceptance)."))
    return _yes_no(
        facts.project.project_accepted,
        passes_when=True,
        yes=_l("The project has passed acceptance."),
        no=_l("The project has not passed acceptance."),
        unknown=_l("Project acceptance is not stated in the application yet."),
    )


def eligible_investment_at_least(facts: FirmFacts, params: dict[str, Any]) -> Outcome:
    if facts.project is None:
        return Outcome(Status.MISSING, _l("Stated in the application (eligible investment)."))
    value, threshold = facts.project.eligible_investment, params["amount"]
    if value is None:
        return Outcome(
            Status.MISSING, _l("The eligible investment is not stated in the application yet.")
        )
    shown = {"value": format_amount(value), "threshold": format_amount(threshold)}
    return _passes(
        value >= threshold,
        _l("Eligible investment: %(value)s yuan ≥ %(threshold)s yuan", **shown),
        _l("Eligible investment: %(value)s yuan < %(threshold)s yuan", **shown),
    )


def digital_level_at_least(facts: FirmFacts, params: dict[str, Any]) -> Outcome:
    if facts.project is None:
        return Outcome(Status.MISSING, _l("Stated in the application (digital level)."))
    value, threshold = facts.project.digital_level, params["level"]
    if value is None:
        return Outcome(
            Status.MISSING, _l("The digital level is not stated in the application yet.")
        )
    return _passes(
        value >= threshold,
        _l("Digital level %(value)d ≥ %(threshold)d", value=value, threshold=threshold),
        _l("Digital level %(value)d < %(threshold)d", value=value, threshold=threshold),
    )


def no_other_public_funding(facts: FirmFacts, params: dict[str, Any]) -> Outcome:
    if facts.project is None:
        return Outcome(Status.MISSING, _l("Stated in the application (other public funding)."))
    return _yes_no(
        facts.project.other_public_funding,
        passes_when=False,
        yes=_l("The project has other public funding."),
        no=_l("No other public funding for the project."),
        unknown=_l(
            "Whether the project has other public funding is not stated in the application yet."
        ),
    )


def _overdue_explanation(reports: tuple[OverdueReport, ...]) -> str:
    """The overdue reports said in the page's language, read when shown: "中期进展报告 (…)
    was due on 2026-11-20; …"."""
    locale = get_locale()
    english = locale is not None and locale.language == "en"
    said = "; ".join(
        str(
            _l(
                "%(title)s was due on %(date)s",
                title=report.title_en if english else report.title_zh,
                date=report.due_on.isoformat(),
            )
        )
        for report in reports
    )
    return str(_l("%(reports)s. Submit the overdue report first, then apply.", reports=said))


def no_overdue_reports(facts: FirmFacts, params: dict[str, Any]) -> Outcome:
    overdue = facts.standing.overdue_reports
    if not overdue:
        return Outcome(Status.PASS, _l("No report overdue."))
    return Outcome(Status.FAIL, LazyString(_overdue_explanation, overdue))


def no_credit_ban(facts: FirmFacts, params: dict[str, Any]) -> Outcome:
    """A ban in the credit record (written by a decision to recover) stops the firm applying
    until its last day; the latest-ending ban explains it, with its recovery notice."""
    bans = facts.standing.bans
    if not bans:
        return Outcome(Status.PASS, _l("No ban in the credit record."))
    ban = max(bans, key=lambda b: b.until)
    until = ban.until.isoformat()
    if ban.notice_number:
        return Outcome(
            Status.FAIL,
            _l(
                "Barred until %(until)s: recovery notice %(number)s",
                until=until,
                number=ban.notice_number,
            ),
        )
    return Outcome(
        Status.FAIL, _l("Barred until %(until)s by a decision to recover support", until=until)
    )
