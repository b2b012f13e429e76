"""Forms and form helpers several audiences use: a CSRF-only action button, the language
switch, password and USCC rules, yes/no/unknown choices."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    HiddenField,
    PasswordField,
    SelectField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import (
    DataRequired,
    EqualTo,
    Length,
    ValidationError,
)

from portal.accounts.passwords import MIN_PASSWORD_LENGTH, password_weakness
from portal.accounts.services import WEAKNESS_MESSAGES
from portal.accounts.uscc import UsccCheck, UsccProblem
from portal.core.i18n import LANGUAGES
from portal.core.money import MoneyProblem


class ActionForm(FlaskForm):
    """A button that changes something: CSRF only."""


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


def password_not_email(email_field: str):
    def check(form, field) -> None:
        email = (getattr(form, email_field).data or "").strip().lower()
        if email and (field.data or "").strip().lower() == email:
            raise ValidationError(str(_l("The password must not be your email address.")))

    return check


def password_not_guessable(email_field: str | None = None):
    """Refuse common and trivial passwords beside the field, saying why (the services check
    again, with the account's address, wherever a password is set)."""

    def check(form, field) -> None:
        email = (getattr(form, email_field).data or "") if email_field else ""
        password = field.data or ""
        if len(password) < MIN_PASSWORD_LENGTH or password.strip().lower() == email.lower():
            return  # the length and not-the-email rules say it already
        weakness = password_weakness(password, email)
        if weakness is not None:
            raise ValidationError(str(WEAKNESS_MESSAGES[weakness]))

    return check


PASSWORD_LENGTH = Length(
    min=MIN_PASSWORD_LENGTH,
    max=128,
    message=_l("Use at least %(min)d characters (at most %(max)d)."),
)


def new_password_field(label: str, description: str) -> PasswordField:
    """A new password for the account whose address is the form's ``email`` field: long
    enough, not the address, not guessable."""
    return PasswordField(
        label,
        validators=[
            DataRequired(_l("Choose a password.")),
            PASSWORD_LENGTH,
            password_not_email("email"),
            password_not_guessable("email"),
        ],
        description=description,
    )


def password_confirm_field() -> PasswordField:
    """The new password typed again (the form's ``password`` field)."""
    return PasswordField(
        _l("Repeat the password"),
        validators=[
            DataRequired(_l("Repeat the password.")),
            EqualTo("password", _l("The two passwords are not the same.")),
        ],
    )


class LanguageForm(FlaskForm):
    locale = SelectField(
        _l("Language"),
        choices=[SelectChoice(code, label) for code, label in LANGUAGES.items()],
        validate_choice=True,
    )
    next = HiddenField()


def tri_state_to_bool(value: str) -> bool | None:
    return {"yes": True, "no": False}.get(value)


def bool_to_tri_state(value: bool | None) -> str:
    return "" if value is None else ("yes" if value else "no")


# Officers' amounts (an approval, a letter's corrected amount) are more than 0: "-5" is told so
# as the decision service tells "0".
APPROVAL_MESSAGES = {
    MoneyProblem.NEGATIVE: _l("The amount must be more than 0; to refuse, reject the application.")
}
