"""What each role sees on its home page. Each loads in a fixed number of queries."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from flask import url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from sqlalchemy import func, select

from portal.accounts.models import Enterprise, Role, User
from portal.applications.models import Application, Status
from portal.core.audit import AuditEvent
from portal.core.extensions import db
from portal.core.i18n import select_locale
from portal.core.timeutil import bureau_today, utcnow
from portal.payments import payment_queries
from portal.reporting import desk_todo as desk
from portal.review import sign_off
from portal.review.reviewer_queue import queue_summary
from portal.tasks import desk_queries
from portal.web.shared import application_presenters as presenters

RECENT_ROWS = 10
# The newest firms, a secondary panel under the officer's to-do list.
RECENT_FIRMS = 5


def home_context(user: User) -> tuple[str, dict[str, Any]]:
    builders = {
        Role.ENTERPRISE: _enterprise_home,
        Role.OFFICER: _officer_home,
        Role.REVIEWER: _reviewer_home,
        Role.ADMIN: _admin_home,
        Role.APPROVER: _approver_home,
        Role.SUPERVISOR: _wall_home,
        Role.DEPARTMENT: _wall_home,
    }
    return builders[user.role](user)


def _enterprise_home(user: User) -> tuple[str, dict[str, Any]]:
    enterprise = user.enterprise
    applications = db.session.scalars(
        select(Application)
        .where(Application.enterprise_id == enterprise.id)
        .order_by(Application.updated_at.desc())
        .limit(RECENT_ROWS)
    ).all()
    names = presenters.program_names([a.program_id for a in applications], select_locale())
    return "accounts/home_enterprise.html", {
        "applications": [presenters.list_row(a, names[a.program_id]) for a in applications],
        "profile_updated_at": enterprise.profile_updated_at,
        "enterprise": {
            "name": enterprise.name,
            "uscc": enterprise.uscc,
            "region_code": enterprise.region_code,
            "contact_person": enterprise.contact_person,
            "mobile": enterprise.mobile,
            "email": user.email,
            "registered_at": enterprise.created_at,
        },
    }


def _officer_home(user: User) -> tuple[str, dict[str, Any]]:
    """The officer's to-do list (one query, see reporting.desk_todo), then the newest firms as
    a secondary panel (two queries)."""
    now = utcnow()
    todo = [_todo_line(line, now) for line in desk.desk_todo(user.id, now)]
    total = db.session.scalar(select(func.count()).select_from(Enterprise)) or 0
    recent = db.session.execute(
        select(Enterprise.name, Enterprise.uscc, Enterprise.created_at)
        # Ids follow registration: the primary key's order, not a sort of every firm.
        .order_by(Enterprise.id.desc())
        .limit(RECENT_FIRMS)
    ).all()
    return "accounts/home_officer.html", {
        "todo": todo,
        "enterprise_count": total,
        "recent_enterprises": [row._asdict() for row in recent],
    }


# --- the officer's to-do lines ----------------------------------------------------------------


def _todo_text(kind: str, n: int) -> str:
    """What waits, counted ("3 submissions waiting for the formal check")."""
    texts = {
        desk.WAITING_FORMAL_CHECK: lambda: ngettext(
            "%(num)d submission waiting for the formal check",
            "%(num)d submissions waiting for the formal check",
            n,
        ),
        desk.RESUBMITTED: lambda: ngettext(
            "%(num)d application resubmitted after changes",
            "%(num)d applications resubmitted after changes",
            n,
        ),
        desk.FORMAL_CHECK_STARTED: lambda: ngettext(
            "%(num)d formal check started, not finished",
            "%(num)d formal checks started, not finished",
            n,
        ),
        desk.REVIEWS_OVERDUE: lambda: ngettext(
            "%(num)d expert review overdue", "%(num)d expert reviews overdue", n
        ),
        desk.MODERATION: lambda: ngettext(
            "%(num)d application flagged for moderation",
            "%(num)d applications flagged for moderation",
            n,
        ),
        desk.AWAITING_DECISION: lambda: ngettext(
            "%(num)d application with its reviews complete, awaiting a decision",
            "%(num)d applications with their reviews complete, awaiting a decision",
            n,
        ),
        desk.AWAITING_RELEASE: lambda: ngettext(
            "%(num)d decision recorded, waiting for release",
            "%(num)d decisions recorded, waiting for release",
            n,
        ),
        desk.OBJECTIONS: lambda: ngettext(
            "%(num)d objection to handle", "%(num)d objections to handle", n
        ),
        desk.LETTERS_NOT_ISSUED: lambda: ngettext(
            "%(num)d decision letter failed to issue",
            "%(num)d decision letters failed to issue",
            n,
        ),
        desk.EXPORTS_READY: lambda: ngettext(
            "%(num)d export of letters ready to download",
            "%(num)d exports of letters ready to download",
            n,
        ),
        desk.REPORTS_OVERDUE: lambda: ngettext(
            "%(num)d progress report overdue", "%(num)d progress reports overdue", n
        ),
        desk.REPORTS_TO_CHECK: lambda: ngettext(
            "%(num)d progress report to check", "%(num)d progress reports to check", n
        ),
    }
    return str(texts[kind]())


def _todo_age(kind: str, days: int) -> str:
    """How long the oldest has waited ("oldest 4 days"); overdue reviews count from their
    due day."""
    if kind == desk.REPORTS_OVERDUE:
        # Counted from the due day: a report due yesterday is one day overdue.
        return str(ngettext("longest %(num)d day overdue", "longest %(num)d days overdue", days))
    if kind == desk.REVIEWS_OVERDUE:
        if days == 0:
            return str(_("due earlier today"))
        return str(ngettext("longest %(num)d day overdue", "longest %(num)d days overdue", days))
    if days == 0:
        return str(_("oldest less than a day"))
    return str(ngettext("oldest %(num)d day", "oldest %(num)d days", days))


def _queue(status: Status, programs: tuple[int, ...]) -> str:
    """The officers' queue filtered to the status, oldest first (and to the programme when
    all the items are in one)."""
    args: dict[str, Any] = {"status": status.value, "sort": "oldest"}
    if len(programs) == 1:
        args["program"] = programs[0]
    return url_for("staff_applications.index", **args)


def _per_programme(endpoint: str, everything: str, programs: tuple[int, ...]) -> str:
    """The programme's own page when the items are all in one, else the page over all."""
    if len(programs) == 1:
        return url_for(endpoint, program_id=programs[0])
    return url_for(everything)


