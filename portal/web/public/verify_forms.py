"""The public letter-verification forms: by code, or by uploading the PDF."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import StringField
from wtforms.validators import DataRequired


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
