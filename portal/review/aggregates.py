"""Keep an application's review aggregates current (mean, spread, flag, final score).

Called by every service that changes a review or a moderation, in the same unit of work, so
that queues and ranked lists can sort on stored columns.
"""

from __future__ import annotations

from sqlalchemy import select

from portal.applications.models import Application
from portal.core.extensions import db
from portal.review.models import Assignment, AssignmentStatus
from portal.review.scoring_math import aggregate


def submitted_reviews(application_id: int) -> list[Assignment]:
    return list(
        db.session.scalars(
            select(Assignment)
            .where(
                Assignment.application_id == application_id,
                Assignment.status == AssignmentStatus.SUBMITTED,
            )
            .order_by(Assignment.id)
        )
    )


def refresh_aggregates(application: Application):
    reviews = submitted_reviews(application.id)
    result = aggregate(
        [review.total for review in reviews if review.total is not None],
        spread_threshold=application.program.score_spread_threshold,
        minimum_missed=any(review.minimum_missed for review in reviews),
        moderator_total=application.moderated_total,
    )
    application.review_count = result.count
    application.review_mean = result.mean
    application.review_spread = result.spread
    application.review_flagged = result.flagged
    application.final_score = result.final
    return result
