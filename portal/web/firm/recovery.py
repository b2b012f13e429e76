"""The firm's side of a recovery case: the grounds, stating its case (陈述申辩), the notice."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import TextAreaField
from wtforms.validators import DataRequired, Length

from portal.core.access import ENTERPRISE, allow
from portal.core.domain import DomainError
from portal.core.extensions import db
from portal.core.files import send_stored_file
from portal.core.forms import INVALID_FORM_STATUS, attach_domain_error
from portal.core.i18n import select_locale
from portal.core.timeutil import bureau_today
from portal.core.uploads import UploadRejected
from portal.payments import recovery, recovery_queries, recovery_rules
from portal.payments.models import PostAwardDocument
from portal.payments.recovery_models import RecoveryCase
from portal.web.shared.recovery_files import checked_files, files_field, send_case_file

bp = Blueprint("firm_recovery", __name__, url_prefix="/recovery")


class StatementForm(FlaskForm):
    statement = TextAreaField(
        _l("Your statement"),
        description=_l("What you say to the facts and the evidence, and why."),
        validators=[
            DataRequired(_l("Write your statement: what you say to the facts.")),
            Length(max=recovery.TEXT_MAX),
        ],
        render_kw={"rows": 8},
    )
    files = files_field(_l("Files (optional)"))


def _own_case_or_404(case_id: int) -> RecoveryCase:
    case = recovery_queries.case_of_enterprise(case_id, current_user.enterprise_id)
    if case is None:
        abort(404)
    return case


@bp.route("")
@allow(ENTERPRISE)
def index():
    page = recovery_queries.cases_page(
        select_locale(), enterprise_id=current_user.enterprise_id, limit=50
    )
    return render_template("firm_recovery/index.html", page=page)


def _render_show(case: RecoveryCase, form: StatementForm | None = None, status: int = 200):
    details = recovery_queries.case_details(case, select_locale())
    return render_template(
        "firm_recovery/show.html",
        d=details,
        case=case,
        form=form or StatementForm(formdata=None),
        may_state=case.status.value == "statement_due"
        and recovery_rules.statement_open(case.statement_due_on, bureau_today()),
    ), status


@bp.route("/<int:case_id>")
@allow(ENTERPRISE)
def show(case_id: int):
    return _render_show(_own_case_or_404(case_id))


@bp.route("/<int:case_id>/statement", methods=["POST"])
@allow(ENTERPRISE)
def statement(case_id: int):
    case = _own_case_or_404(case_id)
    form = StatementForm()
    if form.validate_on_submit():
        try:
            files = checked_files(form.files)
            recovery.submit_statement(
                case,
                text=form.statement.data,
                files=files,
                actor=current_user._get_current_object(),
            )
        except UploadRejected as rejected:
            form.files.errors = [*form.files.errors, str(rejected.message)]
        except DomainError as error:
            attach_domain_error(form, error)
        else:
            flash(_("Your statement is sent. The bureau considers it before deciding."), "success")
            return redirect(url_for("firm_recovery.show", case_id=case_id))
    return _render_show(_own_case_or_404(case_id), form, INVALID_FORM_STATUS)


@bp.route("/<int:case_id>/notice.pdf")
@allow(ENTERPRISE)
def notice_pdf(case_id: int):
    case = _own_case_or_404(case_id)
    document = db.session.get(PostAwardDocument, case.document_id) if case.document_id else None
    if document is None:
        abort(404)
    english = request.args.get("lang") == "en"
    name = f"recovery-notice-{document.id}{'-en' if english else ''}.pdf"
    key = document.pdf_en_key if english else document.pdf_key
    return send_stored_file(key, mimetype="application/pdf", download_name=name)


@bp.route("/<int:case_id>/files/<int:file_id>")
@allow(ENTERPRISE)
def download_file(case_id: int, file_id: int):
    _own_case_or_404(case_id)
    item = recovery_queries.file_of_case(case_id, file_id)
    if item is None:
        abort(404)
    return send_case_file(item)
