"""The expert reviewer's work: the queue, draft and submitted reviews, declining, reopening.

A review lives on its assignment. Every service here locks the application row first, so that
two reviews of one application submitted at the same moment are counted one after the other
(the second one sees the first and completes the review round) and a double submission of the
same review is refused instead of recorded twice.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import case, func, select

from portal.accounts.models import Enterprise
from portal.applications import lifecycle
from portal.applications.models import Application, Status
from portal.core import audit
from portal.core.domain import DomainError
from portal.core.extensions import db
from portal.core.pagination import Page, paginate
from portal.core.timeutil import utcnow
from portal.programs.models import Program
from portal.review import scoring_math
from portal.review.aggregates import refresh_aggregates
from portal.review.models import (
    Assignment,
    AssignmentStatus,
    ConflictDeclaration,
    DeclineReason,
)

# {criterion key: (score or None, comment)}
Scores = dict[str, tuple[Decimal | None, str]]

COMMENT_MAX = 2000
NOTE_MAX = 2000
QUEUE_PAGE_SIZE = 50
DECLINED_SHOWN = 20

# Queue states (the reviewer's view of one assignment).
NOT_STARTED = "not_started"
DRAFT = "draft"
SUBMITTED = "submitted"
CLOSED = "closed"  # not submitted, and the application is no longer open for scoring

STATE_LABELS = {
    NOT_STARTED: _l("Not started"),
    DRAFT: _l("Draft saved"),
    SUBMITTED: _l("Submitted"),
    CLOSED: _l("Not open for scoring"),
}

DECLINE_LABELS = {
    DeclineReason.CONFLICT: _l("Conflict of interest"),
    DeclineReason.NOT_MY_FIELD: _l("Not my field"),
    DeclineReason.WORKLOAD: _l("Workload"),
}


class ScoreErrors(DomainError):
    """Several fields of one review are wrong: ``errors`` maps each form field to its message."""

    def __init__(self, errors: dict[str, Any]) -> None:
        super().__init__(_l("Some scores or comments need your attention."))
        self.errors = errors


class ReviewLocked(DomainError):
    """The review is no longer open to its reviewer (submitted or declined)."""


def score_field(key: str) -> str:
    return f"score__{key}"


def comment_field(key: str) -> str:
    return f"comment__{key}"


def format_score(value: Decimal | None) -> str:
    """7 -> "7", 7.50 -> "7.5": the shortest plain form (never an exponent)."""
    if value is None:
        return ""
    text = format(value, "f")
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return text or "0"


def is_valid_score(value: Decimal, scale_max: Decimal) -> bool:
    """A score is a whole or half point from 0 to the criterion's maximum."""
    return value.is_finite() and 0 <= value <= scale_max and (value * 2) % 1 == 0


def score_range_message(scale_max: Decimal) -> Any:
    return _l(
        "Enter a score from 0 to %(max)s, in whole or half points (for example 7 or 7.5).",
        max=format_score(scale_max),
    )


# --------------------------------------------------------------------------------------------
# The rubric as the reviewer sees it


def criteria_of(application: Application) -> list[scoring_math.Criterion]:
    return scoring_math.criteria_from_rubric(application.program_version.rubric or [])


def rubric_view(application: Application, locale: str) -> list[dict[str, Any]]:
    """The rubric's criteria as plain values, in rubric order, named in ``locale``."""
    names = {
        item["key"]: (item.get("name_en") if locale == "en" else item.get("name_zh")) or item["key"]
        for item in application.program_version.rubric or []
    }
    return [
        {
            "key": c.key,
            "name": names.get(c.key, c.key),
            "weight": format_score(c.weight),
            "scale_max": c.scale_max,
            "scale_max_text": format_score(c.scale_max),
            "minimum": format_score(c.minimum) if c.minimum is not None else "",
            "score_field": score_field(c.key),
            "comment_field": comment_field(c.key),
        }
        for c in criteria_of(application)
    ]


def stored_scores(assignment: Assignment) -> Scores:
    """The assignment's saved scores as ``Scores`` (what a draft or a submission holds)."""
    result: Scores = {}
    for key, entry in (assignment.scores or {}).items():
        raw = entry.get("score")
        result[key] = (None if raw in (None, "") else Decimal(str(raw)), entry.get("comment", ""))
    return result


