"""Where the key tasks stand today: each task's indicators with their values, expected values
and percentages, its milestones, and its status by rule (``status_rules``), read for many
tasks at once in a fixed number of queries (two for the tasks' indicators and milestones, one
per indicator kind in use).

The wall, the timeline, the prints, the evaluation that keeps the monthly history and raises
slips, and the goal tiles all read progress here, so they never disagree.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from flask_babel import gettext as _
from sqlalchemy import select

from portal.core.audit import Action, AuditEvent
from portal.core.extensions import db
from portal.tasks import indicator_kinds
from portal.tasks.models import GoalTile, KeyTask, Milestone, TaskIndicator, TaskStatus
from portal.tasks.status_rules import (
    IndicatorFacts,
    IndicatorVerdict,
    MilestoneFacts,
    Reason,
    Verdict,
    judge_task,
)


@dataclass(frozen=True)
class IndicatorProgress:
    indicator: TaskIndicator
    value: Decimal | None
    verdict: IndicatorVerdict


@dataclass(frozen=True)
class TaskProgress:
    task: KeyTask
    indicators: list[IndicatorProgress]
    milestones: list[Milestone]  # by due date
    verdict: Verdict

    @property
    def status(self) -> TaskStatus:
        return self.verdict.status

    @property
    def next_milestone(self) -> Milestone | None:
        return next((m for m in self.milestones if m.done_on is None), None)


@dataclass(frozen=True)
class GoalProgress:
    tile: GoalTile
    value: Decimal | None
    percent: Decimal | None  # of the target reached


def load_progress(
    tasks: Sequence[KeyTask], today: date, locale: str = "zh_CN"
) -> dict[int, TaskProgress]:
    """The progress of ``tasks`` on ``today``; the status rule's "previous" is each task's
    stored status (the last evaluation's), or red when the task was red at an evaluation
    earlier today (so that it goes red -> yellow -> green over two days, however often it is
    evaluated on the day). Reasons name things in ``locale``."""
    if not tasks:
        return {}
    ids = [t.id for t in tasks]
    indicators: dict[int, list[TaskIndicator]] = defaultdict(list)
    for indicator in db.session.scalars(
        select(TaskIndicator)
        .where(TaskIndicator.task_id.in_(ids))
        .order_by(TaskIndicator.task_id, TaskIndicator.position, TaskIndicator.id)
    ):
        indicators[indicator.task_id].append(indicator)
    milestones: dict[int, list[Milestone]] = defaultdict(list)
    for milestone in db.session.scalars(
        select(Milestone)
        .where(Milestone.task_id.in_(ids))
        .order_by(Milestone.task_id, Milestone.due_on, Milestone.id)
    ):
        milestones[milestone.task_id].append(milestone)

    years = {t.id: t.year for t in tasks}
    flat = [i for t in tasks for i in indicators[t.id]]
    values = indicator_kinds.compute_values(
        [(i.kind, indicator_kinds.Query(i.id, i.params or {}, years[i.task_id])) for i in flat],
        today,
    )
    value_of = {i.id: v for i, v in zip(flat, values, strict=True)}
    red_today = red_earlier_today(tasks, today)

    result: dict[int, TaskProgress] = {}
    for task in tasks:
        facts = [
            IndicatorFacts(
                i.id,
                i.display_name(locale),
                i.direction,
                i.baseline,
                i.target,
                _rounded(value_of[i.id]),
            )
            for i in indicators[task.id]
        ]
        verdict = judge_task(
            task.year,
            facts,
            [
                MilestoneFacts(m.id, m.display_title(locale), m.due_on, m.done_on)
                for m in milestones[task.id]
            ],
            today,
            previous=TaskStatus.RED if task.id in red_today else task.status,
        )
        result[task.id] = TaskProgress(
            task=task,
            indicators=[
                IndicatorProgress(i, value_of[i.id], verdict.indicators[i.id])
                for i in indicators[task.id]
            ],
            milestones=milestones[task.id],
            verdict=verdict,
        )
    return result


def red_earlier_today(tasks: Sequence[KeyTask], today: date) -> set[int]:
    """The tasks evaluated today that are yellow now but were red at an evaluation earlier
    today (the evaluation records each change with the day it judged, ``on``). Reads the audit
    trail only when some task was evaluated today and is yellow: one query, or none."""
    candidates = [
        str(t.id) for t in tasks if t.evaluated_on == today and t.status is TaskStatus.YELLOW
    ]
    if not candidates:
        return set()
    rows = db.session.execute(
        select(AuditEvent.object_id, AuditEvent.summary).where(
            AuditEvent.action == Action.TASK_STATUS_CHANGED.value,
            AuditEvent.object_type == KeyTask.__tablename__,
            AuditEvent.object_id.in_(candidates),
        )
    ).all()
    day = today.isoformat()
    return {
        int(object_id)
        for object_id, summary in rows
        if (summary or {}).get("on") == day and (summary or {}).get("from") == TaskStatus.RED.value
    }


def load_goals(tiles: Sequence[GoalTile], today: date) -> list[GoalProgress]:
    values = indicator_kinds.compute_values(
        [(t.kind, indicator_kinds.Query(None, t.params or {}, t.year)) for t in tiles], today
    )
    goals = []
    for tile, value in zip(tiles, values, strict=True):
        percent = None
        if value is not None and tile.target > 0:
            percent = (value / tile.target * 100).quantize(Decimal("0.1"))
        goals.append(GoalProgress(tile, _rounded(value), percent))
    return goals


def _rounded(value: Decimal | None) -> Decimal | None:
    return None if value is None else value.quantize(Decimal("0.01"))


def reason_text(reason: Reason) -> str:
    """A reason for a status, in the reader's language."""
    if reason.kind == "overdue":
        return _(
            "Milestone overdue since %(day)s: %(title)s", day=reason.due_on, title=reason.subject
        )
    if reason.kind == "due_soon":
        return _("Milestone due on %(day)s: %(title)s", day=reason.due_on, title=reason.subject)
    if reason.kind == "behind":
        return _(
            "%(name)s is behind schedule: %(value)s against %(expected)s expected by today",
            name=reason.subject,
            value=_plain(reason.value),
            expected=_plain(reason.expected),
        )
    if reason.kind == "unknown":
        return _("%(name)s has not been reported yet", name=reason.subject)
    return _("Caught up after being overdue: green again after the next check")


def _plain(value: Decimal | None) -> str:
    if value is None:
        return "—"
    normal = value.normalize()
    return f"{normal:f}" if normal == normal.to_integral() else f"{value:.2f}"
