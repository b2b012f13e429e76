"""The firm's funding agreements: review the agreement, enter the bank account, accept."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from portal.accounts.models import Enterprise
from portal.core.access import ENTERPRISE, allow
from portal.core.domain import DomainError
from portal.core.extensions import db
from portal.core.files import send_stored_file
from portal.core.forms import INVALID_FORM_STATUS, attach_domain_error
from portal.core.i18n import select_locale
from portal.payments import agreements as service
from portal.payments import bank_accounts
from portal.payments.agreement_text import acceptance_day, accepted_by_name, agreement_values
from portal.payments.bank_account_rules import BankAccountInput, grouped_number
from portal.payments.models import Agreement, AgreementStatus, BankAccountStatus
from portal.programs.models import Program
from portal.web.firm.agreement_forms import AcceptForm, BankAccountForm

bp = Blueprint("firm_agreements", __name__, url_prefix="/agreements")


def agreement_or_404(agreement_id: int) -> Agreement:
    agreement = db.session.get(Agreement, agreement_id)
    if agreement is None or agreement.enterprise_id != current_user.enterprise_id:
        abort(404)  # never 403: a firm must not learn that another firm's agreement exists
    return agreement


def _lang() -> str:
    return "en" if select_locale() == "en" else "zh"


@bp.app_template_global("agreement_for_application")
def agreement_for_application(application_id: int) -> Agreement | None:
    """The application's agreement, for the firm's application page (a link to it)."""
    return service.agreement_of_application(application_id)


@bp.app_template_global("agreements_waiting_for_firm")
def agreements_waiting_for_firm() -> list[dict[str, object]]:
    """The signed-in firm's agreements waiting for its acceptance (for its home page)."""
    if not current_user.is_authenticated or current_user.enterprise_id is None:
        return []
    rows = service.awaiting_firm(current_user.enterprise_id)
    programs = _program_names({row.program_id for row in rows})
    return [
        {"id": row.id, "program": programs.get(row.program_id, ""), "amount": row.amount}
        for row in rows
    ]


def _program_names(ids: set[int]) -> dict[int, str]:
    if not ids:
        return {}
    locale = select_locale()
    return {
        program.id: program.name(locale)
        for program in db.session.scalars(select(Program).where(Program.id.in_(ids)))
    }


@bp.route("")
@allow(ENTERPRISE)
def index():
    rows = list(
        db.session.scalars(
            select(Agreement)
            .where(Agreement.enterprise_id == current_user.enterprise_id)
            .order_by(Agreement.id.desc())
            .limit(200)
        )
    )
    return render_template(
        "agreements/firm_index.html",
        rows=rows,
        programs=_program_names({row.program_id for row in rows}),
    )


def _render_show(agreement: Agreement, *, accept_form: AcceptForm | None = None, status=200):
    accept_form = accept_form or AcceptForm(formdata=None)
    accept_form.version.data = str(agreement.lock_version)
    lang = _lang()
    latest = bank_accounts.latest_account(agreement.id)
    confirmed = bank_accounts.confirmed_account(agreement.id)
    document = service.document_of(agreement)
    accepted = agreement.status is AgreementStatus.ACCEPTED
    text = agreement_values(
        agreement,
        lang,
        account=(confirmed or latest) if accepted else latest,
        document=None,
        accepted_on=acceptance_day(agreement) if accepted else None,
        accepted_by=accepted_by_name(agreement) if accepted else "",
    )
    if document is not None:
        text["number"] = document.number
    return render_template(
        "agreements/firm_show.html",
        agreement=agreement,
        text=text,
        latest=latest,
        confirmed=confirmed,
        grouped=grouped_number,
        document=document,
        accept_form=accept_form,
        declaration=service.declaration_text(lang),
        can_accept=agreement.status is AgreementStatus.OFFERED,
        account_usable=latest is not None and latest.status is not BankAccountStatus.REJECTED,
    ), status


@bp.route("/<int:agreement_id>")
@allow(ENTERPRISE)
def show(agreement_id: int):
    return _render_show(agreement_or_404(agreement_id))


@bp.route("/<int:agreement_id>/bank-account", methods=["GET", "POST"])
@allow(ENTERPRISE)
def bank_account(agreement_id: int):
    agreement = agreement_or_404(agreement_id)
    enterprise = db.session.get(Enterprise, agreement.enterprise_id)
    form = BankAccountForm()
    status = 200
    if form.is_submitted():
        if form.validate():
            typed = BankAccountInput(
                account_name=form.account_name.data or "",
                bank_name=form.bank_name.data or "",
                branch_name=form.branch_name.data or "",
                account_number=form.account_number.data or "",
            )
            try:
                bank_accounts.enter_account(
                    agreement, typed, actor=current_user._get_current_object()
                )
            except bank_accounts.BankAccountRefused as refused:
                for name, message in refused.problems.items():
                    getattr(form, name).errors = [*getattr(form, name).errors, message]
            except DomainError as error:
                attach_domain_error(form, error)
            else:
                flash(
                    _("Bank account saved. The bureau confirms it before the award is paid."),
                    "success",
                )
                return redirect(url_for("firm_agreements.show", agreement_id=agreement.id))
        status = INVALID_FORM_STATUS
    elif not form.account_name.data:
        form.account_name.data = enterprise.name if enterprise else ""
    return render_template(
        "agreements/firm_bank_account.html",
        agreement=agreement,
        form=form,
        registered_name=enterprise.name if enterprise else "",
        latest=bank_accounts.latest_account(agreement.id),
        confirmed=bank_accounts.confirmed_account(agreement.id),
        grouped=grouped_number,
    ), status


@bp.route("/<int:agreement_id>/accept", methods=["POST"])
@allow(ENTERPRISE)
def accept(agreement_id: int):
    agreement = agreement_or_404(agreement_id)
    form = AcceptForm()
    if form.validate_on_submit():
        try:
            document = service.accept_agreement(
                agreement,
                actor=current_user._get_current_object(),
                lang=_lang(),
                seen_version=form.seen_version(),
            )
        except DomainError as error:
            attach_domain_error(form, error)
        else:
            flash(
                _(
                    "Agreement %(number)s accepted. Download it below; the award is paid once "
                    "the bureau has confirmed your bank account.",
                    number=document.number,
                ),
                "success",
            )
            return redirect(url_for("firm_agreements.show", agreement_id=agreement.id))
    return _render_show(agreement, accept_form=form, status=INVALID_FORM_STATUS)


@bp.route("/<int:agreement_id>/<any(zh, en):lang>.pdf")
@allow(ENTERPRISE)
def download(agreement_id: int, lang: str):
    agreement = agreement_or_404(agreement_id)
    document = service.document_of(agreement)
    if document is None:
        abort(404)
    key = document.pdf_en_key if lang == "en" else document.pdf_key
    suffix = "-en" if lang == "en" else ""
    return send_stored_file(
        key, mimetype="application/pdf", download_name=f"{document.number}{suffix}.pdf"
    )
