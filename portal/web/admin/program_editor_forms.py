"""Forms of the programme editor.

The basic details are a WTForms form. The rows below them (eligibility rules, formula
parameters, documents, rubric) are generated from the registries ``rules.RULE_KINDS`` and
``formulas.FORMULA_KINDS``. They keep exactly what the officer typed, as text, while rows are
added and removed without JavaScript; ``ProgramEditor.build`` turns them into the JSON of a
``ProgramVersion`` and puts each problem beside its input.

Form names: ``rules-<i>-kind``, ``rules-<i>-group``, ``rules-<i>-shown`` (the kind whose
parameter inputs the page showed) and ``rules-<i>-p-<param>``; ``formula-kind``,
``formula-shown`` and ``formula-p-<param>``; a table of pairs adds ``-<j>-<part>``;
``documents-<i>-<field>`` and ``rubric-<i>-<field>``. Rows are numbered from 0 on every page.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from string import ascii_uppercase
from types import SimpleNamespace
from typing import Any

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from sqlalchemy import select
from wtforms import BooleanField, Field, SelectField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import InputRequired, Length, Regexp, ValidationError
from wtforms.widgets import DateTimeLocalInput, NumberInput, TextInput

from portal.core.extensions import db
from portal.core.timeutil import BUREAU_ZONE, to_bureau_time
from portal.programs.files_kinds import KIND_LABELS as FILE_KIND_LABELS
from portal.programs.formulas import FORMULA_KINDS
from portal.programs.models import Program, ProgramKind, ProgramVersion
from portal.programs.rules import (
    CENT,
    GROUP_LABELS,
    RULE_KINDS,
    HasParams,
    InvalidParams,
    ParamSpec,
    as_decimal,
    as_int,
    check_params,
    format_number,
    normalise_params,
)
from portal.programs.services import PROGRAM_FIELDS

# --- basic details ----------------------------------------------------------------------------

PROGRAM_KIND_LABELS = {
    ProgramKind.RECOGNITION: _l("Recognition (checked against data, no expert review)"),
    ProgramKind.POST_SUBSIDY: _l("Post-subsidy"),
    ProgramKind.SELECTION: _l("Selection (ranked by expert scores)"),
    ProgramKind.PROJECT: _l("Project-based post-subsidy"),
}
MAX_MONEY = Decimal("999999999999.99")
DATETIME_FORMATS = ("%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M", "%Y-%m-%d %H:%M:%S")


def _strip(value: Any) -> Any:
    return value.strip() if isinstance(value, str) else value


def _multiline(value: Any) -> Any:
    # Browsers send CRLF from a textarea; store what the officer sees.
    return value.replace("\r\n", "\n").strip() if isinstance(value, str) else value


class BureauDateTimeField(Field):
    """A ``datetime-local`` input read as China Standard Time; ``data`` is an aware UTC time."""

    widget = DateTimeLocalInput()

    def _value(self) -> str:
        if self.raw_data:
            return self.raw_data[0]
        if self.data is None:
            return ""
        local = to_bureau_time(self.data)
        return local.strftime("%Y-%m-%dT%H:%M:%S" if local.second else "%Y-%m-%dT%H:%M")

    def process_formdata(self, valuelist: list[str]) -> None:
        self.data = None
        text = valuelist[0].strip() if valuelist else ""
        if not text:
            return
        for pattern in DATETIME_FORMATS:
            try:
                local = datetime.strptime(text, pattern)
            except ValueError:
                continue
            self.data = local.replace(tzinfo=BUREAU_ZONE).astimezone(UTC)
            return
        raise ValueError(str(_l("Enter a date and time, for example 2026-03-01 09:00.")))


class AmountField(Field):
    """Yuan, with or without thousands separators; ``data`` is a Decimal."""

    widget = TextInput()

    def _value(self) -> str:
        if self.raw_data:
            return self.raw_data[0]
        return "" if self.data is None else format_number(self.data)

    def process_formdata(self, valuelist: list[str]) -> None:
        self.data = None
        text = (valuelist[0] if valuelist else "").replace(",", "").replace("，", "").strip()
        if not text:
            return
        number = as_decimal(text)
        if number is None:
            raise ValueError(str(_l("Enter a number, for example 500000.")))
        self.data = number


class WholeNumberField(Field):
    widget = NumberInput(step="1")

    def _value(self) -> str:
        if self.raw_data:
            return self.raw_data[0]
        return "" if self.data is None else str(self.data)

    def process_formdata(self, valuelist: list[str]) -> None:
        self.data = None
        text = (valuelist[0] if valuelist else "").strip()
        if not text:
            return
        number = as_int(text)
        if number is None:
            raise ValueError(str(_l("Enter a whole number.")))
        self.data = number


def _within(minimum: Any, maximum: Any, message: Any, *, cents: bool = False) -> Callable:
    def check(_form, field) -> None:
        value = field.data
        if value is None:
            return
        if not minimum <= value <= maximum:
            raise ValidationError(str(message))
        if cents and value != value.quantize(CENT):
            raise ValidationError(str(_l("Use at most two decimal places.")))

    return check


class ProgramDetailsForm(FlaskForm):
    code = StringField(
        _l("Code"),
        filters=[_strip],
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
        filters=[_strip],
        validators=[InputRequired(message=_l("Enter the name in Chinese.")), Length(max=200)],
    )
    name_en = StringField(
        _l("Name in English"),
        filters=[_strip],
        validators=[InputRequired(message=_l("Enter the name in English.")), Length(max=200)],
    )
    summary_zh = TextAreaField(
        _l("Summary in Chinese"),
        filters=[_multiline],
        validators=[Length(max=2000)],
        render_kw={"rows": 4},
    )
    summary_en = TextAreaField(
        _l("Summary in English"),
        filters=[_multiline],
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
        filters=[_strip],
        validators=[InputRequired(message=_l("Enter the issuer code.")), Length(max=20)],
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
    budget = AmountField(
        _l("Budget (yuan)"),
        validators=[
            InputRequired(message=_l("Enter the budget.")),
            _within(CENT, MAX_MONEY, _l("Enter an amount greater than 0."), cents=True),
        ],
        render_kw={"inputmode": "decimal"},
    )
    per_firm_cap = AmountField(
        _l("Cap per firm (yuan)"),
        validators=[_within(0, MAX_MONEY, _l("Enter an amount of at least 0."), cents=True)],
        description=_l("Leave empty for no cap."),
        render_kw={"inputmode": "decimal"},
    )
    reviewers_per_application = WholeNumberField(
        _l("Expert reviewers per application"),
        validators=[
            InputRequired(message=_l("Enter a whole number from 0 to 10.")),
            _within(0, 10, _l("Enter a whole number from 0 to 10.")),
        ],
        description=_l("0 when the programme needs no expert review."),
        render_kw={"min": "0", "max": "10"},
    )
    publicity_days = WholeNumberField(
        _l("Publicity period (working days)"),
        validators=[
            InputRequired(message=_l("Enter a whole number from 0 to 30.")),
            _within(0, 30, _l("Enter a whole number from 0 to 30.")),
        ],
        render_kw={"min": "0", "max": "30"},
    )
    score_spread_threshold = AmountField(
        _l("Score spread that calls for moderation"),
        validators=[
            InputRequired(message=_l("Enter a number from 0 to 100.")),
            _within(0, 100, _l("Enter a number from 0 to 100."), cents=True),
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


# --- parameters: generated from ParamSpec ---------------------------------------------------

NUMBER_TYPES = ("int", "decimal", "percent")
PAIR_PARTS: dict[str, tuple[str, str]] = {
    "tiers": ("count", "amount"),
    "level_caps": ("level", "amount"),
}
PAIR_LABELS = {
    "tiers": (_l("Number of firms"), _l("Amount per firm (yuan)")),
    "level_caps": (_l("Level"), _l("Cap (yuan)")),
}
ParamText = str | bool | list[list[str]]


def _number_text(value: Any) -> str:
    if value is None:
        return ""
    number = as_decimal(value)
    return str(value) if number is None else format_number(number)


def _stored_pairs(value: Any) -> list[tuple[Any, Any]]:
    if isinstance(value, Mapping):
        return list(value.items())
    if isinstance(value, list | tuple):
        return [tuple(pair) for pair in value if isinstance(pair, list | tuple) and len(pair) == 2]
    return []


def param_text(spec: ParamSpec, value: Any) -> ParamText:
    """What the input of ``spec`` shows for a stored value."""
    if spec.type == "bool":
        return bool(value)
    if spec.type in PAIR_PARTS:
        return [[_number_text(a), _number_text(b)] for a, b in _stored_pairs(value)]
    if value is None:
        return ""
    if spec.type in NUMBER_TYPES:
        return _number_text(value)
    return str(value)


def _int_value(text: str) -> Any:
    text = text.strip()
    if not text:
        return None
    number = as_int(text)
    return text if number is None else number


def _number_value(text: str) -> Any:
    text = text.strip()
    if not text:
        return None
    number = as_decimal(text)
    return text if number is None else format_number(number)


def param_value(spec: ParamSpec, text: ParamText) -> Any:
    """The JSON saved for what was typed. Text that is not a number is kept as typed, so that
    ``check_params`` names the problem; an empty input is ``None`` (required unless the
    parameter's default is ``None``)."""
    if spec.type == "bool":
        return bool(text)
    if spec.type in PAIR_PARTS:
        pairs = [[_int_value(a), _number_value(b)] for a, b in text if a.strip() or b.strip()]
        levels = [first for first, _second in pairs]
        if (
            spec.type == "level_caps"
            and all(isinstance(level, int) for level in levels)
            and len(set(levels)) == len(levels)
        ):
            return {str(level): amount for level, amount in pairs}
        return pairs
    if spec.type == "int":
        return _int_value(text)
    if spec.type in ("decimal", "percent"):
        return _number_value(text)
    return text.strip() or None


def _read_param(formdata: Mapping, spec: ParamSpec, name: str) -> ParamText:
    if spec.type == "bool":
        return name in formdata
    if spec.type in PAIR_PARTS:
        first, second = PAIR_PARTS[spec.type]
        return [
            [formdata.get(f"{name}-{j}-{first}", ""), formdata.get(f"{name}-{j}-{second}", "")]
            for j in _indices(formdata, re.escape(name) + rf"-(\d+)-{first}")
        ]
    return formdata.get(name, "")


def _indices(formdata: Mapping, pattern: str) -> list[int]:
    compiled = re.compile(pattern)
    return sorted({int(match.group(1)) for key in formdata if (match := compiled.fullmatch(key))})


def _cell(name: str, label: Any, widget: str, value: Any, errors=(), **extra: Any) -> dict:
    """One input as the template draws it (``templates/programs/_editor_macros.html``)."""
    return {
        "id": name,
        "name": name,
        "label": str(label),
        "widget": widget,
        "value": value,
        "errors": list(errors),
        "choices": extra.pop("choices", []),
        **extra,
    }


def _row_label(label: Any, row: Any) -> str:
    """A hidden label that names the row of a table: "Weight, criterion 3"."""
    return str(_l("%(label)s, %(row)s", label=label, row=row))


class ParamsInput:
    """The parameter inputs of one rule or of the formula, for the kind shown on the page."""

    def __init__(self, prefix: str, kind: HasParams | None, texts: dict[str, ParamText]) -> None:
        self.prefix = prefix
        self.kind = kind
        self.texts = texts
        self.errors: dict[str, list[str]] = {}

    @classmethod
    def from_stored(cls, prefix: str, kind: HasParams | None, params: Any) -> ParamsInput:
        params = params if isinstance(params, Mapping) else {}
        specs = kind.params if kind is not None else ()
        texts = {spec.name: param_text(spec, params.get(spec.name, spec.default)) for spec in specs}
        return cls(prefix, kind, texts)

    @classmethod
    def from_form(cls, prefix: str, kind: HasParams | None, formdata: Mapping) -> ParamsInput:
        specs = kind.params if kind is not None else ()
        texts = {spec.name: _read_param(formdata, spec, f"{prefix}-{spec.name}") for spec in specs}
        return cls(prefix, kind, texts)

    def switched_to(self, kind: HasParams | None) -> ParamsInput:
        """Inputs for another kind: its defaults, keeping what was typed for a parameter of the
        same name and type."""
        if kind is None:
            return ParamsInput(self.prefix, None, {})
        fresh = ParamsInput.from_stored(self.prefix, kind, {})
        old = {spec.name: spec for spec in (self.kind.params if self.kind else ())}
        for spec in kind.params:
            before = old.get(spec.name)
            if before is None or before.type != spec.type:
                continue
            text = self.texts.get(spec.name)
            if spec.type != "choice" or text in dict(spec.choices):
                fresh.texts[spec.name] = text
        return fresh

    def name(self, spec: ParamSpec) -> str:
        return f"{self.prefix}-{spec.name}"

    def values(self, where: Any) -> dict[str, Any]:
        """The JSON parameters; every problem is kept beside its input."""
        self.errors = {}
        values: dict[str, Any] = {}
        if self.kind is None:
            return values
        for spec in self.kind.params:
            value = param_value(spec, self.texts[spec.name])
            single = SimpleNamespace(key=self.kind.key, label=self.kind.label, params=(spec,))
            problems = check_params(single, {spec.name: value}, where)[1]
            if problems:
                self.errors[spec.name] = [str(problem) for problem in problems]
            values[spec.name] = value
        return values

    def change_pairs(self, action: str) -> bool:
        """Apply ``add_pair:<name>`` or ``remove_pair:<name>:<j>``; True when it was ours."""
        verb, _sep, rest = action.partition(":")
        target, _sep, index = rest.rpartition(":") if verb == "remove_pair" else (rest, "", "")
        for spec in self.kind.params if self.kind else ():
            if spec.type not in PAIR_PARTS or self.name(spec) != target:
                continue
            pairs = self.texts[spec.name]
            if verb == "add_pair":
                pairs.append(["", ""])
            elif index.isdigit() and int(index) < len(pairs):
                del pairs[int(index)]
            return True
        return False

    def cells(self) -> list[dict]:
        cells = []
        for spec in self.kind.params if self.kind else ():
            name, text = self.name(spec), self.texts[spec.name]
            errors = self.errors.get(spec.name, [])
            if spec.type in PAIR_PARTS:
                cells.append(self._pairs_cell(spec, name, text, errors))
            elif spec.type in NUMBER_TYPES:
                extra: dict[str, Any] = {"step": "1" if spec.type == "int" else "any"}
                if spec.minimum is not None:
                    extra["min"] = format_number(Decimal(spec.minimum))
                elif spec.type == "percent":
                    extra["min"] = "0"
                if spec.type == "percent":
                    extra["max"] = "100"
                cells.append(_cell(name, spec.label, "number", text, errors, **extra))
            elif spec.type == "choice":
                choices = [("", str(_l("Choose…")))] if spec.default is None else []
                choices += [(key, str(label)) for key, label in spec.choices]
                cells.append(_cell(name, spec.label, "select", text, errors, choices=choices))
            elif spec.type == "bool":
                cells.append(_cell(name, spec.label, "checkbox", text, errors))
            else:
                cells.append(_cell(name, spec.label, "text", text, errors))
        return cells

    def _pairs_cell(self, spec: ParamSpec, name: str, pairs: list, errors: list) -> dict:
        parts, labels = PAIR_PARTS[spec.type], PAIR_LABELS[spec.type]
        rows = []
        for j, texts in enumerate(pairs):
            row_cells = [
                _cell(
                    f"{name}-{j}-{part}",
                    _row_label(label, _l("row %(number)d", number=j + 1)),
                    "number",
                    text,
                    step="1" if part in ("count", "level") else "any",
                    min="1" if part == "count" else "0",
                    width="amount" if part == "amount" else "count",
                )
                for part, label, text in zip(parts, labels, texts, strict=True)
            ]
            rows.append(
                {
                    "number": j + 1,
                    "cells": row_cells,
                    "remove": f"remove_pair:{name}:{j}",
                    "remove_label": str(_l("Remove row %(number)d", number=j + 1)),
                }
            )
        return _cell(
            name,
            spec.label,
            "pairs",
            None,
            errors,
            headers=[str(label) for label in labels],
            rows=rows,
            add=f"add_pair:{name}",
        )


# --- rows -------------------------------------------------------------------------------------


@dataclass
class RuleRow:
    kind: str  # the kind chosen in the select
    group: str  # the alternative group letter, as typed
    params: ParamsInput  # inputs of the kind shown on the page
    errors: dict[str, list[str]] = field(default_factory=dict)
    switched: bool = False  # the kind changed and its parameters were only now shown

    @property
    def blank(self) -> bool:
        return not self.kind and not self.group.strip()


@dataclass
class Row:
    """A document or a rubric criterion: texts (and checkbox values) as typed."""

    values: dict[str, Any]
    errors: dict[str, list[str]] = field(default_factory=dict)

    def text(self, name: str) -> str:
        return str(self.values.get(name) or "").strip()


KEY_PATTERN = re.compile(r"[a-z0-9][a-z0-9_-]{0,59}")
DOCUMENT_TEXTS = ("key", "name_zh", "name_en", "max_mb", "required_from_investment")
CRITERION_TEXTS = ("key", "name_zh", "name_en", "weight", "scale_max", "minimum")
NEW_DOCUMENT = {"kinds": ["pdf"], "max_mb": "10", "required": True}
NEW_CRITERION = {"scale_max": "10"}


def _document_row(doc: Any) -> Row:
    doc = doc if isinstance(doc, Mapping) else {}
    return Row(
        {
            "key": str(doc.get("key") or ""),
            "name_zh": str(doc.get("name_zh") or ""),
            "name_en": str(doc.get("name_en") or ""),
            "kinds": [kind for kind in doc.get("kinds") or [] if isinstance(kind, str)],
            "max_mb": _number_text(doc.get("max_mb")),
            "required": bool(doc.get("required")),
            "required_from_investment": _number_text(doc.get("required_from_investment")),
        }
    )


def _criterion_row(criterion: Any) -> Row:
    criterion = criterion if isinstance(criterion, Mapping) else {}
    return Row(
        {
            "key": str(criterion.get("key") or ""),
            "name_zh": str(criterion.get("name_zh") or ""),
            "name_en": str(criterion.get("name_en") or ""),
            "weight": _number_text(criterion.get("weight")),
            "scale_max": _number_text(criterion.get("scale_max")),
            "minimum": _number_text(criterion.get("minimum")),
        }
    )


def _rule_rows(tree: Any) -> list[RuleRow] | None:
    """Rows for a tree of the shape the editor makes: ``{"all": [...]}`` of leaves and of
    ``{"any": [leaves]}`` groups (a letter each). None for anything else."""
    if not (isinstance(tree, Mapping) and set(tree) == {"all"} and isinstance(tree["all"], list)):
        return None
    rows: list[RuleRow] = []
    letters = iter(ascii_uppercase)
    for node in tree["all"]:
        if _editable_leaf(node):
            rows.append(_leaf_row(node, ""))
            continue
        children = node.get("any") if isinstance(node, Mapping) and set(node) == {"any"} else None
        letter = next(letters, None)
        if not isinstance(children, list) or not children or letter is None:
            return None
        if not all(_editable_leaf(child) for child in children):
            return None
        rows.extend(_leaf_row(child, letter) for child in children)
    return rows


def _editable_leaf(node: Any) -> bool:
    if not isinstance(node, Mapping) or not set(node) <= {"rule", "params"}:
        return False
    kind = RULE_KINDS.get(node.get("rule")) if isinstance(node.get("rule"), str) else None
    params = node.get("params")
    if kind is None or not (params is None or isinstance(params, Mapping)):
        return False
    return set(params or {}) <= {spec.name for spec in kind.params}


def _leaf_row(node: Mapping, letter: str) -> RuleRow:
    kind = RULE_KINDS[node["rule"]]
    return RuleRow(kind.key, letter, ParamsInput.from_stored("", kind, node.get("params")))


def rules_outline(node: Any) -> dict[str, Any]:
    """A rule tree as nested labels, for a tree the editor cannot show as rows."""
    if isinstance(node, Mapping):
        for combinator in ("all", "any"):
            if isinstance(node.get(combinator), list):
                return {
                    "label": str(GROUP_LABELS[combinator]),
                    "children": [rules_outline(child) for child in node[combinator]],
                }
        kind = RULE_KINDS.get(node.get("rule")) if isinstance(node.get("rule"), str) else None
        if kind is not None:
            try:
                label = kind.describe(normalise_params(kind, node.get("params")))
            except InvalidParams:
                label = kind.label
            return {"label": str(label), "children": []}
    return {"label": json.dumps(node, ensure_ascii=False, default=str), "children": []}


# --- the whole editor -------------------------------------------------------------------------


class ProgramEditor:
    """Rules, formula, documents and rubric of the programme being edited, as typed."""

    def __init__(
        self,
        rules: list[RuleRow] | None,
        locked_rules: Any,
        formula_kind: str,
        formula: ParamsInput,
        documents: list[Row],
        rubric: list[Row],
    ) -> None:
        self.rules = rules  # None: the stored tree is too deep for rows and is kept as it is
        self.locked_rules = locked_rules
        self.formula_kind = formula_kind  # chosen in the select; ``formula.kind`` is shown
        self.formula = formula
        self.formula_errors: list[str] = []
        self.switched_formula = False
        self.documents = documents
        self.rubric = rubric
        self.section_errors: dict[str, list[str]] = {}

    # construction

    @classmethod
    def from_version(cls, version: ProgramVersion | None) -> ProgramEditor:
        if version is None:
            return cls(
                [RuleRow("", "", ParamsInput("", None, {}))],
                None,
                "",
                ParamsInput("formula-p", None, {}),
                [],
                [],
            )
        rows = _rule_rows(version.eligibility)
        stored = version.formula if isinstance(version.formula, Mapping) else {}
        key = stored.get("formula") if isinstance(stored.get("formula"), str) else ""
        kind = FORMULA_KINDS.get(key)
        editor = cls(
            rows,
            version.eligibility if rows is None else None,
            key if kind else "",
            ParamsInput.from_stored("formula-p", kind, stored.get("params")),
            [_document_row(doc) for doc in version.documents or []],
            [_criterion_row(criterion) for criterion in version.rubric or []],
        )
        editor._renumber()
        return editor

    @classmethod
    def from_form(cls, formdata: Mapping, version: ProgramVersion | None) -> ProgramEditor:
        """What the page sent. The rules of a stored tree the editor cannot show as rows are
        never read from the form."""
        locked = version is not None and _rule_rows(version.eligibility) is None
        rows = None
        if not locked:
            rows = []
            for i in _indices(formdata, r"rules-(\d+)-kind"):
                prefix = f"rules-{i}"
                shown = RULE_KINDS.get(formdata.get(f"{prefix}-shown", ""))
                rows.append(
                    RuleRow(
                        formdata.get(f"{prefix}-kind", "").strip(),
                        formdata.get(f"{prefix}-group", ""),
                        ParamsInput.from_form(f"{prefix}-p", shown, formdata),
                    )
                )
        documents = [
            Row(
                {
                    **{name: formdata.get(f"documents-{i}-{name}", "") for name in DOCUMENT_TEXTS},
                    "kinds": formdata.getlist(f"documents-{i}-kinds"),
                    "required": f"documents-{i}-required" in formdata,
                }
            )
            for i in _indices(formdata, r"documents-(\d+)-key")
        ]
        rubric = [
            Row({name: formdata.get(f"rubric-{i}-{name}", "") for name in CRITERION_TEXTS})
            for i in _indices(formdata, r"rubric-(\d+)-key")
        ]
        shown = FORMULA_KINDS.get(formdata.get("formula-shown", ""))
        editor = cls(
            rows,
            version.eligibility if locked else None,
            formula_kind=formdata.get("formula-kind", "").strip(),
            formula=ParamsInput.from_form("formula-p", shown, formdata),
            documents=documents,
            rubric=rubric,
        )
        editor.show_chosen_kinds()
        return editor

    def show_chosen_kinds(self) -> None:
        """Give each rule (and the formula) the inputs of the kind now chosen in its select."""
        for row in self.rules or []:
            shown = row.params.kind.key if row.params.kind else ""
            if row.kind != shown:
                row.params = row.params.switched_to(RULE_KINDS.get(row.kind))
                row.switched = row.params.kind is not None
        shown = self.formula.kind.key if self.formula.kind else ""
        if self.formula_kind != shown:
            self.formula = self.formula.switched_to(FORMULA_KINDS.get(self.formula_kind))
            self.switched_formula = self.formula.kind is not None
        self._renumber()

    def _renumber(self) -> None:
        for i, row in enumerate(self.rules or []):
            row.params.prefix = f"rules-{i}-p"

    # actions that change the page without saving

    def apply(self, action: str) -> None:
        verb, _sep, argument = action.partition(":")
        index = int(argument) if argument.isdigit() else -1
        if verb == "add_rule" and self.rules is not None:
            self.rules.append(RuleRow("", "", ParamsInput("", None, {})))
        elif verb == "remove_rule" and self.rules is not None and 0 <= index < len(self.rules):
            del self.rules[index]
        elif verb == "add_document":
            self.documents.append(Row(dict(NEW_DOCUMENT)))
        elif verb == "remove_document" and 0 <= index < len(self.documents):
            del self.documents[index]
        elif verb == "add_criterion":
            self.rubric.append(Row(dict(NEW_CRITERION)))
        elif verb == "remove_criterion" and 0 <= index < len(self.rubric):
            del self.rubric[index]
        elif verb in ("add_pair", "remove_pair"):
            for params in [self.formula, *(row.params for row in self.rules or [])]:
                if params.change_pairs(action):
                    break
        self._renumber()

    # saving

    def build(self, version: ProgramVersion | None) -> dict[str, Any] | None:
        """The versioned data (``services.VERSIONED_FIELDS``), or None when something is wrong
        (each problem is then kept beside its input).

        A section that comes back as the page showed it keeps its stored JSON, so that saving
        an unchanged page changes nothing even where the stored data is spelt differently
        ("500000" or 500000, a parameter left to its default)."""
        data = {
            "eligibility": self._eligibility(),
            "formula": self._formula(),
            "documents": self._documents(),
            "rubric": self._rubric(),
        }
        if self.has_errors:
            return None
        if version is None:
            return data
        shown = ProgramEditor.from_version(version)
        again = {
            "eligibility": shown._eligibility(),
            "formula": shown._formula(),
            "documents": shown._documents(),
            "rubric": shown._rubric(),
        }
        for name, value in again.items():
            if value == data[name]:
                data[name] = getattr(version, name)
        if self.locked_rules is not None:
            data["eligibility"] = version.eligibility
        stored_formula = version.formula if isinstance(version.formula, Mapping) else {}
        if data["formula"] is not version.formula and "per_firm_cap" in stored_formula:
            data["formula"]["per_firm_cap"] = stored_formula["per_firm_cap"]
        return data

    @property
    def has_errors(self) -> bool:
        return bool(
            self.section_errors
            or self.formula_errors
            or self.formula.errors
            or any(row.errors or row.params.errors for row in self.rules or [])
            or any(row.errors for row in self.documents + self.rubric)
        )

    def _eligibility(self) -> Any:
        if self.rules is None:
            return self.locked_rules
        children: list[dict[str, Any]] = []
        groups: dict[str, dict[str, list]] = {}
        rows = [(number, row) for number, row in enumerate(self.rules, start=1) if not row.blank]
        for number, row in rows:
            row.errors = {}
            where = _l("Rule %(position)s", position=str(number))
            if row.params.kind is None:
                row.errors["kind"] = [str(_l("Choose a kind of rule, or remove this rule."))]
                continue
            if row.switched:
                row.errors["kind"] = [
                    str(_l("Check the parameters of the newly chosen rule, then save again."))
                ]
            leaf = {"rule": row.params.kind.key, "params": row.params.values(where)}
            letter = row.group.strip().upper()
            if not re.fullmatch(r"[A-Z]?", letter):
                row.errors["group"] = [str(_l("Use one letter from A to Z, or leave it empty."))]
            elif letter:
                if letter not in groups:
                    groups[letter] = {"any": []}
                    children.append(groups[letter])
                groups[letter]["any"].append(leaf)
            else:
                children.append(leaf)
        if not rows:
            self.section_errors["rules"] = [str(_l("Add at least one rule."))]
        return {"all": children}

    def _formula(self) -> dict[str, Any]:
        self.formula_errors = []
        if self.formula.kind is None:
            self.formula_errors = [str(_l("Choose a formula."))]
            return {"formula": self.formula_kind, "params": {}}
        if self.switched_formula:
            self.formula_errors = [
                str(_l("Check the parameters of the newly chosen formula, then save again."))
            ]
        return {"formula": self.formula.kind.key, "params": self.formula.values(_l("Formula"))}

    def _documents(self) -> list[dict[str, Any]]:
        documents, seen = [], set()
        for row in self.documents:
            if not any(row.text(name) for name in ("key", "name_zh", "name_en")):
                continue  # an empty row is left out
            row.errors = {}
            key = _key(row, seen, _l("Two documents have the same key."))
            kinds = [kind for kind in FILE_KIND_LABELS if kind in row.values["kinds"]]
            if not kinds:
                row.errors["kinds"] = [str(_l("Choose at least one kind of file."))]
            max_mb = _whole(row, "max_mb", 1, 50, _l("Enter a whole number from 1 to 50."))
            threshold = row.text("required_from_investment")
            amount = as_decimal(threshold.replace(",", "")) if threshold else None
            if threshold and (amount is None or not 0 <= amount <= MAX_MONEY):
                row.errors["required_from_investment"] = [
                    str(_l("Enter an amount of at least 0, or leave it empty."))
                ]
            documents.append(
                {
                    "key": key,
                    "name_zh": _name(row, "name_zh", _l("Enter the name in Chinese.")),
                    "name_en": _name(row, "name_en", _l("Enter the name in English.")),
                    "kinds": kinds,
                    "max_mb": max_mb,
                    "required": bool(row.values["required"]),
                    "required_from_investment": None if amount is None else format_number(amount),
                }
            )
        return documents

    def _rubric(self) -> list[dict[str, Any]]:
        criteria, seen = [], set()
        for row in self.rubric:
            if not any(row.text(name) for name in ("key", "name_zh", "name_en", "weight")):
                continue
            row.errors = {}
            key = _key(row, seen, _l("Two criteria have the same key."))
            scale_max = _whole(row, "scale_max", 1, 100, _l("Enter a whole number from 1 to 100."))
            minimum = None
            if row.text("minimum"):
                minimum = _whole(
                    row,
                    "minimum",
                    0,
                    scale_max if isinstance(scale_max, int) else 100,
                    _l("Enter a whole number from 0 to the top of the scale, or leave it empty."),
                )
            criteria.append(
                {
                    "key": key,
                    "name_zh": _name(row, "name_zh", _l("Enter the name in Chinese.")),
                    "name_en": _name(row, "name_en", _l("Enter the name in English.")),
                    "weight": _whole(
                        row, "weight", 1, 100, _l("Enter a whole number from 1 to 100.")
                    ),
                    "scale_max": scale_max,
                    "minimum": minimum,
                }
            )
        return criteria

    # for the template

    def view(self) -> dict[str, Any]:
        return {
            "rules": None if self.rules is None else self._rule_views(),
            "rules_outline": None
            if self.locked_rules is None
            else rules_outline(self.locked_rules),
            "groups": self._group_summary(),
            "formula": self._formula_view(),
            "documents": [self._document_view(i, row) for i, row in enumerate(self.documents)],
            "rubric": [self._criterion_view(i, row) for i, row in enumerate(self.rubric)],
            "weight_total": self._weight_total(),
            "section_errors": self.section_errors,
            "problems": self._problems(),
        }

    def _rule_views(self) -> list[dict[str, Any]]:
        choices = [("", str(_l("Choose a rule…")))]
        choices += [(key, str(kind.label)) for key, kind in RULE_KINDS.items()]
        views = []
        for i, row in enumerate(self.rules or []):
            number, letter = i + 1, row.group.strip().upper()
            views.append(
                {
                    "index": i,
                    "number": number,
                    "letter": letter if re.fullmatch(r"[A-Z]", letter) else "",
                    "shown": row.params.kind.key if row.params.kind else "",
                    "kind": _cell(
                        f"rules-{i}-kind",
                        _l("Rule"),
                        "select",
                        row.kind,
                        row.errors.get("kind", []),
                        choices=choices,
                    ),
                    "group": _cell(
                        f"rules-{i}-group",
                        _l("Alternative group"),
                        "text",
                        row.group,
                        row.errors.get("group", []),
                        width="letter",
                        maxlength="1",
                    ),
                    "params": row.params.cells(),
                    "remove_label": str(_l("Remove rule %(number)d", number=number)),
                }
            )
        return views

    def _group_summary(self) -> list[dict[str, Any]]:
        groups: dict[str, list[int]] = {}
        for number, row in enumerate(self.rules or [], start=1):
            letter = row.group.strip().upper()
            if re.fullmatch(r"[A-Z]", letter):
                groups.setdefault(letter, []).append(number)
        return [
            {"letter": letter, "rules": ", ".join(str(n) for n in numbers)}
            for letter, numbers in sorted(groups.items())
        ]

    def _formula_view(self) -> dict[str, Any]:
        choices = [("", str(_l("Choose a formula…")))]
        choices += [(key, str(kind.label)) for key, kind in FORMULA_KINDS.items()]
        return {
            "kind": _cell(
                "formula-kind",
                _l("Formula"),
                "select",
                self.formula_kind,
                self.formula_errors,
                choices=choices,
            ),
            "shown": self.formula.kind.key if self.formula.kind else "",
            "params": self.formula.cells(),
        }

    def _document_view(self, i: int, row: Row) -> dict[str, Any]:
        number, values, errors = i + 1, row.values, row.errors
        row_name = _l("document %(number)d", number=number)

        def cell(name: str, label: Any, widget: str, **extra: Any) -> dict:
            return _cell(
                f"documents-{i}-{name}",
                _row_label(label, row_name),
                widget,
                values.get(name, ""),
                errors.get(name, []),
                **extra,
            )

        kinds = [
            {"value": kind, "label": str(label), "checked": kind in values.get("kinds", [])}
            for kind, label in FILE_KIND_LABELS.items()
        ]
        return {
            "index": i,
            "number": number,
            "cells": [
                cell("key", _l("Key"), "text", width="key"),
                cell("name_zh", _l("Name in Chinese"), "text", width="name"),
                cell("name_en", _l("Name in English"), "text", width="name"),
                cell("kinds", _l("Accepted files"), "checkboxes", options=kinds),
                cell(
                    "max_mb",
                    _l("Largest file (MB)"),
                    "number",
                    step="1",
                    min="1",
                    max="50",
                    width="count",
                ),
                cell("required", _l("Required"), "checkbox"),
                cell(
                    "required_from_investment",
                    _l("Required from an investment of (yuan)"),
                    "text",
                    inputmode="decimal",
                    width="amount",
                ),
            ],
            "remove_label": str(_l("Remove document %(number)d", number=number)),
        }

    def _criterion_view(self, i: int, row: Row) -> dict[str, Any]:
        number = i + 1
        row_name = _l("criterion %(number)d", number=number)

        def cell(name: str, label: Any, widget: str, **extra: Any) -> dict:
            return _cell(
                f"rubric-{i}-{name}",
                _row_label(label, row_name),
                widget,
                row.values.get(name, ""),
                row.errors.get(name, []),
                **extra,
            )

        return {
            "index": i,
            "number": number,
            "cells": [
                cell("key", _l("Key"), "text", width="key"),
                cell("name_zh", _l("Name in Chinese"), "text", width="name"),
                cell("name_en", _l("Name in English"), "text", width="name"),
                cell("weight", _l("Weight"), "number", step="1", min="1", max="100", width="count"),
                cell(
                    "scale_max", _l("Top of the scale"), "number", step="1", min="1", width="count"
                ),
                cell("minimum", _l("Minimum score"), "number", step="1", min="0", width="count"),
            ],
            "remove_label": str(_l("Remove criterion %(number)d", number=number)),
        }

    def _weight_total(self) -> int | None:
        weights = [as_int(row.text("weight")) for row in self.rubric if row.text("weight")]
        return sum(weights) if weights and None not in weights else None

    def _problems(self) -> list[dict[str, str]]:
        """Every problem of the rows, in page order, for the summary at the top."""
        problems = [
            {"href": "#rules", "text": error} for error in self.section_errors.get("rules", [])
        ]
        for view in self._rule_views() if self.rules is not None else []:
            rule = _l("Rule %(position)s", position=str(view["number"]))
            for cell in (view["kind"], view["group"]):
                problems += [
                    {"href": f"#{cell['id']}", "text": _in_context(rule, error)}
                    for error in cell["errors"]
                ]
            for cell in view["params"]:  # these messages name the rule already
                problems += [{"href": f"#{cell['id']}", "text": e} for e in cell["errors"]]
        formula = self._formula_view()
        for cell in (formula["kind"], *formula["params"]):
            problems += [{"href": f"#{cell['id']}", "text": e} for e in cell["errors"]]
        for view in [self._document_view(i, r) for i, r in enumerate(self.documents)] + [
            self._criterion_view(i, r) for i, r in enumerate(self.rubric)
        ]:
            for cell in view["cells"]:
                problems += [
                    {"href": f"#{cell['id']}", "text": _in_context(cell["label"], error)}
                    for error in cell["errors"]
                ]
        return problems


def _in_context(where: Any, error: str) -> str:
    return str(_l("%(field)s: %(error)s", field=where, error=error))


def _key(row: Row, seen: set[str], duplicate: Any) -> str:
    key = row.text("key")
    if not key:
        row.errors["key"] = [str(_l("Enter a key."))]
    elif not KEY_PATTERN.fullmatch(key):
        row.errors["key"] = [
            str(_l("Use up to 60 lower-case letters, digits, hyphens and underscores."))
        ]
    elif key in seen:
        row.errors["key"] = [str(duplicate)]
    seen.add(key)
    return key


def _name(row: Row, name: str, missing: Any) -> str:
    text = row.text(name)
    if not text:
        row.errors[name] = [str(missing)]
    elif len(text) > 200:
        row.errors[name] = [str(_l("Use at most 200 characters."))]
    return text


def _whole(row: Row, name: str, minimum: int, maximum: int, message: Any) -> Any:
    number = as_int(row.text(name))
    if number is None or not minimum <= number <= maximum:
        row.errors[name] = [str(message)]
        return row.text(name)
    return number
