"""Recovery cases (追回): opened with evidence, decided by the approver, notice, repayments."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from portal.applications.models import Application, Status
from portal.core.access import APPROVER, OFFICER, allow
from portal.core.concurrency import ConcurrentChange
from portal.core.domain import DomainError
from portal.core.extensions import db
from portal.core.files import send_stored_file
from portal.core.forms import INVALID_FORM_STATUS, attach_domain_error
from portal.core.i18n import select_locale
from portal.core.inputs import query_int
from portal.core.money import format_money
from portal.core.uploads import UploadRejected
from portal.payments import credit_record, recovery, recovery_notice, recovery_queries
from portal.payments.models import PostAwardDocument
from portal.payments.recovery_models import RecoveryCase, RecoveryDecision, RecoveryStatus
from portal.payments.tranches import paid_total
from portal.web.desk.recovery_forms import DecideForm, OpenCaseForm, RepairForm, RepaymentForm
from portal.web.shared.recovery_files import checked_files, send_case_file

bp = Blueprint("recovery", __name__, url_prefix="/staff/recovery")

CONFLICT_STATUS = 409
STAFF = (OFFICER, APPROVER)


def _actor() -> Any:
    return current_user._get_current_object()


def _case_or_404(case_id: int) -> RecoveryCase:
    case = db.session.get(RecoveryCase, case_id)
    if case is None:
        abort(404)
    return case


@bp.route("")
@allow(*STAFF)
def index():
    status_value = request.args.get("status") or ""
    status = next((s for s in RecoveryStatus if s.value == status_value), None)
    page = recovery_queries.cases_page(select_locale(), after=query_int("after"), status=status)
    return render_template(
        "recovery/index.html", page=page, statuses=list(RecoveryStatus), status=status
    )


# --- opening --------------------------------------------------------------------------------


def _award_or_404(application_id: int) -> Application:
    application = db.session.get(Application, application_id)
    if application is None or application.status is not Status.AWARDED:
        abort(404)
    return application


def _render_open(application: Application, form: OpenCaseForm, status: int = 200):
    return render_template(
        "recovery/open.html",
        application=application,
        firm=application.enterprise,
        program=application.program.name(select_locale()),
        paid=paid_total(application.id),
        under_way=recovery_queries.unfinished_case(application.id),
        form=form,
    ), status


@bp.route("/open/<int:application_id>", methods=["GET", "POST"])
@allow(*STAFF)
def open_case(application_id: int):
    application = _award_or_404(application_id)
    form = OpenCaseForm()
    if not form.validate_on_submit():
        return _render_open(application, form, INVALID_FORM_STATUS if form.is_submitted() else 200)
    try:
        evidence = checked_files(form.files)
        case = recovery.open_case(
            application,
            grounds=recovery.RecoveryGrounds(form.grounds.data),
            description=form.description.data,
            evidence=evidence,
            actor=_actor(),
        )
    except UploadRejected as rejected:
        form.files.errors = [*form.files.errors, str(rejected.message)]
    except DomainError as error:
        attach_domain_error(form, error)
    else:
        flash(
            _(
                "Case opened. The enterprise is told and may state its case until %(day)s.",
                day=case.statement_due_on.isoformat(),
            ),
            "success",
        )
        return redirect(url_for("recovery.show", case_id=case.id))
    return _render_open(_award_or_404(application_id), form, INVALID_FORM_STATUS)


# --- the case -------------------------------------------------------------------------------


def _render_show(case: RecoveryCase, *, status: int = 200, **forms: Any):
    details = recovery_queries.case_details(case, select_locale())
    decide_form = forms.get("decide_form") or DecideForm(formdata=None)
    decide_form.lock_version.data = str(case.lock_version)
    limit = recovery_queries.recoverable_of(case)
    years, ban_from, ban_until = recovery_queries.ban_preview(case)
    user = _actor()
    return render_template(
        "recovery/show.html",
        d=details,
        case=case,
        limit=limit,
        ban_years=years,
        ban_until=ban_until,
        decision_refusal=recovery.decision_refusal(case, user, ban_from),
        is_approver=user.role.value == APPROVER,
        is_officer=user.role.value == OFFICER,
        decide_form=decide_form,
        repayment_form=forms.get("repayment_form") or RepaymentForm(formdata=None),
        repair_form=forms.get("repair_form") or RepairForm(formdata=None),
        notice_errors=forms.get("notice_errors") or [],
        repair_refusal=(
            credit_record.repair_refusal(details["record"], user, ban_from)
            if details["record"] is not None
            else None
        ),
    ), status


@bp.route("/<int:case_id>")
@allow(*STAFF)
def show(case_id: int):
    return _render_show(_case_or_404(case_id))


@bp.route("/<int:case_id>/decide", methods=["POST"])
@allow(APPROVER)
def decide(case_id: int):
    case = _case_or_404(case_id)
    form = DecideForm()
    if not form.validate_on_submit():
        return _render_show(case, decide_form=form, status=INVALID_FORM_STATUS)
    decision = RecoveryDecision(form.decision.data)
    amount = form.amount.data if decision is RecoveryDecision.RECOVER else None
    try:
        if form.confirmed.data != "yes":
            recovery.check_decision(
                case, decision=decision, amount=amount, reason=form.reason.data, approver=_actor()
            )
            years, ban_from, ban_until = recovery_queries.ban_preview(case)
            return render_template(
                "recovery/confirm.html",
                case=case,
                form=form,
                decision=decision,
                amount=amount,
                firm=recovery_queries.enterprise_of(case).name,
                ban_years=years,
                ban_from=ban_from,
                ban_until=ban_until,
            )
        recovery.decide(
            case,
            decision=decision,
            amount=amount,
            reason=form.reason.data,
            approver=_actor(),
            seen_version=query_int_or_none(form.lock_version.data),
        )
    except DomainError as error:
        attach_domain_error(form, error)
        status = CONFLICT_STATUS if isinstance(error, ConcurrentChange) else INVALID_FORM_STATUS
        return _render_show(_case_or_404(case_id), decide_form=form, status=status)
    if decision is RecoveryDecision.RECOVER:
        flash(
            _(
                "Decided: %(amount)s yuan to recover; the ban is in the credit record. Issue the "
                "notice next.",
                amount=format_money(amount),
            ),
            "success",
        )
    else:
        flash(_("Decided: no recovery. The enterprise is told."), "success")
    return redirect(url_for("recovery.show", case_id=case_id))


def query_int_or_none(value: str | None) -> int | None:
    try:
        return int(value) if value else None
    except ValueError:
        return None


@bp.route("/<int:case_id>/notice", methods=["POST"])
@allow(*STAFF)
def issue_notice(case_id: int):
    case = _case_or_404(case_id)
    try:
        document = recovery_notice.issue_notice(case, actor=_actor())
    except DomainError as error:
        return _render_show(
            _case_or_404(case_id), notice_errors=[str(error.message)], status=INVALID_FORM_STATUS
        )
    flash(_("Recovery notice %(number)s issued.", number=document.number), "success")
    return redirect(url_for("recovery.show", case_id=case_id))


@bp.route("/<int:case_id>/notice.pdf")
@allow(*STAFF)
def notice_pdf(case_id: int):
    case = _case_or_404(case_id)
    document = db.session.get(PostAwardDocument, case.document_id) if case.document_id else None
    if document is None:
        abort(404)
    return send_notice(document)


def send_notice(document: PostAwardDocument):
    english = request.args.get("lang") == "en"
    name = f"recovery-notice-{document.id}{'-en' if english else ''}.pdf"
    key = document.pdf_en_key if english else document.pdf_key
    return send_stored_file(key, mimetype="application/pdf", download_name=name)


@bp.route("/<int:case_id>/repayments", methods=["POST"])
@allow(OFFICER)
def record_repayment(case_id: int):
    case = _case_or_404(case_id)
    form = RepaymentForm()
    if form.validate_on_submit():
        try:
            recovery.record_repayment(
                case,
                amount=form.amount.data,
                paid_on=form.paid_on.data,
                reference=form.reference.data,
                actor=_actor(),
            )
        except DomainError as error:
            attach_domain_error(form, error)
        else:
            flash(_("Repayment recorded."), "success")
            return redirect(url_for("recovery.show", case_id=case_id))
    return _render_show(_case_or_404(case_id), repayment_form=form, status=INVALID_FORM_STATUS)


@bp.route("/<int:case_id>/repair", methods=["POST"])
@allow(APPROVER)
def repair(case_id: int):
    case = _case_or_404(case_id)
    record = credit_record.record_of_case(case.id)
    if record is None:
        abort(404)
    form = RepairForm()
    if form.validate_on_submit():
        try:
            credit_record.repair(record, reason=form.reason.data, approver=_actor())
        except DomainError as error:
            attach_domain_error(form, error)
        else:
            flash(_("Credit repaired: the ban has ended."), "success")
            return redirect(url_for("recovery.show", case_id=case_id))
    return _render_show(_case_or_404(case_id), repair_form=form, status=INVALID_FORM_STATUS)


@bp.route("/<int:case_id>/files/<int:file_id>")
@allow(*STAFF)
def download_file(case_id: int, file_id: int):
    _case_or_404(case_id)
    item = recovery_queries.file_of_case(case_id, file_id)
    if item is None:
        abort(404)
    return send_case_file(item)
