"""The firm's agreement forms: the bank account and the acceptance with its declaration."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, HiddenField, StringField
from wtforms.validators import InputRequired, Length

from portal.payments.bank_account_rules import (
    ACCOUNT_NAME_MAX,
    BANK_NAME_MAX,
    BRANCH_NAME_MAX,
)


class BankAccountForm(FlaskForm):
    # Lengths are checked generously here; the rules (portal/payments/bank_account_rules.py)
    # say precisely what is wrong, beside the field.
    account_name = StringField(
        _l("Account name"),
        description=_l(
            "Exactly the enterprise's registered name: awards go only to its own account."
        ),
        validators=[Length(max=ACCOUNT_NAME_MAX + 50)],
    )
    bank_name = StringField(
        _l("Bank"),
        description=_l("For example 中国工商银行."),
        validators=[Length(max=BANK_NAME_MAX + 50)],
    )
    branch_name = StringField(
        _l("Branch"),
        description=_l("The branch where the account is held, for example 阜新分行营业部."),
        validators=[Length(max=BRANCH_NAME_MAX + 50)],
    )
    account_number = StringField(
        _l("Account number"),
        description=_l("8 to 30 digits; you may type spaces between groups."),
        validators=[Length(max=80)],
    )


class AcceptForm(FlaskForm):
    version = HiddenField()
    declaration = BooleanField(
        validators=[InputRequired(_l("Tick the box to make the declaration."))]
    )

    def seen_version(self) -> int | None:
        try:
            return int(self.version.data) if self.version.data else None
        except (TypeError, ValueError):
            return None
