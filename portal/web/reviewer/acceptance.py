"""An expert's acceptance (验收) assignments: their own panels, and for each the project and
the conclusion form (通过 / 限期整改 / 不通过, an optional score, comments). Another expert's
assignment is a 404, exactly like a missing one."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import IntegerField, RadioField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional

from portal.accounts.models import Enterprise
from portal.applications.models import Application
from portal.core.access import REVIEWER, allow
from portal.core.domain import DomainError
from portal.core.extensions import db
from portal.core.forms import INVALID_FORM_STATUS, attach_domain_error
from portal.core.i18n import select_locale
from portal.core.inputs import query_int
from portal.payments import acceptance, acceptance_queries
from portal.payments import acceptance_rules as rules
from portal.payments.acceptance_models import (
    AcceptanceAssignment,
    AcceptanceOutcome,
    AcceptanceReview,
    AcceptanceStatus,
)
from portal.payments.models import Agreement

bp = Blueprint("acceptance_panel", __name__, url_prefix="/reviewer/acceptance")

CONFLICT_STATUS = 409


class ConclusionForm(FlaskForm):
    conclusion = RadioField(
        _l("Your conclusion"),
        choices=[(o.value, o.label) for o in AcceptanceOutcome],
        validators=[InputRequired(_l("Choose your conclusion."))],
    )
    score = IntegerField(
        _l("Score (optional)"),
        description=_l("From 0 to 100, if the programme asks for one."),
        validators=[
            Optional(),
            NumberRange(
                min=rules.MIN_SCORE,
                max=rules.MAX_SCORE,
                message=_l("Enter a score from 0 to 100, or none."),
            ),
        ],
    )
    comments = TextAreaField(
        _l("Comments"),
        description=_l("What the project achieved against its agreement and what is missing."),
        validators=[
            DataRequired(_l("Write your comments: the officer and the notice rely on them.")),
            Length(max=rules.COMMENTS_MAX),
        ],
        render_kw={"rows": 6},
    )


def _own_or_404(assignment_id: int) -> AcceptanceAssignment:
    assignment = db.session.get(AcceptanceAssignment, assignment_id)
    if assignment is None or assignment.expert_id != current_user.id:
        abort(404)  # someone else's assignment looks exactly like a missing one
    return assignment


@bp.route("")
@allow(REVIEWER)
def index():
    return render_template(
        "acceptance/expert_index.html",
        page=acceptance_queries.expert_assignments(
            current_user.id, after=query_int("after", None, minimum=1)
        ),
        open_count=acceptance_queries.open_count(current_user.id),
        locale=select_locale(),
    )


def _render(assignment: AcceptanceAssignment, form: ConclusionForm, status: int = 200):
    review = db.session.get(AcceptanceReview, assignment.review_id)
    application = db.session.get(Application, review.application_id)
    agreement = db.session.get(Agreement, review.agreement_id)
    earlier = [r for r in acceptance.rounds_of(review.application_id) if r.round < review.round]
    return render_template(
        "acceptance/expert_show.html",
        assignment=assignment,
        review=review,
        application=application,
        agreement=agreement,
        enterprise=db.session.get(Enterprise, review.enterprise_id),
        program=application.program.name(select_locale()),
        earlier=earlier,
        open=review.status is AcceptanceStatus.PANEL_FORMED,
        form=form,
    ), status


@bp.route("/<int:assignment_id>", methods=["GET", "POST"])
@allow(REVIEWER)
def show(assignment_id: int):
    assignment = _own_or_404(assignment_id)
    if request.method == "GET":
        form = ConclusionForm(
            formdata=None,
            data={
                "conclusion": assignment.conclusion.value if assignment.conclusion else None,
                "score": assignment.score,
                "comments": assignment.comments,
            },
        )
        return _render(assignment, form)
    form = ConclusionForm()
    status = INVALID_FORM_STATUS
    if form.validate_on_submit():
        try:
            acceptance.submit_conclusion(
                assignment,
                conclusion=AcceptanceOutcome(form.conclusion.data),
                score=form.score.data,
                comments=form.comments.data or "",
                actor=current_user._get_current_object(),
            )
        except DomainError as error:
            attach_domain_error(form, error)
            if error.field is None:
                status = CONFLICT_STATUS
        else:
            flash(
                _("Your conclusion is recorded. You can change it until the officer concludes."),
                "success",
            )
            return redirect(url_for("acceptance_panel.index"))
    return _render(assignment, form, status)
