"""What the officers' review pages show: reviewers with their load and conflicts, one
application's reviews, a programme's review overview. Plain values, each page in a fixed
number of queries; the commands they lead to are in portal/review/assignment.py."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Select, case, func, select, tuple_

from portal.accounts.models import Enterprise, Role, User
from portal.applications import lifecycle
from portal.applications.models import Application, Status
from portal.applications.tallies import count_applications
from portal.core.extensions import db
from portal.core.timeutil import utcnow
from portal.programs.models import Program
from portal.review import scoring_math
from portal.review.assignment import REVIEW_STATES, choice_limit, fingerprint_of
from portal.review.models import Assignment, AssignmentStatus, FlagReason, ReviewerProfile
from portal.review.overview_tallies import program_sums, reviewer_sums, short_of_reviewers
from portal.review.reviewer_pool import (
    DECLARED,
    ConflictKind,
    ReviewerConflicts,
    active_reviewers,
    calibration,
    conflicts_of,
    open_loads,
    profiles_of,
    program_work,
    submitted_counts,
    user_names,
)
from portal.review.score_sheet import format_score, has_scores, rubric_view, stored_scores
from portal.web.shared.application_presenters import status_view


def reviewer_rows(reviewers: Sequence[tuple[User, ReviewerProfile | None]]) -> list[dict]:
    """Reviewer profiles with conflicts, load and submitted count: four queries in all."""
    ids = [user.id for user, _profile in reviewers]
    profiles = {user.id: profile for user, profile in reviewers if profile is not None}
    conflicts = conflicts_of(ids, profiles)
    loads = open_loads(ids) if ids else {}
    submitted = submitted_counts(ids) if ids else {}
    linked = {code for profile in profiles.values() for code in profile.linked_usccs or []}
    firm_names = dict(
        db.session.execute(
            select(Enterprise.uscc, Enterprise.name).where(Enterprise.uscc.in_(linked))
        ).all()
    )
    rows = []
    for user, profile in reviewers:
        rows.append(
            {
                "id": user.id,
                "name": user.display_name,
                "email": user.email,
                "expertise": list(profile.expertise or []) if profile else [],
                "linked": [
                    {"uscc": code, "firm": firm_names.get(code, "")}
                    for code in (profile.linked_usccs or [] if profile else [])
                ],
                "declared": list(conflicts[user.id].declared.values()),
                "open_load": loads.get(user.id, 0),
                "submitted": submitted.get(user.id, 0),
                "updated_at": profile.updated_at if profile else None,
            }
        )
    return rows


# Active reviewers: the partial index ix_users_reviewers_by_name (migration 0013) holds them.
_ACTIVE_REVIEWER = (User.role == Role.REVIEWER, User.disabled_at.is_(None))


def reviewers_query() -> Select[Any]:
    return (
        select(User, ReviewerProfile)
        .outerjoin(ReviewerProfile, ReviewerProfile.user_id == User.id)
        .where(*_ACTIVE_REVIEWER)
        .order_by(User.display_name, User.id)
    )


def _assignment_row(
    assignment: Assignment,
    application: Application,
    names: dict[int, dict[str, str]],
    conflict: str | None,
    z: dict[int, Any],
    rubric: list[dict[str, Any]],
    now: datetime,
) -> dict[str, Any]:
    submitted = assignment.status is AssignmentStatus.SUBMITTED
    pending = assignment.status is AssignmentStatus.ASSIGNED
    saved = stored_scores(assignment)
    return {
        "id": assignment.id,
        "reviewer_id": assignment.reviewer_id,
        "reviewer": names.get(assignment.reviewer_id, {}).get("name", ""),
        "email": names.get(assignment.reviewer_id, {}).get("email", ""),
        "status": assignment.status.value,
        "status_label": str(assignment.status.label),
        "for_moderation": assignment.for_moderation,
        "assigned_at": assignment.assigned_at,
        "due_at": assignment.due_at,
        "overdue": pending and assignment.due_at is not None and assignment.due_at < now,
        "has_draft": pending and has_scores(assignment.scores),
        "submitted_at": assignment.submitted_at,
        "total": assignment.total if submitted else None,
        "minimum_missed": submitted and assignment.minimum_missed,
        "decline_reason": str(assignment.decline_reason.label) if assignment.decline_reason else "",
        "decline_note": assignment.decline_note,
        "conflict": str(ConflictKind(conflict).label) if conflict and pending else "",
        "z": z.get(assignment.reviewer_id),
        "criteria": [
            {
                "name": criterion["name"],
                "scale_max": criterion["scale_max_text"],
                "weight": criterion["weight"],
                "score": format_score(saved.get(criterion["key"], (None, ""))[0]),
                "comment": saved.get(criterion["key"], (None, ""))[1],
            }
            for criterion in rubric
        ]
        if submitted
        else [],
        "can_unassign": pending,
        "can_reopen": submitted and lifecycle.can(application, "reopen_review"),
    }


def _candidate_rows(
    reviewers: Sequence[User],
    on_application: set[int],
    firm: Enterprise,
    conflicts: dict[int, ReviewerConflicts],
    profiles: dict[int, ReviewerProfile],
    loads: dict[int, int],
    z: dict[int, Any],
) -> list[dict[str, Any]]:
    """The reviewers not yet on the application, conflict-free and least loaded first; a
    conflicted one is listed (greyed out, with the reason) but never selectable."""
    candidates = []
    for reviewer in reviewers:
        if reviewer.id in on_application:
            continue
        kind = conflicts[reviewer.id].with_firm(firm.id, firm.uscc)
        profile = profiles.get(reviewer.id)
        candidates.append(
            {
                "id": reviewer.id,
                "name": reviewer.display_name,
                "expertise": list(profile.expertise or []) if profile else [],
                "load": loads.get(reviewer.id, 0),
                "z": z.get(reviewer.id),
                "conflict": str(ConflictKind(kind).label) if kind else "",
                "conflict_note": conflicts[reviewer.id].declared.get(firm.id, {}).get("reason", "")
                if kind == DECLARED
                else "",
            }
        )
    candidates.sort(key=lambda c: (bool(c["conflict"]), c["load"], c["name"]))
    return candidates


def _aggregate_view(
    application: Application, program: Program, submitted: list[Assignment]
) -> dict[str, Any]:
    """The submitted reviews taken together: mean, spread, flags, moderation, final score."""
    result = scoring_math.aggregate(
        [a.total for a in submitted if a.total is not None],
        spread_threshold=program.score_spread_threshold,
        minimum_missed=any(a.minimum_missed for a in submitted),
        moderator_total=application.moderated_total,
    )
    return {
        "count": result.count,
        "mean": result.mean,
        "spread": result.spread,
        "threshold": program.score_spread_threshold,
        "flagged": result.flagged,
        "flag_reasons": [str(FlagReason(r).label) for r in result.flag_reasons],
        "moderated": result.moderated,
        "moderated_total": application.moderated_total,
        "moderation_reason": application.moderation_reason,
        "final": result.final,
    }


def _progress(assignments: Sequence[Assignment], needed: int) -> dict[str, int]:
    """How far the application's reviews are: the programme's number of reviewers, and the
    assignments by status (declined ones do not count as active)."""
    active = sum(1 for a in assignments if a.status is not AssignmentStatus.DECLINED)
    return {
        "needed": needed,
        "active": active,
        "submitted": sum(1 for a in assignments if a.status is AssignmentStatus.SUBMITTED),
        "pending": sum(1 for a in assignments if a.status is AssignmentStatus.ASSIGNED),
        "declined": sum(1 for a in assignments if a.status is AssignmentStatus.DECLINED),
        "missing": max(0, needed - active),
    }


def _assign_mode(application: Application) -> str | None:
    """Which assignment form the page offers: a moderation reviewer, a reviewer, or none."""
    if application.status is Status.MODERATION:
        return "moderation"
    if application.status is Status.EXPERT_REVIEW:
        return "review"
    return None


def _assignments_of(application_id: int) -> list[Assignment]:
    """Every assignment of the application, declined ones included, in the order made."""
    return list(
        db.session.scalars(
            select(Assignment)
            .where(Assignment.application_id == application_id)
            .order_by(Assignment.id)
        )
    )


def application_review_view(application: Application, locale: str) -> dict[str, Any]:
    """Everything the officer's page for one application's reviews shows."""
    program = application.program
    firm = application.enterprise
    assignments = _assignments_of(application.id)
    reviewers = active_reviewers()
    on_application = {assignment.reviewer_id for assignment in assignments}
    everyone = {reviewer.id for reviewer in reviewers} | on_application
    names = user_names(everyone)
    profiles = profiles_of(everyone)
    conflicts = conflicts_of(everyone, profiles)
    loads = open_loads([reviewer.id for reviewer in reviewers]) if reviewers else {}
    calibration_rows = calibration(program.id)
    z = {row["reviewer_id"]: row["z"] for row in calibration_rows}
    submitted = [a for a in assignments if a.status is AssignmentStatus.SUBMITTED]
    rubric = rubric_view(application, locale) if submitted else []
    now = utcnow()
    rows = [
        _assignment_row(
            assignment,
            application,
            names,
            conflicts[assignment.reviewer_id].with_firm(firm.id, firm.uscc),
            z,
            rubric,
            now,
        )
        for assignment in assignments
    ]
    candidates = _candidate_rows(reviewers, on_application, firm, conflicts, profiles, loads, z)
    progress = _progress(assignments, program.reviewers_per_application)
    return {
        "id": application.id,
        "reference": application.reference,
        "title": application.project_title,
        "enterprise": firm.name,
        "uscc": firm.uscc,
        "program": program.name(locale),
        "program_id": program.id,
        "status": status_view(application),
        **progress,
        "assignments": rows,
        "candidates": candidates,
        "selectable": sum(1 for c in candidates if not c["conflict"]),
        "conflicted": sum(1 for c in candidates if c["conflict"]),
        "aggregate": _aggregate_view(application, program, submitted),
        "calibration": [
            {**row, "on_application": row["reviewer_id"] in on_application}
            for row in calibration_rows
        ],
        "assign_mode": _assign_mode(application),
        # How many reviewers one submit may add, and what the page showed (stale-page check).
        "choice_limit": choice_limit(
            progress["needed"],
            progress["active"],
            for_moderation=application.status is Status.MODERATION,
        ),
        "fingerprint": fingerprint_of((a.id, a.status) for a in assignments),
        "can_auto_assign": application.status is Status.EXPERT_REVIEW
        and progress["needed"] > 0
        and progress["missing"] > 0,
        "can_moderate": application.status is Status.MODERATION,
    }


OVERVIEW_PAGE_SIZE = 50
REVIEWERS_PAGE_SIZE = 50
# "N+" is all a list says of its length past this: counting further would read every row.
COUNT_CAP = 1000


@dataclass(frozen=True)
class KeysetPage:
    """One page of a list read from a cursor: its rows, the cursor of the next page (None on
    the last), whether it is the first page, and the cursor of the previous page (its first
    row's key, for ``?before=``; None on the first page)."""

    rows: list[Any]
    next_cursor: str | None
    is_first: bool
    prev_cursor: str | None = None


def _split_cursor(cursor: str | None) -> tuple[str, int] | None:
    """``"<key>|<id>"`` as (key, id); None for anything else (the list then starts over)."""
    if not cursor or "|" not in cursor or len(cursor) > 300:
        return None
    key, _bar, raw_id = cursor.rpartition("|")
    if not raw_id.isdigit() or len(raw_id) > 18:
        return None
    return key, int(raw_id)


def time_cursor(cursor: str | None) -> tuple[datetime, int] | None:
    """An application cursor (first submission time ISO 8601 with its zone, id) or None."""
    parts = _split_cursor(cursor)
    if parts is None:
        return None
    try:
        # A "+" of the zone typed or copied unencoded arrives as a space.
        moment = datetime.fromisoformat(parts[0].replace(" ", "+"))
    except ValueError:
        return None
    return (moment, parts[1]) if moment.tzinfo is not None else None


def bounded_count(query: Select[Any]) -> int:
    """How many rows ``query`` has, stopping at COUNT_CAP + 1 (shown as "1000+")."""
    limited = query.order_by(None).limit(COUNT_CAP + 1).subquery()
    return int(db.session.scalar(select(func.count()).select_from(limited)) or 0)


def _reviewer_key(user: User) -> str:
    return f"{user.display_name}|{user.id}"


def reviewers_page(cursor: str | None, before: str | None = None) -> tuple[KeysetPage, int]:
    """A page of active reviewers by name after ``?after=<name>|<id>`` or, going back, before
    ``?before=<name>|<id>`` (ix_users_reviewers_by_name, migration 0013, read forwards or
    backwards), and how many there are, counted up to COUNT_CAP + 1."""
    key = tuple_(User.display_name, User.id)
    back = _split_cursor(before)
    after = None if back is not None else _split_cursor(cursor)
    found: list[Any] = []
    more_before = False
    if back is not None:
        found = list(
            db.session.execute(
                reviewers_query()
                .where(key < back)
                .order_by(None)
                .order_by(User.display_name.desc(), User.id.desc())
                .limit(REVIEWERS_PAGE_SIZE + 1)
            ).all()
        )
        more_before = len(found) > REVIEWERS_PAGE_SIZE
        found = list(reversed(found[:REVIEWERS_PAGE_SIZE]))
    if back is None or not more_before:  # forwards, or back to the start: the first page
        query = reviewers_query()
        if after is not None:
            query = query.where(key > after)
        found = list(db.session.execute(query.limit(REVIEWERS_PAGE_SIZE + 1)).all())
        more = len(found) > REVIEWERS_PAGE_SIZE
        found = found[:REVIEWERS_PAGE_SIZE]
        is_first = after is None
    else:
        more, is_first = True, False
    rows = [tuple(row) for row in found]
    page = KeysetPage(
        rows=rows,
        next_cursor=_reviewer_key(rows[-1][0]) if more and rows else None,
        is_first=is_first,
        prev_cursor=_reviewer_key(rows[0][0]) if not is_first and rows else None,
    )
    return page, bounded_count(select(User.id).where(*_ACTIVE_REVIEWER))


def _time_key(application: Application) -> str | None:
    if application.first_submitted_at is None:
        return None
    return f"{application.first_submitted_at.isoformat()}|{application.id}"


def _application_keys(program: Program, bound: Any, *, backwards: bool) -> list[Any]:
    """Up to a page and one of (first_submitted_at, id) of the programme's applications in
    review after ``bound`` (before it, nearest first, when ``backwards``): one index range of
    ix_applications_ranking_by_time (program_id, status, first_submitted_at, id) per review
    status, merged here."""
    key = tuple_(Application.first_submitted_at, Application.id)
    order = (
        (Application.first_submitted_at.desc(), Application.id.desc())
        if backwards
        else (Application.first_submitted_at, Application.id)
    )
    keys: list[Any] = []
    for status in REVIEW_STATES:
        query = (
            select(Application.first_submitted_at, Application.id)
            .where(Application.program_id == program.id, Application.status == status)
            .order_by(*order)
            .limit(OVERVIEW_PAGE_SIZE + 1)
        )
        if bound is not None:
            query = query.where(key < bound if backwards else key > bound)
        keys.extend(tuple(row) for row in db.session.execute(query))
    keys.sort(key=lambda k: (k[0] is None, k[0] or 0, k[1]), reverse=backwards)
    return keys


def _applications_page(
    program: Program, cursor: str | None, before: str | None = None
) -> KeysetPage:
    """A page of the programme's applications in review, oldest submission first, after the
    cursor (or, going back, before ``before``): the keys of one index range per review status,
    each read at most a page, then the page's rows by id, so that no more than a page of
    applications is loaded."""
    back = time_cursor(before)
    after = None if back is not None else time_cursor(cursor)
    more_before = False
    if back is not None:
        keys = _application_keys(program, back, backwards=True)
        more_before = len(keys) > OVERVIEW_PAGE_SIZE
        keys = list(reversed(keys[:OVERVIEW_PAGE_SIZE]))
    if back is None or not more_before:  # forwards, or back to the start: the first page
        keys = _application_keys(program, after, backwards=False)
        more = len(keys) > OVERVIEW_PAGE_SIZE
        keys = keys[:OVERVIEW_PAGE_SIZE]
        is_first = after is None
    else:
        more, is_first = True, False
    order = {application_id: position for position, (_at, application_id) in enumerate(keys)}
    rows: list[Any] = sorted(
        (
            tuple(row)
            for row in db.session.execute(
                select(Application, Enterprise.name, Enterprise.uscc)
                .join(Enterprise, Enterprise.id == Application.enterprise_id)
                .where(Application.id.in_(list(order)))
            )
        ),
        key=lambda row: order[row[0].id],
    )
    return KeysetPage(
        rows=rows,
        next_cursor=_time_key(rows[-1][0]) if more and rows else None,
        is_first=is_first,
        prev_cursor=_time_key(rows[0][0]) if not is_first and rows else None,
    )


def _assignment_counts(application_ids: list[int]) -> dict[int, dict[str, int]]:
    """Assignments per application and status (one query), with ``minimum_missed`` set to 1
    where a submitted review missed a criterion's minimum."""
    stats: dict[int, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    if not application_ids:
        return stats
    for application_id, status, count, missed in db.session.execute(
        select(
            Assignment.application_id,
            Assignment.status,
            func.count(),
            func.max(case((Assignment.minimum_missed, 1), else_=0)),
        )
        .where(Assignment.application_id.in_(application_ids))
        .group_by(Assignment.application_id, Assignment.status)
    ).all():
        stats[application_id][status.value] = count
        if status is AssignmentStatus.SUBMITTED and missed:
            stats[application_id]["minimum_missed"] = 1
    return stats


def _overview_row(
    application: Application, firm: str, uscc: str, counts: dict[str, int], program: Program
) -> dict[str, Any]:
    needed = program.reviewers_per_application
    active = counts["assigned"] + counts["submitted"]
    return {
        "id": application.id,
        "reference": application.reference,
        "enterprise": firm,
        "uscc": uscc,
        "status": status_view(application),
        "assigned": active,
        "submitted": counts["submitted"],
        "declined": counts["declined"],
        "needed": needed,
        "missing": max(0, needed - active) if application.status is Status.EXPERT_REVIEW else 0,
        # Offered for automatic assignment in bulk: in expert review and short of reviewers.
        "selectable": application.status is Status.EXPERT_REVIEW and active < needed,
        "mean": application.review_mean,
        "spread": application.review_spread,
        "spread_high": application.review_spread is not None
        and application.review_spread > program.score_spread_threshold,
        "minimum_missed": bool(counts["minimum_missed"]),
        "flagged": application.review_flagged,
        "moderated": application.moderated_total is not None,
        "final": application.final_score,
    }


def _overview_counts(program: Program) -> dict[str, int]:
    """Applications in review by status, and those still short of reviewers, from the tallies
    (migrations 0006 and 0020): a few rows whatever the number of applications."""
    by_status = {
        status: count_applications(program_ids=[program.id], statuses=[status])
        for status in REVIEW_STATES
    }
    return {
        "in_review": sum(by_status.values()),
        "expert_review": by_status[Status.EXPERT_REVIEW],
        "moderation": by_status[Status.MODERATION],
        "decided": by_status[Status.DECIDED],
        "lacking": short_of_reviewers(program.id, program.reviewers_per_application),
    }


def _overview_reviewers(
    program: Program, cursor: str | None, before: str | None = None
) -> KeysetPage:
    """A page of active reviewers with their load, work in this programme and calibration
    (five queries): the z-scores come from the score tallies (migration 0020), one row for the
    programme and one per reviewer on the page; each reviewer's work is read for the page's
    reviewers only."""
    page, _count = reviewers_page(cursor, before)
    reviewer_ids = [user.id for user, _profile in page.rows]
    loads = open_loads(reviewer_ids) if reviewer_ids else {}
    work = program_work(program.id, reviewer_ids)
    whole = program_sums(program.id)
    sums = reviewer_sums(program.id, reviewer_ids)
    rows = []
    for user, _profile in page.rows:
        mine = work[user.id]
        z = scoring_math.z_score(whole, sums[user.id]) if user.id in sums else None
        rows.append(
            {
                "id": user.id,
                "name": user.display_name,
                "load": loads.get(user.id, 0),
                "pending": mine.pending,
                "submitted": mine.submitted,
                "declined": mine.declined,
                "mean": scoring_math.mean_of(sums[user.id]) if user.id in sums else None,
                "z": z,
                "outlier": z is not None and abs(z) >= 1,
            }
        )
    return KeysetPage(
        rows=rows,
        next_cursor=page.next_cursor,
        is_first=page.is_first,
        prev_cursor=page.prev_cursor,
    )


def program_overview_view(
    program: Program,
    cursor: str | None,
    reviewers_cursor: str | None,
    locale: str,
    *,
    before: str | None = None,
    reviewers_before: str | None = None,
) -> dict[str, Any]:
    """A programme's applications in review with their progress, and its reviewers, each a
    keyset page: a fixed number of queries whatever the number of applications and reviewers,
    none reading more than a page (the programme's spread of totals excepted)."""
    page = _applications_page(program, cursor, before)
    stats = _assignment_counts([row[0].id for row in page.rows])
    rows = [
        _overview_row(application, firm, uscc, stats[application.id], program)
        for application, firm, uscc in page.rows
    ]
    counts = _overview_counts(program)
    return {
        "id": program.id,
        "code": program.code,
        "name": program.name(locale),
        "needed": program.reviewers_per_application,
        "threshold": program.score_spread_threshold,
        "page": page,
        # The page's own cursor, for the forms and "select all" to come back to it.
        "cursor": cursor if not page.is_first and not before else None,
        "before": before if not page.is_first and before else None,
        "rows": rows,
        "counts": counts,
        "count_cap": COUNT_CAP,
        "reviewers": _overview_reviewers(program, reviewers_cursor, reviewers_before),
    }