# --------------------------------------------------------------------------------------------
# Checks shared by the services


def _lock(assignment: Assignment) -> Application:
    """Lock the application row (PostgreSQL; SQLite serialises writers anyway) and reread the
    assignment under the lock, so a decision taken here sees every committed review."""
    application = db.session.scalars(
        select(Application)
        .where(Application.id == assignment.application_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    ).one()
    db.session.refresh(assignment)
    return application


def _check_reviewer(assignment: Assignment, actor: Any) -> None:
    if getattr(actor, "id", None) != assignment.reviewer_id:
        raise DomainError(_l("This assignment is not yours."))


def locked_reason(assignment: Assignment, application: Application) -> Any | None:
    """Why the reviewer can no longer change this review (None while it is open)."""
    if assignment.status is AssignmentStatus.SUBMITTED:
        return _l("This review has been submitted and can no longer be changed.")
    if assignment.status is AssignmentStatus.DECLINED:
        return _l("You declined this assignment.")
    if application.status is not Status.EXPERT_REVIEW:
        return _l("This application is not open for scoring now.")
    return None


def _check_open(assignment: Assignment, application: Application) -> None:
    if (reason := locked_reason(assignment, application)) is not None:
        raise ReviewLocked(reason)


def score_problems(
    criteria: list[scoring_math.Criterion], scores: Scores, *, complete: bool
) -> dict[str, Any]:
    """Messages by form field: scores out of range always; missing scores and comments only
    when the review must be ``complete`` (a submission)."""
    errors: dict[str, Any] = {}
    for criterion in criteria:
        score, comment = scores.get(criterion.key, (None, ""))
        comment = comment or ""
        if score is not None and not is_valid_score(score, criterion.scale_max):
            errors[score_field(criterion.key)] = score_range_message(criterion.scale_max)
        elif score is None and complete:
            errors[score_field(criterion.key)] = _l("Enter a score.")
        if len(comment) > COMMENT_MAX:
            errors[comment_field(criterion.key)] = _l(
                "Keep the comment to %(max)d characters or fewer.", max=COMMENT_MAX
            )
        elif complete and not comment.strip():
            errors[comment_field(criterion.key)] = _l("Write a comment that explains the score.")
    return errors


def _to_json(criteria: list[scoring_math.Criterion], scores: Scores) -> dict[str, Any]:
    stored = {}
    for criterion in criteria:
        score, comment = scores.get(criterion.key, (None, ""))
        stored[criterion.key] = {
            "score": None if score is None else format_score(score),
            "comment": (comment or "").strip(),
        }
    return stored


# --------------------------------------------------------------------------------------------
# Draft, submission, completion of the round


def save_draft(assignment: Assignment, scores: Scores, actor: Any) -> None:
    """Keep the scores typed so far; incomplete is fine, out of range is not."""
    application = _lock(assignment)
    _check_reviewer(assignment, actor)
    _check_open(assignment, application)
    criteria = criteria_of(application)
    if errors := score_problems(criteria, scores, complete=False):
        raise ScoreErrors(errors)
    assignment.scores = _to_json(criteria, scores)
    audit.record(
        "review.draft_saved",
        assignment,
        actor=actor,
        application_id=application.id,
        scored=sum(1 for entry in assignment.scores.values() if entry["score"] is not None),
    )


def submit_review(assignment: Assignment, scores: Scores, actor: Any) -> str | None:
    """Submit and lock the review; refresh the application's aggregates; when it was the last
    expected review, move the application on. Returns the lifecycle action taken, if any."""
    application = _lock(assignment)
    _check_reviewer(assignment, actor)
    _check_open(assignment, application)
    criteria = criteria_of(application)
    if not criteria:
        raise DomainError(_l("This programme has no scoring criteria. Ask the bureau."))
    if errors := score_problems(criteria, scores, complete=True):
        raise ScoreErrors(errors)
    values = {key: score for key, (score, _comment) in scores.items()}
    total = scoring_math.weighted_total(criteria, values)
    missed = scoring_math.missed_minimums(criteria, values)
    assignment.scores = _to_json(criteria, scores)
    assignment.total = total
    assignment.minimum_missed = bool(missed)
    assignment.status = AssignmentStatus.SUBMITTED
    assignment.submitted_at = utcnow()
    audit.record(
        "review.submitted",
        assignment,
        actor=actor,
        application_id=application.id,
        total=str(total),
        minimums_missed=missed,
    )
    result = refresh_aggregates(application)
    return _complete_round_if_last(application, result, actor)


def _complete_round_if_last(
    application: Application, result: scoring_math.Aggregate, actor: Any
) -> str | None:
    """All non-declined reviews submitted, and at least the programme's number of them: the
    application goes to moderation when flagged, else to the decision."""
    if application.status is not Status.EXPERT_REVIEW:
        return None
    statuses = db.session.scalars(
        select(Assignment.status).where(
            Assignment.application_id == application.id,
            Assignment.status != AssignmentStatus.DECLINED,
        )
    ).all()
    if not statuses or any(status is not AssignmentStatus.SUBMITTED for status in statuses):
        return None
    if len(statuses) < application.program.reviewers_per_application:
        return None
    action = "flag_for_moderation" if result.flagged else "reviews_complete"
    lifecycle.transition(
        application,
        action,
        actor=actor,
        reviews=result.count,
        mean=None if result.mean is None else str(result.mean),
        spread=None if result.spread is None else str(result.spread),
        flag_reasons=list(result.flag_reasons),
    )
    return action


# Public names for the officers' services (unassigning may also complete a round).
complete_round_if_last = _complete_round_if_last


# --------------------------------------------------------------------------------------------
# Declining and reopening


def decline_assignment(
    assignment: Assignment, reason: DeclineReason, note: str, actor: Any
) -> None:
    """Decline an assignment not yet submitted. A conflict of interest needs a note and is
    recorded as a declared conflict with the firm, so it is never offered again."""
    application = _lock(assignment)
    _check_reviewer(assignment, actor)
    if assignment.status is AssignmentStatus.SUBMITTED:
        raise ReviewLocked(_l("A submitted review cannot be declined."))
    if assignment.status is AssignmentStatus.DECLINED:
        raise ReviewLocked(_l("You declined this assignment."))
    note = (note or "").strip()
    if reason is DeclineReason.CONFLICT and not note:
        raise DomainError(_l("Describe the conflict of interest."), field="note")
    if len(note) > NOTE_MAX:
        raise DomainError(
            _l("Keep the note to %(max)d characters or fewer.", max=NOTE_MAX), field="note"
        )
    assignment.status = AssignmentStatus.DECLINED
    assignment.decline_reason = reason
    assignment.decline_note = note
    conflict_recorded = False
    if reason is DeclineReason.CONFLICT:
        exists = db.session.scalar(
            select(ConflictDeclaration.id).where(
                ConflictDeclaration.reviewer_id == assignment.reviewer_id,
                ConflictDeclaration.enterprise_id == application.enterprise_id,
            )
        )
        if exists is None:
            db.session.add(
                ConflictDeclaration(
                    reviewer_id=assignment.reviewer_id,
                    enterprise_id=application.enterprise_id,
                    reason=note,
                )
            )
            conflict_recorded = True
    audit.record(
        "review.declined",
        assignment,
        actor=actor,
        application_id=application.id,
        reason=reason.value,
        note=note,
        conflict_recorded=conflict_recorded,
    )
    # The reviewers who remain may already have submitted everything that is needed.
    _complete_round_if_last(application, refresh_aggregates(application), actor)


def reopen_review(assignment: Assignment, reason: str, actor: Any) -> None:
    """An officer sends a submitted review back to its reviewer, with a reason.

    The total is cleared until the review is submitted again (the scores stay as a draft); an
    application in moderation or awaiting its decision goes back to expert review.
    """
    application = _lock(assignment)
    reason = (reason or "").strip()
    if not reason:
        raise DomainError(_l("Give the reason for reopening this review."), field="reason")
    if len(reason) > NOTE_MAX:
        raise DomainError(
            _l("Keep the reason to %(max)d characters or fewer.", max=NOTE_MAX), field="reason"
        )
    if assignment.status is not AssignmentStatus.SUBMITTED:
        raise DomainError(_l("Only a submitted review can be reopened."))
    if not lifecycle.can(application, "reopen_review"):
        raise lifecycle.IllegalTransition(
            _l(
                "This cannot be done while the application is “%(status)s”.",
                status=lifecycle.STATUS_LABELS[application.status],
            )
        )
    previous_total = assignment.total
    assignment.status = AssignmentStatus.ASSIGNED
    assignment.submitted_at = None
    assignment.total = None
    assignment.minimum_missed = False
    audit.record(
        "review.reopened",
        assignment,
        actor=actor,
        application_id=application.id,
        reason=reason,
        previous_total=None if previous_total is None else str(previous_total),
    )
    refresh_aggregates(application)
    if application.status in (Status.MODERATION, Status.DECIDED):
        lifecycle.transition(
            application, "reopen_review", actor=actor, reason=reason, assignment_id=assignment.id
        )


# --------------------------------------------------------------------------------------------
# What the reviewer sees: the queue, one review, the others' scores


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


def _has_scores(scores: dict[str, Any] | None) -> bool:
    return any(
        entry.get("score") not in (None, "") or (entry.get("comment") or "").strip()
        for entry in (scores or {}).values()
    )


has_scores = _has_scores

_OPEN_FIRST = case((Assignment.status == AssignmentStatus.ASSIGNED, 0), else_=1)


def _queue_order(query):
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


def _queue_select():
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


def _queue_row(row, locale: str, now: datetime) -> dict[str, Any]:
    state = state_of(row.status, _has_scores(row.scores), row.application_status)
    return {
        "id": row.id,
        "reference": row.reference,
        "enterprise": row.enterprise,
        "program": row.name_en if locale == "en" else row.name_zh,
        "due_at": row.due_at,
        "overdue": row.due_at is not None and state in (NOT_STARTED, DRAFT) and row.due_at < now,
        "state": state,
        "state_label": str(STATE_LABELS[state]),
        "submitted_at": row.submitted_at,
        "total": row.total,
        "decline_reason": str(DECLINE_LABELS[row.decline_reason]) if row.decline_reason else "",
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


def review_view(assignment: Assignment, locale: str) -> dict[str, Any]:
    """One review as plain values: its state, criteria with the saved scores, the total."""
    application = assignment.application
    saved = stored_scores(assignment)
    criteria = rubric_view(application, locale)
    for criterion in criteria:
        score, comment = saved.get(criterion["key"], (None, ""))
        criterion["score"] = format_score(score)
        criterion["comment"] = comment
    state = state_of(assignment.status, _has_scores(assignment.scores), application.status)
    return {
        "id": assignment.id,
        "state": state,
        "state_label": str(STATE_LABELS[state]),
        "editable": state in (NOT_STARTED, DRAFT),
        "submitted": assignment.status is AssignmentStatus.SUBMITTED,
        "due_at": assignment.due_at,
        "overdue": state in (NOT_STARTED, DRAFT)
        and assignment.due_at is not None
        and assignment.due_at < utcnow(),
        "submitted_at": assignment.submitted_at,
        "total": assignment.total,
        "minimum_missed": assignment.minimum_missed,
        "criteria": criteria,
    }


def panel_view(assignment: Assignment) -> dict[str, Any] | None:
    """Every review of the application, anonymised ("Reviewer 2"), numbered by assignment
    order; only once the reviewer's own review is submitted (None before)."""
    if assignment.status is not AssignmentStatus.SUBMITTED:
        return None
    reviews = db.session.scalars(
        select(Assignment)
        .where(
            Assignment.application_id == assignment.application_id,
            Assignment.status != AssignmentStatus.DECLINED,
        )
        .order_by(Assignment.id)
    ).all()
    columns = []
    for number, review in enumerate(reviews, start=1):
        submitted = review.status is AssignmentStatus.SUBMITTED
        columns.append(
            {
                "number": number,
                "mine": review.id == assignment.id,
                "submitted": submitted,
                "total": review.total if submitted else None,
                "scores": {
                    key: format_score(score) if submitted else ""
                    for key, (score, _comment) in stored_scores(review).items()
                },
            }
        )
    application = assignment.application
    return {
        "columns": columns,
        "others": sum(1 for column in columns if not column["mine"]),
        "mean": application.review_mean,
        "spread": application.review_spread,
    }
