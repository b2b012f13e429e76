"""Issuing a supervision slip (督办单): by a supervisor, or by the status rules (``by`` None).

Every slip gets the year's next serial (督办〔2026〕7号), an "issued" step, an audit entry and
a notification to the people named on its task (the responsible person, the leader in charge
and the lead department's members). A rule-raised slip names its cause (``cause_key``): the
database keeps at most one open slip per task, colour and cause, so evaluating twice raises
nothing twice (``issue_slip`` returns None then).
"""

from __future__ import annotations

from datetime import date

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from portal.accounts.models import User
from portal.core import audit
from portal.core.audit import Action
from portal.core.extensions import db
from portal.core.timeutil import bureau_today, utcnow
from portal.core.urls import path_for
from portal.notifications.services import notify
from portal.tasks.models import (
    KeyTask,
    Milestone,
    SlipColour,
    SlipOrigin,
    SlipStep,
    SlipStepKind,
    SupervisionSlip,
)

SERIAL_ATTEMPTS = 5


def open_slip_for_cause(task_id: int, colour: SlipColour, cause_key: str) -> SupervisionSlip | None:
    return db.session.scalar(
        select(SupervisionSlip).where(
            SupervisionSlip.task_id == task_id,
            SupervisionSlip.colour == colour,
            SupervisionSlip.cause_key == cause_key,
            SupervisionSlip.state != "closed",
        )
    )


def issue_slip(
    task: KeyTask,
    colour: SlipColour,
    reason: str,
    deadline: date,
    *,
    requirements: str = "",
    by: User | None = None,
    cause_key: str = "",
    milestone: Milestone | None = None,
) -> SupervisionSlip | None:
    """Issue a slip on ``task``; None when a rule's slip for the same cause is still open."""
    if cause_key and open_slip_for_cause(task.id, colour, cause_key) is not None:
        return None
    year = bureau_today().year  # numbered in the year of issue, as notices are
    for attempt in range(SERIAL_ATTEMPTS):
        serial = (
            db.session.scalar(
                select(func.max(SupervisionSlip.serial)).where(SupervisionSlip.year == year)
            )
            or 0
        ) + 1
        slip = SupervisionSlip(
            task_id=task.id,
            milestone_id=milestone.id if milestone else None,
            year=year,
            serial=serial,
            colour=colour,
            origin=SlipOrigin.RULE if by is None else SlipOrigin.SUPERVISOR,
            cause_key=cause_key,
            reason=reason,
            requirements=requirements,
            deadline=deadline,
            issued_at=utcnow(),
            issued_by_id=by.id if by else None,
        )
        try:
            # A savepoint: a serial taken by a concurrent issuer (or the open-cause index)
            # undoes only this slip, and the next attempt reads the new maximum.
            with db.session.begin_nested():
                db.session.add(slip)
                db.session.flush()
        except IntegrityError:
            if cause_key and open_slip_for_cause(task.id, colour, cause_key) is not None:
                return None
            if attempt == SERIAL_ATTEMPTS - 1:
                raise
            continue
        break
    db.session.add(
        SlipStep(slip_id=slip.id, kind=SlipStepKind.ISSUED, by_id=slip.issued_by_id, text=reason)
    )
    audit.record(
        Action.SLIP_ISSUED,
        slip,
        actor=by,
        code=slip.code,
        task_id=task.id,
        colour=colour.value,
        deadline=deadline.isoformat(),
        origin=slip.origin.value,
    )
    notify(
        people_named_on(task),
        "slip_issued",
        slip_params(slip, task),
        path_for("slips.show", slip_id=slip.id),
    )
    return slip


def people_named_on(task: KeyTask) -> list[int]:
    """The responsible person, the leader in charge and the lead department's active members."""
    members = db.session.scalars(
        select(User.id).where(User.department_id == task.department_id, User.disabled_at.is_(None))
    ).all()
    return [task.owner_id, task.leader_id, *members]


def slip_params(slip: SupervisionSlip, task: KeyTask) -> dict[str, object]:
    """What the notification writers need, in both languages, stored with the notification."""
    return {
        "code": slip.code,
        "colour": slip.colour.value,
        "task_zh": task.title,
        "task_en": task.title_en or task.title,
        "deadline": slip.deadline.isoformat(),
        "reason": slip.reason,
    }