def _todo_link(line: desk.TodoLine) -> str:
    programs = line.program_ids
    if line.kind == desk.WAITING_FORMAL_CHECK or line.kind == desk.RESUBMITTED:
        # The queue has no "resubmitted" filter: both lines open the submitted ones.
        return _queue(Status.SUBMITTED, programs)
    if line.kind == desk.FORMAL_CHECK_STARTED:
        return _queue(Status.FORMAL_CHECK, programs)
    if line.kind == desk.MODERATION:
        return _queue(Status.MODERATION, programs)
    if line.kind == desk.REVIEWS_OVERDUE:
        # No page lists overdue reviews; the dashboard counts them per programme.
        return url_for("dashboard.index")
    if line.kind in (desk.AWAITING_DECISION, desk.AWAITING_RELEASE):
        return _per_programme("decisions.ranked", "decisions.index", programs)
    if line.kind == desk.OBJECTIONS:
        return url_for("decisions.objections")
    if line.kind == desk.REPORTS_OVERDUE:
        return url_for("desk_reports.index", view="overdue")
    if line.kind == desk.REPORTS_TO_CHECK:
        return url_for("desk_reports.index", view="submitted")
    if line.kind == desk.EXPORTS_READY and line.only_id is not None:
        return url_for("letter_admin.export_page", export_id=line.only_id)
    # Several exports: their programme's letters page, or the list of programmes' letters.
    # Letters not issued are counted over all programmes: that list, from which each
    # programme's page shows its missing letters (and its export issues them).
    return _per_programme("letter_admin.program_letters", "letter_admin.index", programs)


def _todo_line(line: desk.TodoLine, now: datetime) -> dict[str, Any]:
    return {
        "kind": line.kind,
        "count": line.count,
        "text": _todo_text(line.kind, line.count),
        "age": _todo_age(line.kind, line.age_days(now)),
        "oldest_at": line.oldest_at,
        "url": _todo_link(line),
        # Past their time, or failed: shown as alerts.
        "alert": line.kind in (desk.REVIEWS_OVERDUE, desk.LETTERS_NOT_ISSUED, desk.REPORTS_OVERDUE),
    }


def _approver_home(user: User) -> tuple[str, dict[str, Any]]:
    """The approver's proposals awaiting sign-off, oldest first (one query)."""
    waiting = sign_off.proposal_rows(pending=True, locale=select_locale())
    return "accounts/home_approver.html", {
        "waiting": list(reversed(waiting)),
        "payment_batches_waiting": payment_queries.waiting_count(),
    }


def _reviewer_home(user: User) -> tuple[str, dict[str, Any]]:
    return "accounts/home_reviewer.html", {"summary": queue_summary(user.id)}


def _admin_home(user: User) -> tuple[str, dict[str, Any]]:
    counts = dict(db.session.execute(select(User.role, func.count()).group_by(User.role)).all())
    recent = db.session.execute(
        select(
            AuditEvent.occurred_at,
            AuditEvent.action,
            AuditEvent.object_type,
            AuditEvent.object_id,
            User.email,
        )
        .outerjoin(User, User.id == AuditEvent.actor_id)
        .order_by(AuditEvent.id.desc())
        .limit(RECENT_ROWS)
    ).all()
    return "accounts/home_admin.html", {
        "role_counts": {role.value: counts.get(role, 0) for role in Role},
        "recent_events": [row._asdict() for row in recent],
    }


def _wall_home(user: User) -> tuple[str, dict[str, Any]]:
    """The supervisor's desk (slips to review, red tasks, overdue slips) and the department
    member's (their tasks, and the slips on them to sign or answer), in a fixed number of
    queries (``tasks.desk_queries.desk_of``)."""
    return "accounts/home_wall.html", {
        "desk": desk_queries.desk_of(user, bureau_today(), select_locale()),
        "link": url_for,
    }
