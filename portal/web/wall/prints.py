"""The wall as an A3 PDF, the weekly dispatch report, and the year-end accountability export.

Every print is made on request from the data as it stands (nothing is stored), in the page's
language (``?lang=en`` for English). The dispatch report is sent to the leaders by the weekly
command or, by a supervisor, from its page (a POST: it writes the ``DISPATCH_SENT`` record).
"""

from __future__ import annotations

from datetime import date

from flask import Blueprint, Response, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from flask_wtf import FlaskForm

from portal.core.access import ADMIN, APPROVER, SUPERVISOR, WALL_READERS, allow
from portal.core.i18n import select_locale
from portal.core.inputs import parse_int
from portal.core.timeutil import bureau_today
from portal.tasks import accountability, dispatch, wall_pdf

bp = Blueprint("task_prints", __name__)

PDF_MIMETYPE = "application/pdf"
CSV_MIMETYPE = "text/csv; charset=utf-8"
XLSX_MIMETYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
MIMETYPES = {"csv": CSV_MIMETYPE, "xlsx": XLSX_MIMETYPE}
ACCOUNTABILITY_READERS = (SUPERVISOR, ADMIN, APPROVER)
FIRST_YEAR, LAST_YEAR = 2000, 2100


class SendForm(FlaskForm):
    """The "send this week's report now" button: CSRF only."""


def _download(body: bytes, mimetype: str, name: str) -> Response:
    response = Response(body, mimetype=mimetype)
    response.headers["Content-Disposition"] = f'attachment; filename="{name}"'
    response.headers["Cache-Control"] = "private, no-store"
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response


def _year() -> int:
    """``?year=``, this year by default; a malformed or far-off year is a 400."""
    raw = request.args.get("year", "").strip()
    if not raw:
        return bureau_today().year
    year = parse_int(raw, minimum=FIRST_YEAR, maximum=LAST_YEAR)
    if year is None:
        abort(400)
    return year


def _suffix(locale: str) -> str:
    return "-en" if wall_pdf.locale_code(locale) == "en" else ""


# --- the wall on A3 ---------------------------------------------------------------------------


@bp.route("/wall.pdf", endpoint="wall_pdf")
@allow(*WALL_READERS)
def wall_pdf_view():
    year, today, locale = _year(), bureau_today(), select_locale()
    body = wall_pdf.render_wall_pdf(year, today, locale)
    return _download(body, PDF_MIMETYPE, f"wall-{year}-{today:%Y%m%d}{_suffix(locale)}.pdf")


# --- the weekly dispatch report ---------------------------------------------------------------


def _week() -> date:
    """``?week=YYYY-MM-DD`` (any day of the week), this week by default; malformed is a 400."""
    raw = request.args.get("week", "").strip()
    if not raw:
        return dispatch.week_ending_of(bureau_today())
    try:
        day = date.fromisoformat(raw)
    except ValueError:
        abort(400)
    if not FIRST_YEAR <= day.year <= LAST_YEAR or len(raw) != 10:
        abort(400)
    return dispatch.week_ending_of(day)


@bp.route("/dispatch", endpoint="dispatch")
@allow(*WALL_READERS)
def dispatch_index():
    today = bureau_today()
    weeks = dispatch.recent_weeks(today)
    sent = dispatch.sent_weeks(weeks)
    rows = [
        {
            "week_ending": week,
            "week_start": dispatch.week_start(week),
            "current": week == weeks[0],
            "sent": sent.get(week),
        }
        for week in weeks
    ]
    can_send = current_user.role.value == SUPERVISOR
    return render_template(
        "wall/prints_dispatch.html",
        rows=rows,
        this_week=weeks[0],
        sent_this_week=weeks[0] in sent,
        form=SendForm() if can_send else None,
    )


@bp.route("/dispatch.pdf")
@allow(*WALL_READERS)
def dispatch_pdf():
    week, locale = _week(), select_locale()
    body = dispatch.render_dispatch_pdf(week, locale)
    return _download(body, PDF_MIMETYPE, f"dispatch-{week:%Y%m%d}{_suffix(locale)}.pdf")


@bp.route("/dispatch/send", methods=["POST"])
@allow(SUPERVISOR)
def send_dispatch():
    if not SendForm().validate_on_submit():
        abort(400)
    week = dispatch.week_ending_of(bureau_today())
    sent = dispatch.send_weekly_dispatch(week, actor=current_user._get_current_object())
    if sent is None:
        flash(_("This week's report was sent already; it is not sent twice."), "info")
    else:
        flash(_("This week's report was sent to %(count)s people.", count=sent), "success")
    return redirect(url_for("task_prints.dispatch"))


# --- the year-end accountability export -------------------------------------------------------


@bp.route("/accountability")
@allow(*ACCOUNTABILITY_READERS)
def accountability_page():
    year, locale = _year(), select_locale()
    rows = accountability.accountability_rows(year, locale)
    return render_template(
        "wall/prints_accountability.html",
        year=year,
        years=sorted(set(accountability.years_with_tasks()) | {bureau_today().year}, reverse=True),
        rows=[(row, accountability.row_values(row)) for row in rows],
        columns=accountability.COLUMNS,
    )


@bp.route("/accountability/download", endpoint="accountability")
@allow(*ACCOUNTABILITY_READERS)
def accountability_download():
    year = _year()
    fmt = request.args.get("format", "xlsx")
    if fmt not in MIMETYPES:
        abort(400)
    body = accountability.export_bytes(year, fmt, select_locale())
    return _download(body, MIMETYPES[fmt], accountability.file_name(year, fmt))
