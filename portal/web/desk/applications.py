"""Officers' desk: the application queue, one application with its history, the formal check
(pass it on, return it for changes, reject it as ineligible)."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length

from portal.applications import sections as sec
from portal.applications import services
from portal.applications.award_terms import AwardTerm, award_term
from portal.applications.models import Application, Status
from portal.core.access import ADMIN, OFFICER, allow
from portal.core.concurrency import ConcurrentChange
from portal.core.domain import DomainError
from portal.core.forms import INVALID_FORM_STATUS, attach_domain_error
from portal.core.i18n import select_locale
from portal.core.pagination import page_arg, paginate
from portal.review import formal_check
from portal.review.access import application_or_404
from portal.review.decision_rules import reason_label
from portal.web.desk import queue as staff_queue
from portal.web.desk import timeline
from portal.web.desk.formal_check_forms import ReturnForm
from portal.web.shared import application_presenters as presenters
from portal.web.shared.forms import ActionForm
from portal.web.shared.letter_presenters import application_letters
from portal.web.shared.program_presenters import verdict_view

bp = Blueprint("staff_applications", __name__, url_prefix="/staff/applications")

CONFLICT_STATUS = 409
REVIEWS_ENDPOINT = "review_admin.application_reviews"
# Once sent to expert review, the reviewers page is where the officer works on it.
REVIEW_STAGES = frozenset(
    {
        Status.EXPERT_REVIEW,
        Status.MODERATION,
        Status.DECIDED,
        Status.PUBLICITY,
        Status.ON_HOLD,
        Status.AWARDED,
    }
)


class RejectForm(FlaskForm):
    reason = TextAreaField(
        _l("Reason for the rejection"),
        description=_l("The enterprise reads this reason with the decision, at once."),
        validators=[
            DataRequired(_l("Say why the application is ineligible; the enterprise will read it.")),
            Length(max=formal_check.REASON_MAX_LENGTH),
        ],
        render_kw={"rows": 4},
    )


def _return_form() -> ReturnForm:
    form = ReturnForm()
    form.sections.choices = [
        SelectChoice(name, str(sec.SECTION_LABELS[name])) for name in sec.SECTIONS
    ]
    return form


def _actor():
    return current_user._get_current_object()


def _seen_version() -> int | None:
    """The lock_version of the application as the officer's page showed it."""
    return request.form.get("lock_version", type=int)


# --- the queue ------------------------------------------------------------------------------


@bp.route("")
@allow(OFFICER, ADMIN)
def index():
    filters = staff_queue.QueueFilters.from_args(request.args)
    page = paginate(
        staff_queue.queue_query(filters),
        page=page_arg(),
        total=staff_queue.queue_total(filters),
    )
    locale = select_locale()
    return render_template(
        "staff_applications/index.html",
        rows=staff_queue.queue_rows(page.rows, locale),
        page=page,
        filters=filters,
        link_args=filters.link_args(),
        programs=staff_queue.program_choices(locale),
        statuses=staff_queue.status_choices(),
        sorts=[(key, str(label)) for key, label in staff_queue.SORT_LABELS.items()],
    )


# --- one application ------------------------------------------------------------------------


@bp.route("/<int:application_id>")
@allow(OFFICER, ADMIN)
def show(application_id: int):
    return _render_application(application_or_404(application_id))


def _reviews_url(application: Application) -> str | None:
    """The reviewers page, when it exists (another part of the desk) and is relevant."""
    if REVIEWS_ENDPOINT not in current_app.view_functions:
        return None
    if application.program.reviewers_per_application <= 0 and application.review_count == 0:
        return None
    if application.status not in REVIEW_STAGES:
        return None
    return url_for(REVIEWS_ENDPOINT, application_id=application.id)


def _render_application(
    application: Application,
    *,
    return_form: ReturnForm | None = None,
    reject_form: RejectForm | None = None,
    problem: str | None = None,
    status: int = 200,
):
    locale = select_locale()
    verdict = services.application_verdict(application)
    checkable = formal_check.in_formal_check(application)
    program = application.program
    return render_template(
        "staff_applications/application.html",
        app=presenters.full_view(application, locale),
        submissions=[
            {"number": s.number, "at": s.submitted_at, "content": s.content}
            for s in services.submissions_of(application.id)
        ],
        verdict=verdict_view(verdict),
        check={
            "open": checkable,
            "can_start": application.status is Status.SUBMITTED,
            "eligible": verdict.eligible,
            "to_expert_review": formal_check.next_step(application)
            == formal_check.TO_EXPERT_REVIEW,
            "reviewers": program.reviewers_per_application,
            "lock_version": application.lock_version,
        },
        review=_review_summary(application),
        decision=_decision(application),
        timeline=timeline.timeline(application, locale),
        form=return_form or _return_form(),
        reject_form=reject_form or RejectForm(formdata=None),
        problem=problem,
        letters=application_letters(application, locale),
        issue_form=ActionForm(formdata=None),
    ), status


