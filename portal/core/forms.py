"""Helpers shared by every form view, and the one field for amounts of money."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import DecimalField
from wtforms.widgets import TextInput

from portal.core.domain import DomainError
from portal.core.money import MoneyError, MoneyProblem, parse_money, to_cents

# Status for a form shown again with errors: the browser shows the page, and the request's
# unit of work rolls back (portal/core/database.py).
INVALID_FORM_STATUS = 422


def attach_domain_error(form: FlaskForm, error: DomainError) -> None:
    """Show a service's refusal beside the field it concerns, or at the top of the form."""
    field = getattr(form, error.field, None) if error.field else None
    if field is not None:
        field.errors = [*field.errors, str(error.message)]
    else:
        form.form_errors.append(str(error.message))


# What a refused amount is told, beside its field (the msgids the portal already had).
_ENTER_AN_AMOUNT = _l("Enter an amount in yuan, for example 150000.00.")
MONEY_MESSAGES: dict[MoneyProblem, Any] = {
    MoneyProblem.EMPTY: _ENTER_AN_AMOUNT,
    MoneyProblem.NOT_A_NUMBER: _ENTER_AN_AMOUNT,
    MoneyProblem.NOT_FINITE: _ENTER_AN_AMOUNT,
    MoneyProblem.NEGATIVE: _l("Enter an amount of 0 or more."),
    MoneyProblem.TOO_MANY_DECIMALS: _l("Enter the amount in yuan with at most two decimals."),
    MoneyProblem.TOO_LARGE: _l("Enter an amount from 0 to 999,999,999,999."),
}


def money_message(problem: MoneyProblem) -> str:
    """The message for a refused amount, in the current language."""
    return str(MONEY_MESSAGES[problem])


class MoneyField(DecimalField):
    """An amount in yuan as people type it (``parse_money``: "1,000,000", "１２３", "¥500"),
    the same for firms and officers; ``data`` is a Decimal with two decimals, or None.

    A text input, not a number input: browsers refuse "1,000,000" in a number input. A refused
    amount keeps what was typed in the input (``raw_data``) and says why beside it; ``messages``
    replaces the message for some problems where the field knows better (an approval "must be
    more than 0"). Nothing typed is None with a message that ``Optional`` or ``InputRequired``
    replace, as they do for every field."""

    widget = TextInput()

    def __init__(
        self,
        label: Any = None,
        validators: Any = None,
        *,
        messages: Mapping[MoneyProblem, Any] | None = None,
        **kwargs: Any,
    ) -> None:
        kwargs.setdefault("render_kw", {"inputmode": "decimal"})
        super().__init__(label, validators, **kwargs)
        self.messages = {**MONEY_MESSAGES, **(messages or {})}

    def process_formdata(self, valuelist: list[Any]) -> None:
        if not valuelist:
            return
        self.data = None
        try:
            self.data = parse_money(valuelist[0])
        except MoneyError as error:
            raise ValueError(str(self.messages[error.reason])) from None

    def _value(self) -> str:
        if self.raw_data:
            return self.raw_data[0]
        return "" if self.data is None else f"{to_cents(self.data):.2f}"
