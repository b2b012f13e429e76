"""What needs an officer today: the desk's to-do list.

Every kind of work is counted, with the moment its oldest item started waiting, in ONE
statement (a UNION ALL of small parts) whose cost does not grow with the data:

- applications are counted from the tallies the database keeps (``application_tallies``,
  ``review_due_tallies``), never row by row;
- the oldest of each kind is one seek down an index (the queue's status index, ordered by
  submission; the assignments' (status, due_at) index), reading one row, or few;
- what is rare is read directly: resubmissions through their audit events, open objections,
  the officer's own exports, letters that failed (looked for only when the tallies' final
  decisions outnumber the current letters).

"Oldest" for an application line is the earliest submitted of them; its age counts from the
moment it started waiting there (its submission, its flag or its completed reviews from the
audit trail, its recorded decision). The web layer words each line and links it.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from typing import Any

from sqlalchemy import (
    Integer,
    Select,
    String,
    and_,
    case,
    cast,
    func,
    literal,
    null,
    select,
    type_coerce,
    union_all,
)

from portal.applications.models import Application, Status
from portal.applications.tallies import ApplicationTally
from portal.core.audit import Action, AuditEvent
from portal.core.extensions import db
from portal.core.timeutil import BUREAU_ZONE, UTCDateTime, utcnow
from portal.letters.models import ExportStatus, Letter, LetterExport, LetterStatus
from portal.payments.report_models import ProgressReport, ReportStatus
from portal.review.decision_rules import APPROVE, REJECT
from portal.review.models import Assignment, AssignmentStatus, Objection, ObjectionStatus
from portal.review.tallies import ReviewDueTally

# The kinds of work, each a line on the desk.
WAITING_FORMAL_CHECK = "waiting_formal_check"  # submitted for the first time, not yet checked
RESUBMITTED = "resubmitted"  # returned for changes, then submitted again
FORMAL_CHECK_STARTED = "formal_check_started"  # a check begun and not finished
REVIEWS_OVERDUE = "reviews_overdue"  # reviewers' assignments past their due time
MODERATION = "moderation"  # scores too far apart: flagged for moderation
AWAITING_DECISION = "awaiting_decision"  # reviews complete, no decision recorded yet
AWAITING_RELEASE = "awaiting_release"  # a decision recorded, not yet released
OBJECTIONS = "objections"  # objections received in publicity, not yet upheld or dismissed
LETTERS_NOT_ISSUED = "letters_not_issued"  # a final decision whose letter never came out
EXPORTS_READY = "exports_ready"  # the officer's own letters exports, finished
REPORTS_OVERDUE = "reports_overdue"  # firms' progress reports past their due date
REPORTS_TO_CHECK = "reports_to_check"  # progress reports submitted, not yet accepted/returned

KINDS = (
    WAITING_FORMAL_CHECK,
    RESUBMITTED,
    FORMAL_CHECK_STARTED,
    REVIEWS_OVERDUE,
    MODERATION,
    AWAITING_DECISION,
    AWAITING_RELEASE,
    OBJECTIONS,
    LETTERS_NOT_ISSUED,
    EXPORTS_READY,
    REPORTS_OVERDUE,
    REPORTS_TO_CHECK,
)

# A letter is issued by a background job seconds after its decision becomes final; one still
# missing after this long has failed (the job gave up, or the queue was down).
LETTER_GRACE = timedelta(minutes=15)
# A finished export stays on the desk this long (downloads are not tracked).
EXPORT_READY_DAYS = 7

# The audit actions that put an application where it waits, for the statuses whose waiting
# time no column records.
_ENTERED_MODERATION = (Action.APPLICATION_FLAG_FOR_MODERATION.value,)
_ENTERED_DECISION = (
    Action.APPLICATION_REVIEWS_COMPLETE.value,
    Action.APPLICATION_SEND_TO_DECISION.value,
    Action.APPLICATION_MODERATE.value,
)


# The queue's status index read backwards (it is DESC NULLS LAST): the earliest submitted
# first. NULLS FIRST matters on PostgreSQL, which otherwise sorts instead of using the index.
_EARLIEST_SUBMITTED = (Application.last_submitted_at.asc().nulls_first(), Application.id.asc())


@dataclass(frozen=True)
class TodoLine:
    """One kind of work: how many items, since when the oldest waits, where they are."""

    kind: str
    count: int
    oldest_at: datetime
    program_ids: tuple[int, ...]
    # The item itself when there is exactly one (an export opens its own page).
    only_id: int | None = None

    def age_days(self, now: datetime) -> int:
        """Whole days the oldest item has waited (0 within its first day)."""
        return max((now - self.oldest_at).days, 0)


# Every part of the statement has these columns; a part gives counts (items) or the oldest
# item's moment (oldest_at), or both.
def _row(
    kind: str,
    *,
    program_id: Any = None,
    items: Any = None,
    oldest_at: Any = None,
    last_id: Any = None,
) -> list[Any]:
    return [
        literal(kind, String).label("kind"),
        (program_id if program_id is not None else cast(null(), Integer)).label("program_id"),
        (items if items is not None else cast(null(), Integer)).label("items"),
        (oldest_at if oldest_at is not None else cast(null(), UTCDateTime())).label("oldest_at"),
        (last_id if last_id is not None else cast(null(), Integer)).label("last_id"),
    ]


# --- applications: counts from the tallies, the oldest by one index seek ----------------------

# (status, decision in the tallies) -> kind. Submitted ones are split below: resubmissions.
_TALLIED = {
    (Status.SUBMITTED.value, ""): WAITING_FORMAL_CHECK,
    (Status.FORMAL_CHECK.value, ""): FORMAL_CHECK_STARTED,
    (Status.MODERATION.value, ""): MODERATION,
    (Status.DECIDED.value, ""): AWAITING_DECISION,
    (Status.DECIDED.value, APPROVE): AWAITING_RELEASE,
    (Status.DECIDED.value, REJECT): AWAITING_RELEASE,
}


def _tallied_counts() -> Select[Any]:
    """Applications per programme in each waiting status, from the tally rows (a handful
    whatever the number of applications)."""
    kind = case(
        *[
            (and_(ApplicationTally.status == status, ApplicationTally.decision == decision), name)
            for (status, decision), name in _TALLIED.items()
        ],
        else_="",
    )
    columns = _row("", program_id=ApplicationTally.program_id, items=ApplicationTally.applications)
    columns[0] = kind.label("kind")
    statuses = sorted({status for status, _decision in _TALLIED})
    return select(*columns).where(
        ApplicationTally.status.in_(statuses), ApplicationTally.applications > 0
    )


def _entered(actions: Iterable[str]) -> Any:
    """When an application last entered its state, from its audit events (one index range)."""
    return (
        select(func.max(AuditEvent.occurred_at))
        .where(AuditEvent.application_id == Application.id, AuditEvent.action.in_(list(actions)))
        .scalar_subquery()
    )


def _oldest_application(kind: str, since: Any, *conditions: Any) -> Select[Any]:
    """The oldest of the applications waiting (the earliest submitted, one seek down the
    queue's status index), and since when it waits (``since``, read on that one row)."""
    oldest = (
        select(since).where(*conditions).order_by(*_EARLIEST_SUBMITTED).limit(1).scalar_subquery()
    )
    return select(*_row(kind, oldest_at=oldest))


def _resubmitted() -> Select[Any]:
    """Submitted applications that were returned and sent again, found through their
    resubmission events (rare) rather than by reading every submitted application."""
    resubmitted = (
        select(Application.id, Application.program_id, Application.last_submitted_at)
        .where(
            Application.id.in_(
                select(AuditEvent.application_id).where(
                    AuditEvent.action == Action.APPLICATION_RESUBMIT.value
                )
            ),
            Application.status == Status.SUBMITTED,
            Application.submission_count > 1,
        )
        .subquery()
    )
    return select(
        *_row(
            RESUBMITTED,
            program_id=resubmitted.c.program_id,
            items=func.count(),
            oldest_at=func.min(resubmitted.c.last_submitted_at),
        )
    ).group_by(resubmitted.c.program_id)


def _application_parts() -> list[Select[Any]]:
    decided = Application.status == Status.DECIDED
    return [
        _oldest_application(
            WAITING_FORMAL_CHECK,
            Application.last_submitted_at,
            Application.status == Status.SUBMITTED,
            Application.submission_count <= 1,
        ),
        _resubmitted(),
        _oldest_application(
            FORMAL_CHECK_STARTED,
            Application.last_submitted_at,
            Application.status == Status.FORMAL_CHECK,
        ),
        _oldest_application(
            MODERATION,
            func.coalesce(_entered(_ENTERED_MODERATION), Application.updated_at),
            Application.status == Status.MODERATION,
        ),
        _oldest_application(
            AWAITING_DECISION,
            func.coalesce(_entered(_ENTERED_DECISION), Application.updated_at),
            decided,
            Application.decision.is_(None),
        ),
        _oldest_application(
            AWAITING_RELEASE, Application.decided_at, decided, Application.decision.is_not(None)
        ),
    ]


# --- the rest: what is waiting is few, read directly ------------------------------------------


def _overdue_reviews(now: datetime) -> list[Select[Any]]:
    """Open assignments past their due time, as the dashboard counts them: those due on days
    before today from the day tallies, those due earlier today through the (status, due_at)
    index; and the most overdue one by a seek down that index."""
    today = datetime.combine(now.astimezone(UTC).date(), time.min, tzinfo=UTC)
    open_review = and_(
        Assignment.status == AssignmentStatus.ASSIGNED, Application.status != Status.WITHDRAWN
    )
    most_overdue = (
        select(Assignment.due_at)
        .join(Application, Application.id == Assignment.application_id)
        .where(open_review, Assignment.due_at < now)
        .order_by(Assignment.due_at.asc())
        .limit(1)
        .scalar_subquery()
    )
    return [
        select(*_row(REVIEWS_OVERDUE, oldest_at=most_overdue)),
        select(
            *_row(
                REVIEWS_OVERDUE,
                program_id=ReviewDueTally.program_id,
                items=func.sum(ReviewDueTally.assignments),
            )
        )
        .where(ReviewDueTally.due_day < today.date(), ReviewDueTally.assignments > 0)
        .group_by(ReviewDueTally.program_id),
        select(*_row(REVIEWS_OVERDUE, program_id=Application.program_id, items=func.count()))
        .select_from(Assignment)
        .join(Application, Application.id == Assignment.application_id)
        .where(open_review, Assignment.due_at >= today, Assignment.due_at < now)
        .group_by(Application.program_id),
    ]


def _open_objections() -> Select[Any]:
    """Open objections (few: publicity's objections, over all programmes)."""
    return select(
        *_row(
            OBJECTIONS,
            items=func.count(),
            oldest_at=func.min(Objection.submitted_at),
            last_id=func.max(Objection.id),
        )
    ).where(Objection.status == ObjectionStatus.OPEN)


def _letters_not_issued() -> list[Select[Any]]:
    """Final decisions (an award out of publicity, a released rejection) without a current
    letter: their count is the tallies' final decisions less the current letters (a count
    over the narrow partial index of current letters); only when some are missing is the
    oldest of them looked for, down the queue's status index."""
    finals = (
        select(func.coalesce(func.sum(ApplicationTally.applications), 0))
        .where(ApplicationTally.status.in_([Status.AWARDED.value, Status.REJECTED.value]))
        .scalar_subquery()
    )
    issued = (
        select(func.count())
        .select_from(Letter)
        .where(Letter.status == LetterStatus.CURRENT)
        .scalar_subquery()
    )
    missing = finals - issued
    has_letter = (
        select(Letter.id)
        .where(Letter.application_id == Application.id, Letter.status == LetterStatus.CURRENT)
        .exists()
    )
    parts = [select(*_row(LETTERS_NOT_ISSUED, items=missing))]
    for status, final_at in (
        (Status.AWARDED, func.coalesce(Application.awarded_at, Application.released_at)),
        (Status.REJECTED, Application.released_at),
    ):
        oldest = (
            select(final_at)
            .where(Application.status == status, ~has_letter)
            .order_by(*_EARLIEST_SUBMITTED)
            .limit(1)
            .scalar_subquery()
        )
        parts.append(
            select(*_row(LETTERS_NOT_ISSUED, oldest_at=case((missing > 0, oldest), else_=None)))
        )
    return parts


def _exports_ready(user_id: int, now: datetime) -> Select[Any]:
    return (
        select(
            *_row(
                EXPORTS_READY,
                program_id=LetterExport.program_id,
                items=func.count(),
                oldest_at=func.min(LetterExport.finished_at),
                last_id=func.max(LetterExport.id),
            )
        )
        .where(
            LetterExport.requested_by_id == user_id,
            LetterExport.status == ExportStatus.DONE,
            LetterExport.finished_at >= now - timedelta(days=EXPORT_READY_DAYS),
        )
        .group_by(LetterExport.program_id)
    )


def _reports(now: datetime) -> list[Select[Any]]:
    """Progress reports overdue (counted down the (status, due_on) index; the oldest is the
    earliest due, from the day after it) and submitted ones waiting for an officer's check."""
    today = now.astimezone(BUREAU_ZONE).date()
    owed = ProgressReport.status.in_([ReportStatus.DUE, ReportStatus.RETURNED])
    return [
        select(
            *_row(
                REPORTS_OVERDUE,
                items=func.count(),
                oldest_at=type_coerce(func.min(ProgressReport.due_on), UTCDateTime()),
            )
        ).where(owed, ProgressReport.due_on < today),
        select(
            *_row(
                REPORTS_TO_CHECK,
                items=func.count(),
                oldest_at=func.min(ProgressReport.submitted_at),
            )
        ).where(ProgressReport.status == ReportStatus.SUBMITTED),
    ]


def todo_statement(user_id: int, now: datetime) -> Any:
    """Every kind of work in one statement: rows of (kind, programme, items, oldest moment,
    last id), several per kind, merged by ``desk_todo``."""
    return union_all(
        *_overdue_reviews(now),  # first: its columns' types are the union's
        *_application_parts(),
        _open_objections(),
        *_letters_not_issued(),
        _exports_ready(user_id, now),
        *_reports(now),
        _tallied_counts(),
    )


def desk_todo(user_id: int, now: datetime | None = None) -> list[TodoLine]:
    """The officer's work, oldest first (the line whose oldest item waits longest leads).
    Kinds with nothing waiting are left out; an empty list means nothing waits."""
    now = now or utcnow()
    counts: dict[str, dict[int | None, int]] = {}
    oldest: dict[str, datetime] = {}
    last_ids: dict[str, int] = {}
    for row in db.session.execute(todo_statement(user_id, now)):
        if not row.kind:
            continue
        if row.items:
            per_programme = counts.setdefault(row.kind, {})
            per_programme[row.program_id] = per_programme.get(row.program_id, 0) + row.items
        moment = _aware(row.oldest_at)
        if moment is not None and (row.kind not in oldest or moment < oldest[row.kind]):
            oldest[row.kind] = moment
        if row.last_id is not None:
            last_ids[row.kind] = row.last_id
    # The tallies count every submitted application; the resubmitted ones have their own line.
    first_time = counts.get(WAITING_FORMAL_CHECK, {})
    for program_id, items in counts.get(RESUBMITTED, {}).items():
        first_time[program_id] = first_time.get(program_id, 0) - items
    # A letter is issued seconds after its decision becomes final: missing ones count as
    # failed only once the oldest of them has waited out the grace period.
    if oldest.get(LETTERS_NOT_ISSUED, now) > now - LETTER_GRACE:
        counts.pop(LETTERS_NOT_ISSUED, None)
    lines = []
    for kind, per_programme in counts.items():
        waiting = {program: n for program, n in per_programme.items() if n > 0}
        total = sum(waiting.values())
        if total == 0:
            continue
        lines.append(
            TodoLine(
                kind=kind,
                count=total,
                oldest_at=oldest.get(kind, now),
                program_ids=tuple(sorted(p for p in waiting if p is not None)),
                only_id=last_ids.get(kind) if total == 1 else None,
            )
        )
    return sorted(lines, key=lambda line: (line.oldest_at, KINDS.index(line.kind)))


def _aware(value: Any) -> datetime | None:
    """A union's column comes back as the database gives it: SQLite's may be naive text."""
    if value is None:
        return None
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    moment: datetime = value
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment
