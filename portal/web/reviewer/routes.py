"""The expert reviewer's pages: the queue, scoring one application, declining it."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from portal.core.access import REVIEWER, allow
from portal.core.domain import DomainError
from portal.core.forms import INVALID_FORM_STATUS, attach_domain_error
from portal.core.i18n import select_locale
from portal.core.pagination import page_arg
from portal.review import reviewer_queue, scoring
from portal.review.models import Assignment, AssignmentStatus, DeclineReason
from portal.review.score_sheet import (
    criteria_of,
    format_score,
    rubric_view,
    running_total,
    stored_scores,
)
from portal.web.reviewer import pages
from portal.web.reviewer.forms import (
    ACTIONS,
    DeclineForm,
    ScoreFormBase,
    score_form,
)
from portal.web.shared import application_presenters as presenters

bp = Blueprint("reviewer", __name__, url_prefix="/review")

CONFLICT_STATUS = 409  # the review is locked (submitted, declined, or the round is closed)


def _actor():
    return current_user._get_current_object()


def _assignment_or_404(assignment_id: int) -> Assignment:
    assignment = reviewer_queue.own_assignment(assignment_id, current_user.id)
    if assignment is None:
        abort(404)  # someone else's assignment looks exactly like a missing one
    return assignment


@bp.route("")
@allow(REVIEWER)
def queue():
    return render_template(
        "reviewer/queue.html",
        **reviewer_queue.reviewer_queue(current_user.id, select_locale(), page=page_arg()),
    )


def _render(
    assignment: Assignment,
    form: ScoreFormBase | None = None,
    decline_form: DeclineForm | None = None,
    status: int = 200,
):
    locale = select_locale()
    application = assignment.application
    review = pages.review_view(assignment, locale)
    if form is None:
        form = score_form(review["criteria"], stored_scores(assignment))
    return render_template(
        "reviewer/score.html",
        app=presenters.full_view(application, locale),
        review=review,
        form=form,
        running=running_total(criteria_of(application), form.typed_scores()),
        decline_form=decline_form or DeclineForm(formdata=None),
        decline_open=decline_form is not None and status != 200,
        panel=pages.panel_view(assignment),
    ), status


@bp.route("/<int:assignment_id>", methods=["GET", "POST"])
@allow(REVIEWER)
def score(assignment_id: int):
    assignment = _assignment_or_404(assignment_id)
    if request.method == "GET":
        return _render(assignment)
    action = request.form.get("action", "")
    if action not in ACTIONS:
        abort(400)
    if (locked := scoring.locked_reason(assignment, assignment.application)) is not None:
        flash(str(locked), "error")
        return _render(assignment, status=CONFLICT_STATUS)
    criteria = rubric_view(assignment.application, select_locale())
    form = score_form(criteria)
    if action == "edit":  # back from the confirmation, with everything typed; nothing saved
        return _render(assignment, form=form)
    if form.validate_on_submit():
        try:
            if action == "draft":
                scoring.save_draft(assignment, form.scores(), _actor())
            elif request.form.get("confirmed") != "1":
                total, missed = scoring.check_submission(assignment, form.scores(), _actor())
                return _confirm(assignment, form, criteria, action, total, missed)
            else:
                scoring.submit_review(assignment, form.scores(), _actor())
        except scoring.ScoreErrors as errors:
            for name, message in errors.errors.items():
                form[name].errors = [*form[name].errors, str(message)]
        except scoring.ReviewLocked as error:
            flash(str(error.message), "error")
            return _render(assignment, status=CONFLICT_STATUS)
        except DomainError as error:
            attach_domain_error(form, error)
        else:
            return _after_save(assignment, action)
    return _render(assignment, form=form, status=INVALID_FORM_STATUS)


def _confirm(assignment: Assignment, form: ScoreFormBase, criteria, action, total, missed):
    """The step between "Submit" and the lock: the scores, the total, and one more button. The
    scores travel back as hidden fields, so nothing is saved until the reviewer confirms."""
    typed = form.scores()
    rows = [
        {**c, "typed": format_score(typed[c["key"]][0]), "below_minimum": c["key"] in missed}
        for c in criteria
    ]
    return render_template(
        "reviewer/confirm.html",
        app=presenters.full_view(assignment.application, select_locale()),
        review_id=assignment.id,
        form=form,
        rows=rows,
        total=total,
        action=action,
    )


def _after_save(assignment: Assignment, action: str):
    if action == "draft":
        flash(_("Your draft has been saved. You can come back and finish it later."), "success")
        return redirect(url_for("reviewer.score", assignment_id=assignment.id))
    flash(_("Your review has been submitted."), "success")
    if action == "submit_next":
        following = reviewer_queue.next_open_assignment(current_user.id, after=assignment.id)
        if following is not None:
            return redirect(url_for("reviewer.score", assignment_id=following))
        flash(_("There are no more applications to score in your queue."), "info")
        return redirect(url_for("reviewer.queue"))
    return redirect(url_for("reviewer.score", assignment_id=assignment.id))


@bp.route("/<int:assignment_id>/decline", methods=["POST"])
@allow(REVIEWER)
def decline(assignment_id: int):
    assignment = _assignment_or_404(assignment_id)
    if assignment.status is AssignmentStatus.SUBMITTED:
        flash(_("A submitted review cannot be declined."), "error")
        return _render(assignment, status=CONFLICT_STATUS)
    form = DeclineForm()
    if form.validate_on_submit():
        try:
            scoring.decline_assignment(
                assignment, DeclineReason(form.reason.data), form.note.data or "", _actor()
            )
        except scoring.ReviewLocked as error:
            flash(str(error.message), "error")
            return _render(assignment, status=CONFLICT_STATUS)
        except DomainError as error:
            attach_domain_error(form, error)
        else:
            flash(
                _("You have declined this assignment. The bureau will ask another reviewer."),
                "success",
            )
            return redirect(url_for("reviewer.queue"))
    return _render(assignment, decline_form=form, status=INVALID_FORM_STATUS)
