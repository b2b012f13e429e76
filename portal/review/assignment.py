"""Officers assign expert reviewers: by hand or automatically, never across a conflict.

A conflicted reviewer (see ``reviewer_pool``) is never offered, and the services refuse one
even when the id is posted by hand. A reviewer who declined an application (or is already on
it) is not assigned to it again.

Every service locks the application row first (as ``scoring`` does), so an officer assigning
while a reviewer submits, or two officers assigning at once, are serialised.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from portal.accounts.models import Enterprise, Role, User
from portal.accounts.uscc import check_uscc
from portal.applications.models import Application, Status
from portal.core import audit
from portal.core.audit import Action
from portal.core.concurrency import lock_row
from portal.core.domain import DomainError
from portal.core.extensions import db
from portal.core.timeutil import BUREAU_ZONE, utcnow
from portal.programs.models import Program
from portal.review import auto_assign as planner
from portal.review.aggregates import refresh_aggregates
from portal.review.models import Assignment, AssignmentStatus, ReviewerProfile
from portal.review.reviewer_pool import (
    DECLARED,
    LINKED,
    OPEN_STATES,
    active_reviewers,
    conflicts_of,
    open_loads,
    profiles_of,
)
from portal.review.scoring import complete_round_if_last

# Applications a programme's review overview lists.
REVIEW_STATES = (Status.EXPERT_REVIEW, Status.MODERATION, Status.DECIDED)


class AssignmentRefused(DomainError):
    pass


def due_at_end_of(day: date) -> datetime:
    """The end of ``day`` in the bureau's zone (23:59:59 China Standard Time), in UTC."""
    return datetime.combine(day, time(23, 59, 59), BUREAU_ZONE).astimezone(UTC)


def lock_application(application_id: int) -> Application:
    """Lock the application row (PostgreSQL; SQLite serialises writers anyway) and reread it."""
    return lock_row(Application, application_id)


# --------------------------------------------------------------------------------------------
# Reviewer profiles


def update_reviewer_profile(
    reviewer: User, expertise: Sequence[str], linked_usccs: Sequence[str], *, actor: Any
) -> list[str]:
    """Save a reviewer's expertise and linked firms. Returns the references of applications the
    reviewer still has pending although now linked to the firm (for the officer to act on)."""
    if reviewer.role is not Role.REVIEWER:
        raise DomainError(_l("Only an expert reviewer has a reviewer profile."))
    codes: list[str] = []
    for raw in linked_usccs:
        result = check_uscc(raw)
        if not result.ok:
            raise DomainError(
                _l("“%(code)s” is not a valid unified social credit code.", code=raw),
                field="linked_usccs",
            )
        if result.code not in codes:
            codes.append(result.code)
    profile = db.session.get(ReviewerProfile, reviewer.id)
    before = {"expertise": [], "linked_usccs": []}
    if profile is None:
        profile = ReviewerProfile(user_id=reviewer.id)
        db.session.add(profile)
    else:
        before = {
            "expertise": list(profile.expertise or []),
            "linked_usccs": list(profile.linked_usccs or []),
        }
    profile.expertise = list(expertise)
    profile.linked_usccs = codes
    profile.updated_at = utcnow()
    audit.record(
        Action.REVIEWER_PROFILE_UPDATED,
        reviewer,
        actor=actor,
        expertise=list(expertise),
        linked_usccs=codes,
        before=before,
    )
    if not codes:
        return []
    return list(
        db.session.scalars(
            select(Application.reference)
            .join(Enterprise, Enterprise.id == Application.enterprise_id)
            .join(Assignment, Assignment.application_id == Application.id)
            .where(
                Assignment.reviewer_id == reviewer.id,
                Assignment.status == AssignmentStatus.ASSIGNED,
                Application.status.in_(OPEN_STATES),
                Enterprise.uscc.in_(codes),
            )
            .order_by(Application.reference)
        )
    )


# --------------------------------------------------------------------------------------------
# Assigning by hand


def _check_assignable(application: Application, *, for_moderation: bool) -> None:
    if for_moderation and application.status is not Status.MODERATION:
        raise AssignmentRefused(
            _l("A moderation reviewer can be added only while the application is in moderation.")
        )
    if not for_moderation and application.status is not Status.EXPERT_REVIEW:
        raise AssignmentRefused(
            _l("Reviewers can be assigned only while the application is in expert review.")
        )


