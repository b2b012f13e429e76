from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import (
    BooleanField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional

from portal.core.forms import MoneyField
from portal.web.firm.profile_forms import TRI_STATE


class SummaryForm(FlaskForm):
    project_title = StringField(
        _l("Project title"),
        validators=[DataRequired(_l("Enter a title for the project.")), Length(max=200)],
    )
    project_summary = TextAreaField(
        _l("Summary"),
        validators=[DataRequired(_l("Describe the project.")), Length(max=5000)],
        description=_l("What you did or will do, and what it achieves. At most 5,000 characters."),
        render_kw={"rows": 8},
    )


class ProjectFiguresForm(FlaskForm):
    """Project figures (only for programmes whose rules read them); year figures are built
    dynamically in the view because their number depends on the profile."""

    eligible_investment = MoneyField(
        _l("Eligible investment (yuan)"),
        validators=[
            Optional(),
            NumberRange(min=0, max=10**12 - 1, message=_l("Enter an amount of 0 or more.")),
        ],
        render_kw={"inputmode": "decimal"},
    )
    digital_level = SelectField(
        _l("Digital level (assessment)"),
        choices=[SelectChoice("", _l("Not stated"))]
        + [SelectChoice(str(level), str(level)) for level in range(1, 6)],
    )
    project_accepted = SelectField(_l("Project accepted (acceptance report)"), choices=TRI_STATE)
    other_public_funding = SelectField(
        _l("Other public funding received for this project"), choices=TRI_STATE
    )


class AmountForm(FlaskForm):
    requested_amount = MoneyField(
        _l("Amount you request (yuan)"),
        validators=[Optional()],
        description=_l("Leave empty to request the computed amount."),
        render_kw={"inputmode": "decimal"},
    )


class UploadForm(FlaskForm):
    file = FileField(_l("File"), validators=[FileRequired(_l("Choose a file to upload."))])


class DeclarationForm(FlaskForm):
    declaration_name = StringField(
        _l("Name of the person declaring"),
        validators=[DataRequired(_l("Enter your name.")), Length(max=100)],
    )
    declaration_title = StringField(
        _l("Position"),
        validators=[DataRequired(_l("Enter your position in the enterprise.")), Length(max=100)],
    )
    agree = BooleanField(
        _l(
            "I declare that the information in this application and its documents is true, "
            "complete and accurate, and I accept that false information leads to the "
            "recovery of any subsidy and to credit penalties."
        ),
        validators=[InputRequired(_l("Tick the box to make the declaration."))],
    )


class SubmitForm(FlaskForm):
    confirm = BooleanField(
        _l("I have checked the answers and the declaration still holds."),
        validators=[InputRequired(_l("Tick the box to confirm."))],
    )


class WithdrawForm(FlaskForm):
    reason = TextAreaField(
        _l("Why do you withdraw?"),
        validators=[DataRequired(_l("Say why you withdraw the application.")), Length(max=2000)],
        render_kw={"rows": 4},
    )
