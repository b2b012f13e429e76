"""How each kind of subsidy formula computes a firm's amount, step by step.

``formulas`` names the kinds and their parameters; here each kind's computation returns the
amount together with the steps that produced it (``Computation``), so that the firm and the
officer see the same sum. Every amount is cut to whole cents (``to_cents``), so that a share is
never rounded up past what the rate gives or a cap allows.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from flask_babel import lazy_gettext as _l

from portal.core.money import format_amount, format_money, to_cents
from portal.programs.facts import FirmFacts, Recognition
from portal.programs.parameters import Text, format_number, lazy_join
from portal.programs.rule_checks import qualifying_recognition_years

ZERO = Decimal("0.00")


@dataclass(frozen=True)
class Step:
    """One line of the shown computation."""

    label: Text  # e.g. "R&D increase 2025 over 2024"
    expression: str  # e.g. "620,000.00 − 480,000.00" (plain, numbers formatted)
    amount: Decimal

    @property
    def sentence(self) -> Text:
        """The step in words ("10 % of the increase of 450,000.00 yuan is 45,000.00 yuan.")."""
        return step_sentence(self.label, self.expression, self.amount)


# --- steps in words -------------------------------------------------------------------------
# A step's expression is one of a few shapes built below (a figure, a difference, a share, a
# cap); ``step_sentence`` reads the shape back into a sentence. It works on the label and
# expression as stored with an application's computation too, so stored steps read the same.

_MONEY = r"-?[\d,]+\.\d{2}"
_DIFFERENCE = re.compile(rf"({_MONEY}) − ({_MONEY})")
_NO_INCREASE = re.compile(rf"({_MONEY}) − ({_MONEY}) ≤ 0")
_SHARE = re.compile(rf"({_MONEY}) × ([\d.]+) %")
_CAP = re.compile(rf"min\(({_MONEY}), ({_MONEY})\)")
_FIGURE = re.compile(_MONEY)


def _difference_expression(value: Decimal, less: Decimal) -> str:
    return f"{format_money(value)} − {format_money(less)}"


def _share_expression(base: Decimal, rate: Decimal) -> str:
    return f"{format_money(base)} × {format_number(rate)} %"


def _cap_expression(amount: Decimal, cap: Decimal) -> str:
    return f"min({format_money(amount)}, {format_money(cap)})"


def step_sentence(label: Any, expression: str, amount: Any) -> Text:
    """A step (its label, expression and amount, as objects or as stored strings) as one
    sentence in the current language. An expression of no known shape is shown as it is."""
    result = format_money(amount)
    if match := _NO_INCREASE.fullmatch(expression):
        return _l(
            "%(label)s: %(value)s yuan is not more than %(less)s yuan, so the amount is "
            "%(amount)s yuan.",
            label=label,
            value=match[1],
            less=match[2],
            amount=result,
        )
    if match := _DIFFERENCE.fullmatch(expression):
        return _l(
            "%(label)s: %(value)s yuan less %(less)s yuan is %(amount)s yuan.",
            label=label,
            value=match[1],
            less=match[2],
            amount=result,
        )
    if match := _SHARE.fullmatch(expression):
        return _l(
            "%(label)s of %(base)s yuan is %(amount)s yuan.",
            label=label,
            base=match[1],
            amount=result,
        )
    if match := _CAP.fullmatch(expression):
        if to_cents(_parse_shown(match[1])) > to_cents(Decimal(str(amount))):
            return _l(
                "%(label)s: %(cap)s yuan, so the amount of %(value)s yuan is limited to "
                "%(amount)s yuan.",
                label=label,
                cap=match[2],
                value=match[1],
                amount=result,
            )
        return _l(
            "%(label)s: %(cap)s yuan, so the amount is %(amount)s yuan.",
            label=label,
            cap=match[2],
            amount=result,
        )
    if _FIGURE.fullmatch(expression):
        return _l("%(label)s: %(amount)s yuan.", label=label, amount=result)
    return _l(
        "%(label)s: %(expression)s = %(amount)s yuan.",
        label=label,
        expression=expression,
        amount=result,
    )


def _parse_shown(text: str) -> Decimal:
    return Decimal(text.replace(",", ""))


@dataclass(frozen=True)
class Computation:
    amount: Decimal | None  # None when data is missing or the amount is decided later (ranking)
    steps: tuple[Step, ...]
    missing: tuple[Text, ...] = ()  # what data is needed
    note: Text | None = None  # e.g. amount set by ranking after expert review


def _percent_of(value: Decimal, rate: Decimal) -> Decimal:
    return to_cents(value * rate / 100)


def _share_steps(label: Text, base: Decimal, rate: Decimal) -> tuple[Step, Decimal]:
    share = _percent_of(base, rate)
    return Step(label, _share_expression(base, rate), share), share


def _min_step(label: Text, amount: Decimal, cap: Decimal) -> tuple[Step, Decimal]:
    capped = to_cents(min(amount, cap))
    return Step(label, _cap_expression(amount, cap), capped), capped


# --- formula kinds --------------------------------------------------------------------------


def recognition_award(facts: FirmFacts, params: dict[str, Any]) -> Computation:
    within = params["within_years"]
    gazelle = qualifying_recognition_years(facts, Recognition.GAZELLE, within)
    if gazelle:
        year = max(gazelle)
        years = sorted({y for y in facts.recognition_years(Recognition.GAZELLE) if y <= year})
        if len(years) == 1:
            amount = to_cents(params["gazelle_first"])
            step = Step(
                _l("Gazelle %(year)d, first recognition", year=year), format_money(amount), amount
            )
        else:
            amount = to_cents(params["gazelle_renewal"])
            step = Step(
                _l(
                    "Gazelle %(year)d, renewal (first recognised %(first)d)",
                    year=year,
                    first=years[0],
                ),
                format_money(amount),
                amount,
            )
        return Computation(amount, (step,))

    young_eagle = qualifying_recognition_years(facts, Recognition.YOUNG_EAGLE, within)
    if young_eagle:
        rd_year = facts.last_year
        rd = facts.year(rd_year).rd_expense
        if rd is None:
            return Computation(
                None, (), (_l("R&D spend for %(year)d is not in your profile yet.", year=rd_year),)
            )
        base = Step(
            _l(
                "Young eagle %(year)d: R&D spend %(rd_year)d",
                year=max(young_eagle),
                rd_year=rd_year,
            ),
            format_money(rd),
            to_cents(rd),
        )
        share_step, share = _share_steps(
            _l("%(rate)s %% of R&D spend", rate=format_number(params["young_eagle_rate"])),
            rd,
            params["young_eagle_rate"],
        )
        cap_step, amount = _min_step(_l("Young-eagle maximum"), share, params["young_eagle_cap"])
        return Computation(amount, (base, share_step, cap_step))

    return Computation(
        ZERO,
        (
            Step(
                _l(
                    "No young eagle or gazelle recognition from %(from_year)d or later",
                    from_year=facts.as_of.year - within,
                ),
                format_money(ZERO),
                ZERO,
            ),
        ),
    )


def rd_increase_share(facts: FirmFacts, params: dict[str, Any]) -> Computation:
    year, previous_year = facts.last_year, facts.last_year - 1
    rd, previous = facts.year(year).rd_expense, facts.year(previous_year).rd_expense
    missing = tuple(
        _l("R&D spend for %(year)d is not in your profile yet.", year=missing_year)
        for missing_year, value in ((year, rd), (previous_year, previous))
        if value is None
    )
    if rd is None or previous is None:
        return Computation(None, (), missing)
    years = {"year": year, "previous_year": previous_year}
    if rd <= previous:
        step = Step(
            _l("No R&D increase %(year)d over %(previous_year)d", **years),
            f"{_difference_expression(rd, previous)} ≤ 0",
            ZERO,
        )
        return Computation(ZERO, (step,))
    increase = to_cents(rd - previous)
    steps = [
        Step(
            _l("R&D increase %(year)d over %(previous_year)d", **years),
            _difference_expression(rd, previous),
            increase,
        )
    ]
    rate = params["rate"]
    share_step, share = _share_steps(
        _l("%(rate)s %% of the increase", rate=format_number(rate)), increase, rate
    )
    steps.append(share_step)
    cap = _rd_cap(facts, params, share)
    if cap is None:
        return Computation(None, tuple(steps), _rd_cap_missing(facts))
    cap_step, amount = _min_step(cap[1], share, cap[0])
    steps.append(cap_step)
    return Computation(amount, tuple(steps))


def _rd_cap(
    facts: FirmFacts, params: dict[str, Any], share: Decimal
) -> tuple[Decimal, Text] | None:
    """The cap on an R&D-increase share and its label; None when which cap applies depends on
    figures the firm has not given yet."""
    year = facts.last_year
    revenue, high_tech = facts.year(year).revenue, facts.high_tech_certificate
    threshold = params["large_min_revenue"]
    shown = {
        "year": year,
        "revenue": format_amount(revenue) if revenue is not None else "",
        "threshold": format_amount(threshold),
    }
    if revenue is not None and revenue >= threshold:
        return params["cap_large"], _l(
            "Cap for firms above designated size (revenue %(year)d: %(revenue)s yuan "
            "≥ %(threshold)s)",
            **shown,
        )
    if high_tech is True:
        return params["cap_large"], _l("Cap for high-tech enterprises")
    if revenue is not None and high_tech is False:
        return params["cap"], _l(
            "Cap for other firms (revenue %(year)d: %(revenue)s yuan < %(threshold)s, "
            "no high-tech certificate)",
            **shown,
        )
    if share <= min(params["cap"], params["cap_large"]):
        # which cap applies is unknown, but the share is below both
        return params["cap"], _l("Cap (the amount is below it either way)")
    return None


def _rd_cap_missing(facts: FirmFacts) -> tuple[Text, ...]:
    """What the firm must give before the cap on its R&D-increase share is known."""
    year = facts.last_year
    missing = []
    if facts.year(year).revenue is None:
        missing.append(_l("Revenue for %(year)d is not in your profile yet.", year=year))
    if facts.high_tech_certificate is None:
        missing.append(
            _l("Whether you hold a high-tech enterprise certificate is not in your profile yet.")
        )
    return tuple(missing)


def ranked_tiers(facts: FirmFacts, params: dict[str, Any]) -> Computation:
    return Computation(None, (), note=ranking_note(params))


def ranking_note(params: dict[str, Any]) -> Text:
    """E.g. "Set by ranking after expert review: top 10 receive 500,000, the next 20 receive
    200,000 (minimum score 60)." — ``params`` normalised."""
    parts = []
    for index, (count, amount) in enumerate(params["tiers"]):
        if index == 0:
            parts.append(
                _l("top %(count)d receive %(amount)s", count=count, amount=format_amount(amount))
            )
        else:
            parts.append(
                _l(
                    "the next %(count)d receive %(amount)s",
                    count=count,
                    amount=format_amount(amount),
                )
            )
    return _l(
        "Set by ranking after expert review: %(tiers)s (minimum score %(min_score)s).",
        tiers=lazy_join(parts),
        min_score=format_number(params["min_score"]),
    )


