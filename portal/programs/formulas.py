"""Subsidy formulas as data.

A programme's formula is JSON-able: ``{"formula": "<kind>", "params": {...}}``. Every rate,
cap and tier is a parameter (defaults from the demo programmes). ``compute`` returns the amount
together with the steps that produced it (each kind's computation is in ``formula_steps``), so
that the firm and the officer see the same sum.

Money is ``Decimal``; every amount is cut to two decimals (``core.money.to_cents``, ROUND_DOWN).
The programme-wide cap per firm is applied by ``compute`` (``apply_cap``); scaling to a short
budget, rounded down to 100 yuan, is ``pro_rata``.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from decimal import Decimal
from fractions import Fraction
from typing import Any, TypeVar

from flask_babel import lazy_gettext as _l

from portal.core.money import format_money, to_cents
from portal.programs.facts import FirmFacts
from portal.programs.formula_steps import (
    ZERO,
    Computation,
    Step,
    investment_share_by_level,
    ranked_tiers,
    rd_increase_share,
    recognition_award,
)
from portal.programs.parameters import (
    ParamSpec,
    Text,
    as_decimal,
    check_params,
    normalise_params,
)
from portal.programs.rule_checks import RECOGNITION_WITHIN_LABEL

K = TypeVar("K")


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
            return to_cents(amount)
    return ZERO


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
        recognition_award,
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
        rd_increase_share,
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
        ranked_tiers,
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
        investment_share_by_level,
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
    cap_amount = None if cap is None else as_decimal(cap)
    if cap is not None and (cap_amount is None or cap_amount < 0):
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
    amount, steps = to_cents(result.amount), result.steps
    capped = to_cents(apply_cap(amount, per_firm_cap))
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
        key: to_cents(step_value * math.floor(Fraction(value) * factor / unit))
        for key, value in values.items()
    }