def _check_reviewer(application: Application, reviewer: User | None) -> User:
    if reviewer is None or reviewer.role is not Role.REVIEWER or not reviewer.is_active:
        raise AssignmentRefused(_l("Choose one of the listed reviewers."), field="reviewer_id")
    existing = db.session.scalar(
        select(Assignment.status).where(
            Assignment.application_id == application.id,
            Assignment.reviewer_id == reviewer.id,
        )
    )
    if existing is AssignmentStatus.DECLINED:
        raise AssignmentRefused(
            _l(
                "%(name)s declined this application and cannot be assigned to it again.",
                name=reviewer.display_name,
            ),
            field="reviewer_id",
        )
    if existing is not None:
        raise AssignmentRefused(
            _l("%(name)s is already assigned to this application.", name=reviewer.display_name),
            field="reviewer_id",
        )
    firm = application.enterprise
    kind = conflicts_of([reviewer.id])[reviewer.id].with_firm(firm.id, firm.uscc)
    if kind == LINKED:
        raise AssignmentRefused(
            _l(
                "%(name)s is linked to %(firm)s and must never review its application: "
                "choose another reviewer.",
                name=reviewer.display_name,
                firm=firm.name,
            ),
            field="reviewer_id",
        )
    if kind == DECLARED:
        raise AssignmentRefused(
            _l(
                "%(name)s has declared a conflict of interest with %(firm)s and must never "
                "review its application: choose another reviewer.",
                name=reviewer.display_name,
                firm=firm.name,
            ),
            field="reviewer_id",
        )
    return reviewer


def _check_due(due_at: datetime) -> None:
    if due_at <= utcnow():
        raise AssignmentRefused(_l("The due date cannot be in the past."), field="due_on")


def _create(
    application: Application,
    reviewer_id: int,
    due_at: datetime,
    *,
    actor: Any,
    for_moderation: bool = False,
    automatic: bool = False,
) -> Assignment:
    assignment = Assignment(
        application_id=application.id,
        reviewer_id=reviewer_id,
        status=AssignmentStatus.ASSIGNED,
        assigned_by_id=getattr(actor, "id", None),
        due_at=due_at,
        for_moderation=for_moderation,
        scores={},
    )
    db.session.add(assignment)
    try:
        with db.session.begin_nested():
            db.session.flush()
    except IntegrityError as exc:  # the same reviewer assigned in another request just now
        raise AssignmentRefused(
            _l("This reviewer has just been assigned by someone else. Reload the page."),
            field="reviewer_id",
        ) from exc
    audit.record(
        Action.REVIEW_ASSIGNED,
        application,
        actor=actor,
        assignment_id=assignment.id,
        reviewer_id=reviewer_id,
        due_at=due_at.isoformat(),
        for_moderation=for_moderation,
        automatic=automatic,
    )
    return assignment


def assign_reviewer(
    application: Application,
    reviewer_id: int | None,
    due_at: datetime,
    *,
    actor: Any,
    for_moderation: bool = False,
) -> Assignment:
    """Assign one reviewer by hand; refuses a conflicted, declined or already assigned one."""
    application = lock_application(application.id)
    _check_assignable(application, for_moderation=for_moderation)
    reviewer = _check_reviewer(
        application, db.session.get(User, reviewer_id) if reviewer_id else None
    )
    _check_due(due_at)
    return _create(application, reviewer.id, due_at, actor=actor, for_moderation=for_moderation)


# --------------------------------------------------------------------------------------------
# Automatic assignment


@dataclass(frozen=True)
class AutoAssignResult:
    made: list[tuple[int, int]]  # (application id, reviewer id)
    shortfalls: list[tuple[str, int]]  # (application reference, reviewers still missing)
    considered: int  # applications that needed reviewers


