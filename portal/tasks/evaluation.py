"""The daily evaluation of the key tasks (``flask --app portal tasks evaluate``, or ``daily``).

For every key task of today's year it reads the progress (``progress.load_progress``: values
from the tallies, milestones, the status by rule), and then

- stores the status on the task (``status``, a short reason in Chinese, ``evaluated_on``),
  records a change in the audit trail (``TASK_STATUS_CHANGED``: from, to, the reasons and the
  day judged) and tells the people named on a task that turns red;
- keeps the month's history (``TaskStatusMonth``: the latest status, the worst of the month,
  the reason, the progress and the overdue milestones), which is what the year-end
  accountability is judged on;
- raises slips by rule (``slip_issue.issue_slip``), each cause once (``cause_key``): a red slip
  for each overdue milestone, a yellow slip when an indicator is behind (at most one per task
  and month), a blue slip when a milestone is due within three days.

Running it twice on a day changes nothing the second time. Two hosts may start it at once: on
PostgreSQL a transaction-level advisory lock lets one run and tells the other "already
running"; on SQLite the write lock every command takes (``BEGIN IMMEDIATE``) makes them queue,
and the second finds nothing to do. The statements it runs do not grow with the number of
applications (the indicator kinds read the tallies). It flushes; the caller commits.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy import bindparam, select, text, update
from sqlalchemy.orm.attributes import set_committed_value

from portal.core import audit
from portal.core.audit import Action
from portal.core.extensions import db
from portal.core.timeutil import bureau_today
from portal.core.urls import path_for
from portal.notifications.services import notify
from portal.tasks.models import (
    KeyTask,
    Milestone,
    SlipColour,
    SupervisionSlip,
    TaskStatus,
    TaskStatusMonth,
)
from portal.tasks.progress import TaskProgress, load_progress, reason_text
from portal.tasks.slip_issue import issue_slip, people_named_on

# Days a rule's slip gives to answer; a blue slip's deadline is its milestone's due date.
RED_SLIP_DAYS = 5
YELLOW_SLIP_DAYS = 10
# A milestone due within this many days raises a blue slip (the status turns yellow earlier:
# ``status_rules.NEAR_DAYS``).
BLUE_SLIP_DAYS = 3
REASON_LENGTH = 300
# The stored progress (``Numeric(8, 2)``) of a task far ahead of an early-January expected value.
MAX_PERCENT = Decimal("999999.99")
SEVERITY = {TaskStatus.GREEN: 0, TaskStatus.YELLOW: 1, TaskStatus.RED: 2}
ZH = "zh_CN"

# PostgreSQL advisory locks of the wall map's daily runs: ("TASK", which run).
LOCK_SPACE = 0x5441534B
EVALUATION_LOCK = 1
REMINDER_LOCK = 2
_TRY_LOCK = text("SELECT pg_try_advisory_xact_lock(CAST(:space AS integer), CAST(:key AS integer))")


@dataclass
class EvaluationResult:
    """What a run did: ``already_running`` when another run held the lock (nothing done)."""

    already_running: bool = False
    evaluated: int = 0
    # (task id, from, to) for each task whose status changed.
    changed: list[tuple[int, TaskStatus, TaskStatus]] = field(default_factory=list)
    slips: list[int] = field(default_factory=list)  # ids of the slips raised

    @property
    def nothing_done(self) -> bool:
        return not self.changed and not self.slips


def take_daily_lock(key: int) -> bool:
    """Hold the run's lock until the transaction ends; False if another run holds it. On
    SQLite the write lock taken by the transaction's ``BEGIN IMMEDIATE`` serves instead."""
    if db.session.get_bind().dialect.name != "postgresql":
        return True
    return bool(db.session.scalar(_TRY_LOCK, {"space": LOCK_SPACE, "key": key}))


def worse(a: TaskStatus, b: TaskStatus) -> TaskStatus:
    return a if SEVERITY[a] >= SEVERITY[b] else b


def evaluate(today: date | None = None) -> EvaluationResult:
    """Evaluate every key task of ``today``'s year (default: the bureau's today)."""
    today = today or bureau_today()
    if not take_daily_lock(EVALUATION_LOCK):
        return EvaluationResult(already_running=True)
    tasks = list(
        db.session.scalars(
            select(KeyTask).where(KeyTask.year == today.year).order_by(KeyTask.number)
        )
    )
    result = EvaluationResult(evaluated=len(tasks))
    if not tasks:
        return result
    progress = load_progress(tasks, today, ZH)
    ids = [t.id for t in tasks]
    month = today.replace(day=1)
    months = {
        row.task_id: row
        for row in db.session.scalars(
            select(TaskStatusMonth).where(
                TaskStatusMonth.task_id.in_(ids), TaskStatusMonth.month == month
            )
        )
    }
    raised = {
        (task_id, colour, cause)
        for task_id, colour, cause in db.session.execute(
            select(
                SupervisionSlip.task_id, SupervisionSlip.colour, SupervisionSlip.cause_key
            ).where(SupervisionSlip.task_id.in_(ids), SupervisionSlip.cause_key != "")
        )
    }
    updates: list[dict[str, Any]] = []
    for task in tasks:
        now = progress[task.id]
        with force_locale(ZH):
            reasons = [reason_text(r) for r in now.verdict.reasons]
        reason = _short("；".join(reasons))
        _keep_month(task, now, months.get(task.id), month, reason, today)
        before, after = task.status, now.status
        if before is not after:
            audit.record(
                Action.TASK_STATUS_CHANGED,
                task,
                actor=None,
                number=task.number,
                on=today.isoformat(),
                **{"from": before.value, "to": after.value},
                reasons=reasons,
            )
            result.changed.append((task.id, before, after))
            if after is TaskStatus.RED:
                _tell_turned_red(task, now, today)
        if (before, reason, task.evaluated_on) != (after, task.status_reason, today):
            updates.append({"b_id": task.id, "b_status": after, "b_reason": reason, "b_on": today})
            for name, value in (("status", after), ("status_reason", reason)):
                set_committed_value(task, name, value)
            set_committed_value(task, "evaluated_on", today)
        result.slips.extend(_raise_slips(task, now, today, raised))
    if updates:
        # Not through the ORM: the status is the rules', not an edit, so it leaves the task's
        # lock version (a task's edit form open meanwhile is not stale) and ``updated_at``.
        table = KeyTask.__table__
        db.session.execute(
            update(table)
            .where(table.c.id == bindparam("b_id"))
            .values(
                status=bindparam("b_status"),
                status_reason=bindparam("b_reason"),
                evaluated_on=bindparam("b_on"),
                updated_at=table.c.updated_at,
            ),
            updates,
        )
    db.session.flush()
    return result


