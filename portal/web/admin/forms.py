from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import EmailField, PasswordField, SelectField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Email, EqualTo, Length

from portal.accounts.models import Role
from portal.web.shared.forms import PASSWORD_LENGTH, password_not_email, password_not_guessable


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
    password = PasswordField(
        _l("Initial password"),
        validators=[
            DataRequired(_l("Choose a password.")),
            PASSWORD_LENGTH,
            password_not_email("email"),
            password_not_guessable("email"),
        ],
        description=_l("At least 10 characters. Give it to the person by a safe channel."),
    )
    password_confirm = PasswordField(
        _l("Repeat the password"),
        validators=[
            DataRequired(_l("Repeat the password.")),
            EqualTo("password", _l("The two passwords are not the same.")),
        ],
    )


class StaffRoleForm(FlaskForm):
    role = SelectField(_l("Role"), choices=staff_role_choices, validate_choice=True)


class ConfirmForm(FlaskForm):
    """A button-only form: carries the CSRF token for state-changing buttons."""
