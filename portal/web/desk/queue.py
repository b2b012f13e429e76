"""What the officers' queue reads, in a fixed number of queries whatever the number of rows:
four (count from the tallies, page in index order, review counts grouped by application,
programmes for the filter). One application's history is in timeline.py.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import Select, case, func, select

from portal.accounts.models import Enterprise
from portal.applications import tallies
from portal.applications.models import Application, Status
from portal.core.extensions import db
from portal.core.inputs import parse_int
from portal.programs.models import Program
from portal.review.models import Assignment, AssignmentStatus

# --- the queue ------------------------------------------------------------------------------

NEWEST, OLDEST, SCORE, SPREAD = "newest", "oldest", "score", "spread"
SORT_LABELS = {
    NEWEST: _l("Submitted, newest first"),
    OLDEST: _l("Submitted, oldest first"),
    SCORE: _l("Final score, highest first"),
    SPREAD: _l("Score spread, widest first"),
}
QUEUE_STATUSES = tuple(s for s in Status if s is not Status.DRAFT)
STATUS_VALUES = frozenset(s.value for s in Status)
IN_EXPERT_REVIEW = frozenset({Status.EXPERT_REVIEW, Status.MODERATION})


@dataclass(frozen=True)
class QueueFilters:
    program: int | None = None
    status: str = ""
    flagged: bool = False
    sort: str = NEWEST

    @classmethod
    def from_args(cls, args: Mapping[str, str]) -> QueueFilters:
        """Unknown values are ignored: a filter is a view, never an error."""
        program = parse_int(args.get("program"))  # within an id's range, or no filter
        status = args.get("status", "")
        sort = args.get("sort", NEWEST)
        return cls(
            program=program,
            status=status if status in STATUS_VALUES - {Status.DRAFT.value} else "",
            flagged=args.get("flagged") in {"1", "y", "yes", "on"},
            sort=sort if sort in SORT_LABELS else NEWEST,
        )

    def link_args(self) -> dict[str, Any]:
        """The filters as URL arguments (only those set), so that page links keep them."""
        values = asdict(self)
        values["flagged"] = "1" if self.flagged else None
        if self.sort == NEWEST:
            values["sort"] = None
        return {key: value for key, value in values.items() if value not in (None, "", False)}


def _order(sort: str) -> tuple:
    if sort == OLDEST:
        return (Application.last_submitted_at.asc().nulls_last(), Application.id.asc())
    if sort == SCORE:
        return (
            Application.final_score.desc().nulls_last(),
            Application.review_mean.desc().nulls_last(),
            Application.id.desc(),
        )
    if sort == SPREAD:
        return (Application.review_spread.desc().nulls_last(), Application.id.desc())
    return (Application.last_submitted_at.desc().nulls_last(), Application.id.desc())


def queue_query(filters: QueueFilters) -> Select:
    query = (
        select(
            Application,
            Enterprise.name.label("firm"),
            Enterprise.uscc,
            Program.name_zh,
            Program.name_en,
            Program.reviewers_per_application,
        )
        .join(Enterprise, Enterprise.id == Application.enterprise_id)
        .join(Program, Program.id == Application.program_id)
        .where(Application.status != Status.DRAFT)
    )
    if filters.program is not None:
        query = query.where(Application.program_id == filters.program)
    if filters.status:
        query = query.where(Application.status == Status(filters.status))
    if filters.flagged:
        query = query.where(Application.review_flagged.is_(True))
    return query.order_by(*_order(filters.sort))


def queue_total(filters: QueueFilters) -> int | None:
    """The queue's length from the tallies (no count over the applications); None when a
    filter the tallies do not hold is set, so that the caller counts."""
    if filters.flagged:
        return None
    statuses = [Status(filters.status)] if filters.status else QUEUE_STATUSES
    programs = [filters.program] if filters.program is not None else None
    return tallies.count_applications(program_ids=programs, statuses=statuses)


def review_counts(application_ids: list[int]) -> dict[int, tuple[int, int]]:
    """{application id: (reviews submitted, reviewers assigned)} in one grouped query."""
    if not application_ids:
        return {}
    rows = db.session.execute(
        select(
            Assignment.application_id,
            func.sum(case((Assignment.status == AssignmentStatus.SUBMITTED, 1), else_=0)),
            func.sum(case((Assignment.status != AssignmentStatus.DECLINED, 1), else_=0)),
        )
        .where(Assignment.application_id.in_(application_ids))
        .group_by(Assignment.application_id)
    ).all()
    return {
        app_id: (int(submitted or 0), int(assigned or 0)) for app_id, submitted, assigned in rows
    }


def staff_status(status: Status) -> dict[str, str]:
    return {"value": status.value, "label": str(status.label)}


def queue_rows(page_rows: list[Any], locale: str) -> list[dict[str, Any]]:
    counts = review_counts([row.Application.id for row in page_rows])
    rows = []
    for row in page_rows:
        application: Application = row.Application
        submitted, assigned = counts.get(application.id, (0, 0))
        final = application.final_score
        rows.append(
            {
                "id": application.id,
                "reference": application.reference,
                "enterprise": row.firm,
                "uscc": row.uscc,
                "program": row.name_en if locale == "en" else row.name_zh,
                "status": staff_status(application.status),
                "requested_amount": application.requested_amount,
                # Counts mean something once reviewers are (or should be) at work.
                "expert_review": assigned > 0 or application.status in IN_EXPERT_REVIEW,
                "short": application.status in IN_EXPERT_REVIEW
                and assigned < row.reviewers_per_application,
                "reviewers_needed": row.reviewers_per_application,
                "reviews_submitted": submitted,
                "reviewers_assigned": assigned,
                "mean": application.review_mean,
                # Shown beside the mean only when moderation made it differ.
                "final": final if final is not None and final != application.review_mean else None,
                "spread": application.review_spread,
                "flagged": application.review_flagged,
                "submitted_at": application.last_submitted_at,
            }
        )
    return rows


def program_choices(locale: str) -> list[tuple[int, str]]:
    rows = db.session.execute(
        select(Program.id, Program.name_zh, Program.name_en).order_by(
            Program.opens_at.desc(), Program.id.desc()
        )
    ).all()
    return [(row.id, row.name_en if locale == "en" else row.name_zh) for row in rows]


def status_choices() -> list[tuple[str, str]]:
    return [(s.value, str(s.label)) for s in QUEUE_STATUSES]
