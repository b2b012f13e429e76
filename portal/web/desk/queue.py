"""What the officers' queue reads, in a fixed number of queries whatever the number of rows:
four (count from the tallies, page in index order, review counts grouped by application,
programmes for the filter). One application's history is in timeline.py.

The queue's cost does not grow with the table: a search (``portal/applications/search.py``)
reads a trigram index for at most MAX_ROWS + 1 ids, or walks the queue's own index when the
term is broader than that; a search's count stops at ``MAX_ROWS + 1`` (the tallies cannot
count it); and pages stop at ``MAX_PAGES``, so that no offset reads more than
``MAX_ROWS`` rows of an index. Nobody pages through thousands of applications: past the first
thousand the page asks the officer to search or filter.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass
from typing import Any

from flask import g
from flask_babel import lazy_gettext as _l
from sqlalchemy import Select, case, false, func, select

from portal.accounts.models import Enterprise
from portal.applications import tallies
from portal.applications.models import Application, Status
from portal.applications.search import SearchTerm, candidate_ids, row_matches
from portal.core.extensions import db
from portal.core.inputs import parse_int
from portal.core.pagination import DEFAULT_PER_PAGE, MAX_PAGE
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
MAX_ROWS = 1000  # the deepest row any page reaches (and the most a bounded count counts)
MAX_PAGES = MAX_ROWS // DEFAULT_PER_PAGE


@dataclass(frozen=True)
class QueueFilters:
    program: int | None = None
    status: str = ""
    flagged: bool = False
    sort: str = NEWEST
    q: str = ""  # the search, cleaned (SearchTerm)
    # The page asked for: pages past MAX_PAGES read nothing (see queue_query).
    page: int = 1

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
            q=SearchTerm.parse(args.get("q")).text,
            page=parse_int(args.get("page"), minimum=1, maximum=MAX_PAGE) or 1,
        )

    def link_args(self) -> dict[str, Any]:
        """The filters as URL arguments (only those set), so that page links keep them."""
        values = asdict(self)
        values["flagged"] = "1" if self.flagged else None
        values["page"] = None  # the pagination links set it
        if self.sort == NEWEST:
            values["sort"] = None
        return {key: value for key, value in values.items() if value not in (None, "", False)}

    @property
    def search(self) -> SearchTerm:
        return SearchTerm(self.q)

    @property
    def count_is_bounded(self) -> bool:
        """Whether the queue's length stops at MAX_ROWS + 1 (a search's), else it is exact."""
        return bool(self.q)

    @property
    def beyond_last_page(self) -> bool:
        return self.page > MAX_PAGES

    @property
    def max_pages(self) -> int:
        return MAX_PAGES

    @property
    def max_rows(self) -> int:
        return MAX_ROWS


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
    """The queue in the order asked for; nothing at all past the last page (no deep offset)."""
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
    if filters.search:
        found = _search_ids(filters.search)
        # Few matches: exactly those rows, sorted. A broad term: the queue in its index
        # order, each row tested, until the page is full.
        matching = row_matches(filters.search) if found is None else Application.id.in_(found)
        query = query.where(matching)
    if filters.beyond_last_page:
        query = query.where(false())
    return query.order_by(*_order(filters.sort))


def _search_ids(term: SearchTerm) -> list[int] | None:
    """Every application ``term`` matches, from the search index, when there are at most
    MAX_ROWS of them; None when there are more (the term is broad). Read once per request:
    the page and its count both ask."""
    found: dict[str, list[int] | None] = g.setdefault("queue_search_ids", {})
    if term.text not in found:
        dialect = db.session.get_bind().dialect.name
        ids = db.session.scalars(candidate_ids(term, dialect, MAX_ROWS + 1)).all()
        found[term.text] = None if len(ids) > MAX_ROWS else sorted(set(ids))
    return found[term.text]


def queue_total(filters: QueueFilters) -> int | None:
    """The queue's length from the tallies (no count over the applications). A search's is
    a count that stops at MAX_ROWS + 1 ("more than 1,000"); None for "flagged only", which
    the tallies do not hold, so that the caller counts (few applications are flagged)."""
    if filters.count_is_bounded:
        bounded = queue_query(filters).order_by(None).limit(MAX_ROWS + 1).subquery()
        return db.session.scalar(select(func.count()).select_from(bounded)) or 0
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
