"""The public's objection to an award during its publicity period (signed; anonymous ones are
not accepted)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, Length, ValidationError

from portal.review.publicity import contact_problem, name_problem


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
