"""The public's objection to an award during its publicity period: who signs it (a name and an
address confirmed by a one-time code, unless signed in), the code, and the objection itself
with its evidence. Anonymous objections are not accepted."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import MultipleFileField, RadioField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, ValidationError

from portal.review.objector_identity import EMAIL, PHONE, address_problem, name_problem
from portal.review.publicity import EVIDENCE_MAX_FILES, REASON_MAX


class IdentityForm(FlaskForm):
    name = StringField(
        _l("Your full name"),
        validators=[
            DataRequired(_l("Give your full name: anonymous objections are not accepted.")),
            Length(max=100),
        ],
        render_kw={"autocomplete": "name"},
    )
    channel = RadioField(
        _l("Send the code by"),
        choices=[SelectChoice(EMAIL, _l("Email")), SelectChoice(PHONE, _l("Text message"))],
        default=EMAIL,
    )
    address = StringField(
        _l("Email address"),
        validators=[
            DataRequired(_l("Enter an email address, e.g. name@example.com.")),
            Length(max=254),
        ],
        description=_l(
            "We send a 6-digit code there. The bureau uses the address only to answer your "
            "objection."
        ),
    )

    def __init__(self, *args, sms: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        if sms:
            self.address.label.text = _l("Email address or mobile number")
        else:
            # Without a text-message service, codes go by email only.
            self.channel.choices = [SelectChoice(EMAIL, _l("Email"))]
            self.channel.data = EMAIL

    # The service checks these too; here they show every problem of the form at once.
    def validate_name(self, field):
        problem = name_problem(field.data)
        if problem:
            raise ValidationError(str(problem))

    def validate_address(self, field):
        problem = address_problem(self.channel.data or EMAIL, field.data)
        if problem:
            raise ValidationError(str(problem))


class CodeForm(FlaskForm):
    code = StringField(
        _l("The 6-digit code"),
        validators=[DataRequired(_l("Enter the 6-digit code we sent you."))],
        render_kw={"autocomplete": "one-time-code", "inputmode": "numeric", "maxlength": 12},
    )


class ObjectionForm(FlaskForm):
    reason = TextAreaField(
        _l("Your objection"),
        validators=[
            DataRequired(
                _l("Explain your objection: what is wrong with this award, and how you know.")
            ),
            Length(max=REASON_MAX),
        ],
        description=_l("What is wrong with this award, and how you know it."),
        render_kw={"rows": 8},
    )
    evidence = MultipleFileField(
        _l("Evidence (optional)"),
        description=_l(
            "Up to %(count)d files, PDF or images (JPEG, PNG), 10 MB each.",
            count=EVIDENCE_MAX_FILES,
        ),
        render_kw={"accept": ".pdf,.jpg,.jpeg,.png"},
    )
