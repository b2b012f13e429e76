"""Expert-review arithmetic: weighted totals, minimums, aggregation, z-scores and ranking.

Pure functions (no database, no Flask). Scores and totals are ``Decimal``; sums are taken
exactly (``Fraction``) and only the result is rounded, to two decimals ROUND_HALF_UP, so a
total never depends on the order in which criteria or reviews are added up.
"""

from __future__ import annotations

import math
from collections.abc import Hashable, Mapping, Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal, localcontext
from fractions import Fraction
from typing import Any, TypeVar

R = TypeVar("R", bound=Hashable)
K = TypeVar("K")

CENT = Decimal("0.01")
HUNDRED = Fraction(100)

# Flag reasons stored in ``Aggregate.flag_reasons``.
SPREAD = "spread"
MINIMUM = "minimum"


def _decimal(value: Any, what: str) -> Decimal:
    """A finite Decimal from a Decimal, int, str or (JSON) float; ValueError otherwise."""
    if isinstance(value, bool):
        raise ValueError(f"{what}: expected a number, got {value!r}")
    if isinstance(value, Decimal):
        result = value
    elif isinstance(value, int):
        result = Decimal(value)
    elif isinstance(value, float):
        result = Decimal(repr(value))  # 2.5 -> Decimal("2.5"), not the binary expansion
    elif isinstance(value, str):
        try:
            result = Decimal(value.strip())
        except ArithmeticError:
            raise ValueError(f"{what}: not a number: {value!r}") from None
    else:
        raise ValueError(f"{what}: expected a number, got {value!r}")
    if not result.is_finite():
        raise ValueError(f"{what}: not a finite number: {value!r}")
    return result


def _round2(value: Fraction) -> Decimal:
    """Round an exact value to two decimals, half away from zero (ROUND_HALF_UP)."""
    cents = abs(value) * 100
    whole = math.floor(cents + Fraction(1, 2))
    if value < 0:
        whole = -whole
    return (Decimal(whole) / 100).quantize(CENT)


def _quantize(value: Decimal) -> Decimal:
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


# --------------------------------------------------------------------------------------------
# Rubric and one review


@dataclass(frozen=True)
class Criterion:
    key: str
    weight: Decimal
    scale_max: Decimal
    minimum: Decimal | None = None


def criteria_from_rubric(rubric: list[dict[str, Any]]) -> list[Criterion]:
    """Criteria from a programme version's rubric JSON (extra keys such as names are ignored).

    Numbers may be int, str, Decimal or float; ``minimum`` may be None or "". Raises ValueError
    for a missing or duplicate key, a negative weight, a scale maximum that is not positive, or
    a minimum outside 0..scale_max. An empty rubric gives an empty list.
    """
    criteria: list[Criterion] = []
    seen: set[str] = set()
    for index, item in enumerate(rubric):
        if not isinstance(item, Mapping):
            raise ValueError(f"rubric item {index}: expected an object, got {item!r}")
        key = item.get("key")
        if not isinstance(key, str) or not key.strip():
            raise ValueError(f"rubric item {index}: missing key")
        key = key.strip()
        if key in seen:
            raise ValueError(f"rubric item {index}: duplicate key {key!r}")
        seen.add(key)
        if item.get("weight") is None:
            raise ValueError(f"criterion {key!r}: missing weight")
        if item.get("scale_max") is None:
            raise ValueError(f"criterion {key!r}: missing scale_max")
        weight = _decimal(item["weight"], f"criterion {key!r} weight")
        scale_max = _decimal(item["scale_max"], f"criterion {key!r} scale_max")
        if weight < 0:
            raise ValueError(f"criterion {key!r}: negative weight {weight}")
        if scale_max <= 0:
            raise ValueError(f"criterion {key!r}: scale_max must be positive, got {scale_max}")
        raw_minimum = item.get("minimum")
        minimum = None
        if raw_minimum is not None and not (
            isinstance(raw_minimum, str) and not raw_minimum.strip()
        ):
            minimum = _decimal(raw_minimum, f"criterion {key!r} minimum")
            if not 0 <= minimum <= scale_max:
                raise ValueError(f"criterion {key!r}: minimum {minimum} outside 0..{scale_max}")
        criteria.append(Criterion(key, weight, scale_max, minimum))
    return criteria


