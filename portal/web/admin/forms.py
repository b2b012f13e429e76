from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import EmailField, SelectField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Email, Length

from portal.accounts.models import Role
from portal.web.shared.forms import new_password_field, password_confirm_field


def staff_role_choices() -> list[SelectChoice]:
    return [SelectChoice(role.value, role.label) for role in Role.staff_roles()]


class StaffCreateForm(FlaskForm):
    email = EmailField(
        _l("Email"),
        validators=[
            DataRequired(_l("Enter an email address.")),
            Email(_l("Enter an email address like name@example.com."), check_deliverability=False),
            Length(max=254),
        ],
    )
    display_name = StringField(
        _l("Name"), validators=[DataRequired(_l("Enter the person's name.")), Length(max=100)]
    )
    role = SelectField(_l("Role"), choices=staff_role_choices, validate_choice=True)
    password = new_password_field(
        _l("Initial password"),
        _l("At least 10 characters. Give it to the person by a safe channel."),
    )
    password_confirm = password_confirm_field()


class StaffRoleForm(FlaskForm):
    role = SelectField(_l("Role"), choices=staff_role_choices, validate_choice=True)


class ConfirmForm(FlaskForm):
    """A button-only form: carries the CSRF token for state-changing buttons."""
