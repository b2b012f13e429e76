"""The firm's reports on its awards: what is due, the report form, what was returned."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from portal.core.access import ENTERPRISE, allow
from portal.core.concurrency import refusable
from portal.core.domain import DomainError
from portal.core.extensions import db, limiter
from portal.core.files import send_stored_file
from portal.core.forms import INVALID_FORM_STATUS, attach_domain_error
from portal.core.i18n import select_locale
from portal.core.sandbox import SandboxLimits, check_in_sandbox
from portal.core.timeutil import bureau_today
from portal.core.uploads import KINDS, UploadRejected, allowed_kind_keys, human_size
from portal.payments import reports as service
from portal.payments.report_models import ProgressReport, ReportFile
from portal.payments.report_queries import reports_of_application, reports_of_firm
from portal.payments.report_rules import EDITABLE, is_overdue
from portal.programs.models import Program
from portal.web.firm.report_forms import FileForm, RemoveFileForm, ReportForm

bp = Blueprint("firm_reports", __name__, url_prefix="/reports")


def report_or_404(report_id: int) -> ProgressReport:
    report = db.session.get(ProgressReport, report_id)
    if report is None or report.enterprise_id != current_user.enterprise_id:
        abort(404)  # never 403: a firm must not learn that another firm's report exists
    return report


def _actor():
    return current_user._get_current_object()


def report_title(report: ProgressReport, program: Program) -> str:
    title_zh, title_en = service.report_titles(report.kind, program)
    return title_en if select_locale() == "en" else title_zh


def report_row(report: ProgressReport, program: Program, today) -> dict[str, Any]:
    return {
        "id": report.id,
        "title": report_title(report, program),
        "program": program.name(select_locale()),
        "application_id": report.application_id,
        "due_on": report.due_on,
        "status": report.status,
        "overdue": is_overdue(report.status, report.due_on, today),
    }


@bp.app_template_global("reports_owed_by_firm")
def reports_owed_by_firm() -> list[dict[str, Any]]:
    """The signed-in firm's reports still to submit, for its home page."""
    if not current_user.is_authenticated or current_user.enterprise_id is None:
        return []
    today = bureau_today()
    return [
        report_row(report, program, today)
        for report, program in reports_of_firm(current_user.enterprise_id)
        if report.status in EDITABLE
    ]


@bp.app_template_global("reports_for_application")
def reports_for_application(application_id: int) -> list[dict[str, Any]]:
    """An award's reports, for the firm's application page."""
    reports = reports_of_application(application_id)
    if not reports:
        return []
    program = db.session.get(Program, reports[0].program_id)
    today = bureau_today()
    return [report_row(report, program, today) for report in reports]


@bp.route("")
@allow(ENTERPRISE)
def index():
    today = bureau_today()
    rows = [
        report_row(report, program, today)
        for report, program in reports_of_firm(current_user.enterprise_id)
    ]
    return render_template("reports/firm_index.html", rows=rows, today=today)


def _page(report: ProgressReport, form: ReportForm, status: int = 200, file_error: str = ""):
    program = db.session.get(Program, report.program_id)
    today = bureau_today()
    kinds = allowed_kind_keys(service.FILE_KINDS)
    return render_template(
        "reports/firm_show.html",
        report=report,
        row=report_row(report, program, today),
        form=form,
        file_form=FileForm(),
        remove_form=RemoveFileForm(),
        files=service.current_files(report.id),
        editable=report.status in EDITABLE,
        file_error=file_error,
        accepted_kinds=", ".join(str(KINDS[k].label) for k in kinds),
        accept=",".join(ext for k in kinds for ext in KINDS[k].extensions),
        max_size=human_size(service.FILE_MAX_BYTES),
    ), status


@bp.route("/<int:report_id>", methods=["GET", "POST"])
@allow(ENTERPRISE)
def show(report_id: int):
    """The report: read, or (POST) saved or submitted."""
    if request.method == "POST":
        return _save(report_id)
    report = report_or_404(report_id)
    form = ReportForm(formdata=None)
    form.fill(report)
    return _page(report, form)


