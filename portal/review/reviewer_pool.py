"""The expert reviewers an officer can choose from, read-only: who is active, their open load,
submitted reviews, conflicts of interest and calibration across a programme.

A reviewer is in conflict with a firm when the firm's USCC is among the reviewer's linked
enterprises (``ReviewerProfile.linked_usccs``) or when the reviewer declared a conflict with it
(``ConflictDeclaration``). Each function is a single query (or two) whatever the number of
reviewers; the commands that use them (assigning, unassigning) are in ``assignment``.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal, localcontext
from fractions import Fraction
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select

from portal.accounts.models import Enterprise, Role, User
from portal.accounts.uscc import normalise_uscc
from portal.applications.models import Application, Status
from portal.core.extensions import db
from portal.core.labels import LabelledEnum
from portal.review import scoring_math
from portal.review.models import (
    Assignment,
    AssignmentStatus,
    ConflictDeclaration,
    ReviewerProfile,
)

# Applications whose pending assignments count as a reviewer's open load.
OPEN_STATES = (Status.EXPERT_REVIEW, Status.MODERATION)

# How a reviewer is in conflict with a firm.


class ConflictKind(LabelledEnum):
    """How a reviewer is in conflict with a firm."""

    LINKED = "linked", _l("Linked to this enterprise")
    DECLARED = "declared", _l("Declared a conflict with this enterprise")


LINKED, DECLARED = ConflictKind.LINKED, ConflictKind.DECLARED


def active_reviewers() -> list[User]:
    return list(
        db.session.scalars(
            select(User)
            .where(User.role == Role.REVIEWER, User.disabled_at.is_(None))
            .order_by(User.display_name, User.id)
        )
    )


def user_names(user_ids: Collection[int]) -> dict[int, dict[str, str]]:
    if not user_ids:
        return {}
    rows = db.session.execute(
        select(User.id, User.display_name, User.email).where(User.id.in_(list(user_ids)))
    ).all()
    return {row.id: {"name": row.display_name, "email": row.email} for row in rows}


def reviewer_account(user_id: int) -> User | None:
    user = db.session.get(User, user_id)
    return user if user is not None and user.role is Role.REVIEWER else None


def open_loads(reviewer_ids: Collection[int] | None = None) -> dict[int, int]:
    """Pending assignments per reviewer, on applications still in review."""
    query = (
        select(Assignment.reviewer_id, func.count())
        .join(Application, Application.id == Assignment.application_id)
        .where(
            Assignment.status == AssignmentStatus.ASSIGNED,
            Application.status.in_(OPEN_STATES),
        )
        .group_by(Assignment.reviewer_id)
    )
    if reviewer_ids is not None:
        query = query.where(Assignment.reviewer_id.in_(list(reviewer_ids)))
    return dict(db.session.execute(query).all())


def submitted_counts(reviewer_ids: Collection[int]) -> dict[int, int]:
    return dict(
        db.session.execute(
            select(Assignment.reviewer_id, func.count())
            .where(
                Assignment.status == AssignmentStatus.SUBMITTED,
                Assignment.reviewer_id.in_(list(reviewer_ids)),
            )
            .group_by(Assignment.reviewer_id)
        ).all()
    )


@dataclass
class ReviewerConflicts:
    linked: set[str] = field(default_factory=set)  # normalised USCCs
    declared: dict[int, dict[str, str]] = field(default_factory=dict)  # enterprise id -> firm

    @property
    def usccs(self) -> frozenset[str]:
        return frozenset(self.linked | {firm["uscc"] for firm in self.declared.values()})

    def with_firm(self, enterprise_id: int, uscc: str) -> str | None:
        """LINKED, DECLARED or None: how this reviewer is in conflict with the firm."""
        if normalise_uscc(uscc) in self.linked:
            return LINKED
        if enterprise_id in self.declared:
            return DECLARED
        return None


def profiles_of(reviewer_ids: Collection[int]) -> dict[int, ReviewerProfile]:
    if not reviewer_ids:
        return {}
    return {
        profile.user_id: profile
        for profile in db.session.scalars(
            select(ReviewerProfile).where(ReviewerProfile.user_id.in_(list(reviewer_ids)))
        )
    }


def conflicts_of(
    reviewer_ids: Collection[int], profiles: dict[int, ReviewerProfile] | None = None
) -> dict[int, ReviewerConflicts]:
    """Every reviewer's conflicts: linked USCCs and declared conflicts (two queries)."""
    profiles = profiles_of(reviewer_ids) if profiles is None else profiles
    result = {reviewer_id: ReviewerConflicts() for reviewer_id in reviewer_ids}
    for reviewer_id, profile in profiles.items():
        if reviewer_id in result:
            result[reviewer_id].linked = {normalise_uscc(c) for c in profile.linked_usccs or []}
    if not reviewer_ids:
        return result
    rows = db.session.execute(
        select(
            ConflictDeclaration.reviewer_id,
            ConflictDeclaration.enterprise_id,
            ConflictDeclaration.reason,
            ConflictDeclaration.declared_at,
            Enterprise.uscc,
            Enterprise.name,
        )
        .join(Enterprise, Enterprise.id == ConflictDeclaration.enterprise_id)
        .where(ConflictDeclaration.reviewer_id.in_(list(reviewer_ids)))
        .order_by(ConflictDeclaration.declared_at, ConflictDeclaration.id)
    ).all()
    for row in rows:
        result[row.reviewer_id].declared[row.enterprise_id] = {
            "uscc": normalise_uscc(row.uscc),
            "name": row.name,
            "reason": row.reason,
            "declared_at": row.declared_at,
        }
    return result


