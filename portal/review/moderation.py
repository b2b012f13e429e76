"""Moderation of a flagged application: a further reviewer, or the moderator's own score.

An application is flagged when its reviewers' totals are further apart than the programme's
threshold or a reviewer scored a criterion below its minimum (``scoring_math.aggregate``); the
scoring service then moves it to ``moderation``. An officer either adds a moderation reviewer
(the application goes back to expert review until that review is in) or records a moderator's
score with a written reason, which becomes the final score.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from flask_babel import lazy_gettext as _l

from portal.applications import lifecycle
from portal.applications.models import Application
from portal.core import audit
from portal.core.audit import Action
from portal.core.domain import DomainError
from portal.review.aggregates import refresh_aggregates
from portal.review.assignment import assign_reviewer, lock_application
from portal.review.models import Assignment
from portal.review.scoring_math import CENT  # scores have two decimals too (not money)

REASON_MAX = 4000


def _check_in_moderation(application: Application, action: str) -> None:
    if not lifecycle.can(application, action):
        raise lifecycle.IllegalTransition(
            _l(
                "This cannot be done while the application is “%(status)s”.",
                status=application.status.label,
            )
        )


def add_moderation_reviewer(
    application: Application, reviewer_id: int | None, due_at: datetime, *, actor: Any
) -> Assignment:
    """Assign a further reviewer to a flagged application and send it back to expert review."""
    application = lock_application(application.id)
    _check_in_moderation(application, "add_moderation_reviewer")
    assignment = assign_reviewer(application, reviewer_id, due_at, actor=actor, for_moderation=True)
    lifecycle.transition(
        application,
        "add_moderation_reviewer",
        actor=actor,
        assignment_id=assignment.id,
        reviewer_id=assignment.reviewer_id,
    )
    return assignment


def record_moderated_score(
    application: Application, score: Decimal | None, reason: str, *, actor: Any
) -> None:
    """The moderator's score (0-100, two decimals) replaces the mean as the final score."""
    application = lock_application(application.id)
    _check_in_moderation(application, "moderate")
    if score is None or not score.is_finite() or not 0 <= score <= 100:
        raise DomainError(_l("Enter a number from 0 to 100, e.g. 72.50."), field="score")
    if score != score.quantize(CENT):
        raise DomainError(_l("Give the score with at most two decimals."), field="score")
    reason = (reason or "").strip()
    if not reason:
        raise DomainError(_l("Explain the moderator's score in writing."), field="reason")
    if len(reason) > REASON_MAX:
        raise DomainError(
            _l("Keep the reason to %(max)d characters or fewer.", max=REASON_MAX), field="reason"
        )
    score = score.quantize(CENT)
    application.moderated_total = score
    application.moderation_reason = reason
    result = refresh_aggregates(application)
    audit.record(
        Action.REVIEW_MODERATED,
        application,
        actor=actor,
        score=str(score),
        reason=reason,
        reviews=result.count,
        mean=None if result.mean is None else str(result.mean),
        spread=None if result.spread is None else str(result.spread),
        flag_reasons=list(result.flag_reasons),
    )
    lifecycle.transition(application, "moderate", actor=actor, score=str(score), reason=reason)
