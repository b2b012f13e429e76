"""Forms for letters: reissue, verification by code or by file; the rest carry only CSRF."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import TextAreaField
from wtforms.validators import DataRequired, Length, Optional

from portal.core.forms import MoneyField
from portal.letters.issuing import REISSUE_REASON_MAX
from portal.web.shared.forms import APPROVAL_MESSAGES


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
    amount = MoneyField(
        _l("Corrected amount (yuan)"),
        messages=APPROVAL_MESSAGES,
        description=_l("Leave as it is to reissue with the same amount."),
        validators=[Optional()],
    )
    rejection_reason = TextAreaField(
        _l("Reason for the rejection, as the letter prints it"),
        validators=[Optional(), Length(max=2000)],
        render_kw={"rows": 4},
    )
