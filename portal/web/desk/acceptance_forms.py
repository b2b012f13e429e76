"""The officer's acceptance forms: the panel (experts chosen by hand or picked by load), the
round's conclusion and the notice button."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    DateField,
    HiddenField,
    IntegerField,
    RadioField,
    SelectMultipleField,
    TextAreaField,
)
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional
from wtforms.widgets import CheckboxInput, ListWidget

from portal.core.inputs import parse_int
from portal.payments import acceptance_rules as rules
from portal.payments.acceptance_models import AcceptanceOutcome


class MultiCheckboxField(SelectMultipleField):
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class PanelForm(FlaskForm):
    # The service names a refused expert (conflicted, not an expert): the form does not check
    # the posted ids against the list, so that the message says who and why.
    expert_ids = MultiCheckboxField(
        _l("Experts on the panel"),
        coerce=int,
        validate_choice=False,
        description=_l(
            "Choose from %(low)d to %(high)d. Experts in conflict with the firm are not listed.",
            low=rules.MIN_PANEL,
            high=rules.MAX_PANEL,
        ),
    )
    panel_size = IntegerField(
        _l("Number of experts"),
        default=rules.DEFAULT_PANEL,
        validators=[
            Optional(),
            NumberRange(
                min=rules.MIN_PANEL,
                max=rules.MAX_PANEL,
                message=_l(
                    "Choose from %(low)d to %(high)d experts.",
                    low=rules.MIN_PANEL,
                    high=rules.MAX_PANEL,
                ),
            ),
        ],
    )

    def validate_for(self, *, by_load: bool) -> bool:
        if not self.validate_on_submit():
            return False
        if by_load and self.panel_size.data is None:
            self.panel_size.errors = [
                str(
                    _l(
                        "Choose from %(low)d to %(high)d experts.",
                        low=rules.MIN_PANEL,
                        high=rules.MAX_PANEL,
                    )
                )
            ]
            return False
        return True


class ConcludeForm(FlaskForm):
    outcome = RadioField(
        _l("Acceptance outcome"),
        choices=[(o.value, o.label) for o in AcceptanceOutcome],
        validators=[InputRequired(_l("Choose the outcome."))],
    )
    conclusion = TextAreaField(
        _l("The panel's conclusion"),
        description=_l("Printed on the notice: what the project achieved and what is missing."),
        validators=[
            DataRequired(_l("Write the panel's conclusion: it is printed on the notice.")),
            Length(max=rules.CONCLUSION_MAX),
        ],
        render_kw={"rows": 5},
    )
    fix_deadline = DateField(
        _l("Deadline to fix the project"),
        description=_l("Only for “Fix by a deadline”."),
        validators=[Optional()],
    )
    proceed_reason = TextAreaField(
        _l("Why you conclude before every expert has"),
        description=_l("Only when some experts have not concluded."),
        validators=[Optional(), Length(max=rules.CONCLUSION_MAX)],
        render_kw={"rows": 2},
    )
    lock_version = HiddenField()

    def seen_version(self) -> int | None:
        return parse_int(self.lock_version.data, minimum=1)


class IssueForm(FlaskForm):
    pass
