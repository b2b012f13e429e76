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
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from portal.accounts.models import Enterprise, Role, User
from portal.accounts.uscc import check_uscc
from portal.applications.models import Application, Status
from portal.core import audit
from portal.core.audit import Action
from portal.core.concurrency import lock_row, refusable
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


def _check_reviewers(application: Application, reviewer_ids: Sequence[int]) -> None:
    """Refuse the whole choice when any chosen reviewer cannot be assigned; every refused
    reviewer is named in one message (four queries whatever the number chosen)."""
    users = {
        user.id: user
        for user in db.session.scalars(select(User).where(User.id.in_(list(reviewer_ids))))
    }
    existing = dict(
        db.session.execute(
            select(Assignment.reviewer_id, Assignment.status).where(
                Assignment.application_id == application.id,
                Assignment.reviewer_id.in_(list(reviewer_ids)),
            )
        ).all()
    )
    conflicts = conflicts_of(list(reviewer_ids))
    firm = application.enterprise
    problems: list[str] = []
    for reviewer_id in reviewer_ids:
        user = users.get(reviewer_id)
        if user is None or user.role is not Role.REVIEWER or not user.is_active:
            problems.append(str(_l("Choose one of the listed reviewers.")))
            continue
        name = user.display_name
        status = existing.get(reviewer_id)
        kind = conflicts[reviewer_id].with_firm(firm.id, firm.uscc)
        if status is AssignmentStatus.DECLINED:
            message = _l(
                "%(name)s declined this application and cannot be assigned to it again.",
                name=name,
            )
        elif status is not None:
            message = _l("%(name)s is already assigned to this application.", name=name)
        elif kind == LINKED:
            message = _l(
                "%(name)s is linked to %(firm)s and must never review its application: "
                "choose another reviewer.",
                name=name,
                firm=firm.name,
            )
        elif kind == DECLARED:
            message = _l(
                "%(name)s has declared a conflict of interest with %(firm)s and must never "
                "review its application: choose another reviewer.",
                name=name,
                firm=firm.name,
            )
        else:
            continue
        problems.append(str(message))
    if problems:
        unique = list(dict.fromkeys(problems))
        raise AssignmentRefused(" ".join(unique), field="reviewer_id")


def active_count(application_id: int) -> int:
    """Assignments of the application that count (declined ones do not)."""
    return int(
        db.session.scalar(
            select(func.count()).where(
                Assignment.application_id == application_id,
                Assignment.status != AssignmentStatus.DECLINED,
            )
        )
        or 0
    )


def choice_limit(needed: int, active: int, *, for_moderation: bool = False) -> int:
    """How many reviewers one submit may add: what the application still lacks, or one further
    reviewer at a time once it has them (a moderation reviewer is always added alone)."""
    if for_moderation:
        return 1
    return max(1, needed - active)


def assign_reviewers(
    application: Application,
    reviewer_ids: Sequence[int],
    due_at: datetime,
    *,
    actor: Any,
    shown: str | None = None,
) -> list[Assignment]:
    """Assign several reviewers by hand in one go: all of them or none. Refuses a conflicted,
    declined or already assigned reviewer, more reviewers than the application lacks, and a
    choice made on a page whose assignments have changed since (``shown``, see
    ``assignments_fingerprint``)."""
    chosen = list(dict.fromkeys(reviewer_ids))
    if not chosen:
        raise AssignmentRefused(_l("Choose a reviewer."), field="reviewer_id")
    with refusable():
        application = lock_application(application.id)
        _check_assignable(application, for_moderation=False)
        if shown is not None and shown != assignments_fingerprint(application.id):
            raise AssignmentRefused(
                _l(
                    "The reviewers of this application changed while you were choosing: the "
                    "list now shows who is assigned. Check your choice and assign again."
                ),
                field="reviewer_id",
            )
        needed = application.program.reviewers_per_application
        active = active_count(application.id)
        limit = choice_limit(needed, active)
        if len(chosen) > limit:
            raise AssignmentRefused(
                _l(
                    "Choose at most %(limit)d: the application needs %(needed)d reviewers and "
                    "has %(active)d.",
                    limit=limit,
                    needed=needed,
                    active=active,
                ),
                field="reviewer_id",
            )
        _check_reviewers(application, chosen)
        _check_due(due_at)
        return [_create(application, reviewer_id, due_at, actor=actor) for reviewer_id in chosen]


