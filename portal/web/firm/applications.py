"""The firm's application journey: task list, one page per section, check answers, submit."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_limiter.util import get_remote_address
from flask_login import current_user
from sqlalchemy import select

from portal.applications import lifecycle, services
from portal.applications import sections as sec
from portal.applications.models import Application
from portal.core.access import ENTERPRISE, allow
from portal.core.domain import DomainError
from portal.core.extensions import db, limiter
from portal.core.forms import INVALID_FORM_STATUS, attach_domain_error
from portal.core.i18n import select_locale
from portal.core.sandbox import SandboxLimits, check_in_sandbox
from portal.core.uploads import DetectedFile, UploadRejected
from portal.payments.tranches import payments_of
from portal.review.access import application_or_404
from portal.web.firm.acceptance import firm_view as acceptance_view
from portal.web.firm.application_forms import (
    AmountForm,
    DeclarationForm,
    ProjectFiguresForm,
    SubmitForm,
    SummaryForm,
    UploadForm,
    WithdrawForm,
)
from portal.web.shared import application_presenters as presenters
from portal.web.shared.forms import bool_to_tri_state, tri_state_to_bool
from portal.web.shared.letter_presenters import application_letters

bp = Blueprint("applications", __name__, url_prefix="/applications")


def _actor():
    return current_user._get_current_object()


def _editable_or_back(application: Application, section: str):
    if section not in sec.editable_sections(application):
        flash(_("This section cannot be changed now."), "error")
        return redirect(url_for("applications.show", application_id=application.id))
    return None


def _status(form) -> int:
    return INVALID_FORM_STATUS if form.errors or getattr(form, "form_errors", None) else 200


@bp.route("")
@allow(ENTERPRISE)
def index():
    rows = db.session.scalars(
        select(Application)
        .where(Application.enterprise_id == current_user.enterprise_id)
        .order_by(Application.created_at.desc())
    ).all()
    locale = select_locale()
    programs = presenters.program_names([row.program_id for row in rows], locale)
    return render_template(
        "applications/index.html",
        rows=[presenters.list_row(row, programs[row.program_id]) for row in rows],
    )


@bp.route("/<int:application_id>")
@allow(ENTERPRISE)
def show(application_id: int):
    application = application_or_404(application_id)
    locale = select_locale()
    return render_template(
        "applications/show.html",
        app=presenters.status_page(application, locale),
        letters=application_letters(application, locale),
        acceptance=acceptance_view(application.id),
        payments=payments_of(application.id),
    )


@bp.route("/<int:application_id>/summary", methods=["GET", "POST"])
@allow(ENTERPRISE)
def summary(application_id: int):
    application = application_or_404(application_id)
    if (back := _editable_or_back(application, sec.SUMMARY)) is not None:
        return back
    form = SummaryForm(obj=application)
    if form.validate_on_submit():
        services.save_summary(
            application, form.project_title.data, form.project_summary.data, actor=_actor()
        )
        return _after_save(application, sec.SUMMARY)
    return render_template(
        "applications/section_summary.html",
        form=form,
        app=presenters.header(application, select_locale()),
    ), _status(form)


def _after_save(application: Application, section: str):
    """Saved: "Save and come back later" goes to the list of applications, "Save and continue"
    to the next section the firm may change (the last one to "Check your answers")."""
    flash(_("Saved."), "success")
    if request.form.get("then") == "leave":
        return redirect(url_for("applications.index"))
    return redirect(_next_step_url(application, section))


def _next_step_url(application: Application, section: str) -> str:
    """The page after ``section``: the next section in the form's order that may be changed
    now (a returned application: only the sections the bureau asked about), else "Check your
    answers"."""
    editable = sec.editable_sections(application)
    later = sec.SECTIONS[sec.SECTIONS.index(section) + 1 :]
    for name in later:
        if name in editable:
            return url_for(presenters.SECTION_ENDPOINTS[name], application_id=application.id)
    return url_for("applications.check", application_id=application.id)


# The project figures of ``ProjectFiguresForm`` (the year figures are built in the view).
PROJECT_FIELDS = (
    "eligible_investment",
    "digital_level",
    "project_accepted",
    "other_public_funding",
)


def _project_figures_form(needs_project: bool) -> ProjectFiguresForm:
    """The form, without the project fields when the programme reads no project figures (then
    they are not asked for)."""
    form = ProjectFiguresForm()
    if not needs_project:
        for name in PROJECT_FIELDS:
            delattr(form, name)
    return form


