"""Tallies a programme's review overview reads instead of every review: each reviewer's
submitted totals per programme and the programme's (count, sum and sum of squares, in cents),
and the applications in expert review by their number of active assignments.

Triggers on ``assignments`` and ``applications`` (migration 0020) keep them, as they keep the
other tallies (portal/review/tallies.py): the z-scores come from two rows per reviewer and one
per programme, "short of reviewers" from a few rows, however many reviews there are. Reviews
of withdrawn applications do not count, as everywhere in expert review.
"""

from __future__ import annotations

from collections.abc import Collection
from fractions import Fraction

from sqlalchemy import BigInteger, ForeignKey, Integer, delete, func, insert, select
from sqlalchemy.orm import Mapped, mapped_column

from portal.applications.models import Application, Status
from portal.core.extensions import Model, db
from portal.review import scoring_math
from portal.review.models import Assignment, AssignmentStatus


class ReviewerScoreTally(Model):
    """One reviewer's submitted totals in one programme: how many, their sum and the sum of
    their squares, in cents (exact integers on every database)."""

    __tablename__ = "reviewer_score_tallies"

    program_id: Mapped[int] = mapped_column(
        ForeignKey("programs.id", ondelete="CASCADE"), primary_key=True
    )
    reviewer_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    reviews: Mapped[int] = mapped_column(Integer)
    total_cents: Mapped[int] = mapped_column(BigInteger)
    squared_cents: Mapped[int] = mapped_column(BigInteger)


class ProgramScoreTally(Model):
    """Every submitted total of one programme: how many, their sum and sum of squares (cents)."""

    __tablename__ = "program_score_tallies"

    program_id: Mapped[int] = mapped_column(
        ForeignKey("programs.id", ondelete="CASCADE"), primary_key=True
    )
    reviews: Mapped[int] = mapped_column(Integer)
    total_cents: Mapped[int] = mapped_column(BigInteger)
    squared_cents: Mapped[int] = mapped_column(BigInteger)


class ReviewShortfallTally(Model):
    """A programme's applications in expert review with this many active (not declined)
    assignments."""

    __tablename__ = "review_shortfall_tallies"

    program_id: Mapped[int] = mapped_column(
        ForeignKey("programs.id", ondelete="CASCADE"), primary_key=True
    )
    active_reviewers: Mapped[int] = mapped_column(Integer, primary_key=True)
    applications: Mapped[int] = mapped_column(Integer)


# --------------------------------------------------------------------------------------------
# Reading


def _fraction(cents: int | None) -> Fraction:
    return Fraction(int(cents or 0), 100)


def program_sums(program_id: int) -> scoring_math.Sums:
    """The programme's submitted totals summed up (one row)."""
    row = db.session.get(ProgramScoreTally, program_id)
    if row is None:
        return scoring_math.Sums(0, Fraction(0), Fraction(0))
    return scoring_math.Sums(
        row.reviews, _fraction(row.total_cents), Fraction(int(row.squared_cents), 10_000)
    )


def reviewer_sums(
    program_id: int, reviewer_ids: Collection[int] | None = None
) -> dict[int, scoring_math.Sums]:
    """Each reviewer's submitted totals in the programme summed up (one query): the listed
    reviewers only, or every reviewer with a review in it."""
    query = select(ReviewerScoreTally).where(
        ReviewerScoreTally.program_id == program_id, ReviewerScoreTally.reviews > 0
    )
    if reviewer_ids is not None:
        if not reviewer_ids:
            return {}
        query = query.where(ReviewerScoreTally.reviewer_id.in_(list(reviewer_ids)))
    return {
        row.reviewer_id: scoring_math.Sums(
            row.reviews, _fraction(row.total_cents), Fraction(int(row.squared_cents), 10_000)
        )
        for row in db.session.scalars(query)
    }


def short_of_reviewers(program_id: int, needed: int) -> int:
    """The programme's applications in expert review with fewer active assignments than
    ``needed`` (one query over a few tally rows)."""
    return int(
        db.session.scalar(
            select(func.coalesce(func.sum(ReviewShortfallTally.applications), 0)).where(
                ReviewShortfallTally.program_id == program_id,
                ReviewShortfallTally.active_reviewers < needed,
            )
        )
        or 0
    )


