"""The enterprise profile form: scalar facts, three years of figures, recognitions."""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    DateField,
    Field,
    FieldList,
    Form,
    FormField,
    HiddenField,
    IntegerField,
    SelectField,
    StringField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import Length, NumberRange, Optional, ValidationError

from portal.core.forms import MoneyField
from portal.core.inputs import parse_int
from portal.programs.facts import Recognition

TRI_STATE = [
    SelectChoice("", _l("Not stated")),
    SelectChoice("yes", _l("Yes")),
    SelectChoice("no", _l("No")),
]
RECOGNITION_LABELS = {
    Recognition.YOUNG_EAGLE: _l("Young eagle enterprise (雏鹰)"),
    Recognition.GAZELLE: _l("Gazelle enterprise (瞪羚)"),
    Recognition.UNICORN: _l("Unicorn enterprise (独角兽)"),
    Recognition.HIGH_TECH: _l("High-tech enterprise (高新技术企业)"),
    Recognition.TECH_SME: _l("Technology-based SME (科技型中小企业)"),
}
NOT_NEGATIVE = NumberRange(min=0, message=_l("Enter zero or more."))
# Counts (employees, patents) are stored in integer columns: a 30-digit number is a typing
# slip, refused beside the field rather than an error from the database.
COUNT_MAX = 10_000_000
NOT_TOO_MANY = NumberRange(max=COUNT_MAX, message=_l("Enter a number no larger than 10,000,000."))
YEARS = (1900, 2100)
MONEY_MAX = NumberRange(
    min=0, max=10**12 - 1, message=_l("Enter an amount from 0 to 999,999,999,999.")
)


def money_field(label) -> MoneyField:
    return MoneyField(label, validators=[Optional(), MONEY_MAX], render_kw={"inputmode": "decimal"})


def _a_year(_form: Form, field: Field) -> None:
    """The hidden year of a row of figures is one the page wrote; anything else was tampered
    with, and is refused (the view reads it as a whole number)."""
    if parse_int(field.data, minimum=YEARS[0], maximum=YEARS[1]) is None:
        raise ValidationError(str(_l("Reload the page and enter the figures again.")))


def count_validators() -> list[Any]:
    return [Optional(), NOT_NEGATIVE, NOT_TOO_MANY]


class YearForm(Form):
    year = HiddenField(validators=[_a_year])
    revenue = money_field(_l("Main-business revenue (yuan)"))
    employees = IntegerField(_l("Employees"), validators=count_validators())
    rd_expense = money_field(_l("R&D expense for the super-deduction, form A107012 (yuan)"))
    super_deduction_filed = SelectField(_l("R&D super-deduction filed"), choices=TRI_STATE)


class RecognitionForm(Form):
    kind = SelectField(
        _l("Recognition"),
        choices=[SelectChoice("", _l("(none)"))]
        + [SelectChoice(key, label) for key, label in RECOGNITION_LABELS.items()],
    )
    year = IntegerField(_l("Year"), validators=[Optional(), NumberRange(min=1990, max=2100)])
    certificate_no = StringField(_l("Certificate number"), validators=[Length(max=60)])

    def validate(self, extra_validators=None) -> bool:
        # Not an inline validate_year: the year's Optional() would stop the chain first.
        valid = super().validate(extra_validators)
        if self.kind.data and self.year.data is None and not self.year.errors:
            self.year.errors = [*self.year.errors, str(_l("Enter the year of the recognition."))]
            valid = False
        return valid


class ProfileForm(FlaskForm):
    founded_on = DateField(
        _l("Date of establishment"),
        validators=[Optional()],
        description=_l("As on the business licence."),
    )
    in_fluorine_park = SelectField(_l("Located in the fluorine industrial park"), choices=TRI_STATE)
    high_tech_certificate = SelectField(
        _l("Holds a valid high-tech enterprise certificate"), choices=TRI_STATE
    )
    high_tech_certificate_no = StringField(
        _l("High-tech certificate number"), validators=[Length(max=60)]
    )
    has_rd_institution = SelectField(
        _l("Has a recognised R&D institution (engineering centre, key laboratory, ...)"),
        choices=TRI_STATE,
    )
    branch_or_trading_company = SelectField(
        _l("Is a branch office or a trading company"), choices=TRI_STATE
    )
    on_abnormal_list = SelectField(
        _l("On the list of enterprises with abnormal operations"), choices=TRI_STATE
    )
    on_dishonesty_list = SelectField(
        _l("On the list of seriously dishonest entities"), choices=TRI_STATE
    )
    ip_class_i = IntegerField(
        _l("Class I intellectual property (invention patents, ...)"),
        validators=count_validators(),
    )
    ip_class_ii = IntegerField(
        _l("Class II intellectual property (utility models, designs, ...)"),
        validators=count_validators(),
    )
    software_copyrights = IntegerField(_l("Software copyrights"), validators=count_validators())
    years = FieldList(FormField(YearForm))
    recognitions = FieldList(FormField(RecognitionForm), min_entries=3)
