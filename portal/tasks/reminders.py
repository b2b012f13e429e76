"""Reminders three days before a deadline (``flask --app portal tasks remind``, or ``daily``):

- a milestone not done, due within three days: to the people named on its task (the
  responsible person, the leader in charge, the lead department's members);
- a slip not closed whose deadline is within three days: to the same people and the
  supervisor who issued it. A slip issued within those three days gets none: its own notice,
  days ago at most, gave the deadline (a blue slip, due with its milestone, is one of them:
  the milestone's reminder goes instead).

In-app and by mail (``notifications.notify`` does both), each once: the milestone's or slip's
``reminded_at`` is set, a slip gets a "reminder sent" step, and both are in the audit trail.
Like the evaluation it takes the daily lock on PostgreSQL (a second host's run is "already
running"); it flushes, the caller commits.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from sqlalchemy import bindparam, select, update
from sqlalchemy.orm.attributes import set_committed_value

from portal.accounts.models import User
from portal.core import audit
from portal.core.audit import Action
from portal.core.extensions import db
from portal.core.timeutil import bureau_today, to_bureau_time, utcnow
from portal.notifications.services import notify
from portal.tasks.evaluation import REMINDER_LOCK, slip_link, take_daily_lock, task_link
from portal.tasks.models import (
    KeyTask,
    Milestone,
    SlipState,
    SlipStep,
    SlipStepKind,
    SupervisionSlip,
)

REMIND_DAYS = 3


@dataclass
class ReminderResult:
    already_running: bool = False
    milestones: int = 0
    slips: int = 0

    @property
    def nothing_done(self) -> bool:
        return not self.milestones and not self.slips


def send_reminders(today: date | None = None) -> ReminderResult:
    """Send the reminders owed on ``today`` (default: the bureau's today), each once."""
    today = today or bureau_today()
    if not take_daily_lock(REMINDER_LOCK):
        return ReminderResult(already_running=True)
    horizon = today + timedelta(days=REMIND_DAYS)
    milestones = db.session.execute(
        select(Milestone, KeyTask)
        .join(KeyTask, KeyTask.id == Milestone.task_id)
        .where(
            Milestone.done_on.is_(None),
            Milestone.reminded_at.is_(None),
            Milestone.due_on >= today,
            Milestone.due_on <= horizon,
        )
        .order_by(Milestone.due_on, Milestone.id)
    ).all()
    slips = db.session.execute(
        select(SupervisionSlip, KeyTask)
        .join(KeyTask, KeyTask.id == SupervisionSlip.task_id)
        .where(
            SupervisionSlip.state != SlipState.CLOSED,
            SupervisionSlip.reminded_at.is_(None),
            SupervisionSlip.deadline >= today,
            SupervisionSlip.deadline <= horizon,
        )
        .order_by(SupervisionSlip.deadline, SupervisionSlip.id)
    ).all()
    slips = [
        (slip, task)
        for slip, task in slips
        if to_bureau_time(slip.issued_at).date() < slip.deadline - timedelta(days=REMIND_DAYS)
    ]
    result = ReminderResult(milestones=len(milestones), slips=len(slips))
    if not milestones and not slips:
        return result
    named = _people_named_on([task for _m, task in milestones] + [task for _s, task in slips])
    now = utcnow()
    for milestone, task in milestones:
        days = (milestone.due_on - today).days
        notify(
            named[task.id],
            "milestone_due_soon",
            {
                "task_zh": task.title,
                "task_en": task.title_en or task.title,
                "milestone_zh": milestone.title,
                "milestone_en": milestone.title_en or milestone.title,
                "due_on": milestone.due_on.isoformat(),
                "days": days,
            },
            task_link(task.id),
        )
        milestone.reminded_at = now
        audit.record(
            Action.TASK_MILESTONE_REMINDED,
            milestone,
            actor=None,
            task_id=task.id,
            due_on=milestone.due_on.isoformat(),
            days=days,
        )
    for slip, task in slips:
        days = (slip.deadline - today).days
        people = [*named[task.id], *([slip.issued_by_id] if slip.issued_by_id else [])]
        notify(
            people,
            "slip_deadline_soon",
            {
                "code": slip.code,
                "colour": slip.colour.value,
                "task_zh": task.title,
                "task_en": task.title_en or task.title,
                "deadline": slip.deadline.isoformat(),
                "reason": slip.reason,
                "days": days,
            },
            slip_link(slip.id),
        )
        db.session.add(SlipStep(slip_id=slip.id, kind=SlipStepKind.REMINDED, by_id=None, at=now))
        audit.record(
            Action.SLIP_REMINDED,
            slip,
            actor=None,
            code=slip.code,
            task_id=task.id,
            deadline=slip.deadline.isoformat(),
            days=days,
        )
    if slips:
        # Not through the ORM: a reminder is no edit of the slip, so it leaves its lock version
        # (a form drawn before the reminder, to sign or answer, is not stale).
        table = SupervisionSlip.__table__
        db.session.execute(
            update(table).where(table.c.id == bindparam("b_id")).values(reminded_at=now),
            [{"b_id": slip.id} for slip, _task in slips],
        )
        for slip, _task in slips:
            set_committed_value(slip, "reminded_at", now)
    db.session.flush()
    return result


def _people_named_on(tasks: Iterable[KeyTask]) -> dict[int, list[int]]:
    """``slip_issue.people_named_on`` for many tasks in one query: the responsible person, the
    leader in charge and the lead department's active members of each."""
    unique = {task.id: task for task in tasks}
    departments = sorted({task.department_id for task in unique.values()})
    members: dict[int, list[int]] = defaultdict(list)
    rows: Any = db.session.execute(
        select(User.department_id, User.id)
        .where(User.department_id.in_(departments), User.disabled_at.is_(None))
        .order_by(User.id)
    )
    for department_id, user_id in rows:
        members[department_id].append(user_id)
    return {
        task.id: [task.owner_id, task.leader_id, *members[task.department_id]]
        for task in unique.values()
    }