# --------------------------------------------------------------------------------------------
# Checking and rebuilding (``flask tallies check`` / ``rebuild``)


def _cents(column):
    return func.round(column * 100).cast(BigInteger)


def _scored():
    return (
        Application.status != Status.WITHDRAWN,
        Assignment.status == AssignmentStatus.SUBMITTED,
        Assignment.total.is_not(None),
    )


def _counted_by_reviewer():
    cents = _cents(Assignment.total)
    return (
        select(
            Application.program_id,
            Assignment.reviewer_id,
            func.count(),
            func.sum(cents),
            func.sum(cents * cents),
        )
        .join(Application, Application.id == Assignment.application_id)
        .where(*_scored())
        .group_by(Application.program_id, Assignment.reviewer_id)
    )


def _counted_by_program():
    cents = _cents(Assignment.total)
    return (
        select(Application.program_id, func.count(), func.sum(cents), func.sum(cents * cents))
        .join(Application, Application.id == Assignment.application_id)
        .where(*_scored())
        .group_by(Application.program_id)
    )


def _counted_shortfall():
    active = (
        select(func.count())
        .where(
            Assignment.application_id == Application.id,
            Assignment.status != AssignmentStatus.DECLINED,
        )
        .correlate(Application)
        .scalar_subquery()
        .label("active")
    )
    counted = (
        select(Application.program_id, active)
        .where(Application.status == Status.EXPERT_REVIEW)
        .subquery()
    )
    return select(counted.c.program_id, counted.c.active, func.count()).group_by(
        counted.c.program_id, counted.c.active
    )


def _compare(what: str, kept: dict, counted: dict) -> list[str]:
    return [
        f"{what} {key}: tally {kept.get(key)}, count {counted.get(key)}"
        for key in sorted(set(kept) | set(counted), key=str)
        if kept.get(key) != counted.get(key)
    ]


def check_overview_tallies() -> list[str]:
    """The differences between this module's tallies and a full count; empty when they agree."""
    kept_reviewers = {
        (row.program_id, row.reviewer_id): (row.reviews, row.total_cents, row.squared_cents)
        for row in db.session.scalars(select(ReviewerScoreTally))
        if row.reviews or row.total_cents or row.squared_cents
    }
    counted_reviewers = {
        (program, reviewer): (n, int(total), int(squares))
        for program, reviewer, n, total, squares in db.session.execute(_counted_by_reviewer())
    }
    kept_programs = {
        row.program_id: (row.reviews, row.total_cents, row.squared_cents)
        for row in db.session.scalars(select(ProgramScoreTally))
        if row.reviews or row.total_cents or row.squared_cents
    }
    counted_programs = {
        program: (n, int(total), int(squares))
        for program, n, total, squares in db.session.execute(_counted_by_program())
    }
    kept_shortfall = {
        (row.program_id, row.active_reviewers): row.applications
        for row in db.session.scalars(select(ReviewShortfallTally))
        if row.applications
    }
    counted_shortfall = {
        (program, active): n for program, active, n in db.session.execute(_counted_shortfall())
    }
    return (
        _compare("reviewer scores", kept_reviewers, counted_reviewers)
        + _compare("programme scores", kept_programs, counted_programs)
        + _compare("short of reviewers", kept_shortfall, counted_shortfall)
    )


def rebuild_overview_tallies() -> None:
    """Recount this module's tallies from the rows (inside the caller's transaction)."""
    for model in (ReviewerScoreTally, ProgramScoreTally, ReviewShortfallTally):
        db.session.execute(delete(model))
    sums = ["reviews", "total_cents", "squared_cents"]
    db.session.execute(
        insert(ReviewerScoreTally).from_select(
            ["program_id", "reviewer_id", *sums], _counted_by_reviewer()
        )
    )
    db.session.execute(
        insert(ProgramScoreTally).from_select(["program_id", *sums], _counted_by_program())
    )
    db.session.execute(
        insert(ReviewShortfallTally).from_select(
            ["program_id", "active_reviewers", "applications"], _counted_shortfall()
        )
    )


__all__ = [
    "ProgramScoreTally",
    "ReviewShortfallTally",
    "ReviewerScoreTally",
    "check_overview_tallies",
    "program_sums",
    "rebuild_overview_tallies",
    "reviewer_sums",
    "short_of_reviewers",
]