def _require_figures(form: ReportForm) -> bool:
    """On submit every figure is needed: say so beside each one left empty."""
    complete = True
    for name in service.REQUIRED_ON_SUBMIT:
        field = getattr(form, name)
        if field.data is None and not field.errors:
            field.errors = [*field.errors, _("Give this figure before you submit.")]
            complete = False
    if not (form.narrative.data or "").strip() and not form.narrative.errors:
        form.narrative.errors = [_("Describe the progress before you submit.")]
        complete = False
    return complete


def _save(report_id: int):
    report = report_or_404(report_id)
    form = ReportForm()
    submitting = request.form.get("action") == "submit"
    valid = form.validate_on_submit()
    if valid and submitting:
        valid = _require_figures(form)
    if not valid:
        return _page(report, form, INVALID_FORM_STATUS)
    try:
        with refusable():
            if submitting:
                service.submit_report(
                    report, form.figures(), actor=_actor(), seen_version=form.seen_version()
                )
            else:
                service.save_report(
                    report, form.figures(), actor=_actor(), seen_version=form.seen_version()
                )
    except DomainError as error:
        attach_domain_error(form, error)
        return _page(report_or_404(report_id), form, INVALID_FORM_STATUS)
    if submitting:
        flash(_("Report submitted. The bureau checks it next."), "success")
    else:
        flash(_("Saved. Submit the report when it is complete."), "success")
    return redirect(url_for("firm_reports.show", report_id=report.id))


def _upload_limit() -> str:
    return current_app.config["UPLOAD_RATE_LIMIT"]


def _account_key() -> str:
    return f"account:{current_user.get_id()}"


@bp.route("/<int:report_id>/files", methods=["POST"])
@allow(ENTERPRISE)
@limiter.limit(_upload_limit, key_func=_account_key, methods=["POST"])
def upload(report_id: int):
    # Owner, state and CSRF are checked before the file is parsed.
    report = report_or_404(report_id)
    form = ReportForm(formdata=None)
    form.fill(report)
    if report.status not in EDITABLE:
        return _page(report, form, INVALID_FORM_STATUS, _("This report cannot be changed now."))
    file_form = FileForm()
    upload = file_form.file.data if file_form.validate_on_submit() else None
    if upload is None or not getattr(upload, "filename", ""):
        return _page(report, form, INVALID_FORM_STATUS, _("Choose a file to upload."))
    data = upload.read()
    try:
        # The check runs in the sandbox with no transaction open (see applications.upload).
        db.session.rollback()
        detected = check_in_sandbox(
            data,
            list(service.FILE_KINDS),
            service.FILE_MAX_BYTES,
            SandboxLimits.from_config(current_app.config),
        )
        report = report_or_404(report_id)
        with refusable():
            service.attach_file(
                report, upload.filename or "", data, detected=detected, actor=_actor()
            )
    except UploadRejected as rejected:
        report = report_or_404(report_id)
        return _page(report, form, INVALID_FORM_STATUS, str(rejected.message))
    except DomainError as error:
        report = report_or_404(report_id)
        return _page(report, form, INVALID_FORM_STATUS, str(error.message))
    flash(_("File attached."), "success")
    return redirect(url_for("firm_reports.show", report_id=report.id) + "#files")


def _file_or_404(report: ProgressReport, file_id: int) -> ReportFile:
    row = db.session.get(ReportFile, file_id)
    if row is None or row.report_id != report.id:
        abort(404)
    return row


@bp.route("/<int:report_id>/files/<int:file_id>/remove", methods=["POST"])
@allow(ENTERPRISE)
def remove_file(report_id: int, file_id: int):
    report = report_or_404(report_id)
    row = _file_or_404(report, file_id)
    if not RemoveFileForm().validate_on_submit():
        abort(400)
    try:
        with refusable():
            service.remove_file(report, row, actor=_actor())
    except DomainError as error:
        flash(str(error.message), "error")
    else:
        flash(_("File removed."), "success")
    return redirect(url_for("firm_reports.show", report_id=report.id) + "#files")


@bp.route("/<int:report_id>/files/<int:file_id>")
@allow(ENTERPRISE)
def download(report_id: int, file_id: int):
    report = report_or_404(report_id)
    row = _file_or_404(report, file_id)
    return send_stored_file(
        row.storage_key, mimetype=row.mime_type, download_name=row.original_name
    )