def totals_by_reviewer(program_id: int) -> dict[int, list]:
    """Submitted review totals in a programme, by reviewer (for z-scores)."""
    rows = db.session.execute(
        select(Assignment.reviewer_id, Assignment.total)
        .join(Application, Application.id == Assignment.application_id)
        .where(
            Application.program_id == program_id,
            Application.status != Status.WITHDRAWN,
            Assignment.status == AssignmentStatus.SUBMITTED,
            Assignment.total.is_not(None),
        )
    ).all()
    totals: dict[int, list] = defaultdict(list)
    for reviewer_id, total in rows:
        totals[reviewer_id].append(total)
    return dict(totals)


def calibration(program_id: int) -> list[dict[str, Any]]:
    """Each reviewer's mean total and z-score across the programme, highest |z| first."""
    totals = totals_by_reviewer(program_id)
    z = scoring_math.z_scores(totals)
    names = {i: n["name"] for i, n in user_names(totals).items()}
    rows = []
    for reviewer_id, values in totals.items():
        mean = scoring_math.aggregate(values, spread_threshold=0).mean
        rows.append(
            {
                "reviewer_id": reviewer_id,
                "name": names.get(reviewer_id, f"#{reviewer_id}"),
                "reviews": len(values),
                "mean": mean,
                "z": z.get(reviewer_id),
                "outlier": z.get(reviewer_id) is not None and abs(z[reviewer_id]) >= 1,
            }
        )
    rows.sort(key=lambda row: (-(abs(row["z"]) if row["z"] is not None else -1), row["name"]))
    return rows


@dataclass
class ProgramWork:
    """One reviewer's assignments in a programme (withdrawn applications excepted)."""

    pending: int = 0
    submitted: int = 0
    declined: int = 0
    totals: list[Decimal] = field(default_factory=list)  # submitted totals, for the mean


def program_work(program_id: int, reviewer_ids: Collection[int]) -> dict[int, ProgramWork]:
    """The listed reviewers' assignments in a programme: one query over those reviewers'
    assignments only (ix_assignments_reviewer_queue), so a page of reviewers costs the same
    however many applications the programme has."""
    work = {reviewer_id: ProgramWork() for reviewer_id in reviewer_ids}
    if not work:
        return work
    rows = db.session.execute(
        select(Assignment.reviewer_id, Assignment.status, Assignment.total)
        .join(Application, Application.id == Assignment.application_id)
        .where(
            Assignment.reviewer_id.in_(list(work)),
            Application.program_id == program_id,
            Application.status != Status.WITHDRAWN,
        )
    ).all()
    for reviewer_id, status, total in rows:
        mine = work[reviewer_id]
        if status is AssignmentStatus.ASSIGNED:
            mine.pending += 1
        elif status is AssignmentStatus.DECLINED:
            mine.declined += 1
        elif status is AssignmentStatus.SUBMITTED:
            mine.submitted += 1
            if total is not None:
                mine.totals.append(Decimal(total))
    return work


@dataclass(frozen=True)
class ProgramSpread:
    """The programme's submitted review totals summed up: count, mean and population variance,
    exact (Fractions), so a z-score needs no list of every total."""

    count: int
    mean: Fraction
    variance: Fraction

    def z_of(self, totals: list[Decimal]) -> Decimal | None:
        """A reviewer's z-score as ``scoring_math.z_scores`` gives it: (their mean − the
        programme's) / its standard deviation, 2 decimals ROUND_HALF_UP; None without totals,
        with fewer than 2 totals in the programme or no spread."""
        if not totals or self.count < 2 or self.variance <= 0:
            return None
        difference = sum((Fraction(t) for t in totals), Fraction(0)) / len(totals) - self.mean
        with localcontext() as context:
            context.prec = 60
            stdev = (
                Decimal(self.variance.numerator).sqrt() / Decimal(self.variance.denominator).sqrt()
            )
            z = Decimal(difference.numerator) / Decimal(difference.denominator) / stdev
        return z.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


def program_spread(program_id: int) -> ProgramSpread:
    """Count, sum and sum of squares of the programme's submitted totals (one aggregate row)."""
    count, total, squares = db.session.execute(
        select(
            func.count(Assignment.total),
            func.sum(Assignment.total),
            func.sum(Assignment.total * Assignment.total),
        )
        .join(Application, Application.id == Assignment.application_id)
        .where(
            Application.program_id == program_id,
            Application.status != Status.WITHDRAWN,
            Assignment.status == AssignmentStatus.SUBMITTED,
            Assignment.total.is_not(None),
        )
    ).one()
    if not count:
        return ProgramSpread(0, Fraction(0), Fraction(0))
    # SQLite sums as floats: read them through their shortest text, cents are exact there.
    exact_sum = Fraction(Decimal(str(total)))
    exact_squares = Fraction(Decimal(str(squares)))
    mean = exact_sum / count
    return ProgramSpread(count, mean, exact_squares / count - mean * mean)
