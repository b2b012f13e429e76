"""Officers' acceptance (验收) pages: the awards requiring acceptance by state, forming a panel
(the experts offered with their expertise and load, the conflicted ones never), a round's page
(the experts' conclusions, the officer's conclusion, the notice) and the notice's download."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from portal.accounts.models import Enterprise
from portal.applications.models import Application
from portal.core.access import ADMIN, OFFICER, allow
from portal.core.concurrency import ConcurrentChange
from portal.core.domain import DomainError
from portal.core.extensions import db
from portal.core.files import send_stored_file
from portal.core.forms import INVALID_FORM_STATUS, attach_domain_error
from portal.core.i18n import select_locale
from portal.core.inputs import query_int
from portal.core.timeutil import bureau_today
from portal.payments import acceptance, acceptance_notice, acceptance_queries, acceptance_rules
from portal.payments.acceptance_models import AcceptanceOutcome, AcceptanceReview
from portal.payments.acceptance_queries import ListState
from portal.payments.models import Agreement, PostAwardDocument
from portal.web.desk.acceptance_forms import ConcludeForm, IssueForm, PanelForm

bp = Blueprint("desk_acceptance", __name__, url_prefix="/staff/acceptance")

CONFLICT_STATUS = 409

STATE_LABELS = {
    ListState.WAITING: _l("Waiting for a panel"),
    ListState.OPEN: _l("Panel at work"),
    ListState.DONE: _l("Concluded"),
}


def _actor():
    return current_user._get_current_object()


def _agreement_or_404(application_id: int) -> Agreement:
    agreement = db.session.scalar(
        db.select(Agreement).where(Agreement.application_id == application_id)
    )
    if agreement is None:
        abort(404)
    return agreement


def _review_or_404(review_id: int) -> AcceptanceReview:
    review = db.session.get(AcceptanceReview, review_id)
    if review is None:
        abort(404)
    return review


@bp.route("")
@allow(OFFICER, ADMIN)
def index():
    try:
        state = ListState(request.args.get("state", ListState.WAITING.value))
    except ValueError:
        state = ListState.WAITING
    page = acceptance_queries.awards(state, after=query_int("after", None, minimum=1))
    return render_template(
        "acceptance/index.html",
        state=state,
        states=STATE_LABELS,
        page=page,
        first_page=request.args.get("after") is None,
        locale=select_locale(),
    )


# --- forming a panel ------------------------------------------------------------------------


def _render_panel(agreement: Agreement, form: PanelForm, status: int = 200):
    application = db.session.get(Application, agreement.application_id)
    enterprise = db.session.get(Enterprise, agreement.enterprise_id)
    offered, excluded = acceptance.candidates(enterprise)
    form.expert_ids.choices = [(c.id, c.name) for c in offered]
    latest = acceptance.latest_round(agreement.application_id)
    return render_template(
        "acceptance/panel.html",
        agreement=agreement,
        application=application,
        enterprise=enterprise,
        program=application.program.name(select_locale()),
        offered=offered,
        excluded=excluded,
        latest=latest,
        refusal=acceptance.why_no_panel(agreement, latest),
        form=form,
        min_panel=acceptance_rules.MIN_PANEL,
        max_panel=acceptance_rules.MAX_PANEL,
    ), status


@bp.route("/awards/<int:application_id>/panel", methods=["GET", "POST"])
@allow(OFFICER, ADMIN)
def form_panel(application_id: int):
    agreement = _agreement_or_404(application_id)
    if request.method == "GET":
        return _render_panel(agreement, PanelForm(formdata=None))
    form = PanelForm()
    enterprise = db.session.get(Enterprise, agreement.enterprise_id)
    offered, _excluded = acceptance.candidates(enterprise)
    form.expert_ids.choices = [(c.id, c.name) for c in offered]
    by_load = request.form.get("how") == "load"
    if form.validate_for(by_load=by_load):
        try:
            if by_load:
                review = acceptance.form_panel_by_load(
                    agreement, form.panel_size.data, actor=_actor()
                )
            else:
                review = acceptance.form_panel(agreement, form.expert_ids.data, actor=_actor())
        except DomainError as error:
            attach_domain_error(form, error)
        else:
            flash(
                _("Panel formed for round %(round)d: the experts are told.", round=review.round),
                "success",
            )
            return redirect(url_for("desk_acceptance.show", review_id=review.id))
    return _render_panel(agreement, form, INVALID_FORM_STATUS)


# --- a round --------------------------------------------------------------------------------


def _render_show(
    review: AcceptanceReview,
    conclude_form: ConcludeForm | None = None,
    status: int = 200,
):
    application = db.session.get(Application, review.application_id)
    enterprise = db.session.get(Enterprise, review.enterprise_id)
    panel = acceptance_queries.panel_rows(review.id)
    given = [row.AcceptanceAssignment for row in panel if row.AcceptanceAssignment.submitted_at]
    if conclude_form is None:
        conclude_form = ConcludeForm(formdata=None)
        suggestion = acceptance_rules.panel_view(a.conclusion for a in given if a.conclusion)
        if suggestion is not None:
            conclude_form.outcome.data = suggestion.value
    conclude_form.lock_version.data = str(review.lock_version)
    document = db.session.get(PostAwardDocument, review.document_id) if review.document_id else None
    earliest, latest = acceptance_rules.fix_deadline_bounds(bureau_today())
    return render_template(
        "acceptance/show.html",
        review=review,
        application=application,
        enterprise=enterprise,
        program=application.program.name(select_locale()),
        rounds=acceptance.rounds_of(review.application_id),
        panel=panel,
        given_count=len(given),
        suggestion=acceptance_rules.panel_view(a.conclusion for a in given if a.conclusion),
        mean=acceptance_rules.mean_score(a.score for a in given),
        conclude_form=conclude_form,
        issue_form=IssueForm(formdata=None),
        document=document,
        fix_earliest=earliest,
        fix_latest=latest,
        can_form_next=acceptance.why_no_panel(
            db.session.get(Agreement, review.agreement_id),
            acceptance.latest_round(review.application_id),
        )
        is None,
    ), status


@bp.route("/<int:review_id>")
@allow(OFFICER, ADMIN)
def show(review_id: int):
    return _render_show(_review_or_404(review_id))


@bp.route("/<int:review_id>/conclude", methods=["POST"])
@allow(OFFICER, ADMIN)
def conclude(review_id: int):
    review = _review_or_404(review_id)
    form = ConcludeForm()
    status = INVALID_FORM_STATUS
    if form.validate_on_submit():
        try:
            acceptance.conclude(
                review,
                outcome=AcceptanceOutcome(form.outcome.data),
                conclusion=form.conclusion.data or "",
                fix_deadline=form.fix_deadline.data,
                proceed_reason=form.proceed_reason.data or "",
                actor=_actor(),
                seen_version=form.seen_version(),
            )
        except DomainError as error:
            attach_domain_error(form, error)
            if isinstance(error, ConcurrentChange):
                status = CONFLICT_STATUS
        else:
            flash(_("Round concluded. Issue its notice to tell the firm."), "success")
            return redirect(url_for("desk_acceptance.show", review_id=review.id))
    return _render_show(review, conclude_form=form, status=status)


@bp.route("/<int:review_id>/notice", methods=["POST"])
@allow(OFFICER, ADMIN)
def issue_notice(review_id: int):
    review = _review_or_404(review_id)
    form = IssueForm()
    if not form.validate_on_submit():
        abort(400)
    try:
        document = acceptance_notice.issue_notice(review, actor=_actor())
    except DomainError as error:
        flash(str(error.message), "error")
        return _render_show(review, status=CONFLICT_STATUS)
    flash(_("Notice %(number)s issued; the firm is told.", number=document.number), "success")
    return redirect(url_for("desk_acceptance.show", review_id=review.id))


@bp.route("/<int:review_id>/notice/<any(zh, en):lang>.pdf")
@allow(OFFICER, ADMIN)
def notice_pdf(review_id: int, lang: str):
    review = _review_or_404(review_id)
    document = db.session.get(PostAwardDocument, review.document_id) if review.document_id else None
    if document is None:
        abort(404)
    return send_notice(document, lang)


def send_notice(document: PostAwardDocument, lang: str):
    key = document.pdf_en_key if lang == "en" else document.pdf_key
    suffix = "-en" if lang == "en" else ""
    return send_stored_file(
        key, mimetype="application/pdf", download_name=f"{document.number}{suffix}.pdf"
    )
