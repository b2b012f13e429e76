"""Status by rule, not by opinion: green, yellow or red for a key task from its indicators and
milestones on a given day. Pure: no database, no clock.

- **Red**: a milestone is overdue (due before today and not done).
- **Yellow**: an indicator is behind its expected value (序时进度), or a milestone is due within
  ``near_days``.
- **Green**: otherwise.
- A task that was red stays red while it is behind, and returns to **yellow**, never straight
  to green, once it has caught up; the next evaluation on a later day may make it green.
  ``previous`` is the status before today: the last evaluation's, or red when the task was red
  at any evaluation earlier today (``progress.red_earlier_today``), so that evaluating several
  times a day never takes a task from red to green on one day.

The expected value of an "at least" indicator runs in a straight line from its baseline on
1 January to its target on 31 December (time-proportional progress); an "at most" indicator
(reports overdue, days to cash) is behind whenever it is above its target.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

from portal.tasks.models import Direction, TaskStatus

# A milestone due within this many days turns a task yellow (and raises a blue slip).
NEAR_DAYS = 7
HUNDRED = Decimal(100)


@dataclass(frozen=True)
class IndicatorFacts:
    key: int  # the indicator's id
    name: str
    direction: Direction
    baseline: Decimal
    target: Decimal
    value: Decimal | None  # None: not known yet (a manual indicator never reported)


@dataclass(frozen=True)
class MilestoneFacts:
    key: int  # the milestone's id
    title: str
    due_on: date
    done_on: date | None


@dataclass(frozen=True)
class IndicatorVerdict:
    key: int
    expected: Decimal
    # Share of the expected value reached, 0..100+ (100 = on schedule); None when unknown.
    percent: Decimal | None
    behind: bool


@dataclass(frozen=True)
class Reason:
    """Why a task has its status, for people to read (``progress.reason_text``)."""

    kind: str  # "overdue" | "due_soon" | "behind" | "recovering" | "unknown"
    subject: str  # the milestone's title or the indicator's name
    due_on: date | None = None
    value: Decimal | None = None
    expected: Decimal | None = None


@dataclass(frozen=True)
class Verdict:
    status: TaskStatus
    reasons: tuple[Reason, ...]
    indicators: dict[int, IndicatorVerdict] = field(default_factory=dict)
    overdue: tuple[int, ...] = ()  # milestone ids overdue
    due_soon: tuple[int, ...] = ()  # milestone ids due within NEAR_DAYS
    behind: tuple[int, ...] = ()  # indicator ids behind
    percent: Decimal | None = None  # the task's progress: the lowest indicator's percent


def year_fraction(year: int, today: date) -> Decimal:
    """How much of ``year`` has passed by the end of ``today``: 0 before it, 1 after it."""
    start, end = date(year, 1, 1), date(year, 12, 31)
    if today < start:
        return Decimal(0)
    if today >= end:
        return Decimal(1)
    days = (end - start).days + 1
    return Decimal((today - start).days + 1) / Decimal(days)


def expected_value(facts: IndicatorFacts, year: int, today: date) -> Decimal:
    if facts.direction is Direction.DOWN:
        return facts.target
    span = facts.target - facts.baseline
    expected = facts.baseline + span * year_fraction(year, today)
    return expected.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


def judge_indicator(facts: IndicatorFacts, year: int, today: date) -> IndicatorVerdict:
    expected = expected_value(facts, year, today)
    if facts.value is None:
        return IndicatorVerdict(facts.key, expected, None, behind=True)
    if facts.direction is Direction.DOWN:
        behind = facts.value > facts.target
        if facts.value <= 0 or not behind:
            percent = HUNDRED
        else:
            percent = facts.target / facts.value * HUNDRED
    else:
        behind = facts.value < expected
        gained, wanted = facts.value - facts.baseline, expected - facts.baseline
        percent = HUNDRED if wanted <= 0 else gained / wanted * HUNDRED
    percent = max(Decimal(0), percent).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)
    return IndicatorVerdict(facts.key, expected, percent, behind)


def judge_task(
    year: int,
    indicators: list[IndicatorFacts],
    milestones: list[MilestoneFacts],
    today: date,
    previous: TaskStatus | None,
    near_days: int = NEAR_DAYS,
) -> Verdict:
    reasons: list[Reason] = []
    overdue = [m for m in milestones if m.done_on is None and m.due_on < today]
    due_soon = [
        m
        for m in milestones
        if m.done_on is None and today <= m.due_on and (m.due_on - today).days <= near_days
    ]
    verdicts = {i.key: judge_indicator(i, year, today) for i in indicators}
    behind = [i for i in indicators if verdicts[i.key].behind]

    for m in sorted(overdue, key=lambda m: m.due_on):
        reasons.append(Reason("overdue", m.title, due_on=m.due_on))
    for i in behind:
        v = verdicts[i.key]
        kind = "unknown" if i.value is None else "behind"
        reasons.append(Reason(kind, i.name, value=i.value, expected=v.expected))
    for m in sorted(due_soon, key=lambda m: m.due_on):
        reasons.append(Reason("due_soon", m.title, due_on=m.due_on))

    if overdue:
        status = TaskStatus.RED
    elif previous is TaskStatus.RED and behind:
        status = TaskStatus.RED  # red until caught up
    elif behind or due_soon:
        status = TaskStatus.YELLOW
    elif previous is TaskStatus.RED:
        status = TaskStatus.YELLOW  # caught up: back to yellow first, not straight to green
        reasons.append(Reason("recovering", ""))
    else:
        status = TaskStatus.GREEN

    percents = [v.percent for v in verdicts.values() if v.percent is not None]
    return Verdict(
        status=status,
        reasons=tuple(reasons),
        indicators=verdicts,
        overdue=tuple(m.key for m in overdue),
        due_soon=tuple(m.key for m in due_soon),
        behind=tuple(i.key for i in behind),
        percent=min(percents) if percents else None,
    )
