"""Forms of the payment pages."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import DateField, HiddenField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length

from portal.payments import batches
from portal.payments.confirmation_file import REFERENCE_MAX


class BatchForm(FlaskForm):
    """The chosen due payments arrive as ``tranche_ids`` checkboxes (read from the request)."""


class ApproveForm(FlaskForm):
    # What the confirmation page showed: a batch that differs now is not approved unseen.
    seen_count = HiddenField()
    seen_total = HiddenField()


class SendBackForm(FlaskForm):
    reason = TextAreaField(
        _l("Why you send it back"),
        description=_l("The officer reads it. The payments become due again."),
        validators=[
            DataRequired(_l("Say why you send it back: the officer reads it.")),
            Length(max=batches.SEND_BACK_REASON_MAX),
        ],
        render_kw={"rows": 3},
    )


class PaidForm(FlaskForm):
    paid_on = DateField(
        _l("Day paid"),
        validators=[DataRequired(_l("Enter the day the bank paid (YYYY-MM-DD)."))],
    )
    bank_reference = StringField(
        _l("Bank reference"),
        validators=[
            DataRequired(_l("Enter the bank's reference.")),
            Length(max=REFERENCE_MAX),
        ],
    )


class ImportForm(FlaskForm):
    file = FileField(
        _l("The bank's confirmation file (CSV or XLSX)"),
        description=_l(
            "Columns: batch number, payee account, amount, date (YYYY-MM-DD), bank reference. "
            "At most 2 MB and 2,000 rows."
        ),
        validators=[FileRequired(_l("Choose the bank's file."))],
    )