def _score(criterion: Criterion, scores: Mapping[str, Any]) -> Decimal:
    if criterion.key not in scores or scores[criterion.key] is None:
        raise ValueError(f"criterion {criterion.key!r}: score missing")
    score = _decimal(scores[criterion.key], f"criterion {criterion.key!r} score")
    if not 0 <= score <= criterion.scale_max:
        raise ValueError(
            f"criterion {criterion.key!r}: score {score} outside 0..{criterion.scale_max}"
        )
    return score


def weighted_total(criteria: Sequence[Criterion], scores: Mapping[str, Decimal]) -> Decimal:
    """100 × Σ(weight × score / scale_max) / Σweight, rounded to 2 decimals ROUND_HALF_UP.

    With weights totalling 100 this is Σ weight × score / scale_max. Scores for keys that are
    not criteria are ignored. Raises ValueError when a score is missing or outside
    0..scale_max, when there are no criteria, or when the weights total zero.
    """
    if not criteria:
        raise ValueError("no criteria to score")
    total_weight = sum((Fraction(c.weight) for c in criteria), Fraction(0))
    if total_weight <= 0:
        raise ValueError("the criteria weights total zero")
    weighted = Fraction(0)
    for criterion in criteria:
        score = _score(criterion, scores)
        weighted += Fraction(criterion.weight) * Fraction(score) / Fraction(criterion.scale_max)
    return _round2(HUNDRED * weighted / total_weight)


def missed_minimums(criteria: Sequence[Criterion], scores: Mapping[str, Decimal]) -> list[str]:
    """Keys (in rubric order) whose minimum is set and whose score is below it.

    A missing score is not reported here (``weighted_total`` refuses it).
    """
    missed = []
    for criterion in criteria:
        if criterion.minimum is None or scores.get(criterion.key) is None:
            continue
        score = _decimal(scores[criterion.key], f"criterion {criterion.key!r} score")
        if score < criterion.minimum:
            missed.append(criterion.key)
    return missed


# --------------------------------------------------------------------------------------------
# Several reviews of one application


@dataclass(frozen=True)
class Aggregate:
    count: int
    mean: Decimal | None  # None without reviews
    spread: Decimal | None  # max − min; None without reviews, 0 for one
    minimum_missed: bool
    flagged: bool  # needs moderation (False once moderated)
    flag_reasons: tuple[str, ...]  # "spread", "minimum"; kept after moderation for history
    final: Decimal | None = None  # moderator's total when moderated, else the mean
    moderated: bool = False


def aggregate(
    totals: Sequence[Decimal],
    *,
    spread_threshold: Decimal,
    minimum_missed: bool = False,
    moderator_total: Decimal | None = None,
) -> Aggregate:
    """Mean, spread and moderation flag of an application's review totals.

    Flagged when the spread (rounded to 2 decimals) is strictly above ``spread_threshold``
    (reason "spread") or when any review missed a criterion minimum (reason "minimum"). A
    moderator's total replaces the mean as the final score and clears the flag; the reasons
    stay in ``flag_reasons``.
    """
    values = [_decimal(total, "review total") for total in totals]
    threshold = _decimal(spread_threshold, "spread threshold")
    count = len(values)
    mean = spread = None
    if values:
        mean = _round2(sum((Fraction(v) for v in values), Fraction(0)) / count)
        spread = _quantize(max(values) - min(values))
    reasons: list[str] = []
    if spread is not None and spread > threshold:
        reasons.append(SPREAD)
    if minimum_missed:
        reasons.append(MINIMUM)
    moderated = moderator_total is not None
    final = mean
    if moderator_total is not None:
        final = _quantize(_decimal(moderator_total, "moderator total"))
    return Aggregate(
        count=count,
        mean=mean,
        spread=spread,
        minimum_missed=bool(minimum_missed),
        flagged=bool(reasons) and not moderated,
        flag_reasons=tuple(reasons),
        final=final,
        moderated=moderated,
    )