def _fill_project_figures(form: ProjectFiguresForm, project: dict[str, Any]) -> None:
    """Show the saved project figures (as stored on the application) in the form."""
    form.eligible_investment.data = (
        Decimal(project["eligible_investment"])
        if project.get("eligible_investment") not in (None, "")
        else None
    )
    form.digital_level.data = str(project.get("digital_level") or "")
    form.project_accepted.data = bool_to_tri_state(project.get("project_accepted"))
    form.other_public_funding.data = bool_to_tri_state(project.get("other_public_funding"))


def _project_figures_of(form: ProjectFiguresForm) -> dict[str, Any]:
    """The posted project figures in the form the application stores them."""
    return {
        "eligible_investment": None
        if form.eligible_investment.data is None
        else str(form.eligible_investment.data),
        "digital_level": int(form.digital_level.data) if form.digital_level.data else None,
        "project_accepted": tri_state_to_bool(form.project_accepted.data),
        "other_public_funding": tri_state_to_bool(form.other_public_funding.data),
    }


@bp.route("/<int:application_id>/figures", methods=["GET", "POST"])
@allow(ENTERPRISE)
def figures(application_id: int):
    application = application_or_404(application_id)
    if (back := _editable_or_back(application, sec.FIGURES)) is not None:
        return back
    needs_project = sec.reads_project(application.program_version)
    form = _project_figures_form(needs_project)
    rows = presenters.figure_rows(application)
    errors: dict[str, str] = {}
    if request.method == "GET" and needs_project:
        _fill_project_figures(form, application.project_figures)
    elif form.validate_on_submit():
        changes, errors = presenters.read_figure_changes(request.form, rows)
        project = _project_figures_of(form) if needs_project else {}
        if not errors:
            try:
                services.save_figures(
                    application,
                    changes,
                    project,
                    confirm=bool(request.form.get("confirm_figures")),
                    actor=_actor(),
                )
            except DomainError as error:
                errors[error.field or "form"] = str(error.message)
            else:
                return _after_save(application, sec.FIGURES)
        rows = presenters.figure_rows(application, request.form)
    status = INVALID_FORM_STATUS if errors or form.errors else 200
    return render_template(
        "applications/section_figures.html",
        form=form,
        rows=rows,
        errors=errors,
        needs_project=needs_project,
        confirmed=application.figures_confirmed,
        app=presenters.header(application, select_locale()),
    ), status


@bp.route("/<int:application_id>/amount", methods=["GET", "POST"])
@allow(ENTERPRISE)
def amount(application_id: int):
    application = application_or_404(application_id)
    if (back := _editable_or_back(application, sec.AMOUNT)) is not None:
        return back
    form = AmountForm()
    if request.method == "GET" and application.requested_amount != application.formula_amount:
        form.requested_amount.data = application.requested_amount
    if form.validate_on_submit():
        try:
            services.save_amount(application, form.requested_amount.data, actor=_actor())
        except DomainError as error:
            attach_domain_error(form, error)
        else:
            return _after_save(application, sec.AMOUNT)
    return render_template(
        "applications/section_amount.html",
        form=form,
        app=presenters.header(application, select_locale()),
        computation=presenters.computation_view(application),
    ), _status(form)


@bp.route("/<int:application_id>/documents")
@allow(ENTERPRISE)
def documents(application_id: int):
    application = application_or_404(application_id)
    return render_template(
        "applications/section_documents.html",
        app=presenters.header(application, select_locale()),
        slots=presenters.document_slots(application, select_locale()),
        form=UploadForm(),
        editable=sec.ATTACHMENTS in sec.editable_sections(application),
        errors={},
        next_url=_next_step_url(application, sec.ATTACHMENTS),
    )


def _upload_limit() -> str:
    return current_app.config["UPLOAD_RATE_LIMIT"]


def _account_key() -> str:
    """Uploads are counted per account (the route is for signed-in firms; a visitor who is not
    signed in is counted by address, and is sent to sign in anyway)."""
    user_id = current_user.get_id()
    return f"account:{user_id}" if user_id else get_remote_address()


def _checked_upload(application: Application, key: str, data: bytes) -> DetectedFile:
    """Parse and check the file in the sandbox, holding no database transaction meanwhile.

    On SQLite a POST's transaction begins with BEGIN IMMEDIATE, which takes the write lock as
    soon as the request first reads (signing the user in does, before this view), and on
    PostgreSQL an open transaction ties up a connection. The request has only read so far, so
    the rollback below is not undoing work after a refusal: it ends the read, releasing the
    lock (and the connection) for the seconds a hostile file may take. The service reads the
    application again, in a new transaction, and checks again that it may be changed."""
    kinds, max_bytes = services.upload_rules(application, key)
    db.session.rollback()
    return check_in_sandbox(data, kinds, max_bytes, SandboxLimits.from_config(current_app.config))


