"""Officers' report pages: reports due, overdue (red), submitted ones to accept or return."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import HiddenField, TextAreaField
from wtforms.validators import DataRequired, Length

from portal.accounts.models import Enterprise
from portal.applications.models import Application
from portal.core.access import ADMIN, OFFICER, allow
from portal.core.concurrency import refusable
from portal.core.domain import DomainError
from portal.core.extensions import db
from portal.core.files import send_stored_file
from portal.core.forms import INVALID_FORM_STATUS, attach_domain_error
from portal.core.i18n import select_locale
from portal.core.timeutil import bureau_today
from portal.payments import report_queries as queries
from portal.payments import reports as service
from portal.payments.report_models import ProgressReport, ReportFile, ReportStatus
from portal.payments.report_rules import is_overdue
from portal.programs.models import Program

bp = Blueprint("desk_reports", __name__, url_prefix="/staff/reports")

RETURN_REASON_MAX = 2000

TAB_LABELS = {
    queries.OVERDUE: _l("Overdue"),
    queries.TO_CHECK: _l("Submitted: to check"),
    queries.DUE: _l("Due, not yet submitted"),
    queries.DONE: _l("Accepted"),
}


class DecisionForm(FlaskForm):
    version = HiddenField()

    def seen_version(self) -> int | None:
        try:
            return int(self.version.data) if self.version.data else None
        except (TypeError, ValueError):
            return None


class ReturnForm(DecisionForm):
    reason = TextAreaField(
        _l("Why the report is returned"),
        description=_l("The firm reads it, changes the report and submits it again."),
        validators=[
            DataRequired(_l("Say why the report is returned: the firm reads it.")),
            Length(max=RETURN_REASON_MAX),
        ],
        render_kw={"rows": 4},
    )


def _report_or_404(report_id: int) -> ProgressReport:
    report = db.session.get(ProgressReport, report_id)
    if report is None:
        abort(404)
    return report


@bp.route("")
@allow(OFFICER, ADMIN)
def index():
    view = request.args.get("view", queries.OVERDUE)
    if view not in queries.VIEWS:
        view = queries.OVERDUE
    today = bureau_today()
    page = queries.officer_list(view, today, after=request.args.get("after"))
    locale = select_locale()
    rows = []
    for report, name_zh, name_en, firm in page.rows:
        title_zh, title_en = service.titles_from_names(report.kind, name_zh, name_en)
        rows.append(
            {
                "id": report.id,
                "title": title_en if locale == "en" else title_zh,
                "firm": firm,
                "due_on": report.due_on,
                "status": report.status,
                "submitted_at": report.submitted_at,
                "overdue": is_overdue(report.status, report.due_on, today),
            }
        )
    return render_template(
        "reports/desk_index.html",
        view=view,
        views=[(key, TAB_LABELS[key]) for key in queries.VIEWS],
        counts=queries.view_counts(today),
        rows=rows,
        next_after=page.next_after,
        first_page=not request.args.get("after"),
    )


def _page(report: ProgressReport, return_form: ReturnForm, status: int = 200):
    program = db.session.get(Program, report.program_id)
    application = db.session.get(Application, report.application_id)
    enterprise = db.session.get(Enterprise, report.enterprise_id)
    title_zh, title_en = service.report_titles(report.kind, program)
    today = bureau_today()
    accept_form = DecisionForm(formdata=None)
    accept_form.version.data = str(report.lock_version)
    if not return_form.version.data:
        return_form.version.data = str(report.lock_version)
    return render_template(
        "reports/desk_show.html",
        report=report,
        row={
            "title": title_en if select_locale() == "en" else title_zh,
            "due_on": report.due_on,
            "status": report.status,
            "overdue": is_overdue(report.status, report.due_on, today),
        },
        program=program.name(select_locale()),
        application=application,
        enterprise=enterprise,
        files=service.current_files(report.id),
        accept_form=accept_form,
        return_form=return_form,
        decidable=report.status is ReportStatus.SUBMITTED,
    ), status


@bp.route("/<int:report_id>")
@allow(OFFICER, ADMIN)
def show(report_id: int):
    return _page(_report_or_404(report_id), ReturnForm(formdata=None))


def _actor():
    return current_user._get_current_object()


@bp.route("/<int:report_id>/accept", methods=["POST"])
@allow(OFFICER, ADMIN)
def accept(report_id: int):
    report = _report_or_404(report_id)
    form = DecisionForm()
    if not form.validate_on_submit():
        abort(400)
    try:
        with refusable():
            service.accept_report(report, actor=_actor(), seen_version=form.seen_version())
    except DomainError as error:
        flash(str(error.message), "error")
        return redirect(url_for("desk_reports.show", report_id=report_id))
    flash(_("Report accepted. The firm has been told."), "success")
    return redirect(url_for("desk_reports.show", report_id=report_id))


@bp.route("/<int:report_id>/return", methods=["POST"])
@allow(OFFICER, ADMIN)
def return_(report_id: int):
    report = _report_or_404(report_id)
    form = ReturnForm()
    if not form.validate_on_submit():
        return _page(report, form, INVALID_FORM_STATUS)
    try:
        with refusable():
            service.return_report(
                report, form.reason.data, actor=_actor(), seen_version=form.seen_version()
            )
    except DomainError as error:
        attach_domain_error(form, error)
        return _page(_report_or_404(report_id), form, INVALID_FORM_STATUS)
    flash(_("Report returned. The firm has been told why."), "success")
    return redirect(url_for("desk_reports.show", report_id=report_id))


@bp.route("/<int:report_id>/files/<int:file_id>")
@allow(OFFICER, ADMIN)
def download(report_id: int, file_id: int):
    report = _report_or_404(report_id)
    row = db.session.get(ReportFile, file_id)
    if row is None or row.report_id != report.id:
        abort(404)
    return send_stored_file(
        row.storage_key, mimetype=row.mime_type, download_name=row.original_name
    )
