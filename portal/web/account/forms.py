"""Account forms. Field validators say what is wrong in words the user can act on."""

from __future__ import annotations

import re

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import EmailField, HiddenField, PasswordField, StringField
from wtforms.validators import DataRequired, Email, EqualTo, Length, ValidationError

from portal.accounts.uscc import check_uscc
from portal.web.shared.forms import (
    PASSWORD_LENGTH,
    new_password_field,
    password_confirm_field,
    password_not_guessable,
    uscc_problem,
)

MOBILE_PATTERN = re.compile(r"^1[3-9]\d{9}$")


def normalise_mobile(raw: str) -> str:
    digits = re.sub(r"[\s\-()]", "", raw or "")
    for prefix in ("+86", "0086"):
        if digits.startswith(prefix):
            digits = digits[len(prefix) :]
    return digits


def validate_uscc_field(_form, field) -> None:
    result = check_uscc(field.data or "")
    if result.ok:
        field.data = result.code
        return
    raise ValidationError(uscc_problem(result))


def validate_mobile_field(_form, field) -> None:
    mobile = normalise_mobile(field.data)
    if not MOBILE_PATTERN.match(mobile):
        raise ValidationError(
            str(_l("Enter an 11-digit mainland mobile number starting with 1, e.g. 13800000000."))
        )
    field.data = mobile


class RegistrationForm(FlaskForm):
    company_name = StringField(
        _l("Company name"),
        validators=[DataRequired(_l("Enter the company's registered name.")), Length(max=200)],
    )
    uscc = StringField(
        _l("Unified social credit code"),
        validators=[validate_uscc_field],
        description=_l("18 characters, as printed on the business licence."),
    )
    contact_person = StringField(
        _l("Contact person"),
        validators=[DataRequired(_l("Enter the name of the contact person.")), Length(max=100)],
    )
    mobile = StringField(_l("Mobile phone"), validators=[validate_mobile_field])
    email = EmailField(
        _l("Email"),
        validators=[
            DataRequired(_l("Enter an email address.")),
            Email(_l("Enter an email address like name@example.com."), check_deliverability=False),
            Length(max=254),
        ],
        description=_l("You sign in with this address."),
    )
    password = new_password_field(
        _l("Password"), _l("At least 10 characters, not your email address.")
    )
    password_confirm = password_confirm_field()


class SignInForm(FlaskForm):
    email = EmailField(_l("Email"), validators=[DataRequired(_l("Enter your email address."))])
    password = PasswordField(_l("Password"), validators=[DataRequired(_l("Enter your password."))])
    next = HiddenField()


class NewPasswordForm(FlaskForm):
    """A new password, typed twice (password reset; the change form adds the current one)."""

    new_password = PasswordField(
        _l("New password"),
        validators=[
            DataRequired(_l("Choose a new password.")),
            PASSWORD_LENGTH,
            password_not_guessable(),
        ],
        description=_l("At least 10 characters, not your email address."),
    )
    new_password_confirm = PasswordField(
        _l("Repeat the new password"),
        validators=[
            DataRequired(_l("Repeat the new password.")),
            EqualTo("new_password", _l("The two passwords are not the same.")),
        ],
    )


class ChangePasswordForm(NewPasswordForm):
    current_password = PasswordField(
        _l("Current password"), validators=[DataRequired(_l("Enter your current password."))]
    )


class ForgotPasswordForm(FlaskForm):
    email = EmailField(
        _l("Email"),
        description=_l("The address you sign in with."),
        validators=[DataRequired(_l("Enter your email address."))],
    )
