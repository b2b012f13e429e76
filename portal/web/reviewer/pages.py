"""What the reviewer's scoring page shows: their own review with the saved scores, and (once
it is submitted) the panel of every review of the application, anonymised."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from portal.core.extensions import db
from portal.core.timeutil import utcnow
from portal.review.models import Assignment, AssignmentStatus
from portal.review.reviewer_queue import EDITABLE_STATES, STATE_LABELS, state_of
from portal.review.score_sheet import format_score, has_scores, rubric_view, stored_scores


def review_view(assignment: Assignment, locale: str) -> dict[str, Any]:
    """One review as plain values: its state, criteria with the saved scores, the total."""
    application = assignment.application
    saved = stored_scores(assignment)
    criteria = rubric_view(application, locale)
    for criterion in criteria:
        score, comment = saved.get(criterion["key"], (None, ""))
        criterion["score"] = format_score(score)
        criterion["comment"] = comment
    state = state_of(assignment.status, has_scores(assignment.scores), application.status)
    return {
        "id": assignment.id,
        "state": state,
        "state_label": str(STATE_LABELS[state]),
        "editable": state in EDITABLE_STATES,
        "submitted": assignment.status is AssignmentStatus.SUBMITTED,
        "due_at": assignment.due_at,
        "overdue": state in EDITABLE_STATES
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
