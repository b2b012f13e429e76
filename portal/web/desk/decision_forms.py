"""Forms for decisions, their release, objections and their resolution.

Rules that depend on more than one field (an amount for an approval, a reason for a rejection,
the budget line) live in the services, whose refusals name the field they belong beside.
"""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    HiddenField,
    IntegerField,
    RadioField,
    SelectField,
    SelectMultipleField,
    TextAreaField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import AnyOf, DataRequired, Length, Optional
from wtforms.widgets import HiddenInput

from portal.core.forms import MoneyField
from portal.review.decision_rules import APPROVE, REASON_LABELS, REJECT, SELECTABLE_REASONS
from portal.review.publicity import DISMISSED, UPHELD
from portal.web.shared.forms import APPROVAL_MESSAGES


def _reason_choices() -> list[SelectChoice]:
    return [SelectChoice("", _l("Choose a reason"))] + [
        SelectChoice(code, REASON_LABELS[code]) for code in SELECTABLE_REASONS
    ]


class DecisionForm(FlaskForm):
    """One application's decision (rendered on its row of the ranked list with a prefix)."""

    decision = RadioField(
        _l("Decision"),
        choices=[SelectChoice(APPROVE, _l("Approve")), SelectChoice(REJECT, _l("Reject"))],
        invalid_choice_message=_l("Choose approve or reject."),
    )
    amount = MoneyField(
        _l("Amount to approve (yuan)"),
        messages=APPROVAL_MESSAGES,
        validators=[Optional()],
        render_kw={"inputmode": "decimal", "autocomplete": "off"},
    )
    reason_code = SelectField(_l("Reason for a rejection"), choices=_reason_choices(), default="")
    reason = TextAreaField(
        _l("Explanation for the enterprise"),
        validators=[Length(max=2000)],
        description=_l("Required for a rejection; the enterprise reads it after the release."),
        render_kw={"rows": 2},
    )
    lock_version = IntegerField(widget=HiddenInput(), validators=[Optional()])
    seen_decision = HiddenField()


class BulkDecisionForm(FlaskForm):
    selected = SelectMultipleField(_l("Selected applications"), coerce=int, validate_choice=False)
    action = HiddenField(validators=[AnyOf([APPROVE, REJECT])])
    reason_code = SelectField(
        _l("Reason for the rejections"), choices=_reason_choices(), default=""
    )
    reason = TextAreaField(
        _l("Explanation for the enterprises"),
        validators=[Length(max=2000)],
        description=_l("Required to reject; each enterprise reads it after the release."),
        render_kw={"rows": 2},
    )


class ReleaseForm(FlaskForm):
    snapshot = HiddenField()


class ResolveObjectionForm(FlaskForm):
    outcome = RadioField(
        _l("Outcome"),
        choices=[
            SelectChoice(UPHELD, _l("Upheld: the award is withdrawn")),
            SelectChoice(DISMISSED, _l("Dismissed: the award goes back into publicity")),
        ],
        invalid_choice_message=_l("Choose whether the objection is upheld or dismissed."),
    )
    note = TextAreaField(
        _l("What you found"),
        validators=[DataRequired(_l("Write down what you found and why.")), Length(max=5000)],
        description=_l("If the objection is upheld, the enterprise reads this as the reason."),
        render_kw={"rows": 3},
    )