def _review_summary(application: Application) -> dict[str, Any] | None:
    url = _reviews_url(application)
    if url is None:
        return None
    return {
        "url": url,
        "count": application.review_count,
        "needed": application.program.reviewers_per_application,
        "mean": application.review_mean,
        "spread": application.review_spread,
        "flagged": application.review_flagged,
        "final": application.final_score,
    }


def _decision(application: Application) -> dict[str, Any] | None:
    if application.decision is None:
        return None
    term = award_term(application.status, application.decision)
    return {
        "approved": application.decision == "approve",
        # Where the approval stands, in the words every page uses (proposed, in publicity, final).
        "term": term.label if term else None,
        "proposed": AwardTerm.PROPOSED.label,
        "amount": application.decided_amount,
        "grounds": reason_label(application.decision_reason_code)
        if application.decision_reason_code
        else "",
        "reason": application.decision_reason,
        "decided_at": application.decided_at,
        "released_at": application.released_at,
    }


def _refused(application: Application, error: DomainError, **forms) -> tuple:
    """Show a refusal. The refused service has undone its own changes (its savepoint), so the
    page shows what is."""
    concurrent = isinstance(error, ConcurrentChange)
    form = next(iter(forms.values()), None)
    if form is not None and error.field and not concurrent:
        attach_domain_error(form, error)
        return _render_application(application, **forms, status=INVALID_FORM_STATUS)
    return _render_application(
        application,
        **forms,
        problem=str(error.message),
        status=CONFLICT_STATUS if concurrent else INVALID_FORM_STATUS,
    )


def _back(application_id: int):
    return redirect(url_for("staff_applications.show", application_id=application_id))


# --- the formal check -----------------------------------------------------------------------


@bp.route("/<int:application_id>/start-check", methods=["POST"])
@allow(OFFICER, ADMIN)
def start_check(application_id: int):
    application = application_or_404(application_id)
    try:
        formal_check.start_formal_check(
            application, actor=_actor(), seen_lock_version=_seen_version()
        )
    except DomainError as error:
        return _refused(application, error)
    flash(_("You have started the formal check of this application."), "success")
    return _back(application.id)


@bp.route("/<int:application_id>/pass-check", methods=["POST"])
@allow(OFFICER, ADMIN)
def pass_check(application_id: int):
    application = application_or_404(application_id)
    try:
        action = formal_check.pass_formal_check(
            application, actor=_actor(), seen_lock_version=_seen_version()
        )
    except DomainError as error:
        return _refused(application, error)
    if action == formal_check.TO_EXPERT_REVIEW:
        flash(
            _(
                "The application passed the formal check and goes to expert review: "
                "assign %(count)d reviewers.",
                count=application.program.reviewers_per_application,
            ),
            "success",
        )
    else:
        flash(
            _(
                "The application passed the formal check and awaits the decision "
                "(this programme has no expert review)."
            ),
            "success",
        )
    return _back(application.id)


@bp.route("/<int:application_id>/return", methods=["POST"])
@allow(OFFICER, ADMIN)
def return_for_changes(application_id: int):
    application = application_or_404(application_id)
    form = _return_form()
    if form.validate_on_submit():
        try:
            formal_check.return_for_changes(
                application,
                form.sections.data,
                form.reason.data,
                actor=_actor(),
                seen_lock_version=_seen_version(),
            )
        except DomainError as error:
            return _refused(application, error, return_form=form)
        flash(_("The application has been returned to the enterprise for changes."), "success")
        return _back(application.id)
    return _render_application(application, return_form=form, status=INVALID_FORM_STATUS)


@bp.route("/<int:application_id>/reject", methods=["POST"])
@allow(OFFICER, ADMIN)
def reject(application_id: int):
    application = application_or_404(application_id)
    form = RejectForm()
    if form.validate_on_submit():
        try:
            formal_check.reject_ineligible(
                application, form.reason.data, actor=_actor(), seen_lock_version=_seen_version()
            )
        except DomainError as error:
            return _refused(application, error, reject_form=form)
        flash(
            _(
                "The application has been rejected as ineligible; the enterprise can see the "
                "decision and its reason now."
            ),
            "success",
        )
        return _back(application.id)
    return _render_application(application, reject_form=form, status=INVALID_FORM_STATUS)