@bp.route("/<int:application_id>/documents/<key>", methods=["POST"])
@allow(ENTERPRISE)
@limiter.limit(_upload_limit, key_func=_account_key, methods=["POST"])
def upload(application_id: int, key: str):
    # Access (above), the application's owner and state, and the CSRF token (validate_on_submit)
    # are all checked before the file is parsed: no one else can make the server parse files.
    application = application_or_404(application_id)
    if (back := _editable_or_back(application, sec.ATTACHMENTS)) is not None:
        return back
    form = UploadForm()
    errors: dict[str, str] = {}
    if form.validate_on_submit():
        upload = form.file.data
        try:
            data = upload.read()
            detected = _checked_upload(application, key, data)
            services.upload_attachment(
                application, key, upload.filename or "", data, detected=detected, actor=_actor()
            )
        except UploadRejected as rejected:
            errors[key] = str(rejected.message)
        except DomainError as error:
            errors[key] = str(error.message)
        else:
            flash(_("Uploaded."), "success")
            return redirect(url_for("applications.documents", application_id=application.id))
    else:
        errors[key] = "; ".join(str(e) for e in form.file.errors) or _("Choose a file to upload.")
    return render_template(
        "applications/section_documents.html",
        app=presenters.header(application, select_locale()),
        slots=presenters.document_slots(application, select_locale()),
        form=form,
        editable=True,
        errors=errors,
        next_url=_next_step_url(application, sec.ATTACHMENTS),
    ), INVALID_FORM_STATUS


@bp.route("/<int:application_id>/declaration", methods=["GET", "POST"])
@allow(ENTERPRISE)
def declaration(application_id: int):
    application = application_or_404(application_id)
    if (back := _editable_or_back(application, sec.DECLARATION)) is not None:
        return back
    form = DeclarationForm(obj=application)
    if form.validate_on_submit():
        services.save_declaration(
            application,
            form.declaration_name.data,
            form.declaration_title.data,
            actor=_actor(),
        )
        return _after_save(application, sec.DECLARATION)
    return render_template(
        "applications/section_declaration.html",
        form=form,
        app=presenters.header(application, select_locale()),
    ), _status(form)


@bp.route("/<int:application_id>/check")
@allow(ENTERPRISE)
def check(application_id: int):
    return _render_check(application_or_404(application_id), SubmitForm())


def _render_check(application: Application, form: SubmitForm, status: int = 200):
    editable = application.status in lifecycle.EDITABLE_BY_FIRM
    return render_template(
        "applications/check.html",
        app=presenters.full_view(application, select_locale()),
        problems=services.submission_problems(application) if editable else [],
        form=form,
    ), status


@bp.route("/<int:application_id>/submit", methods=["POST"])
@allow(ENTERPRISE)
def submit(application_id: int):
    application = application_or_404(application_id)
    form = SubmitForm()
    if form.validate_on_submit():
        try:
            services.submit(application, actor=_actor())
        except DomainError as error:
            form.form_errors.append(str(error.message))
        else:
            flash(
                _(
                    "Application %(reference)s has been submitted. The bureau checks it next; "
                    "every step will appear in its history.",
                    reference=application.reference,
                ),
                "success",
            )
            return redirect(url_for("applications.show", application_id=application.id))
    return _render_check(application, form, INVALID_FORM_STATUS)


@bp.route("/<int:application_id>/withdraw", methods=["GET", "POST"])
@allow(ENTERPRISE)
def withdraw(application_id: int):
    application = application_or_404(application_id)
    form = WithdrawForm()
    if not lifecycle.can(application, "withdraw"):
        flash(_("This application can no longer be withdrawn."), "error")
        return redirect(url_for("applications.show", application_id=application.id))
    if form.validate_on_submit():
        try:
            services.withdraw(application, form.reason.data, actor=_actor())
        except DomainError as error:
            attach_domain_error(form, error)
        else:
            flash(_("The application has been withdrawn."), "success")
            return redirect(url_for("applications.show", application_id=application.id))
    return render_template(
        "applications/withdraw.html",
        form=form,
        app=presenters.header(application, select_locale()),
    ), _status(form)
