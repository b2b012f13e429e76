"""Forms of a key task: the task with its rows of indicators and milestones
(``FieldList(FormField(...))``, named ``indicators-<i>-<field>`` and ``milestones-<i>-<field>``),
a reported value with evidence, and a milestone done.

A row left empty is ignored; a stored row (it carries its id) that is emptied or ticked
"remove" is removed when the task is saved (the service refuses it when something hangs on
it). Numbers are typed as text and read here, so that what was typed is shown again beside
the problem.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    DateField,
    FieldList,
    Form,
    FormField,
    HiddenField,
    MultipleFileField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import Length, Optional, ValidationError

from portal.core.inputs import DB_INT_MAX
from portal.programs.facts import Recognition
from portal.programs.rule_checks import RECOGNITION_LABELS
from portal.tasks import indicator_kinds, task_reporting
from portal.tasks.models import Direction, KeyTask, Milestone, TaskIndicator
from portal.tasks.task_editing import IndicatorRow, MilestoneRow, TaskFields
from portal.tasks.task_queries import Choices, plain_number

NUMBER_HINT = _l("Enter a number of 0 or more, for example 20.")
DATE_MESSAGE = _l("Enter a date, for example 2026-06-30.")
FILES_HINT = _l(
    "Up to %(count)d files, PDF, images (JPEG, PNG) or Excel workbooks, 10 MB each.",
    count=task_reporting.FILES_MAX,
)


def parse_number(text: str | None) -> Decimal | None:
    """A number as people type it ("1,200", "３５", "12.5"); None when it is not one."""
    cleaned = (text or "").strip().replace(",", "").replace("，", "")
    cleaned = cleaned.translate({0xFF10 + d: str(d) for d in range(10)} | {0xFF0E: "."})
    if not cleaned:
        return None
    try:
        number = Decimal(cleaned)
    except InvalidOperation:
        return None
    return number if number.is_finite() else None


def parse_whole(text: str | None) -> int | None:
    number = parse_number(text)
    if number is None or number != number.to_integral_value() or abs(number) > 10**6:
        return None
    return int(number)


class RowDateField(DateField):
    """A date whose refusal says what to type (not WTForms' own words)."""

    def process_formdata(self, valuelist: list[Any]) -> None:
        try:
            super().process_formdata(valuelist)
        except ValueError:
            raise ValueError(str(DATE_MESSAGE)) from None


def parse_id(text: str | None) -> int | None:
    cleaned = (text or "").strip()
    if not cleaned.isascii() or not cleaned.isdigit() or len(cleaned) > 10:
        return None
    number = int(cleaned)
    return number if 0 < number <= DB_INT_MAX else None


def _kind_choices() -> list[SelectChoice]:
    return [SelectChoice(key, kind.label) for key, kind in indicator_kinds.KINDS.items()]


def _recognition_choices() -> list[SelectChoice]:
    return [SelectChoice("", _l("Not needed"))] + [
        SelectChoice(key, RECOGNITION_LABELS.get(key, key)) for key in Recognition.ALL
    ]


class IndicatorRowForm(Form):
    id = HiddenField()
    name = StringField(_l("Name in Chinese"), validators=[Length(max=200)])
    name_en = StringField(_l("Name in English"), validators=[Length(max=200)])
    kind = SelectField(_l("Measured by"), choices=[], validate_choice=False)
    programs = StringField(
        _l("Programme codes"),
        description=_l("For indicators computed from programmes; separate codes by commas."),
    )
    recognition = SelectField(_l("Recognition"), choices=[], validate_choice=False)
    unit = StringField(_l("Unit"), validators=[Length(max=20)])
    direction = SelectField(
        _l("Direction"),
        choices=[SelectChoice("", _l("As the kind says"))]
        + [SelectChoice(d.value, d.label) for d in Direction],
        validate_choice=False,
    )
    baseline = StringField(_l("Baseline"))
    target = StringField(_l("Target"))
    remove = BooleanField(_l("Remove"))

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.kind.choices = _kind_choices()
        self.recognition.choices = _recognition_choices()

    @property
    def blank(self) -> bool:
        typed = (self.name, self.name_en, self.programs, self.target)
        return not any((f.data or "").strip() for f in typed)

    @property
    def skipped(self) -> bool:
        return bool(self.remove.data) or self.blank

    def validate(self, extra_validators: Any = None) -> bool:
        return True if self.skipped else super().validate(extra_validators)

    def validate_target(self, field: StringField) -> None:
        if parse_number(field.data) is None:
            raise ValidationError(str(NUMBER_HINT))

    def validate_baseline(self, field: StringField) -> None:
        if (field.data or "").strip() and parse_number(field.data) is None:
            raise ValidationError(str(NUMBER_HINT))

    def row(self, index: int) -> IndicatorRow:
        return IndicatorRow(
            id=parse_id(self.id.data),
            row=index,
            name=self.name.data or "",
            name_en=self.name_en.data or "",
            kind=self.kind.data or "",
            programs=[c for c in (self.programs.data or "").replace("，", ",").split(",")],
            recognition=self.recognition.data or "",
            unit=self.unit.data or "",
            direction=self.direction.data or "",
            baseline=parse_number(self.baseline.data),
            target=parse_number(self.target.data),
        )


class MilestoneRowForm(Form):
    id = HiddenField()
    due_on = RowDateField(_l("Due on"), validators=[Optional()], render_kw={"type": "date"})
    title = StringField(_l("What is to be done (Chinese)"), validators=[Length(max=200)])
    title_en = StringField(_l("What is to be done (English)"), validators=[Length(max=200)])
    remove = BooleanField(_l("Remove"))

    @property
    def blank(self) -> bool:
        typed = self.due_on.raw_data[0] if self.due_on.raw_data else self.due_on.data
        return not (typed or (self.title.data or "").strip() or (self.title_en.data or "").strip())

    @property
    def skipped(self) -> bool:
        return bool(self.remove.data) or self.blank

    def validate(self, extra_validators: Any = None) -> bool:
        return True if self.skipped else super().validate(extra_validators)

    def row(self, index: int) -> MilestoneRow:
        return MilestoneRow(
            id=parse_id(self.id.data),
            row=index,
            due_on=self.due_on.data,
            title=self.title.data or "",
            title_en=self.title_en.data or "",
        )


class TaskForm(FlaskForm):
    title = StringField(_l("Title in Chinese"), validators=[Length(max=200)])
    title_en = StringField(_l("Title in English"), validators=[Length(max=200)])
    year = StringField(_l("Year"), render_kw={"inputmode": "numeric"})
    number = StringField(
        _l("Number on the wall"),
        description=_l("1 to 99, once per year: the order of the tasks on the wall."),
        render_kw={"inputmode": "numeric"},
    )
    leader = SelectField(_l("Leader in charge (分管领导)"), choices=[], validate_choice=False)
    department = SelectField(_l("Lead department (牵头科室)"), choices=[], validate_choice=False)
    owner = SelectField(_l("Responsible person (责任人)"), choices=[], validate_choice=False)
    cooperating_units = TextAreaField(
        _l("Cooperating units (配合单位)"), render_kw={"rows": 2}, validators=[Length(max=4000)]
    )
    requirements = TextAreaField(
        _l("Requirements in Chinese (工作要求)"),
        render_kw={"rows": 4},
        validators=[Length(max=4000)],
    )
    requirements_en = TextAreaField(
        _l("Requirements in English"), render_kw={"rows": 4}, validators=[Length(max=4000)]
    )
    indicators = FieldList(FormField(IndicatorRowForm), min_entries=0)
    milestones = FieldList(FormField(MilestoneRowForm), min_entries=0)
    lock_version = HiddenField()

    def set_choices(self, choices: Choices) -> None:
        none = [SelectChoice("", _l("Choose…"))]
        self.leader.choices = none + [SelectChoice(str(i), n) for i, n in choices.leaders]
        self.department.choices = none + [SelectChoice(str(i), n) for i, n in choices.departments]
        self.owner.choices = none + [SelectChoice(str(i), n) for i, n in choices.staff]

    def validate_year(self, field: StringField) -> None:
        if parse_whole(field.data) is None:
            raise ValidationError(str(_l("Enter the year, for example 2026.")))

    def validate_number(self, field: StringField) -> None:
        if parse_whole(field.data) is None:
            raise ValidationError(str(_l("Enter a whole number from 1 to 99.")))

    def fill(self, task: KeyTask, indicators: list[TaskIndicator], milestones: list[Milestone]):
        self.title.data, self.title_en.data = task.title, task.title_en
        self.year.data, self.number.data = str(task.year), str(task.number)
        self.leader.data = str(task.leader_id)
        self.department.data = str(task.department_id)
        self.owner.data = str(task.owner_id)
        self.cooperating_units.data = task.cooperating_units
        self.requirements.data, self.requirements_en.data = task.requirements, task.requirements_en
        self.lock_version.data = str(task.lock_version)
        for indicator in indicators:
            self.indicators.append_entry(
                {
                    "id": str(indicator.id),
                    "name": indicator.name,
                    "name_en": indicator.name_en,
                    "kind": indicator.kind,
                    "programs": ", ".join((indicator.params or {}).get("programs") or []),
                    "recognition": (indicator.params or {}).get("recognition", ""),
                    "unit": indicator.unit,
                    "direction": indicator.direction.value,
                    "baseline": plain_number(indicator.baseline),
                    "target": plain_number(indicator.target),
                }
            )
        for milestone in milestones:
            self.milestones.append_entry(
                {
                    "id": str(milestone.id),
                    "due_on": milestone.due_on,
                    "title": milestone.title,
                    "title_en": milestone.title_en,
                }
            )

    def task_fields(self) -> TaskFields:
        return TaskFields(
            title=self.title.data or "",
            title_en=self.title_en.data or "",
            year=parse_whole(self.year.data) or 0,
            number=parse_whole(self.number.data) or 0,
            leader_id=parse_id(self.leader.data),
            department_id=parse_id(self.department.data),
            owner_id=parse_id(self.owner.data),
            cooperating_units=self.cooperating_units.data or "",
            requirements=self.requirements.data or "",
            requirements_en=self.requirements_en.data or "",
        )

    def indicator_rows(self) -> list[IndicatorRow]:
        return [
            entry.form.row(i)
            for i, entry in enumerate(self.indicators.entries)
            if not entry.form.skipped
        ]

    def milestone_rows(self) -> list[MilestoneRow]:
        return [
            entry.form.row(i)
            for i, entry in enumerate(self.milestones.entries)
            if not entry.form.skipped
        ]

    def attach(self, field_name: str | None, message: str) -> None:
        """A service's refusal beside its input: a task field, a row's field
        (``indicators-2-target``), a list (``milestones``), or at the top."""
        parts = (field_name or "").split("-")
        if len(parts) == 3 and parts[0] in ("indicators", "milestones") and parts[1].isdigit():
            rows = getattr(self, parts[0]).entries
            index = int(parts[1])
            if index < len(rows):
                target = getattr(rows[index].form, parts[2], None)
                if target is not None:
                    target.errors = [*target.errors, message]
                    return
        if field_name in ("indicators", "milestones"):
            self.list_errors.setdefault(field_name, []).append(message)
            return
        target = getattr(self, field_name, None) if field_name else None
        if target is not None and hasattr(target, "errors"):
            target.errors = [*target.errors, message]
        else:
            self.form_errors.append(message)

    @property
    def list_errors(self) -> dict[str, list[str]]:
        if not hasattr(self, "_list_errors"):
            self._list_errors: dict[str, list[str]] = {}
        return self._list_errors


class ReportForm(FlaskForm):
    value = StringField(_l("Value"), render_kw={"inputmode": "decimal"})
    as_of = RowDateField(
        _l("As of"),
        description=_l("The day the value is true of: today or a day before, in the task's year."),
        validators=[Optional()],
        render_kw={"type": "date"},
    )
    note = TextAreaField(_l("Note"), render_kw={"rows": 2}, validators=[Length(max=2000)])
    files = MultipleFileField(
        _l("Evidence"), description=FILES_HINT, render_kw={"accept": ".pdf,.jpg,.jpeg,.png,.xlsx"}
    )

    def validate_value(self, field: StringField) -> None:
        if parse_number(field.data) is None:
            raise ValidationError(str(NUMBER_HINT))


class MilestoneDoneForm(FlaskForm):
    done_on = RowDateField(
        _l("Done on"), validators=[Optional()], render_kw={"type": "date"}, default=None
    )
    note = TextAreaField(_l("Note"), render_kw={"rows": 2}, validators=[Length(max=2000)])


def today_default(form: MilestoneDoneForm | ReportForm, today: date) -> None:
    field = form.done_on if isinstance(form, MilestoneDoneForm) else form.as_of
    if field.data is None and not field.raw_data:
        field.data = today