def _needs(applications: Sequence[Application]) -> list[planner.Need]:
    ids = [application.id for application in applications]
    rows = db.session.execute(
        select(Assignment.application_id, Assignment.reviewer_id, Assignment.status).where(
            Assignment.application_id.in_(ids)
        )
    ).all()
    already: dict[int, set[int]] = defaultdict(set)
    active: dict[int, int] = defaultdict(int)
    for application_id, reviewer_id, status in rows:
        already[application_id].add(reviewer_id)
        if status is not AssignmentStatus.DECLINED:
            active[application_id] += 1
    firms = dict(
        db.session.execute(
            select(Enterprise.id, Enterprise.uscc).where(
                Enterprise.id.in_({a.enterprise_id for a in applications})
            )
        ).all()
    )
    return [
        planner.Need(
            application_id=application.id,
            uscc=firms[application.enterprise_id],
            needed=max(0, application.program.reviewers_per_application - active[application.id]),
            already=frozenset(already[application.id]),
        )
        for application in applications
    ]


def _candidates() -> list[planner.Candidate]:
    reviewers = active_reviewers()
    ids = [reviewer.id for reviewer in reviewers]
    profiles = profiles_of(ids)
    conflicts = conflicts_of(ids, profiles)
    loads = open_loads(ids)
    return [
        planner.Candidate(
            reviewer_id=reviewer_id,
            current_load=loads.get(reviewer_id, 0),
            conflicted_uscc=conflicts[reviewer_id].usccs,
            expertise=frozenset(profiles[reviewer_id].expertise or [])
            if reviewer_id in profiles
            else frozenset(),
        )
        for reviewer_id in ids
    ]


def auto_assign(
    applications: Iterable[Application], due_at: datetime, *, actor: Any
) -> AutoAssignResult:
    """Give every application in expert review the reviewers it still lacks: conflict-free,
    lowest open load first. Applications that cannot be completed are reported."""
    _check_due(due_at)
    order = [application.id for application in applications]
    rows = db.session.scalars(
        select(Application)
        .where(Application.id.in_(order))
        .order_by(Application.id)  # one lock order for every request: no deadlock
        .with_for_update()
        .execution_options(populate_existing=True)
    ).all()
    by_id = {application.id: application for application in rows}
    locked = [by_id[i] for i in order if by_id[i].status is Status.EXPERT_REVIEW]
    needs = [need for need in _needs(locked) if need.needed > 0] if locked else []
    if not needs:
        return AutoAssignResult(made=[], shortfalls=[], considered=0)
    pairs, shortfalls = planner.plan_assignments(needs, _candidates())
    for application_id, reviewer_id in pairs:
        _create(by_id[application_id], reviewer_id, due_at, actor=actor, automatic=True)
    return AutoAssignResult(
        made=pairs,
        shortfalls=[(by_id[app_id].reference, missing) for app_id, missing in shortfalls],
        considered=len(needs),
    )


def auto_assign_program(program: Program, due_at: datetime, *, actor: Any) -> AutoAssignResult:
    applications = db.session.scalars(
        select(Application)
        .where(Application.program_id == program.id, Application.status == Status.EXPERT_REVIEW)
        .order_by(Application.first_submitted_at, Application.id)
    ).all()
    result = auto_assign(applications, due_at, actor=actor)
    audit.record(
        Action.REVIEW_AUTO_ASSIGNED,
        program,
        actor=actor,
        made=len(result.made),
        applications=result.considered,
        shortfalls=[{"reference": ref, "missing": n} for ref, n in result.shortfalls],
    )
    return result


# --------------------------------------------------------------------------------------------
# Unassigning


def unassign(assignment: Assignment, *, actor: Any) -> None:
    """Take a pending assignment back from its reviewer (the row is deleted; the audit log
    keeps who and when). A submitted review is reopened instead, a declined one stays."""
    application = lock_application(assignment.application_id)
    db.session.refresh(assignment)
    if assignment.status is not AssignmentStatus.ASSIGNED:
        raise AssignmentRefused(
            _l("Only a review that has not been submitted or declined can be unassigned.")
        )
    audit.record(
        Action.REVIEW_UNASSIGNED,
        application,
        actor=actor,
        assignment_id=assignment.id,
        reviewer_id=assignment.reviewer_id,
        for_moderation=assignment.for_moderation,
        had_draft=any(
            (entry or {}).get("score") not in (None, "")
            for entry in (assignment.scores or {}).values()
        ),
    )
    db.session.delete(assignment)
    db.session.flush()
    # The reviewers who remain may already have submitted everything that is needed.
    complete_round_if_last(application, refresh_aggregates(application), actor)
