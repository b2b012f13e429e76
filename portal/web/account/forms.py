"""Account forms. Field validators say what is wrong in words the user can act on."""

from __future__ import annotations

import re

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import EmailField, HiddenField, PasswordField, SelectField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Email, EqualTo, Length, ValidationError

from portal.accounts.passwords import MIN_PASSWORD_LENGTH
from portal.accounts.uscc import UsccCheck, UsccProblem, check_uscc
from portal.core.i18n import LANGUAGES

MOBILE_PATTERN = re.compile(r"^1[3-9]\d{9}$")


def normalise_mobile(raw: str) -> str:
    digits = re.sub(r"[\s\-()]", "", raw or "")
    for prefix in ("+86", "0086"):
        if digits.startswith(prefix):
            digits = digits[len(prefix) :]
    return digits


def uscc_problem(result: UsccCheck) -> str:
    """What is wrong with a code, naming the rule it breaks (registration, reviewer links)."""
    messages = {
        UsccProblem.EMPTY: _l("Enter the unified social credit code."),
        UsccProblem.LENGTH: _l(
            "A unified social credit code has 18 characters; this one has %(n)d.",
            n=len(result.code),
        ),
        UsccProblem.CHARACTER: _l(
            "Character %(pos)d (“%(char)s”) cannot appear in a unified social credit code: "
            "use digits and capital letters except I, O, S, V and Z.",
            pos=result.position,
            char=result.character,
        ),
        UsccProblem.REGION: _l(
            "Characters 3 to 8 are the administrative region code and must be digits; "
            "character %(pos)d is “%(char)s”.",
            pos=result.position,
            char=result.character,
        ),
        UsccProblem.CHECK_CHARACTER: _l(
            "The check character (the 18th) does not match the first 17: for this code it "
            "would be “%(expected)s”, not “%(char)s”. Look for a typing mistake.",
            expected=result.expected,
            char=result.character,
        ),
    }
    return str(messages[result.problem])


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


def password_not_email(email_field: str):
    def check(form, field) -> None:
        email = (getattr(form, email_field).data or "").strip().lower()
        if email and (field.data or "").strip().lower() == email:
            raise ValidationError(str(_l("The password must not be your email address.")))

    return check


PASSWORD_LENGTH = Length(
    min=MIN_PASSWORD_LENGTH,
    max=128,
    message=_l("Use at least %(min)d characters (at most %(max)d)."),
)


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
    password = PasswordField(
        _l("Password"),
        validators=[
            DataRequired(_l("Choose a password.")),
            PASSWORD_LENGTH,
            password_not_email("email"),
        ],
        description=_l("At least 10 characters, not your email address."),
    )
    password_confirm = PasswordField(
        _l("Repeat the password"),
        validators=[
            DataRequired(_l("Repeat the password.")),
            EqualTo("password", _l("The two passwords are not the same.")),
        ],
    )


class SignInForm(FlaskForm):
    email = EmailField(_l("Email"), validators=[DataRequired(_l("Enter your email address."))])
    password = PasswordField(_l("Password"), validators=[DataRequired(_l("Enter your password."))])
    next = HiddenField()


class NewPasswordForm(FlaskForm):
    """A new password, typed twice (password reset; the change form adds the current one)."""

    new_password = PasswordField(
        _l("New password"),
        validators=[DataRequired(_l("Choose a new password.")), PASSWORD_LENGTH],
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


class LanguageForm(FlaskForm):
    locale = SelectField(
        _l("Language"),
        choices=[SelectChoice(code, label) for code, label in LANGUAGES.items()],
        validate_choice=True,
    )
    next = HiddenField()
