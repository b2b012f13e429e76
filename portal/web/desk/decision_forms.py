"""Forms for decisions, their release, objections and their resolution.

Rules that depend on more than one field (an amount for an approval, a reason for a rejection,
the budget line) live in the services, whose refusals name the field they belong beside.
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    DecimalField,
    HiddenField,
    IntegerField,
    RadioField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import AnyOf, DataRequired, Length, Optional, ValidationError
from wtforms.widgets import HiddenInput

from portal.review.decisions import APPROVE, REASON_LABELS, REJECT, SELECTABLE_REASONS
from portal.review.publicity import DISMISSED, UPHELD, contact_problem, name_problem


class AmountField(DecimalField):
    """Yuan as typed by people: thousands separators allowed, a clear message otherwise."""

    def process_formdata(self, valuelist):
        if not valuelist:
            return
        raw = (valuelist[0] or "").strip().replace(",", "").replace("，", "")
        if raw == "":
            self.data = None
            return
        try:
            self.data = Decimal(raw)
        except InvalidOperation:
            self.data = None
            raise ValueError(_l("Enter an amount in yuan, for example 150000.00.")) from None
        if not self.data.is_finite():
            self.data = None
            raise ValueError(_l("Enter an amount in yuan, for example 150000.00."))

    def _value(self):
        if self.raw_data:
            return self.raw_data[0]
        if self.data is None:
            return ""
        return f"{self.data:.2f}"


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
    amount = AmountField(
        _l("Amount to approve (yuan)"),
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


class ObjectionForm(FlaskForm):
    name = StringField(
        _l("Your name"),
        validators=[
            DataRequired(_l("Give your full name: anonymous objections are not accepted.")),
            Length(max=100),
        ],
        render_kw={"autocomplete": "name"},
    )
    contact = StringField(
        _l("Phone number or email address"),
        validators=[
            DataRequired(
                _l("Give a phone number or an email address at which the bureau can reach you.")
            ),
            Length(max=200),
        ],
        description=_l("The bureau uses it only to ask about and answer your objection."),
    )
    reason = TextAreaField(
        _l("Your objection"),
        validators=[
            DataRequired(
                _l("Explain your objection: what is wrong with this award, and how you know.")
            ),
            Length(max=5000),
        ],
        description=_l("What is wrong with this award, and how you know it."),
        render_kw={"rows": 8},
    )

    # The service checks these too; here they show every problem of the form at once.
    def validate_name(self, field):
        problem = name_problem(field.data)
        if problem:
            raise ValidationError(str(problem))

    def validate_contact(self, field):
        problem = contact_problem(field.data)
        if problem:
            raise ValidationError(str(problem))


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
