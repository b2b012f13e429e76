"""Forms of the programme editor: the basic details, and the rows below them.

``ProgramDetailsForm`` holds the ``Program`` fields. ``ProgramRowsForm`` holds the rows that
make a ``ProgramVersion``: the eligibility rules, the formula, the required documents and the
rubric, each list a ``FieldList(FormField(<row form>))``, so that rows are named
``rules-<i>-kind``, ``rules-<i>-group``, ``rules-<i>-shown`` (the kind whose parameter inputs
the page showed), ``formula-kind``, ``formula-shown``, ``documents-<i>-<field>`` and
``rubric-<i>-<field>``, numbered from 0 on every page. The parameter inputs of a rule or of the
formula depend on its kind and live in ``program_params.ParamsInput`` (``rules-<i>-p-<param>``,
``formula-p-<param>``); each rule row and the formula carry theirs.

A row left empty is ignored, and not checked. ``program_editor_data`` turns the rows into the
JSON of a version and back.
"""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Any

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from sqlalchemy import select
from wtforms import (
    BooleanField,
    FieldList,
    Form,
    FormField,
    HiddenField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import (
    DataRequired,
    InputRequired,
    Length,
    Optional,
    Regexp,
    ValidationError,
)

from portal.core.extensions import db
from portal.core.forms import MoneyField
from portal.core.money import CENT, MAX_MONEY, MoneyProblem
from portal.programs.files_kinds import KIND_LABELS as FILE_KIND_LABELS
from portal.programs.formulas import FORMULA_KINDS
from portal.programs.models import Program, ProgramKind
from portal.programs.rule_catalogue import RULE_KINDS
from portal.programs.services import INVALID_ISSUER_CODE, PROGRAM_FIELDS, issuer_code_valid
from portal.web.admin.program_editor_fields import (
    BureauDateTimeField,
    DecimalNumberField,
    RowAmountField,
    RowTextField,
    RowWholeNumberField,
    WholeNumberField,
    multiline,
    strip,
    whole_number_from,
    within,
)
from portal.web.admin.program_params import ParamsInput

# --- basic details ----------------------------------------------------------------------------

PROGRAM_KIND_LABELS = {
    ProgramKind.RECOGNITION: _l("Recognition (checked against data, no expert review)"),
    ProgramKind.POST_SUBSIDY: _l("Post-subsidy"),
    ProgramKind.SELECTION: _l("Selection (ranked by expert scores)"),
    ProgramKind.PROJECT: _l("Project-based post-subsidy"),
}


class ProgramDetailsForm(FlaskForm):
    code = StringField(
        _l("Code"),
        filters=[strip],
        validators=[
            InputRequired(message=_l("Enter a code.")),
            Regexp(
                r"^[a-z0-9-]{3,60}\Z",
                message=_l(
                    "Use 3 to 60 lower-case letters, digits and hyphens, "
                    "for example rd-post-subsidy-2026."
                ),
            ),
        ],
        description=_l("Part of the programme's web address; it must be unique."),
    )
    name_zh = StringField(
        _l("Name in Chinese"),
        filters=[strip],
        validators=[InputRequired(message=_l("Enter the name in Chinese.")), Length(max=200)],
    )
    name_en = StringField(
        _l("Name in English"),
        filters=[strip],
        validators=[InputRequired(message=_l("Enter the name in English.")), Length(max=200)],
    )
    summary_zh = TextAreaField(
        _l("Summary in Chinese"),
        filters=[multiline],
        validators=[Length(max=2000)],
        render_kw={"rows": 4},
    )
    summary_en = TextAreaField(
        _l("Summary in English"),
        filters=[multiline],
        validators=[Length(max=2000)],
        render_kw={"rows": 4},
    )
    kind = SelectField(
        _l("Kind of programme"),
        choices=[SelectChoice(kind.value, label) for kind, label in PROGRAM_KIND_LABELS.items()],
        coerce=str,
        validate_choice=True,
    )
    issuer_code = StringField(
        _l("Issuer code of decision letters"),
        filters=[strip],
        validators=[InputRequired(message=_l("Enter the issuer code."))],
        description=_l(
            "The start of each letter number, for example 阜科发 in 阜科发〔2026〕12号."
        ),
    )
    opens_at = BureauDateTimeField(
        _l("Opens at"),
        validators=[InputRequired(message=_l("Enter the opening date and time."))],
        description=_l("China Standard Time (UTC+8)."),
    )
    closes_at = BureauDateTimeField(
        _l("Closes at"),
        validators=[InputRequired(message=_l("Enter the closing date and time."))],
        description=_l("China Standard Time (UTC+8)."),
    )
    budget = MoneyField(
        _l("Budget (yuan)"),
        messages={MoneyProblem.NEGATIVE: _l("Enter an amount greater than 0.")},
        validators=[
            InputRequired(message=_l("Enter the budget.")),
            within(CENT, MAX_MONEY, _l("Enter an amount greater than 0.")),
        ],
    )
    per_firm_cap = MoneyField(
        _l("Cap per firm (yuan)"),
        messages={MoneyProblem.NEGATIVE: _l("Enter an amount of at least 0.")},
        validators=[Optional()],
        description=_l("Leave empty for no cap."),
    )
    reviewers_per_application = WholeNumberField(
        _l("Expert reviewers per application"),
        validators=[
            InputRequired(message=_l("Enter a whole number from 0 to 10.")),
            within(0, 10, _l("Enter a whole number from 0 to 10.")),
        ],
        description=_l("0 when the programme needs no expert review."),
        render_kw={"min": "0", "max": "10"},
    )
    publicity_days = WholeNumberField(
        _l("Publicity period (working days)"),
        validators=[
            InputRequired(message=_l("Enter a whole number from 0 to 30.")),
            within(0, 30, _l("Enter a whole number from 0 to 30.")),
        ],
        render_kw={"min": "0", "max": "30"},
    )
    score_spread_threshold = DecimalNumberField(
        _l("Score spread that calls for moderation"),
        validators=[
            InputRequired(message=_l("Enter a number from 0 to 100.")),
            within(0, 100, _l("Enter a number from 0 to 100."), cents=True),
        ],
        description=_l("Highest minus lowest weighted score of one application."),
        render_kw={"inputmode": "decimal"},
    )
    pro_rata = BooleanField(_l("Scale awards down pro rata when the budget is short"))

    editing_id: int | None = None  # the programme being edited: its own code is not "taken"

    @classmethod
    def for_program(cls, program: Program | None) -> ProgramDetailsForm:
        if program is None:
            return cls(
                formdata=None,
                data={
                    "kind": ProgramKind.POST_SUBSIDY.value,
                    "reviewers_per_application": 0,
                    "publicity_days": 5,
                    "score_spread_threshold": Decimal(20),
                },
            )
        data = {name: getattr(program, name) for name in PROGRAM_FIELDS}
        data["kind"] = program.kind.value
        form = cls(formdata=None, data=data)
        form.editing_id = program.id
        return form

    def validate_code(self, field) -> None:
        if field.errors or not field.data:
            return
        taken = db.session.scalar(
            select(Program.id).where(
                Program.code == field.data, Program.id != (self.editing_id or 0)
            )
        )
        if taken is not None:
            raise ValidationError(
                str(
                    _l(
                        "Another programme already uses the code “%(code)s”. Choose another.",
                        code=field.data,
                    )
                )
            )

    def validate_issuer_code(self, field: StringField) -> None:
        # The rule is the service's (it names files in the letters' ZIP); said beside the field.
        if field.data and not issuer_code_valid(field.data):
            raise ValidationError(str(INVALID_ISSUER_CODE))

    def validate_closes_at(self, field) -> None:
        opens_at = self.opens_at.data
        if field.data is not None and opens_at is not None and field.data <= opens_at:
            raise ValidationError(str(_l("The closing time must be after the opening time.")))

    def program_data(self) -> dict[str, Any]:
        """The ``Program`` fields in the shape ``services.create_program`` expects."""
        data = {name: getattr(self, name).data for name in PROGRAM_FIELDS}
        data["kind"] = ProgramKind(self.kind.data)
        data["summary_zh"] = data["summary_zh"] or ""
        data["summary_en"] = data["summary_en"] or ""
        data["pro_rata"] = bool(data["pro_rata"])
        return data


# --- the rows ---------------------------------------------------------------------------------

KEY_PATTERN = r"[a-z0-9][a-z0-9_-]{0,59}\Z"


def _key_validators() -> list[Any]:
    return [
        DataRequired(message=_l("Enter a key.")),
        Regexp(
            KEY_PATTERN,
            message=_l("Use up to 60 lower-case letters, digits, hyphens and underscores."),
        ),
    ]


def _name_validators(missing: Any) -> list[Any]:
    return [
        DataRequired(message=missing),
        Length(max=200, message=_l("Use at most 200 characters.")),
    ]


def _rule_choices() -> list[SelectChoice]:
    return [
        SelectChoice("", _l("Choose a rule…")),
        *(SelectChoice(key, kind.label) for key, kind in RULE_KINDS.items()),
    ]


def _formula_choices() -> list[SelectChoice]:
    return [
        SelectChoice("", _l("Choose a formula…")),
        *(SelectChoice(key, kind.label) for key, kind in FORMULA_KINDS.items()),
    ]


class _KindAndParams(Form):
    """A row with a kind chosen in a select and the parameter inputs of the kind the page
    showed (``shown``): read from the page, or from the stored ``params`` given as data."""

    registry: dict[str, Any]  # the kinds of this row, by key
    kind: SelectField
    shown: HiddenField

    def __init__(
        self,
        formdata: Any = None,
        obj: Any = None,
        prefix: str = "",
        data: Any = None,
        meta: Any = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(formdata, obj, prefix, data, meta, **kwargs)
        shown = self.registry.get(self.shown.data or "")
        if formdata is not None:
            self.params = ParamsInput.from_form(f"{prefix}p", shown, formdata)
        else:
            self.params = ParamsInput.from_stored(f"{prefix}p", shown, kwargs.get("params"))
        self.switched = False  # the kind changed and its parameters were only now shown

    @property
    def chosen(self) -> str:
        """The key chosen in the select."""
        return self.kind.data or ""

    def show_chosen_kind(self) -> None:
        """Give the row the parameter inputs of the kind now chosen, if it is another."""
        shown = self.params.kind.key if self.params.kind else ""
        if self.chosen != shown:
            self.params = self.params.switched_to(self.registry.get(self.chosen))
            self.switched = self.params.kind is not None


class RuleRowForm(_KindAndParams):
    """An eligibility rule. Rules that share a letter (``group``) form an alternative group."""

    registry = RULE_KINDS
    kind = SelectField(_l("Rule"), choices=_rule_choices, validate_choice=False, filters=[strip])
    group = RowTextField(_l("Alternative group"), render_kw={"maxlength": "1"})
    shown = HiddenField()

    @property
    def blank(self) -> bool:
        return not self.chosen and not self.group.data

    @property
    def letter(self) -> str | None:
        """The letter of the rule's alternative group, "" for none; None when the group is not
        one letter from A to Z."""
        letter = (self.group.data or "").upper()
        return letter if re.fullmatch(r"[A-Z]?", letter) else None

    def validate(self, extra_validators: Any = None) -> bool:
        return True if self.blank else super().validate(extra_validators)

    def validate_kind(self, field: SelectField) -> None:
        if self.chosen not in RULE_KINDS:
            raise ValidationError(str(_l("Choose a kind of rule, or remove this rule.")))

    def validate_group(self, field: RowTextField) -> None:
        if self.chosen not in RULE_KINDS:
            return  # choosing a rule comes first
        if self.letter is None:
            raise ValidationError(str(_l("Use one letter from A to Z, or leave it empty.")))


class FormulaForm(_KindAndParams):
    """The subsidy formula."""

    registry = FORMULA_KINDS
    kind = SelectField(
        _l("Formula"), choices=_formula_choices, validate_choice=False, filters=[strip]
    )
    shown = HiddenField()

    def validate_kind(self, field: SelectField) -> None:
        if self.chosen not in FORMULA_KINDS:
            raise ValidationError(str(_l("Choose a formula.")))


class DocumentRowForm(Form):
    """A document firms upload with an application."""

    key = RowTextField(_l("Key"), validators=_key_validators())
    name_zh = RowTextField(
        _l("Name in Chinese"), validators=_name_validators(_l("Enter the name in Chinese."))
    )
    name_en = RowTextField(
        _l("Name in English"), validators=_name_validators(_l("Enter the name in English."))
    )
    kinds = SelectMultipleField(
        _l("Accepted files"),
        choices=[SelectChoice(kind, label) for kind, label in FILE_KIND_LABELS.items()],
        validate_choice=False,
    )
    max_mb = RowWholeNumberField(
        _l("Largest file (MB)"),
        validators=[whole_number_from(1, 50, _l("Enter a whole number from 1 to 50."))],
        render_kw={"step": "1", "min": "1", "max": "50"},
    )
    required = BooleanField(_l("Required"))
    required_from_investment = RowAmountField(
        _l("Required from an investment of (yuan)"), render_kw={"inputmode": "decimal"}
    )

    @property
    def blank(self) -> bool:
        return not (self.key.data or self.name_zh.data or self.name_en.data)

    def validate(self, extra_validators: Any = None) -> bool:
        return True if self.blank else super().validate(extra_validators)

    def validate_kinds(self, field: SelectMultipleField) -> None:
        if not any(kind in FILE_KIND_LABELS for kind in field.data or []):
            raise ValidationError(str(_l("Choose at least one kind of file.")))

    def validate_required_from_investment(self, field: RowAmountField) -> None:
        amount = field.number
        if field.data and (amount is None or not 0 <= amount <= MAX_MONEY):
            raise ValidationError(str(_l("Enter an amount of at least 0, or leave it empty.")))


class CriterionRowForm(Form):
    """A criterion of the rubric experts score applications by."""

    key = RowTextField(_l("Key"), validators=_key_validators())
    name_zh = RowTextField(
        _l("Name in Chinese"), validators=_name_validators(_l("Enter the name in Chinese."))
    )
    name_en = RowTextField(
        _l("Name in English"), validators=_name_validators(_l("Enter the name in English."))
    )
    weight = RowWholeNumberField(
        _l("Weight"),
        validators=[whole_number_from(1, 100, _l("Enter a whole number from 1 to 100."))],
        render_kw={"step": "1", "min": "1", "max": "100"},
    )
    scale_max = RowWholeNumberField(
        _l("Top of the scale"),
        validators=[whole_number_from(1, 100, _l("Enter a whole number from 1 to 100."))],
        render_kw={"step": "1", "min": "1"},
    )
    minimum = RowWholeNumberField(_l("Minimum score"), render_kw={"step": "1", "min": "0"})

    @property
    def blank(self) -> bool:
        return not (self.key.data or self.name_zh.data or self.name_en.data or self.weight.data)

    @property
    def top(self) -> int:
        """The top of the scale when it is a valid one; the widest allowed otherwise."""
        top = self.scale_max.number
        return top if top is not None and 1 <= top <= 100 else 100

    def validate(self, extra_validators: Any = None) -> bool:
        return True if self.blank else super().validate(extra_validators)

    def validate_minimum(self, field: RowWholeNumberField) -> None:
        if field.data and (field.number is None or not 0 <= field.number <= self.top):
            raise ValidationError(
                str(_l("Enter a whole number from 0 to the top of the scale, or leave it empty."))
            )


def _mark_repeated_keys(rows: FieldList, message: Any) -> None:
    """A key used by an earlier row is refused beside the later one."""
    seen: set[str] = set()
    for entry in rows:
        row = entry.form
        if row.blank:
            continue
        if not row.key.errors and row.key.data in seen:
            row.key.errors = [*row.key.errors, str(message)]
        seen.add(row.key.data)


class ProgramRowsForm(Form):
    """The rows of a programme version. Not a ``FlaskForm``: the details form on the same
    page carries the CSRF token."""

    rules = FieldList(FormField(RuleRowForm))
    formula = FormField(FormulaForm)
    documents = FieldList(FormField(DocumentRowForm))
    rubric = FieldList(FormField(CriterionRowForm))

    def validate_documents(self, field: FieldList) -> None:
        _mark_repeated_keys(field, _l("Two documents have the same key."))

    def validate_rubric(self, field: FieldList) -> None:
        _mark_repeated_keys(field, _l("Two criteria have the same key."))
