from __future__ import annotations

from flask_babel import get_locale
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from sqlalchemy import select
from wtforms import EmailField, SelectField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Email, Length

from portal.accounts.models import Department, Role
from portal.core.extensions import db
from portal.web.shared.forms import new_password_field, password_confirm_field


def staff_role_choices() -> list[SelectChoice]:
    return [SelectChoice(role.value, role.label) for role in Role.staff_roles()]


def department_choices() -> list[SelectChoice]:
    """The departments, in the bureau's order; "" for none (officers, reviewers, admins)."""
    departments = db.session.scalars(
        select(Department).order_by(Department.position, Department.id)
    ).all()
    return [SelectChoice("", _l("No department"))] + [
        SelectChoice(str(d.id), d.display_name(str(get_locale() or "zh_CN"))) for d in departments
    ]


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
    department = SelectField(
        _l("Department"),
        choices=department_choices,
        # Checked by the service (a missing or unknown department is refused beside the field),
        # so that a form without the field still means "no department".
        validate_choice=False,
        description=_l("Required for a department member; optional for other staff."),
    )
    password = new_password_field(
        _l("Initial password"),
        _l("At least 10 characters. Give it to the person by a safe channel."),
    )
    password_confirm = password_confirm_field()


class StaffRoleForm(FlaskForm):
    role = SelectField(_l("Role"), choices=staff_role_choices, validate_choice=True)


class ConfirmForm(FlaskForm):
    """A button-only form: carries the CSRF token for state-changing buttons."""
