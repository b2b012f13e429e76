"""What the officers' desk reads: the application queue and one application's full history.

Both load in a fixed number of queries whatever the number of rows: the queue in four (count
from the tallies, page in index order, review counts grouped by application, programmes for the
filter), the history in one (the events linked to the application, joined to their actors) plus
one for the reviewers the events name.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import Select, case, func, select

from portal.accounts.models import Enterprise, Role, User
from portal.applications import lifecycle, tallies
from portal.applications import sections as sec
from portal.applications.models import Application, Status
from portal.core.audit import AuditEvent, action_label
from portal.core.extensions import db
from portal.programs.models import Program
from portal.review.models import Assignment, AssignmentStatus
from portal.web.templating import bureau_time

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
        try:
            program = int(args.get("program", ""))
        except ValueError:
            program = None
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
    return {"value": status.value, "label": str(lifecycle.STATUS_LABELS[status])}


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
    return [(s.value, str(lifecycle.STATUS_LABELS[s])) for s in QUEUE_STATUSES]


# --- the history ----------------------------------------------------------------------------


def _role_labels() -> dict[Role, Any]:
    from portal.web.admin.forms import ROLE_LABELS

    return ROLE_LABELS


def timeline(application: Application, locale: str) -> list[dict[str, Any]]:
    """Every recorded step of the application, oldest first: who, what, when and why."""
    events = db.session.execute(
        select(
            AuditEvent.occurred_at,
            AuditEvent.action,
            AuditEvent.summary,
            User.display_name,
            User.role,
        )
        .outerjoin(User, User.id == AuditEvent.actor_id)
        .where(AuditEvent.application_id == application.id)
        .order_by(AuditEvent.id)
    ).all()
    reviewer_ids = {
        e.summary["reviewer_id"]
        for e in events
        if isinstance((e.summary or {}).get("reviewer_id"), int)
    }
    names = _names(reviewer_ids)
    documents = {
        doc["key"]: doc["name_en"] if locale == "en" else doc["name_zh"]
        for doc in application.program_version.documents
    }
    roles = _role_labels()
    rows = []
    for event in events:
        summary = event.summary or {}
        new = summary.get("new")
        status = staff_status(Status(new)) if new in STATUS_VALUES else None
        label = action_label(event.action)
        if status and status["label"] == label:  # "Submitted → Submitted" says it twice
            status = None
        details = _details(summary, names, documents)
        reasons = [summary.get("reason"), summary.get("note")]
        if event.action == "review.declined":  # its "reason" is a code, the note is the text
            details.insert(0, _("Grounds: %(grounds)s", grounds=_decline_label(reasons[0])))
            reasons = reasons[1:]
        rows.append(
            {
                "at": event.occurred_at,
                "label": label,
                "actor": event.display_name or "",
                "role": str(roles[event.role]) if event.role in roles else "",
                "system": event.display_name is None,
                "status": status,
                "reason": "\n".join(str(text).strip() for text in reasons if text),
                "details": details,
            }
        )
    return rows


def _names(user_ids: set[int]) -> dict[int, str]:
    if not user_ids:
        return {}
    rows = db.session.execute(select(User.id, User.display_name).where(User.id.in_(user_ids)))
    return dict(rows.all())


def _money(value: Any) -> str:
    try:
        return f"{Decimal(str(value)):,.2f}"
    except (InvalidOperation, ValueError):
        return str(value)


def _day(value: Any) -> str:
    try:
        parsed = datetime.fromisoformat(str(value))
    except ValueError:
        return str(value)
    if parsed.tzinfo is None:  # a date: nothing to convert
        return date(parsed.year, parsed.month, parsed.day).isoformat()
    return bureau_time(parsed, "yyyy-MM-dd")


def _figure_label(path: str) -> str:
    from portal.web.shared.application_presenters import COUNT_FIGURE_LABELS, YEAR_FIGURE_LABELS

    parts = path.split(".")
    if len(parts) == 3 and parts[0] == "years" and parts[2] in YEAR_FIGURE_LABELS:
        return str(YEAR_FIGURE_LABELS[parts[2]](parts[1]))
    return str(COUNT_FIGURE_LABELS.get(path, path))


def _decline_label(code: Any) -> str:
    from portal.review.scoring import DECLINE_LABELS

    labels = {reason.value: label for reason, label in DECLINE_LABELS.items()}
    return str(labels.get(code, code or ""))


def _reason_code_label(code: str) -> str:
    from portal.review.decisions import reason_label

    return reason_label(code)


def _details(summary: dict[str, Any], names: dict[int, str], documents: dict[str, str]) -> list:
    """Readable facts from an event's summary (the reason is shown on its own)."""
    out: list[str] = []
    if summary.get("submission"):
        out.append(_("Version %(number)s", number=summary["submission"]))
    if summary.get("sections"):
        labels = [str(sec.SECTION_LABELS.get(name, name)) for name in summary["sections"]]
        out.append(_("Sections: %(sections)s", sections=", ".join(labels)))
    if summary.get("section"):
        label = sec.SECTION_LABELS.get(summary["section"], summary["section"])
        out.append(_("Section: %(section)s", section=label))
    if summary.get("changed"):
        labels = ", ".join(_figure_label(path) for path in summary["changed"])
        out.append(_("Figures changed: %(figures)s", figures=labels))
    if summary.get("document"):
        name = documents.get(summary["document"], summary["document"])
        if summary.get("replaced"):
            out.append(_("Document: %(name)s (replaces an earlier file)", name=name))
        else:
            out.append(_("Document: %(name)s", name=name))
    if summary.get("requested"):
        out.append(_("Requested amount: %(amount)s yuan", amount=_money(summary["requested"])))
    if summary.get("reviewers"):
        out.append(_("Reviewers needed: %(count)s", count=summary["reviewers"]))
    if "reviewer_id" in summary:
        name = names.get(summary["reviewer_id"], f"#{summary['reviewer_id']}")
        out.append(_("Reviewer: %(name)s", name=name))
    if summary.get("due_at"):
        out.append(_("Due on %(day)s", day=_day(summary["due_at"])))
    if summary.get("automatic"):
        out.append(_("Assigned automatically"))
    if summary.get("for_moderation"):
        out.append(_("Extra reviewer for moderation"))
    if summary.get("scored") is not None:
        out.append(_("Criteria scored: %(count)s", count=summary["scored"]))
    if summary.get("total") is not None:
        out.append(_("Review score: %(score)s", score=summary["total"]))
    if summary.get("previous_total") is not None:
        out.append(_("Previous score: %(score)s", score=summary["previous_total"]))
    if summary.get("minimums_missed"):
        out.append(_("Below a criterion's minimum"))
    if summary.get("conflict_recorded"):
        out.append(_("Conflict of interest recorded"))
    if summary.get("score") is not None:
        out.append(_("Moderated score: %(score)s", score=summary["score"]))
    if summary.get("mean") is not None:
        out.append(_("Mean score: %(score)s", score=summary["mean"]))
    if summary.get("spread") is not None:
        out.append(_("Spread: %(spread)s", spread=summary["spread"]))
    if summary.get("flag_reasons"):
        out.append(_("Flagged for moderation"))
    if summary.get("decision"):
        if summary["decision"] == "approve":
            out.append(_("Decision: approve"))
        else:
            out.append(_("Decision: reject"))
    if summary.get("amount") is not None:
        out.append(_("Amount: %(amount)s yuan", amount=_money(summary["amount"])))
    if summary.get("previous_amount") is not None:
        out.append(_("Previous amount: %(amount)s yuan", amount=_money(summary["previous_amount"])))
    if summary.get("reason_code"):
        out.append(_("Grounds: %(grounds)s", grounds=_reason_code_label(summary["reason_code"])))
    if summary.get("publicity_ends_on"):
        out.append(_("Publicity ends on %(day)s", day=_day(summary["publicity_ends_on"])))
    return out
