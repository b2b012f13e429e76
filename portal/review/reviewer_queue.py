"""What an expert reviewer has to do, read-only: their own assignments, the queue (open first,
by due date), progress, and the next application to score.

Each function is a fixed number of queries whatever the length of the queue. The commands a
reviewer runs from the queue are in ``scoring``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import Row, Select, case, func, select

from portal.accounts.models import Enterprise
from portal.applications.models import Application, Status
from portal.core.extensions import db
from portal.core.pagination import Page, paginate
from portal.core.timeutil import utcnow
from portal.programs.models import Program
from portal.review.models import Assignment, AssignmentStatus
from portal.review.score_sheet import has_scores

QUEUE_PAGE_SIZE = 50
DECLINED_SHOWN = 20

# Queue states (the reviewer's view of one assignment).
NOT_STARTED = "not_started"
DRAFT = "draft"
SUBMITTED = "submitted"
CLOSED = "closed"  # not submitted, and the application is no longer open for scoring
EDITABLE_STATES = (NOT_STARTED, DRAFT)

STATE_LABELS = {
    NOT_STARTED: _l("Not started"),
    DRAFT: _l("Draft saved"),
    SUBMITTED: _l("Submitted"),
    CLOSED: _l("Not open for scoring"),
}


def own_assignment(assignment_id: int, reviewer_id: int) -> Assignment | None:
    """The reviewer's own assignment, unless declined (then the application is no longer
    theirs to see)."""
    assignment = db.session.get(Assignment, assignment_id)
    if (
        assignment is None
        or assignment.reviewer_id != reviewer_id
        or assignment.status is AssignmentStatus.DECLINED
    ):
        return None
    return assignment


def state_of(status: AssignmentStatus, has_scores: bool, application_status: Status) -> str:
    if status is AssignmentStatus.SUBMITTED:
        return SUBMITTED
    if application_status is not Status.EXPERT_REVIEW:
        return CLOSED
    return DRAFT if has_scores else NOT_STARTED


_OPEN_FIRST = case((Assignment.status == AssignmentStatus.ASSIGNED, 0), else_=1)


def _queue_order(query: Select[Any]) -> Select[Any]:
    return query.order_by(
        _OPEN_FIRST, Assignment.due_at.is_(None), Assignment.due_at, Assignment.id
    )


@dataclass(frozen=True)
class QueueSummary:
    submitted: int
    total: int  # assigned and submitted; declined ones do not count
    open: int
    declined: int
    next_due: datetime | None


def queue_summary(reviewer_id: int) -> QueueSummary:
    """Progress in one query: counts per status and the earliest due date still open."""
    rows = db.session.execute(
        select(Assignment.status, func.count(), func.min(Assignment.due_at))
        .where(Assignment.reviewer_id == reviewer_id)
        .group_by(Assignment.status)
    ).all()
    by_status = {status: (count, due) for status, count, due in rows}
    submitted = by_status.get(AssignmentStatus.SUBMITTED, (0, None))[0]
    open_count, next_due = by_status.get(AssignmentStatus.ASSIGNED, (0, None))
    return QueueSummary(
        submitted=submitted,
        total=submitted + open_count,
        open=open_count,
        declined=by_status.get(AssignmentStatus.DECLINED, (0, None))[0],
        next_due=next_due,
    )


def _queue_select() -> Select[Any]:
    return (
        select(
            Assignment.id,
            Assignment.status,
            Assignment.due_at,
            Assignment.scores,
            Assignment.submitted_at,
            Assignment.total,
            Assignment.decline_reason,
            Application.reference,
            Application.status.label("application_status"),
            Enterprise.name.label("enterprise"),
            Program.name_zh,
            Program.name_en,
        )
        .join(Application, Application.id == Assignment.application_id)
        .join(Enterprise, Enterprise.id == Application.enterprise_id)
        .join(Program, Program.id == Application.program_id)
    )


def _queue_row(row: Row[Any], locale: str, now: datetime) -> dict[str, Any]:
    state = state_of(row.status, has_scores(row.scores), row.application_status)
    return {
        "id": row.id,
        "reference": row.reference,
        "enterprise": row.enterprise,
        "program": row.name_en if locale == "en" else row.name_zh,
        "due_at": row.due_at,
        "overdue": row.due_at is not None and state in EDITABLE_STATES and row.due_at < now,
        "state": state,
        "state_label": str(STATE_LABELS[state]),
        "submitted_at": row.submitted_at,
        "total": row.total,
        "decline_reason": str(row.decline_reason.label) if row.decline_reason else "",
    }


def reviewer_queue(reviewer_id: int, locale: str, page: int = 1) -> dict[str, Any]:
    """The reviewer's queue in three queries whatever its length: progress (which gives the
    count), one page of open and submitted assignments (open first, by due date), and the
    recent declines."""
    summary = queue_summary(reviewer_id)
    active = paginate(
        _queue_order(
            _queue_select().where(
                Assignment.reviewer_id == reviewer_id,
                Assignment.status != AssignmentStatus.DECLINED,
            )
        ),
        page=page,
        per_page=QUEUE_PAGE_SIZE,
        total=summary.total,  # already counted: assigned and submitted, not declined
    )
    declined = db.session.execute(
        _queue_select()
        .where(
            Assignment.reviewer_id == reviewer_id,
            Assignment.status == AssignmentStatus.DECLINED,
        )
        .order_by(Assignment.updated_at.desc(), Assignment.id.desc())
        .limit(DECLINED_SHOWN)
    ).all()
    now = utcnow()
    return {
        "summary": summary,
        "page": Page(
            rows=[_queue_row(row, locale, now) for row in active.rows],
            page=active.page,
            per_page=active.per_page,
            total=active.total,
        ),
        "declined": [_queue_row(row, locale, now) for row in declined],
    }


def next_open_assignment(reviewer_id: int, after: int | None = None) -> int | None:
    """The next assignment still to score (in queue order), other than ``after``."""
    query = (
        select(Assignment.id)
        .join(Application, Application.id == Assignment.application_id)
        .where(
            Assignment.reviewer_id == reviewer_id,
            Assignment.status == AssignmentStatus.ASSIGNED,
            Application.status == Status.EXPERT_REVIEW,
        )
    )
    if after is not None:
        query = query.where(Assignment.id != after)
    return db.session.scalar(_queue_order(query).limit(1))