def _short(reason: str) -> str:
    return reason if len(reason) <= REASON_LENGTH else reason[: REASON_LENGTH - 1] + "…"


def _keep_month(
    task: KeyTask,
    now: TaskProgress,
    row: TaskStatusMonth | None,
    month: date,
    reason: str,
    today: date,
) -> None:
    """The month's history: the latest evaluation's status and the worst of the month."""
    percent = now.verdict.percent
    if percent is not None:
        percent = min(percent, MAX_PERCENT)
    if row is None:
        row = TaskStatusMonth(task_id=task.id, month=month, worst_status=now.status)
        db.session.add(row)
    else:
        row.worst_status = worse(row.worst_status, now.status)
    row.status = now.status
    row.reason = reason
    row.progress_percent = percent
    row.overdue_milestones = len(now.verdict.overdue)
    row.evaluated_on = today


def _raise_slips(
    task: KeyTask, now: TaskProgress, today: date, raised: set[tuple[int, SlipColour, str]]
) -> list[int]:
    """The slips the rules raise for ``task`` today, each cause once (open or closed since)."""
    wanted: list[tuple[SlipColour, str, str, date, Milestone | None]] = []
    with force_locale(ZH):
        overdue = set(now.verdict.overdue)
        for milestone in now.milestones:
            if milestone.id in overdue:
                wanted.append(
                    (
                        SlipColour.RED,
                        f"milestone:{milestone.id}",
                        _(
                            "The milestone “%(title)s” was due on %(day)s and is not done.",
                            title=milestone.title,
                            day=milestone.due_on.isoformat(),
                        ),
                        today + timedelta(days=RED_SLIP_DAYS),
                        milestone,
                    )
                )
        if now.verdict.behind:
            behind = [
                reason_text(r) for r in now.verdict.reasons if r.kind in ("behind", "unknown")
            ]
            wanted.append(
                (
                    SlipColour.YELLOW,
                    f"behind:{task.id}:{today:%Y-%m}",
                    _("Behind schedule: %(reasons)s", reasons="；".join(behind)),
                    today + timedelta(days=YELLOW_SLIP_DAYS),
                    None,
                )
            )
        for milestone in now.milestones:
            days = (milestone.due_on - today).days
            if milestone.done_on is None and 0 <= days <= BLUE_SLIP_DAYS:
                wanted.append(
                    (
                        SlipColour.BLUE,
                        f"near:{milestone.id}",
                        _(
                            "The milestone “%(title)s” is due on %(day)s.",
                            title=milestone.title,
                            day=milestone.due_on.isoformat(),
                        ),
                        milestone.due_on,
                        milestone,
                    )
                )
        requirements = {
            SlipColour.RED: _(
                "Finish the milestone, then answer with what was done and the evidence."
            ),
            SlipColour.YELLOW: _(
                "Say how the task will catch up, with the steps and their dates, and answer "
                "with the evidence."
            ),
            SlipColour.BLUE: _("Make sure the milestone is done on time, and answer."),
        }
    issued: list[int] = []
    for colour, cause, reason, deadline, milestone in wanted:
        if (task.id, colour, cause) in raised:
            continue
        slip = issue_slip(
            task,
            colour,
            reason,
            deadline,
            requirements=str(requirements[colour]),
            cause_key=cause,
            milestone=milestone,
        )
        raised.add((task.id, colour, cause))
        if slip is not None:
            issued.append(slip.id)
    return issued


def _tell_turned_red(task: KeyTask, now: TaskProgress, today: date) -> None:
    overdue = set(now.verdict.overdue)
    notify(
        people_named_on(task),
        "task_turned_red",
        {
            "task_zh": task.title,
            "task_en": task.title_en or task.title,
            "on": today.isoformat(),
            "overdue": [
                {
                    "title_zh": m.title,
                    "title_en": m.title_en or m.title,
                    "due_on": m.due_on.isoformat(),
                }
                for m in now.milestones
                if m.id in overdue
            ],
        },
        task_link(task.id),
    )


def task_link(task_id: int) -> str:
    return path_for("key_tasks.show", task_id=task_id)


def slip_link(slip_id: int) -> str:
    return path_for("slips.show", slip_id=slip_id)
