"""The officer's formal-check forms: return for changes (sections and reason)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import SelectMultipleField, TextAreaField
from wtforms.validators import DataRequired, Length
from wtforms.widgets import CheckboxInput, ListWidget


class MultiCheckboxField(SelectMultipleField):
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class ReturnForm(FlaskForm):
    sections = MultiCheckboxField(
        _l("Sections to change"),
        validators=[DataRequired(_l("Choose at least one section to be changed."))],
    )
    reason = TextAreaField(
        _l("What should the enterprise change?"),
        validators=[DataRequired(_l("Say what the enterprise should change.")), Length(max=4000)],
        render_kw={"rows": 5},
    )
