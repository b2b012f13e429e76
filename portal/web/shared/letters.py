"""Letters of one application: downloads (the firm its own, officers any), issuing a due
letter by hand, and reissuing with a reason."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from portal.core.access import ADMIN, ENTERPRISE, OFFICER, allow
from portal.core.domain import DomainError
from portal.core.files import send_stored_file
from portal.core.forms import INVALID_FORM_STATUS, attach_domain_error
from portal.core.i18n import select_locale
from portal.core.money import format_money
from portal.letters import issuing
from portal.letters.access import letter_or_404
from portal.letters.models import LetterKind
from portal.review import sign_off
from portal.review.access import application_or_404
from portal.web.shared import letter_presenters as presenters
from portal.web.shared.forms import ActionForm
from portal.web.shared.letter_forms import ReissueForm

bp = Blueprint("letters", __name__)


@bp.route("/letters/<int:letter_id>/<any(zh, en):lang>.pdf")
@allow(ENTERPRISE, OFFICER, ADMIN)
def download(letter_id: int, lang: str):
    letter = letter_or_404(letter_id)
    key = letter.pdf_en_key if lang == "en" else letter.pdf_key
    suffix = "-en" if lang == "en" else ""
    return send_stored_file(
        key, mimetype="application/pdf", download_name=f"{letter.number}{suffix}.pdf"
    )


def _back(application_id: int):
    return redirect(url_for("staff_applications.show", application_id=application_id) + "#letters")


@bp.route("/staff/letters/applications/<int:application_id>/issue", methods=["POST"])
@allow(OFFICER, ADMIN)
def issue_now(application_id: int):
    """Issue a due letter at once (when its background job has not run or failed)."""
    application = application_or_404(application_id)
    form = ActionForm()
    if not form.validate_on_submit():
        abort(400)
    if issuing.kind_due(application) is None:
        flash(_("This application has no final decision: no letter is due."), "error")
        return _back(application_id)
    issued = issuing.issue_due_letters([application.id], actor=current_user)
    if issued:
        flash(_("Letter %(number)s issued.", number=issued[0].number), "success")
    else:
        flash(_("The letter had already been issued."), "info")
    return _back(application_id)


@bp.route("/staff/letters/<int:letter_id>/reissue", methods=["GET", "POST"])
@allow(OFFICER, ADMIN)
def reissue(letter_id: int):
    """Reissue at once (a corrected reason, the same amount), or, when the amount changes,
    confirm what changes and propose it for an approver's sign-off."""
    letter = letter_or_404(letter_id)
    form = ReissueForm()
    if not form.is_submitted():
        form.amount.data = letter.amount
        form.rejection_reason.data = letter.reason
    approval = letter.kind is LetterKind.APPROVAL
    confirming = False
    if form.validate_on_submit():
        amount = form.amount.data if approval else None
        try:
            if issuing.changes_amount(letter, amount):
                if request.form.get("confirmed") == "1":
                    issuing.propose_reissue(
                        letter, reason=form.reason.data, amount=amount, actor=current_user
                    )
                    flash(
                        _(
                            "Reissue with %(amount)s yuan proposed. It takes effect when an "
                            "approver signs it off.",
                            amount=format_money(amount),
                        ),
                        "success",
                    )
                    return _back(letter.application_id)
                issuing.check_reissue_amount(letter, reason=form.reason.data, amount=amount)
                confirming = True
            else:
                new = issuing.reissue_letter(
                    letter,
                    reason=form.reason.data,
                    actor=current_user,
                    amount=amount,
                    rejection_reason=None if approval else form.rejection_reason.data,
                )
                flash(
                    _(
                        "Letter %(new)s issued; %(old)s is superseded.",
                        new=new.number,
                        old=letter.number,
                    ),
                    "success",
                )
                return _back(letter.application_id)
        except DomainError as error:
            attach_domain_error(form, error)
    status = INVALID_FORM_STATUS if form.is_submitted() and not confirming else 200
    pending = sign_off.pending_for(sign_off.Kind.REISSUE, [letter.id]).get(letter.id)
    return render_template(
        "letters/reissue.html",
        letter=presenters.letter_row(letter, select_locale()),
        form=form,
        approval=approval,
        confirming=confirming,
        pending=pending,
    ), status
