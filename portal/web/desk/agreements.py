"""Officers' agreement pages: agreements awaiting the firm, bank accounts to confirm."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import TextAreaField
from wtforms.validators import DataRequired, Length

from portal.accounts.models import Enterprise, User
from portal.applications.models import Application
from portal.core.access import ADMIN, OFFICER, allow
from portal.core.domain import DomainError
from portal.core.extensions import db
from portal.core.files import send_stored_file
from portal.core.forms import INVALID_FORM_STATUS, attach_domain_error
from portal.core.i18n import select_locale
from portal.core.inputs import query_int
from portal.payments import agreement_queries, bank_accounts
from portal.payments import agreements as service
from portal.payments.bank_account_rules import grouped_number, name_mismatch
from portal.payments.models import Agreement, AgreementStatus, BankAccount, BankAccountStatus
from portal.programs.models import Program
from portal.web.shared.forms import ActionForm

bp = Blueprint("desk_agreements", __name__, url_prefix="/staff/agreements")

TABS = {"offered": AgreementStatus.OFFERED, "accepted": AgreementStatus.ACCEPTED}


class SendBackForm(FlaskForm):
    reason = TextAreaField(
        _l("What is wrong"),
        description=_l("The firm reads it and enters the account again."),
        validators=[
            DataRequired(_l("Say what is wrong: the firm reads it.")),
            Length(max=bank_accounts.REJECTION_REASON_MAX),
        ],
        render_kw={"rows": 3},
    )


def _agreement_or_404(agreement_id: int) -> Agreement:
    agreement = db.session.get(Agreement, agreement_id)
    if agreement is None:
        abort(404)
    return agreement


def _account_or_404(account_id: int) -> BankAccount:
    account = db.session.get(BankAccount, account_id)
    if account is None:
        abort(404)
    return account


@bp.route("")
@allow(OFFICER, ADMIN)
def index():
    tab = request.args.get("status", "offered")
    status = TABS.get(tab, AgreementStatus.OFFERED)
    after = query_int("after", None, minimum=1)
    pending_total = bank_accounts.pending_count()
    return render_template(
        "agreements/desk_index.html",
        tab=status.value,
        page=agreement_queries.agreements_page(status, after),
        pending=agreement_queries.pending_accounts(),
        pending_total=pending_total,
        locale=select_locale(),
        grouped=grouped_number,
    )


def _name(user_id: int | None) -> str:
    user = db.session.get(User, user_id) if user_id is not None else None
    return user.display_name if user is not None else ""


@bp.route("/<int:agreement_id>")
@allow(OFFICER, ADMIN)
def show(agreement_id: int):
    agreement = _agreement_or_404(agreement_id)
    application = db.session.get(Application, agreement.application_id)
    enterprise = db.session.get(Enterprise, agreement.enterprise_id)
    program = db.session.get(Program, agreement.program_id)
    return render_template(
        "agreements/desk_show.html",
        agreement=agreement,
        application=application,
        enterprise=enterprise,
        program=program.name(select_locale()),
        tranches=service.tranches_of(agreement.id),
        accounts=bank_accounts.accounts_of(agreement.id),
        document=service.document_of(agreement),
        accepted_by=_name(agreement.accepted_by_id),
        ready=service.ready_for_payment(agreement),
        grouped=grouped_number,
    )


def _render_account(
    account: BankAccount,
    *,
    confirm_form: ActionForm | None = None,
    send_back_form: SendBackForm | None = None,
    status: int = 200,
):
    agreement = db.session.get(Agreement, account.agreement_id)
    application = db.session.get(Application, agreement.application_id)
    enterprise = db.session.get(Enterprise, account.enterprise_id)
    return render_template(
        "agreements/desk_account.html",
        account=account,
        agreement=agreement,
        application=application,
        enterprise=enterprise,
        mismatch=name_mismatch(account.account_name, enterprise.name),
        others=[a for a in bank_accounts.accounts_of(agreement.id) if a.id != account.id],
        entered_by=_name(account.entered_by_id),
        decided_by=_name(account.decided_by_id),
        pending=account.status is BankAccountStatus.PENDING,
        confirm_form=confirm_form or ActionForm(formdata=None),
        send_back_form=send_back_form or SendBackForm(formdata=None),
        grouped=grouped_number,
    ), status


@bp.route("/accounts/<int:account_id>")
@allow(OFFICER, ADMIN)
def account(account_id: int):
    return _render_account(_account_or_404(account_id))


@bp.route("/accounts/<int:account_id>/confirm", methods=["POST"])
@allow(OFFICER, ADMIN)
def confirm(account_id: int):
    account = _account_or_404(account_id)
    form = ActionForm()
    if form.validate_on_submit():
        try:
            bank_accounts.confirm_account(account, actor=current_user._get_current_object())
        except DomainError as error:
            attach_domain_error(form, error)
        else:
            flash(_("Bank account confirmed."), "success")
            return redirect(url_for("desk_agreements.index"))
    return _render_account(account, confirm_form=form, status=INVALID_FORM_STATUS)


@bp.route("/accounts/<int:account_id>/send-back", methods=["POST"])
@allow(OFFICER, ADMIN)
def send_back(account_id: int):
    account = _account_or_404(account_id)
    form = SendBackForm()
    if form.validate_on_submit():
        try:
            bank_accounts.send_back_account(
                account, form.reason.data, actor=current_user._get_current_object()
            )
        except DomainError as error:
            attach_domain_error(form, error)
        else:
            flash(_("Bank account sent back to the firm with your reason."), "success")
            return redirect(url_for("desk_agreements.index"))
    return _render_account(account, send_back_form=form, status=INVALID_FORM_STATUS)


@bp.route("/<int:agreement_id>/<any(zh, en):lang>.pdf")
@allow(OFFICER, ADMIN)
def download(agreement_id: int, lang: str):
    agreement = _agreement_or_404(agreement_id)
    document = service.document_of(agreement)
    if document is None:
        abort(404)
    key = document.pdf_en_key if lang == "en" else document.pdf_key
    suffix = "-en" if lang == "en" else ""
    return send_stored_file(
        key, mimetype="application/pdf", download_name=f"{document.number}{suffix}.pdf"
    )
