"""The pure rules of acceptance (验收): the size of a panel, what the experts' conclusions add
up to, the mean of their scores, the deadline of a 限期整改, and picking experts by load.

No database here: the services in ``acceptance`` call these with what they have read.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal

from portal.payments.acceptance_models import AcceptanceOutcome

MIN_PANEL = 3  # 验收专家组 of at least three
MAX_PANEL = 9
DEFAULT_PANEL = 3
MIN_SCORE, MAX_SCORE = 0, 100
# A 限期整改 gives the firm at least a week and at most a year.
MIN_FIX_DAYS, MAX_FIX_DAYS = 7, 366
COMMENTS_MAX = 4000
CONCLUSION_MAX = 4000

# From the most lenient to the strictest: a tie goes to the stricter word.
_STRICTNESS = {AcceptanceOutcome.PASSED: 0, AcceptanceOutcome.FIX: 1, AcceptanceOutcome.FAILED: 2}


def panel_view(conclusions: Iterable[AcceptanceOutcome]) -> AcceptanceOutcome | None:
    """What the panel's conclusions add up to: the word most experts gave, the stricter one on
    a tie (two 通过 and two 不通过 are 不通过); None before any expert concluded. The officer
    is shown it and decides the outcome."""
    counts = Counter(conclusions)
    if not counts:
        return None
    return max(counts, key=lambda outcome: (counts[outcome], _STRICTNESS[outcome]))


def mean_score(scores: Iterable[int | None]) -> Decimal | None:
    """The mean of the scores given (to one decimal, half up); None when none was given."""
    given = [Decimal(score) for score in scores if score is not None]
    if not given:
        return None
    return (sum(given, Decimal(0)) / len(given)).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)


def score_in_range(score: int) -> bool:
    return MIN_SCORE <= score <= MAX_SCORE


def panel_size_ok(size: int) -> bool:
    return MIN_PANEL <= size <= MAX_PANEL


def fix_deadline_bounds(today: date) -> tuple[date, date]:
    """The earliest and latest deadline an officer may give for 限期整改."""
    return today + timedelta(days=MIN_FIX_DAYS), today + timedelta(days=MAX_FIX_DAYS)


def fix_deadline_ok(deadline: date, today: date) -> bool:
    earliest, latest = fix_deadline_bounds(today)
    return earliest <= deadline <= latest


@dataclass(frozen=True)
class Candidate:
    """An expert the officer may put on a panel (conflicted experts are never candidates)."""

    id: int
    name: str
    expertise: tuple[str, ...]
    review_load: int  # pending expert reviews of applications
    acceptance_load: int  # acceptance panels waiting for their conclusion

    @property
    def load(self) -> int:
        return self.review_load + self.acceptance_load


def pick_by_load(candidates: Sequence[Candidate], size: int) -> list[int]:
    """The ``size`` candidates with the least open work (by name, then id, on a tie)."""
    ranked = sorted(candidates, key=lambda c: (c.load, c.name, c.id))
    return [candidate.id for candidate in ranked[:size]]
