"""Running tallies of expert reviews per programme, kept by the database.

Triggers on ``assignments`` (migration 0006) keep them, as for the application tallies
(portal/applications/tallies.py): the dashboard reads open and overdue reviews in a handful of
rows however many assignments there are.
"""

from __future__ import annotations

from datetime import date

from sqlalchemy import Date, ForeignKey, Integer, String, delete, func, insert, select
from sqlalchemy.orm import Mapped, mapped_column

from portal.applications.models import Application, Status
from portal.applications.tallies import check_application_tallies, rebuild_application_tallies
from portal.core.extensions import Model, db
from portal.review.models import Assignment, AssignmentStatus


class ReviewTally(Model):
    """Assignments of a programme's applications (withdrawn ones excepted) in one status."""

    __tablename__ = "review_tallies"

    program_id: Mapped[int] = mapped_column(
        ForeignKey("programs.id", ondelete="CASCADE"), primary_key=True
    )
    status: Mapped[str] = mapped_column(String(20), primary_key=True)
    assignments: Mapped[int] = mapped_column(Integer)


class ReviewDueTally(Model):
    """Open (assigned) assignments of a programme due on one UTC day, withdrawn applications'
    excepted: overdue reviews are counted by the day, not one by one."""

    __tablename__ = "review_due_tallies"

    program_id: Mapped[int] = mapped_column(
        ForeignKey("programs.id", ondelete="CASCADE"), primary_key=True
    )
    due_day: Mapped[date] = mapped_column(Date, primary_key=True)
    assignments: Mapped[int] = mapped_column(Integer)


def _counted_reviews():
    return (
        select(Application.program_id, Assignment.status, func.count())
        .join(Application, Application.id == Assignment.application_id)
        .where(Application.status != Status.WITHDRAWN)
        .group_by(Application.program_id, Assignment.status)
    )


def _due_day():
    if db.session.get_bind().dialect.name == "sqlite":
        return func.date(Assignment.due_at)
    return func.date(func.timezone("UTC", Assignment.due_at))


def _counted_due_reviews():
    day = _due_day()
    return (
        select(Application.program_id, day, func.count())
        .join(Application, Application.id == Assignment.application_id)
        .where(
            Application.status != Status.WITHDRAWN,
            Assignment.status == AssignmentStatus.ASSIGNED,
            Assignment.due_at.is_not(None),
        )
        .group_by(Application.program_id, day)
    )


def check_review_tallies() -> list[str]:
    """The differences between the review tallies and a full count; empty when they agree."""
    problems = []
    kept_reviews = {
        (row.program_id, row.status): row.assignments
        for row in db.session.scalars(select(ReviewTally))
        if row.assignments
    }
    counted_reviews = {
        (program_id, str(getattr(status, "value", status))): n
        for program_id, status, n in db.session.execute(_counted_reviews())
    }
    for key in sorted(set(kept_reviews) | set(counted_reviews), key=str):
        if kept_reviews.get(key) != counted_reviews.get(key):
            problems.append(
                f"reviews {key}: tally {kept_reviews.get(key)}, count {counted_reviews.get(key)}"
            )
    kept_due = {
        (row.program_id, row.due_day.isoformat()): row.assignments
        for row in db.session.scalars(select(ReviewDueTally))
        if row.assignments
    }
    counted_due = {
        (program_id, str(day)[:10]): n
        for program_id, day, n in db.session.execute(_counted_due_reviews())
    }
    for key in sorted(set(kept_due) | set(counted_due), key=str):
        if kept_due.get(key) != counted_due.get(key):
            problems.append(
                f"due reviews {key}: tally {kept_due.get(key)}, count {counted_due.get(key)}"
            )
    return problems


def rebuild_review_tallies() -> None:
    """Recount the review tallies from the rows (inside the caller's transaction)."""
    db.session.execute(delete(ReviewTally))
    db.session.execute(delete(ReviewDueTally))
    db.session.execute(
        insert(ReviewTally).from_select(["program_id", "status", "assignments"], _counted_reviews())
    )
    db.session.execute(
        insert(ReviewDueTally).from_select(
            ["program_id", "due_day", "assignments"], _counted_due_reviews()
        )
    )


def check_tallies() -> list[str]:
    """Every tally (applications, reviews, the review overview's) against a full count; empty
    when they agree."""
    from portal.review.overview_tallies import check_overview_tallies

    return check_application_tallies() + check_review_tallies() + check_overview_tallies()


def rebuild_tallies() -> None:
    """Recount every tally from the applications and assignments."""
    from portal.review.overview_tallies import rebuild_overview_tallies

    rebuild_application_tallies()
    rebuild_review_tallies()
    rebuild_overview_tallies()
