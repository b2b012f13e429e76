"""The staff's forms of a recovery case: opening it, the approver's decision, a repayment and a
credit repair."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import DateField, HiddenField, RadioField, SelectField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, InputRequired, Length, Optional

from portal.core.forms import MoneyField
from portal.payments import credit_record, recovery
from portal.payments.recovery_models import RecoveryDecision, RecoveryGrounds
from portal.web.shared.recovery_files import files_field


class OpenCaseForm(FlaskForm):
    grounds = SelectField(
        _l("Grounds"),
        choices=[SelectChoice(g.value, g.label) for g in RecoveryGrounds],
        validators=[DataRequired(_l("Choose the grounds."))],
    )
    description = TextAreaField(
        _l("Facts found"),
        description=_l("What the bureau found and how: the enterprise and the notice read it."),
        validators=[
            DataRequired(_l("State the facts found: the firm and the notice read them.")),
            Length(max=recovery.TEXT_MAX),
        ],
        render_kw={"rows": 6},
    )
    files = files_field(_l("Evidence"))


class DecideForm(FlaskForm):
    decision = RadioField(
        _l("Decision"),
        choices=[SelectChoice(d.value, d.label) for d in RecoveryDecision],
        validators=[InputRequired(_l("Choose the decision."))],
    )
    amount = MoneyField(
        _l("Amount to recover (yuan)"),
        description=_l("Only for a recovery: at most what was paid, less earlier recoveries."),
        validators=[Optional()],
    )
    reason = TextAreaField(
        _l("Reasons for the decision"),
        description=_l("Printed on the recovery notice."),
        validators=[
            DataRequired(_l("Give the reasons for the decision.")),
            Length(max=recovery.TEXT_MAX),
        ],
        render_kw={"rows": 4},
    )
    lock_version = HiddenField()
    confirmed = HiddenField()  # "yes" once the confirmation page was shown


class RepaymentForm(FlaskForm):
    amount = MoneyField(
        _l("Amount repaid (yuan)"),
        validators=[InputRequired(_l("Enter an amount in yuan, for example 150000.00."))],
    )
    paid_on = DateField(
        _l("Day of payment"),
        validators=[InputRequired(_l("Enter the day the money arrived."))],
        render_kw={"type": "date"},
    )
    reference = StringField(
        _l("Bank reference"),
        validators=[
            DataRequired(_l("Enter the bank's reference of the payment.")),
            Length(max=recovery.REFERENCE_MAX),
        ],
    )


class RepairForm(FlaskForm):
    reason = TextAreaField(
        _l("Reason for the credit repair"),
        description=_l("The ban ends today; the enterprise and the audit trail read the reason."),
        validators=[
            DataRequired(_l("Give the reason for the credit repair.")),
            Length(max=credit_record.REPAIR_REASON_MAX),
        ],
        render_kw={"rows": 3},
    )
