"""The approver's pages (分管领导): proposals awaiting sign-off, each with what signing it off
does, and the two answers: sign off (the step happens now) or send back with a reason."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import HiddenField, TextAreaField
from wtforms.validators import DataRequired, Length

from portal.accounts.models import User
from portal.core.access import APPROVER, allow
from portal.core.concurrency import ConcurrentChange
from portal.core.domain import DomainError
from portal.core.extensions import db
from portal.core.forms import INVALID_FORM_STATUS, attach_domain_error
from portal.core.i18n import select_locale
from portal.core.money import format_money
from portal.programs.models import Program
from portal.review import sign_off
from portal.review.sign_off import Kind, Proposal, ProposalStatus

bp = Blueprint("sign_off", __name__, url_prefix="/staff/sign-off")

CONFLICT_STATUS = 409


class ApproveForm(FlaskForm):
    # The proposal as the approver saw it: a replaced proposal is not signed off unseen.
    fingerprint = HiddenField()


class SendBackForm(FlaskForm):
    reason = TextAreaField(
        _l("Why you send it back"),
        description=_l("The officer reads it. Nothing of the proposal happens."),
        validators=[
            DataRequired(_l("Say why you send it back: the officer reads it.")),
            Length(max=sign_off.SEND_BACK_REASON_MAX),
        ],
        render_kw={"rows": 3},
    )


def _proposal_or_404(proposal_id: int) -> Proposal:
    proposal = db.session.get(Proposal, proposal_id)
    if proposal is None:
        abort(404)
    return proposal


def _name(user_id: int | None) -> str:
    user = db.session.get(User, user_id) if user_id is not None else None
    return user.display_name if user is not None else ""


@bp.route("")
@allow(APPROVER)
def index():
    locale = select_locale()
    return render_template(
        "sign_off/index.html",
        waiting=sign_off.proposal_rows(pending=True, locale=locale),
        done=sign_off.proposal_rows(pending=False, locale=locale, limit=20),
    )


def _render_show(
    proposal: Proposal,
    *,
    approve_form: ApproveForm | None = None,
    send_back_form: SendBackForm | None = None,
    status: int = 200,
):
    approve_form = approve_form or ApproveForm(formdata=None)
    approve_form.fingerprint.data = proposal.fingerprint
    program = db.session.get(Program, proposal.program_id)
    pending = proposal.status is ProposalStatus.PENDING
    return render_template(
        "sign_off/show.html",
        proposal=proposal,
        program=program.name(select_locale()) if program else "",
        proposed_by=_name(proposal.proposed_by_id),
        decided_by=_name(proposal.decided_by_id),
        own=proposal.proposed_by_id == current_user.id,
        stale=pending and sign_off.is_stale(proposal),
        approve_form=approve_form,
        send_back_form=send_back_form or SendBackForm(formdata=None),
    ), status


@bp.route("/<int:proposal_id>")
@allow(APPROVER)
def show(proposal_id: int):
    return _render_show(_proposal_or_404(proposal_id))


@bp.route("/<int:proposal_id>/approve", methods=["POST"])
@allow(APPROVER)
def approve(proposal_id: int):
    proposal = _proposal_or_404(proposal_id)
    form = ApproveForm()
    status = INVALID_FORM_STATUS
    if form.validate_on_submit():
        try:
            sign_off.approve(
                proposal,
                approver=current_user._get_current_object(),
                seen_fingerprint=form.fingerprint.data or "",
            )
        except DomainError as error:
            attach_domain_error(form, error)
            status = CONFLICT_STATUS if isinstance(error, ConcurrentChange) else status
        else:
            flash(_done_message(proposal), "success")
            return redirect(url_for("sign_off.index"))
    return _render_show(proposal, approve_form=form, status=status)


def _done_message(proposal: Proposal) -> str:
    payload: dict[str, Any] = proposal.payload
    if proposal.kind is Kind.RELEASE:
        return ngettext(
            "Signed off: %(num)d decision released (%(total)s yuan approved).",
            "Signed off: %(num)d decisions released (%(total)s yuan approved).",
            payload["approved"] + payload["rejected"],
            total=format_money(payload["total"]),
        )
    if proposal.kind is Kind.REISSUE:
        return _(
            "Signed off: letter %(number)s is reissued with %(amount)s yuan.",
            number=payload["letter_number"],
            amount=format_money(payload["amount"]),
        )
    return _(
        "Signed off: the objection is upheld and the award to %(firm)s withdrawn.",
        firm=payload["firm"],
    )


@bp.route("/<int:proposal_id>/send-back", methods=["POST"])
@allow(APPROVER)
def send_back(proposal_id: int):
    proposal = _proposal_or_404(proposal_id)
    form = SendBackForm()
    if form.validate_on_submit():
        try:
            sign_off.send_back(
                proposal, approver=current_user._get_current_object(), reason=form.reason.data
            )
        except DomainError as error:
            attach_domain_error(form, error)
        else:
            flash(_("Sent back to the officer with your reason."), "success")
            return redirect(url_for("sign_off.index"))
    return _render_show(proposal, send_back_form=form, status=INVALID_FORM_STATUS)
