"""Officers' review desk: reviewer profiles, assigning reviewers, reopening, moderating."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user

from portal.applications.models import Application, Status
from portal.core.access import ADMIN, OFFICER, allow
from portal.core.domain import DomainError
from portal.core.extensions import db
from portal.core.forms import INVALID_FORM_STATUS, attach_domain_error
from portal.core.i18n import select_locale
from portal.programs.models import Program
from portal.review import assignment as service
from portal.review import moderation, reviewer_pool, scoring
from portal.review.access import application_or_404
from portal.review.models import Assignment
from portal.web.desk import review_pages
from portal.web.desk.review_forms import (
    AssignForm,
    AutoAssignForm,
    BulkAutoAssignForm,
    ModerationScoreForm,
    ReopenForm,
    ReviewerProfileForm,
)

bp = Blueprint("review_admin", __name__, url_prefix="/staff/review")


def _actor():
    return current_user._get_current_object()


# --------------------------------------------------------------------------------------------
# Reviewer profiles


@bp.route("/reviewers")
@allow(OFFICER, ADMIN)
def reviewers():
    page, count = review_pages.reviewers_page(_cursor_arg("after"), _cursor_arg("before"))
    return render_template(
        "review_admin/reviewers.html",
        rows=review_pages.reviewer_rows(page.rows),
        page=page,
        count=count,
        count_cap=review_pages.COUNT_CAP,
    )


@bp.route("/reviewers/<int:user_id>", methods=["GET", "POST"])
@allow(OFFICER, ADMIN)
def edit_reviewer(user_id: int):
    reviewer = reviewer_pool.reviewer_account(user_id)
    if reviewer is None:
        abort(404)
    profile = reviewer_pool.profiles_of([reviewer.id]).get(reviewer.id)
    form = ReviewerProfileForm()
    if request.method == "GET":
        form.expertise.data = "\n".join(profile.expertise or []) if profile else ""
        form.linked_usccs.data = "\n".join(profile.linked_usccs or []) if profile else ""
    elif form.validate_on_submit():
        try:
            still_assigned = service.update_reviewer_profile(
                reviewer, form.expertise_tags, form.linked_codes, actor=_actor()
            )
        except DomainError as error:
            attach_domain_error(form, error)
        else:
            flash(_("The profile of %(name)s is saved.", name=reviewer.display_name), "success")
            if still_assigned:
                flash(
                    _(
                        "%(name)s is linked to the applicant of %(references)s but still "
                        "assigned to it: unassign them there.",
                        name=reviewer.display_name,
                        references=", ".join(still_assigned),
                    ),
                    "warning",
                )
            return redirect(url_for("review_admin.reviewers"))
    conflicts = reviewer_pool.conflicts_of([reviewer.id])[reviewer.id]
    status = INVALID_FORM_STATUS if form.errors or form.form_errors else 200
    return render_template(
        "review_admin/reviewer_edit.html",
        reviewer={"id": reviewer.id, "name": reviewer.display_name, "email": reviewer.email},
        declared=list(conflicts.declared.values()),
        form=form,
    ), status


# --------------------------------------------------------------------------------------------
# One application's reviews


def _render_application(
    application: Application,
    *,
    assign_form: AssignForm | None = None,
    score_form: ModerationScoreForm | None = None,
    reopen: dict | None = None,
    problem: str | None = None,
    status: int = 200,
):
    return render_template(
        "review_admin/application.html",
        view=review_pages.application_review_view(application, select_locale()),
        assign_form=assign_form or AssignForm(formdata=None),
        score_form=score_form or ModerationScoreForm(formdata=None),
        reopen=reopen or {},
        problem=problem,
    ), status


def _back_to(application_id: int):
    return redirect(url_for("review_admin.application_reviews", application_id=application_id))


@bp.route("/applications/<int:application_id>")
@allow(OFFICER, ADMIN)
def application_reviews(application_id: int):
    return _render_application(application_or_404(application_id))


@bp.route("/applications/<int:application_id>/assign", methods=["POST"])
@allow(OFFICER, ADMIN)
def assign(application_id: int):
    application = application_or_404(application_id)
    form = AssignForm()
    if form.validate_on_submit():
        due_at = service.due_at_end_of(form.due_on.data)
        try:
            if application.status is Status.MODERATION:
                message = _add_moderation_reviewer(application, form.chosen, due_at)
            else:
                made = service.assign_reviewers(
                    application, form.chosen, due_at, actor=_actor(), shown=form.shown.data
                )
                message = _assigned_message([a.reviewer.display_name for a in made])
        except DomainError as error:
            attach_domain_error(form, error)
        else:
            flash(message, "success")
            return _back_to(application.id)
    return _render_application(application, assign_form=form, status=INVALID_FORM_STATUS)


def _add_moderation_reviewer(application: Application, chosen: list[int], due_at) -> str:
    if len(chosen) > 1:
        raise service.AssignmentRefused(
            _("Add one moderation reviewer at a time."), field="reviewer_id"
        )
    made = moderation.add_moderation_reviewer(application, chosen[0], due_at, actor=_actor())
    return _(
        "%(name)s is assigned as moderation reviewer; the application is back in "
        "expert review until that review is in.",
        name=made.reviewer.display_name,
    )


def _assigned_message(names: list[str]) -> str:
    if len(names) == 1:
        return _("%(name)s is assigned.", name=names[0])
    return ngettext(
        "%(num)d reviewer is assigned: %(names)s.",
        "%(num)d reviewers are assigned: %(names)s.",
        len(names),
        names=_("; ").join(names),
    )


def _flash_auto_result(result: service.AutoAssignResult) -> None:
    if result.considered == 0:
        flash(_("No application in expert review is short of reviewers."), "info")
        return
    flash(
        ngettext(
            "%(num)d reviewer assigned automatically.",
            "%(num)d reviewers assigned automatically.",
            len(result.made),
        ),
        "success" if result.made else "warning",
    )
    if result.shortfalls:
        _flash_shortfalls(result.shortfalls)


def _flash_bulk_result(result: service.BulkAutoAssignResult) -> None:
    """Say what happened to each chosen application."""
    if result.made:
        listed = _("; ").join(
            _("%(reference)s (%(num)d)", reference=ref, num=n) for ref, n in result.made.items()
        )
        flash(
            ngettext(
                "%(num)d reviewer assigned automatically: %(list)s.",
                "%(num)d reviewers assigned automatically: %(list)s.",
                result.assigned,
                list=listed,
            ),
            "success",
        )
    else:
        flash(_("No reviewer was assigned."), "warning")
    if result.shortfalls:
        _flash_shortfalls(list(result.shortfalls.items()))
    if result.complete:
        flash(
            _(
                "Already had their reviewers, nothing assigned: %(list)s.",
                list=", ".join(result.complete),
            ),
            "info",
        )
    if result.not_in_review:
        flash(
            _(
                "No longer in expert review, nothing assigned: %(list)s.",
                list=", ".join(result.not_in_review),
            ),
            "warning",
        )


def _flash_shortfalls(shortfalls: list[tuple[str, int]]) -> None:
    listed = ", ".join(
        _("%(reference)s (%(missing)d missing)", reference=ref, missing=missing)
        for ref, missing in shortfalls
    )
    flash(
        _(
            "Not enough reviewers without a conflict for: %(list)s. Add reviewers or "
            "assign by hand.",
            list=listed,
        ),
        "warning",
    )


@bp.route("/applications/<int:application_id>/auto-assign", methods=["POST"])
@allow(OFFICER, ADMIN)
def auto_assign_one(application_id: int):
    application = application_or_404(application_id)
    form = AutoAssignForm()
    problem = None
    if form.validate_on_submit():
        try:
            if application.status is not Status.EXPERT_REVIEW:
                raise service.AssignmentRefused(
                    _("Reviewers can be assigned only while the application is in expert review.")
                )
            result = service.auto_assign(
                [application], service.due_at_end_of(form.due_on.data), actor=_actor()
            )
        except DomainError as error:
            problem = str(error.message)
        else:
            _flash_auto_result(result)
            return _back_to(application.id)
    # Shown again in the hand-assignment form, whose due date the button shares.
    assign_form = AssignForm()
    assign_form.due_on.errors = list(form.due_on.errors)
    return _render_application(
        application, assign_form=assign_form, problem=problem, status=INVALID_FORM_STATUS
    )


def _assignment_or_404(assignment_id: int) -> Assignment:
    assignment = db.session.get(Assignment, assignment_id)
    if assignment is None:
        abort(404)
    application_or_404(assignment.application_id)
    return assignment


@bp.route("/assignments/<int:assignment_id>/unassign", methods=["POST"])
@allow(OFFICER, ADMIN)
def unassign(assignment_id: int):
    assignment = _assignment_or_404(assignment_id)
    application = assignment.application
    name = assignment.reviewer.display_name
    try:
        service.unassign(assignment, actor=_actor())
    except DomainError as error:
        return _render_application(
            application, problem=str(error.message), status=INVALID_FORM_STATUS
        )
    flash(_("%(name)s is no longer assigned to this application.", name=name), "success")
    return _back_to(application.id)


@bp.route("/assignments/<int:assignment_id>/reopen", methods=["POST"])
@allow(OFFICER, ADMIN)
def reopen(assignment_id: int):
    assignment = _assignment_or_404(assignment_id)
    application = assignment.application
    form = ReopenForm()
    if form.validate_on_submit():
        try:
            scoring.reopen_review(assignment, form.reason.data, _actor())
        except DomainError as error:
            if error.field != "reason":
                return _render_application(
                    application, problem=str(error.message), status=INVALID_FORM_STATUS
                )
            form.reason.errors = [str(error.message)]
        else:
            flash(
                _(
                    "The review of %(name)s is reopened; the reviewer can change and submit it "
                    "again.",
                    name=assignment.reviewer.display_name,
                ),
                "success",
            )
            return _back_to(application.id)
    error_text = " ".join(str(e) for e in form.reason.errors)
    return _render_application(
        application,
        reopen={assignment.id: {"reason": form.reason.data or "", "error": error_text}},
        status=INVALID_FORM_STATUS,
    )


@bp.route("/applications/<int:application_id>/moderate", methods=["POST"])
@allow(OFFICER, ADMIN)
def moderate(application_id: int):
    application = application_or_404(application_id)
    form = ModerationScoreForm()
    if form.validate_on_submit():
        try:
            moderation.record_moderated_score(
                application, form.score.data, form.reason.data, actor=_actor()
            )
        except DomainError as error:
            attach_domain_error(form, error)
        else:
            flash(
                _(
                    "The moderator's score %(score)s is recorded as the final score; the "
                    "application awaits its decision.",
                    score=form.score.data,
                ),
                "success",
            )
            return _back_to(application.id)
    return _render_application(application, score_form=form, status=INVALID_FORM_STATUS)


# --------------------------------------------------------------------------------------------
# A programme's review overview and automatic assignment


def _cursor_arg(name: str) -> str | None:
    """A list's cursor from the query string (checked where it is read: a malformed one shows
    the first page)."""
    return request.args.get(name) or None


def _program_or_404(program_id: int) -> Program:
    program = db.session.get(Program, program_id)
    if program is None:
        abort(404)
    return program


def _render_program(program: Program, form: BulkAutoAssignForm, status: int = 200):
    chosen = set(form.chosen) if form.is_submitted() else set()
    return render_template(
        "review_admin/program.html",
        view=review_pages.program_overview_view(
            program,
            _cursor_arg("after"),
            _cursor_arg("reviewers_after"),
            select_locale(),
            before=_cursor_arg("before"),
            reviewers_before=_cursor_arg("reviewers_before"),
        ),
        form=form,
        chosen=chosen,
        select_all=request.args.get("select") == "all",
    ), status


def _back_to_program(program: Program):
    return redirect(
        url_for(
            "review_admin.program_overview",
            program_id=program.id,
            after=_cursor_arg("after"),
            before=_cursor_arg("before"),
        )
    )


@bp.route("/programmes/<int:program_id>")
@allow(OFFICER, ADMIN)
def program_overview(program_id: int):
    return _render_program(_program_or_404(program_id), BulkAutoAssignForm(formdata=None))


@bp.route("/programmes/<int:program_id>/auto-assign", methods=["POST"])
@allow(OFFICER, ADMIN)
def auto_assign(program_id: int):
    program = _program_or_404(program_id)
    form = BulkAutoAssignForm()
    if form.validate_on_submit():
        try:
            result = service.auto_assign_program(
                program, service.due_at_end_of(form.due_on.data), actor=_actor()
            )
        except DomainError as error:
            attach_domain_error(form, error)
        else:
            _flash_auto_result(result)
            return _back_to_program(program)
    return _render_program(program, form, INVALID_FORM_STATUS)


@bp.route("/programmes/<int:program_id>/auto-assign-chosen", methods=["POST"])
@allow(OFFICER, ADMIN)
def auto_assign_chosen(program_id: int):
    """Assign automatically to the applications ticked on the programme's page."""
    program = _program_or_404(program_id)
    form = BulkAutoAssignForm()
    if form.validate_on_submit():
        try:
            result = service.auto_assign_selected(
                program, form.chosen, service.due_at_end_of(form.due_on.data), actor=_actor()
            )
        except DomainError as error:
            attach_domain_error(form, error)
        else:
            _flash_bulk_result(result)
            return _back_to_program(program)
    return _render_program(program, form, INVALID_FORM_STATUS)
