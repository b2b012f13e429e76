"""Forms for letters: reissue, verification by code or by file; the rest carry only CSRF."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import StringField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional

from portal.letters.issuing import REISSUE_REASON_MAX
from portal.web.desk.decision_forms import AmountField


class ActionForm(FlaskForm):
    """A button that changes something: CSRF only."""


class ReissueForm(FlaskForm):
    reason = TextAreaField(
        _l("Reason for reissuing"),
        description=_l("Printed on the new letter, e.g. “amount corrected after audit”."),
        validators=[
            DataRequired(_l("Say why the letter is reissued: it is printed on it.")),
            Length(max=REISSUE_REASON_MAX),
        ],
        render_kw={"rows": 3},
    )
    amount = AmountField(
        _l("Corrected amount (yuan)"),
        description=_l("Leave as it is to reissue with the same amount."),
        validators=[Optional()],
    )
    rejection_reason = TextAreaField(
        _l("Reason for the rejection, as the letter prints it"),
        validators=[Optional(), Length(max=2000)],
        render_kw={"rows": 4},
    )


class VerifyCodeForm(FlaskForm):
    class Meta:
        csrf = False  # a public look-up that changes nothing (GET-like); rate-limited instead

    code = StringField(
        _l("Verification code"),
        description=_l("12 letters and digits printed under the QR code, e.g. ABCD-EFGH-JKMN."),
        validators=[DataRequired(_l("Enter the verification code printed on the letter."))],
    )


class VerifyFileForm(FlaskForm):
    file = FileField(
        _l("Letter (PDF)"),
        description=_l("The PDF file exactly as it was downloaded from the portal."),
        validators=[FileRequired(_l("Choose the PDF file of the letter."))],
    )
