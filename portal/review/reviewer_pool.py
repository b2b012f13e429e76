"""The expert reviewers an officer can choose from, read-only: who is active, their open load,
submitted reviews, conflicts of interest and calibration across a programme.

A reviewer is in conflict with a firm when the firm's USCC is among the reviewer's linked
enterprises (``ReviewerProfile.linked_usccs``) or when the reviewer declared a conflict with it
(``ConflictDeclaration``). Each function is a single query (or two) whatever the number of
reviewers; the commands that use them (assigning, unassigning) are in ``assignment``.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass, field
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


def calibration(program_id: int) -> list[dict[str, Any]]:
    """Each reviewer's mean total and z-score across the programme, highest |z| first: read
    from the score tallies (migration 0020), one row per reviewer with a review in it."""
    from portal.review.overview_tallies import program_sums, reviewer_sums

    whole = program_sums(program_id)
    sums = reviewer_sums(program_id)
    names = {i: n["name"] for i, n in user_names(sums).items()}
    rows = []
    for reviewer_id, mine in sums.items():
        z = scoring_math.z_score(whole, mine)
        rows.append(
            {
                "reviewer_id": reviewer_id,
                "name": names.get(reviewer_id, f"#{reviewer_id}"),
                "reviews": mine.count,
                "mean": scoring_math.mean_of(mine),
                "z": z,
                "outlier": z is not None and abs(z) >= 1,
            }
        )
    rows.sort(key=lambda row: (-(abs(row["z"]) if row["z"] is not None else -1), row["name"]))
    return rows


@dataclass
class ProgramWork:
    """One reviewer's assignments in a programme by status (withdrawn applications excepted)."""

    pending: int = 0
    submitted: int = 0
    declined: int = 0


def program_work(program_id: int, reviewer_ids: Collection[int]) -> dict[int, ProgramWork]:
    """The listed reviewers' assignments in a programme, counted by status in one query over
    those reviewers' assignments only (ix_assignments_reviewer_queue): a row per reviewer and
    status, so a page of reviewers costs the same however many applications there are."""
    work = {reviewer_id: ProgramWork() for reviewer_id in reviewer_ids}
    if not work:
        return work
    rows = db.session.execute(
        select(Assignment.reviewer_id, Assignment.status, func.count())
        .join(Application, Application.id == Assignment.application_id)
        .where(
            Assignment.reviewer_id.in_(list(work)),
            Application.program_id == program_id,
            Application.status != Status.WITHDRAWN,
        )
        .group_by(Assignment.reviewer_id, Assignment.status)
    ).all()
    for reviewer_id, status, count in rows:
        mine = work[reviewer_id]
        if status is AssignmentStatus.ASSIGNED:
            mine.pending = count
        elif status is AssignmentStatus.DECLINED:
            mine.declined = count
        elif status is AssignmentStatus.SUBMITTED:
            mine.submitted = count
    return work