# --------------------------------------------------------------------------------------------
# Across a programme


def _exact_sqrt(value: Fraction) -> Fraction | None:
    """The square root of a non-negative fraction when it is itself a fraction, else None."""
    num, den = value.numerator, value.denominator
    root_num, root_den = math.isqrt(num), math.isqrt(den)
    if root_num * root_num == num and root_den * root_den == den:
        return Fraction(root_num, root_den)
    return None


@dataclass(frozen=True)
class Sums:
    """Review totals summed up: how many, their sum and the sum of their squares (exact)."""

    count: int
    total: Fraction
    squares: Fraction

    @classmethod
    def of(cls, totals: Sequence[Fraction]) -> Sums:
        return cls(len(totals), sum(totals, Fraction(0)), sum((t * t for t in totals), Fraction(0)))


def mean_of(sums: Sums) -> Decimal | None:
    """The mean of summed-up totals, 2 decimals ROUND_HALF_UP (as ``aggregate`` gives it)."""
    return _round2(sums.total / sums.count) if sums.count else None


def z_score(program: Sums, reviewer: Sums) -> Decimal | None:
    """One reviewer's z-score from the programme's sums and the reviewer's, 2 decimals
    ROUND_HALF_UP: (the reviewer's mean − the programme's) / the programme's population
    standard deviation. None when the reviewer has no totals, the programme fewer than 2 or
    no spread."""
    if reviewer.count == 0 or program.count < 2:
        return None
    mean = program.total / program.count
    variance = program.squares / program.count - mean * mean
    if variance <= 0:
        return None
    difference = reviewer.total / reviewer.count - mean
    exact = _exact_sqrt(variance)
    if exact is not None:
        return _round2(difference / exact)
    # Irrational stdev: the z-score cannot be exactly half a cent, so 60 digits round right.
    with localcontext() as context:
        context.prec = 60
        stdev = (Decimal(variance.numerator) / Decimal(variance.denominator)).sqrt()
        z = Decimal(difference.numerator) / Decimal(difference.denominator) / stdev
        return _quantize(z)


def z_scores(totals_by_reviewer: Mapping[R, Sequence[Decimal]]) -> dict[R, Decimal | None]:
    """Each reviewer's z-score across the programme, 2 decimals ROUND_HALF_UP.

    The programme mean and population standard deviation are taken over ALL review totals;
    a reviewer's z-score is (mean of their totals − programme mean) / stdev. Every value is
    None when there are fewer than 2 totals or the stdev is 0; a reviewer without totals
    gets None. (``z_score`` gives the same from running sums.)
    """
    by_reviewer = {
        reviewer: Sums.of([Fraction(_decimal(t, "review total")) for t in totals])
        for reviewer, totals in totals_by_reviewer.items()
    }
    program = Sums(
        sum(s.count for s in by_reviewer.values()),
        sum((s.total for s in by_reviewer.values()), Fraction(0)),
        sum((s.squares for s in by_reviewer.values()), Fraction(0)),
    )
    return {reviewer: z_score(program, sums) for reviewer, sums in by_reviewer.items()}


def rank(items: Sequence[tuple[K, Decimal | None]]) -> list[tuple[K, int | None]]:
    """Competition ranking (1, 2, 2, 4) by score descending, in ranked order.

    Equal scores share a rank and keep their input order; items without a score come last,
    unranked (None), in input order.
    """
    scored = [(key, score) for key, score in items if score is not None]
    unscored = [(key, None) for key, score in items if score is None]
    scored.sort(key=lambda item: item[1], reverse=True)  # stable: ties keep input order
    ranked: list[tuple[K, int | None]] = []
    previous: Decimal | None = None
    current = 0
    for position, (key, score) in enumerate(scored, start=1):
        if previous is None or score != previous:
            current = position
            previous = score
        ranked.append((key, current))
    ranked.extend(unscored)
    return ranked
