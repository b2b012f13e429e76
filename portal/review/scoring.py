"""The expert reviewer's commands: saving a draft, submitting, declining; an officer reopening
a review; completing the review round when the last expected review is in.

A review lives on its assignment. Every service here locks the application row first, so that
two reviews of one application submitted at the same moment are counted one after the other
(the second one sees the first and completes the review round) and a double submission of the
same review is refused instead of recorded twice.

What the reviewer reads (the queue) is in ``reviewer_queue``; the score sheet's values
(formatting, checking) in ``score_sheet``.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from portal.applications import lifecycle
from portal.applications.models import Application, Status
from portal.core import audit
from portal.core.audit import Action
from portal.core.concurrency import lock_row
from portal.core.domain import DomainError
from portal.core.extensions import db
from portal.core.timeutil import utcnow
from portal.review import scoring_math
from portal.review.aggregates import refresh_aggregates
from portal.review.models import (
    Assignment,
    AssignmentStatus,
    ConflictDeclaration,
    DeclineReason,
)
from portal.review.score_sheet import Scores, criteria_of, score_problems, to_json

NOTE_MAX = 2000


class ScoreErrors(DomainError):
    """Several fields of one review are wrong: ``errors`` maps each form field to its message."""

    def __init__(self, errors: dict[str, Any]) -> None:
        super().__init__(_l("Some scores or comments need your attention."))
        self.errors = errors


class ReviewLocked(DomainError):
    """The review is no longer open to its reviewer (submitted or declined)."""


# --------------------------------------------------------------------------------------------
# Checks shared by the services


def _lock(assignment: Assignment) -> Application:
    """Lock the application row (PostgreSQL; SQLite serialises writers anyway) and reread the
    assignment under the lock, so a decision taken here sees every committed review."""
    application = lock_row(Application, assignment.application_id)
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
    assignment.scores = to_json(criteria, scores)
    audit.record(
        Action.REVIEW_DRAFT_SAVED,
        assignment,
        actor=actor,
        application_id=application.id,
        scored=sum(1 for entry in assignment.scores.values() if entry["score"] is not None),
    )


def check_submission(
    assignment: Assignment, scores: Scores, actor: Any
) -> tuple[Decimal, list[str]]:
    """What submitting these scores would record, without writing anything: the weighted total
    and the criteria below their minimum. The same refusals as ``submit_review``; the page asks
    the reviewer to confirm with this total before the review locks."""
    application = assignment.application
    _check_reviewer(assignment, actor)
    _check_open(assignment, application)
    criteria = criteria_of(application)
    if not criteria:
        raise DomainError(_l("This programme has no scoring criteria. Ask the bureau."))
    if errors := score_problems(criteria, scores, complete=True):
        raise ScoreErrors(errors)
    values = {key: score for key, (score, _comment) in scores.items()}
    return scoring_math.weighted_total(criteria, values), scoring_math.missed_minimums(
        criteria, values
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
    assignment.scores = to_json(criteria, scores)
    assignment.total = total
    assignment.minimum_missed = bool(missed)
    assignment.status = AssignmentStatus.SUBMITTED
    assignment.submitted_at = utcnow()
    audit.record(
        Action.REVIEW_SUBMITTED,
        assignment,
        actor=actor,
        application_id=application.id,
        total=str(total),
        minimums_missed=missed,
    )
    result = refresh_aggregates(application)
    return complete_round_if_last(application, result, actor)


def complete_round_if_last(
    application: Application, result: scoring_math.Aggregate, actor: Any
) -> str | None:
    """All non-declined reviews submitted, and at least the programme's number of them: the
    application goes to moderation when flagged, else to the decision. Also called when an
    officer unassigns a reviewer (``assignment.unassign``): the others may be all that is needed."""
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
        Action.REVIEW_DECLINED,
        assignment,
        actor=actor,
        application_id=application.id,
        reason=reason.value,
        note=note,
        conflict_recorded=conflict_recorded,
    )
    # The reviewers who remain may already have submitted everything that is needed.
    complete_round_if_last(application, refresh_aggregates(application), actor)


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
        Action.REVIEW_REOPENED,
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