def investment_share_by_level(facts: FirmFacts, params: dict[str, Any]) -> Computation:
    project = facts.project
    if project is None:
        return Computation(
            None,
            (),
            (
                _l("Stated in the application (eligible investment)."),
                _l("Stated in the application (digital level)."),
            ),
        )
    caps: dict[int, Decimal] = params["caps"]
    level, investment = project.digital_level, project.eligible_investment
    lowest = min(caps)
    if level is not None and level < lowest:
        return Computation(
            ZERO,
            (
                Step(
                    _l(
                        "Digital level %(level)d is below %(lowest)d, the lowest level "
                        "with a subsidy",
                        level=level,
                        lowest=lowest,
                    ),
                    format_money(ZERO),
                    ZERO,
                ),
            ),
        )
    missing = []
    if investment is None:
        missing.append(_l("The eligible investment is not stated in the application yet."))
    if level is None:
        missing.append(_l("The digital level is not stated in the application yet."))
    if missing or investment is None or level is None:  # (the second test is for mypy)
        return Computation(None, (), tuple(missing))

    rate = params["rate"]
    share_step, share = _share_steps(
        _l("%(rate)s %% of eligible investment", rate=format_number(rate)), investment, rate
    )
    cap_level = max(key for key in caps if key <= level)
    if cap_level == level:
        label = _l("Cap for digital level %(level)d", level=level)
    else:
        label = _l(
            "Cap for digital level %(level)d (the cap of level %(cap_level)d)",
            level=level,
            cap_level=cap_level,
        )
    cap_step, amount = _min_step(label, share, caps[cap_level])
    base = Step(_l("Eligible investment"), format_money(investment), to_cents(investment))
    return Computation(amount, (base, share_step, cap_step))
