"""Subsidy formulas as data.

A programme's formula is JSON-able: ``{"formula": "<kind>", "params": {...}}``. Every rate,
cap and tier is a parameter (defaults from the demo programmes). ``compute`` returns the amount
together with the steps that produced it, so that the firm and the officer see the same sum.

Money is ``Decimal``; every amount is cut to two decimals (ROUND_DOWN). The programme-wide cap
per firm is applied by ``compute`` (``apply_cap``); scaling to a short budget, rounded down to
100 yuan, is ``pro_rata``.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from decimal import ROUND_DOWN, Decimal
from fractions import Fraction
from typing import Any, TypeVar

from flask_babel import lazy_gettext as _l

from portal.programs.facts import FirmFacts, Recognition
from portal.programs.rules import (
    CENT,
    RECOGNITION_WITHIN_LABEL,
    ParamSpec,
    Text,
    as_decimal,
    check_params,
    format_amount,
    format_money,
    format_number,
    lazy_join,
    normalise_params,
    qualifying_recognition_years,
)

K = TypeVar("K")
ZERO = Decimal("0.00")


@dataclass(frozen=True)
class Step:
    """One line of the shown computation."""

    label: Text  # e.g. "R&D increase 2025 over 2024"
    expression: str  # e.g. "620,000.00 − 480,000.00" (plain, numbers formatted)
    amount: Decimal


@dataclass(frozen=True)
class Computation:
    amount: Decimal | None  # None when data is missing or the amount is decided later (ranking)
    steps: tuple[Step, ...]
    missing: tuple[Text, ...] = ()  # what data is needed
    note: Text | None = None  # e.g. amount set by ranking after expert review


@dataclass(frozen=True)
class FormulaKind:
    key: str
    label: Text
    params: tuple[ParamSpec, ...]
    reads_project: bool
    compute: Callable[[FirmFacts, dict[str, Any]], Computation]


class InvalidFormula(ValueError):
    def __init__(self, problems: list[str]) -> None:
        super().__init__(problems)
        self.problems = problems

    def __str__(self) -> str:
        return "; ".join(str(problem) for problem in self.problems)


def _cents(value: Decimal) -> Decimal:
    return value.quantize(CENT, rounding=ROUND_DOWN)


def _percent_of(value: Decimal, rate: Decimal) -> Decimal:
    return _cents(value * rate / 100)


def _share_steps(label: Text, base: Decimal, rate: Decimal) -> tuple[Step, Decimal]:
    share = _percent_of(base, rate)
    return Step(label, f"{format_money(base)} × {format_number(rate)} %", share), share


def _min_step(label: Text, amount: Decimal, cap: Decimal) -> tuple[Step, Decimal]:
    capped = _cents(min(amount, cap))
    return Step(label, f"min({format_money(amount)}, {format_money(cap)})", capped), capped


# --- formula kinds --------------------------------------------------------------------------


def _recognition_award(facts: FirmFacts, params: dict[str, Any]) -> Computation:
    within = params["within_years"]
    gazelle = qualifying_recognition_years(facts, Recognition.GAZELLE, within)
    if gazelle:
        year = max(gazelle)
        years = sorted({y for y in facts.recognition_years(Recognition.GAZELLE) if y <= year})
        if len(years) == 1:
            amount = _cents(params["gazelle_first"])
            step = Step(
                _l("Gazelle %(year)d, first recognition", year=year), format_money(amount), amount
            )
        else:
            amount = _cents(params["gazelle_renewal"])
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
            _cents(rd),
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


def _rd_increase_share(facts: FirmFacts, params: dict[str, Any]) -> Computation:
    year, previous_year = facts.last_year, facts.last_year - 1
    figures = facts.year(year)
    rd, previous = figures.rd_expense, facts.year(previous_year).rd_expense
    missing = []
    if rd is None:
        missing.append(_l("R&D spend for %(year)d is not in your profile yet.", year=year))
    if previous is None:
        missing.append(_l("R&D spend for %(year)d is not in your profile yet.", year=previous_year))
    if missing:
        return Computation(None, (), tuple(missing))

    if rd <= previous:
        return Computation(
            ZERO,
            (
                Step(
                    _l(
                        "No R&D increase %(year)d over %(previous_year)d",
                        year=year,
                        previous_year=previous_year,
                    ),
                    f"{format_money(rd)} − {format_money(previous)} ≤ 0",
                    ZERO,
                ),
            ),
        )
    increase = _cents(rd - previous)
    steps = [
        Step(
            _l(
                "R&D increase %(year)d over %(previous_year)d",
                year=year,
                previous_year=previous_year,
            ),
            f"{format_money(rd)} − {format_money(previous)}",
            increase,
        )
    ]
    rate = params["rate"]
    share_step, share = _share_steps(
        _l("%(rate)s %% of the increase", rate=format_number(rate)), increase, rate
    )
    steps.append(share_step)

    revenue, high_tech = figures.revenue, facts.high_tech_certificate
    threshold = params["large_min_revenue"]
    shown = {
        "year": year,
        "revenue": format_amount(revenue) if revenue is not None else "",
        "threshold": format_amount(threshold),
    }
    if revenue is not None and revenue >= threshold:
        cap = params["cap_large"]
        label = _l(
            "Cap for firms above designated size (revenue %(year)d: %(revenue)s yuan "
            "≥ %(threshold)s)",
            **shown,
        )
    elif high_tech is True:
        cap, label = params["cap_large"], _l("Cap for high-tech enterprises")
    elif revenue is not None and high_tech is False:
        cap = params["cap"]
        label = _l(
            "Cap for other firms (revenue %(year)d: %(revenue)s yuan < %(threshold)s, "
            "no high-tech certificate)",
            **shown,
        )
    elif share <= min(params["cap"], params["cap_large"]):
        # which cap applies is unknown, but the share is below both
        cap, label = params["cap"], _l("Cap (the amount is below it either way)")
    else:
        if revenue is None:
            missing.append(_l("Revenue for %(year)d is not in your profile yet.", year=year))
        if high_tech is None:
            missing.append(
                _l(
                    "Whether you hold a high-tech enterprise certificate "
                    "is not in your profile yet."
                )
            )
        return Computation(None, tuple(steps), tuple(missing))
    cap_step, amount = _min_step(label, share, cap)
    steps.append(cap_step)
    return Computation(amount, tuple(steps))


def _ranked_tiers(facts: FirmFacts, params: dict[str, Any]) -> Computation:
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


def tier_amount(params: Mapping[str, Any], rank: int, score: Decimal | int) -> Decimal:
    """What a ``ranked_tiers`` programme pays the firm ranked ``rank`` (1 = best) with
    ``score``: 0 below the minimum score or beyond the last tier."""
    values = normalise_params(FORMULA_KINDS["ranked_tiers"], params)
    score_value = as_decimal(score)
    if score_value is None:
        raise ValueError(f"score must be a number, not {score!r}")
    if isinstance(rank, bool) or not isinstance(rank, int) or rank < 1:
        raise ValueError(f"rank must be a whole number from 1, not {rank!r}")
    if score_value < values["min_score"]:
        return ZERO
    last_rank = 0
    for count, amount in values["tiers"]:
        last_rank += count
        if rank <= last_rank:
            return _cents(amount)
    return ZERO


def _investment_share_by_level(facts: FirmFacts, params: dict[str, Any]) -> Computation:
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
    if missing:
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
    base = Step(_l("Eligible investment"), format_money(investment), _cents(investment))
    return Computation(amount, (base, share_step, cap_step))


def _amount(name: str, label: Text, default: str) -> ParamSpec:
    return ParamSpec(name, "decimal", label, Decimal(default), minimum=Decimal(0))


_KINDS = (
    FormulaKind(
        "recognition_award",
        _l("Award for a young-eagle or gazelle recognition"),
        (
            ParamSpec(
                "young_eagle_rate",
                "percent",
                _l("Young eagle: percent of last year's R&D spend"),
                Decimal(10),
            ),
            _amount("young_eagle_cap", _l("Young eagle: maximum (yuan)"), "200000"),
            _amount("gazelle_first", _l("Gazelle: first recognition (yuan)"), "300000"),
            _amount("gazelle_renewal", _l("Gazelle: renewal (yuan)"), "100000"),
            ParamSpec("within_years", "int", RECOGNITION_WITHIN_LABEL, 1, minimum=0),
        ),
        False,
        _recognition_award,
    ),
    FormulaKind(
        "rd_increase_share",
        _l("Share of the R&D increase, capped"),
        (
            ParamSpec("rate", "percent", _l("Percent of the R&D increase"), Decimal(10)),
            _amount("cap", _l("Cap for other firms (yuan)"), "300000"),
            _amount(
                "cap_large",
                _l("Cap for firms above designated size or with a high-tech certificate (yuan)"),
                "1000000",
            ),
            _amount(
                "large_min_revenue",
                _l("Revenue last year for above designated size (yuan)"),
                "20000000",
            ),
        ),
        False,
        _rd_increase_share,
    ),
    FormulaKind(
        "ranked_tiers",
        _l("Fixed amounts by rank after expert review"),
        (
            ParamSpec(
                "tiers",
                "tiers",
                _l("Tiers: number of firms and amount (yuan), best first"),
                ((10, 500000), (20, 200000)),
            ),
            ParamSpec("min_score", "decimal", _l("Minimum score"), Decimal(60), minimum=0),
        ),
        False,
        _ranked_tiers,
    ),
    FormulaKind(
        "investment_share_by_level",
        _l("Share of eligible investment, capped by digital level"),
        (
            ParamSpec("rate", "percent", _l("Percent of eligible investment"), Decimal(20)),
            ParamSpec(
                "caps",
                "level_caps",
                _l("Cap by digital level (yuan)"),
                (("2", 300000), ("3", 500000), ("4", 1000000)),
            ),
        ),
        True,
        _investment_share_by_level,
    ),
)

FORMULA_KINDS: dict[str, FormulaKind] = {kind.key: kind for kind in _KINDS}


# --- validation and computation ------------------------------------------------------------


def validate_formula(data: Any) -> list[str]:
    """Every problem in a formula; an empty list when it is valid. Plain strings in the current
    locale. Besides ``formula`` and ``params`` the data may carry the programme's
    ``per_firm_cap`` (a number or null)."""
    return [str(problem) for problem in _formula_problems(data)]


def _formula_problems(data: Any) -> list[Text]:
    where = _l("Formula")
    if not isinstance(data, Mapping) or "formula" not in data:
        return [_l("%(where)s: choose a kind of formula.", where=where)]
    problems: list[Text] = []
    for key in data:
        if key not in ("formula", "params", "per_firm_cap"):
            problems.append(_l("%(where)s: unknown entry “%(key)s”.", where=where, key=str(key)))
    cap = data.get("per_firm_cap")
    if cap is not None and (as_decimal(cap) is None or as_decimal(cap) < 0):
        problems.append(
            _l("%(where)s: the cap per firm must be an amount of at least 0.", where=where)
        )
    key = data["formula"]
    kind = FORMULA_KINDS.get(key) if isinstance(key, str) else None
    if kind is None:
        problems.append(
            _l("%(where)s: unknown kind of formula “%(kind)s”.", where=where, kind=str(key))
        )
        return problems
    problems.extend(check_params(kind, data.get("params"), where)[1])
    return problems


def apply_cap(amount: Decimal, cap: Decimal | int | None) -> Decimal:
    """``amount`` limited to ``cap`` (no limit when ``cap`` is None)."""
    if cap is None or amount is None:
        return amount
    cap_value = as_decimal(cap)
    if cap_value is None or cap_value < 0:
        raise ValueError(f"a cap must be an amount of at least 0, not {cap!r}")
    return min(amount, cap_value)


def compute(
    formula: Mapping[str, Any], facts: FirmFacts, per_firm_cap: Decimal | None = None
) -> Computation:
    """The amount for a firm with the steps shown, the per-firm cap applied last (with a step
    when it bites). ``per_firm_cap`` defaults to the formula's own ``per_firm_cap`` entry.
    Raises ``InvalidFormula`` when ``validate_formula`` finds problems."""
    problems = validate_formula(formula)
    if problems:
        raise InvalidFormula(problems)
    kind = FORMULA_KINDS[formula["formula"]]
    result = kind.compute(facts, normalise_params(kind, formula.get("params")))
    if per_firm_cap is None and formula.get("per_firm_cap") is not None:
        per_firm_cap = as_decimal(formula["per_firm_cap"])
    if result.amount is None:
        return result
    amount, steps = _cents(result.amount), result.steps
    capped = _cents(apply_cap(amount, per_firm_cap))
    if capped < amount:
        steps = (
            *steps,
            Step(
                _l("Programme cap per firm"),
                f"min({format_money(amount)}, {format_money(per_firm_cap)})",
                capped,
            ),
        )
    return replace(result, amount=capped, steps=steps)


def pro_rata(
    amounts: Mapping[K, Decimal], budget: Decimal, step: Decimal = Decimal("100")
) -> dict[K, Decimal]:
    """Scale amounts to a short budget: when their sum exceeds ``budget`` each is multiplied by
    budget / sum and rounded down to a multiple of ``step``; otherwise they are returned
    unchanged. The result never sums to more than the budget, and no amount grows."""
    budget_value, step_value = as_decimal(budget), as_decimal(step)
    if budget_value is None or budget_value < 0:
        raise ValueError(f"the budget must be an amount of at least 0, not {budget!r}")
    if step_value is None or step_value <= 0:
        raise ValueError(f"the step must be a positive amount, not {step!r}")
    values = {}
    for key, amount in amounts.items():
        value = as_decimal(amount)
        if value is None or value < 0:
            raise ValueError(f"amounts must be at least 0, not {amount!r} for {key!r}")
        values[key] = value
    total = sum(values.values(), Decimal(0))
    if total <= budget_value:
        return dict(amounts)
    factor = Fraction(budget_value) / Fraction(total)  # exact, so no share is rounded up
    unit = Fraction(step_value)
    return {
        key: _cents(step_value * math.floor(Fraction(value) * factor / unit))
        for key, value in values.items()
    }
