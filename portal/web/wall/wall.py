"""The wall, the timeline (进度图) and the responsibility view (责任图).

The wall has a second face for the meeting room's screen (``?screen=1``): no site chrome, big
type, and a ``<meta http-equiv="refresh">`` so that it stays current with no JavaScript. Every
view reads its page in a fixed number of queries (``portal.tasks.wall_queries``); a GET never
writes.
"""

from __future__ import annotations

from datetime import date

from flask import Blueprint, render_template, request, url_for
from flask_babel import format_date
from sqlalchemy import select

from portal.core.access import WALL_READERS, allow
from portal.core.extensions import db
from portal.core.i18n import select_locale
from portal.core.inputs import query_int
from portal.core.timeutil import bureau_today
from portal.tasks import wall_queries
from portal.tasks.models import KeyTask, SlipColour, TaskStatus

bp = Blueprint("wall", __name__)

# The meeting-room screen reloads itself this often (seconds).
SCREEN_REFRESH_SECONDS = 300


def endpoint_url(endpoint: str, **values) -> str:
    """A link to a page of another part of the wall map (its task page, slips, prints)."""
    return url_for(endpoint, **values)


def _year() -> int:
    """``?year=``: a year in range, else this year (a typed-wrong year shows this year's wall)."""
    return query_int(
        "year",
        bureau_today().year,
        minimum=wall_queries.FIRST_YEAR,
        maximum=wall_queries.LAST_YEAR,
    )


def _years(year: int) -> list[int]:
    """The years that have tasks, with this year and the year shown (one query)."""
    stored = set(db.session.scalars(select(KeyTask.year).distinct()))
    return sorted(stored | {bureau_today().year, year}, reverse=True)


def _common(year: int) -> dict:
    return {
        "year": year,
        "years": _years(year),
        "statuses": wall_queries.STATUS_ORDER,
        "colours": list(SlipColour),
        "task_url": lambda task_id: endpoint_url("key_tasks.show", task_id=task_id),
        "pdf_url": endpoint_url("task_prints.wall_pdf", year=year),
        "slips_url": endpoint_url("slips.index"),
    }


@bp.route("/")
@allow(*WALL_READERS)
def index():
    year = _year()
    department_id = query_int("department")
    status_value = request.args.get("status") or ""
    status = next((s for s in TaskStatus if s.value == status_value), None)
    screen = request.args.get("screen") == "1"
    wall = wall_queries.wall_of(
        year,
        bureau_today(),
        select_locale(),
        department_id=department_id,
        status=status,
    )
    known = {d for d, _name in wall.departments}
    filters = {
        "department": department_id if department_id in known else None,
        "status": status.value if status else None,
    }
    return render_template(
        "wall/screen.html" if screen else "wall/wall.html",
        wall=wall,
        filters=filters,
        refresh_seconds=SCREEN_REFRESH_SECONDS,
        **_common(year),
    )


@bp.route("/timeline")
@allow(*WALL_READERS)
def timeline():
    year = _year()
    return render_template(
        "wall/timeline.html",
        timeline=wall_queries.timeline_of(year, bureau_today(), select_locale()),
        months=[(m, format_date(date(year, m, 1), "MMM")) for m in range(1, 13)],
        **_common(year),
    )


@bp.route("/responsibility")
@allow(*WALL_READERS)
def responsibility():
    year = _year()
    return render_template(
        "wall/responsibility.html",
        view=wall_queries.responsibility_of(year, bureau_today(), select_locale()),
        **_common(year),
    )
