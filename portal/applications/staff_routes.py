"""Officers' view of applications: the list, one application with its history, return it."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select
from wtforms.fields.choices import SelectChoice

from portal.access import ADMIN, OFFICER, allow
from portal.accounts.models import Enterprise
from portal.applications import lifecycle, presenters, services
from portal.applications import sections as sec
from portal.applications.access import application_or_404
from portal.applications.forms import ReturnForm
from portal.applications.models import Application, Status
from portal.domain import DomainError
from portal.forms import INVALID_FORM_STATUS, attach_domain_error
from portal.i18n import select_locale
from portal.pagination import paginate
from portal.programs.models import Program

bp = Blueprint("staff_applications", __name__, url_prefix="/staff/applications")


def _return_form() -> ReturnForm:
    form = ReturnForm()
    form.sections.choices = [
        SelectChoice(name, str(sec.SECTION_LABELS[name])) for name in sec.SECTIONS
    ]
    return form


@bp.route("")
@allow(OFFICER, ADMIN)
def index():
    status = request.args.get("status", "")
    query = (
        select(Application, Enterprise.name, Enterprise.uscc, Program.name_zh, Program.name_en)
        .join(Enterprise, Enterprise.id == Application.enterprise_id)
        .join(Program, Program.id == Application.program_id)
        .where(Application.status != Status.DRAFT)
        .order_by(Application.last_submitted_at.desc(), Application.id.desc())
    )
    if status in {s.value for s in Status}:
        query = query.where(Application.status == Status(status))
    page = paginate(query, page=request.args.get("page", 1, type=int))
    locale = select_locale()
    rows = [
        {
            **presenters.list_row(app, name_en if locale == "en" else name_zh),
            "enterprise": firm,
            "uscc": uscc,
        }
        for app, firm, uscc, name_zh, name_en in page.rows
    ]
    return render_template(
        "staff/applications.html",
        rows=rows,
        page=page,
        status=status,
        statuses=[
            (s.value, str(lifecycle.STATUS_LABELS[s])) for s in Status if s is not Status.DRAFT
        ],
    )


@bp.route("/<int:application_id>")
@allow(OFFICER, ADMIN)
def show(application_id: int):
    return _render_application(application_or_404(application_id), _return_form())


def _render_application(application: Application, form: ReturnForm, status: int = 200):
    from portal.programs.presenters import verdict_view

    return render_template(
        "staff/application.html",
        app=presenters.full_view(application, select_locale()),
        submissions=[
            {"number": s.number, "at": s.submitted_at, "content": s.content}
            for s in services.submissions_of(application.id)
        ],
        verdict=verdict_view(services.application_verdict(application)),
        form=form,
        can_return=lifecycle.can(application, "return_for_changes"),
    ), status


@bp.route("/<int:application_id>/return", methods=["POST"])
@allow(OFFICER, ADMIN)
def return_for_changes(application_id: int):
    application = application_or_404(application_id)
    form = _return_form()
    if form.validate_on_submit():
        try:
            services.return_for_changes(
                application,
                form.sections.data,
                form.reason.data,
                actor=current_user._get_current_object(),
            )
        except DomainError as error:
            attach_domain_error(form, error)
        else:
            flash(_("The application has been returned to the enterprise for changes."), "success")
            return redirect(url_for("staff_applications.show", application_id=application.id))
    return _render_application(application, form, INVALID_FORM_STATUS)