def assignments_fingerprint(application_id: int) -> str:
    """The application's assignments as a page showed them (ids and states), sent back with a
    choice so that a change made meanwhile is noticed."""
    rows = db.session.execute(
        select(Assignment.id, Assignment.status).where(Assignment.application_id == application_id)
    ).all()
    return fingerprint_of(rows)


def fingerprint_of(rows: Iterable[tuple[int, AssignmentStatus]]) -> str:
    """(id, status) pairs in a stable order: the same text for the same assignments."""
    return ",".join(f"{ident}{status.value[0]}" for ident, status in sorted(rows))


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
    if not reviewer_id:
        raise AssignmentRefused(_l("Choose one of the listed reviewers."), field="reviewer_id")
    _check_reviewers(application, [reviewer_id])
    _check_due(due_at)
    return _create(application, reviewer_id, due_at, actor=actor, for_moderation=for_moderation)


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


MAX_BULK_APPLICATIONS = 100


@dataclass(frozen=True)
class BulkAutoAssignResult:
    """What assigning automatically to chosen applications did, application by application."""

    made: dict[str, int]  # reference -> reviewers assigned now
    shortfalls: dict[str, int]  # reference -> reviewers still missing
    complete: list[str]  # references that already had their reviewers
    not_in_review: list[str]  # references no longer in expert review (a page shown earlier)

    @property
    def assigned(self) -> int:
        return sum(self.made.values())


def auto_assign_selected(
    program: Program, application_ids: Sequence[int], due_at: datetime, *, actor: Any
) -> BulkAutoAssignResult:
    """Assign automatically to the applications an officer ticked: one transaction, conflicts
    respected and the load balanced across all of them (``auto_assign``). Refused whole when
    an id is not one of the programme's applications or too many are chosen; each chosen
    application's outcome is reported."""
    chosen = list(dict.fromkeys(application_ids))
    if not chosen:
        raise AssignmentRefused(_l("Choose at least one application."), field="application_id")
    if len(chosen) > MAX_BULK_APPLICATIONS:
        raise AssignmentRefused(
            _l("Choose at most %(max)d applications at once.", max=MAX_BULK_APPLICATIONS),
            field="application_id",
        )
    _check_due(due_at)
    applications = db.session.scalars(
        select(Application)
        .where(Application.id.in_(chosen), Application.program_id == program.id)
        .order_by(Application.first_submitted_at, Application.id)
    ).all()
    if len(applications) != len(chosen):
        raise AssignmentRefused(
            _l("Choose among the applications of this programme listed on the page."),
            field="application_id",
        )
    with refusable():
        result = auto_assign(applications, due_at, actor=actor)
    made: dict[int, int] = defaultdict(int)
    for application_id, _reviewer_id in result.made:
        made[application_id] += 1
    short = dict(result.shortfalls)
    outcome = BulkAutoAssignResult(
        made={a.reference: made[a.id] for a in applications if made[a.id]},
        shortfalls={a.reference: short[a.reference] for a in applications if a.reference in short},
        complete=[
            a.reference
            for a in applications
            if a.status is Status.EXPERT_REVIEW and not made[a.id] and a.reference not in short
        ],
        not_in_review=[a.reference for a in applications if a.status is not Status.EXPERT_REVIEW],
    )
    audit.record(
        Action.REVIEW_AUTO_ASSIGNED,
        program,
        actor=actor,
        made=len(result.made),
        applications=result.considered,
        selected=[a.reference for a in applications],
        shortfalls=[{"reference": ref, "missing": n} for ref, n in result.shortfalls],
        skipped=outcome.not_in_review,
    )
    return outcome


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
