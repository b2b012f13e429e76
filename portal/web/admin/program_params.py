"""The parameter inputs of one eligibility rule, or of the subsidy formula.

Which inputs there are depends on the kind chosen (``rules.RULE_KINDS``,
``formulas.FORMULA_KINDS``), so their form is made from the kind's ``ParamSpec``s each time it
is read or drawn: a text input per number or text, a select per choice, a checkbox per yes/no,
and a table of pairs (``FieldList(FormField(...))``) per list of tiers or of level caps.

Names: ``<prefix>-<param>``, and ``<prefix>-<param>-<j>-<part>`` in a table of pairs; the
prefix is ``rules-<i>-p`` or ``formula-p``. Every input keeps what was typed, as text:
``check_params`` then names each problem in the registry's own words, beside its input.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import SimpleNamespace
from typing import Any

from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, FieldList, Form, FormField, SelectField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.fields.core import UnboundField
from wtforms.form import BaseForm

from portal.programs.parameters import (
    HasParams,
    ParamSpec,
    as_decimal,
    as_int,
    check_params,
    format_number,
)

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


class TierRowForm(Form):
    """A row of a table of tiers: the next so many firms of the ranking get so much each."""

    count = StringField(PAIR_LABELS["tiers"][0], render_kw={"step": "1", "min": "1"})
    amount = StringField(PAIR_LABELS["tiers"][1], render_kw={"step": "any", "min": "0"})


class LevelCapRowForm(Form):
    """A row of a table of caps: firms of this level get at most so much."""

    level = StringField(PAIR_LABELS["level_caps"][0], render_kw={"step": "1", "min": "0"})
    amount = StringField(PAIR_LABELS["level_caps"][1], render_kw={"step": "any", "min": "0"})


PAIR_FORMS: dict[str, type[Form]] = {"tiers": TierRowForm, "level_caps": LevelCapRowForm}


def _unbound_field(spec: ParamSpec) -> UnboundField:
    """The input of one parameter. Text stays text (no coercion), so that what was typed is
    shown again and ``check_params`` words the problem."""
    if spec.type == "bool":
        return BooleanField(spec.label)
    if spec.type in PAIR_FORMS:
        return FieldList(FormField(PAIR_FORMS[spec.type]), spec.label)
    if spec.type == "choice":
        choices = [SelectChoice(key, label) for key, label in spec.choices]
        return SelectField(spec.label, choices=choices, validate_choice=False)
    return StringField(spec.label)


# --- stored JSON and typed text ---------------------------------------------------------------


def number_text(value: Any) -> str:
    """A stored number as the officer would type it: "500000", "1.5"."""
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
        return [[number_text(a), number_text(b)] for a, b in _stored_pairs(value)]
    if value is None:
        return ""
    if spec.type in NUMBER_TYPES:
        return number_text(value)
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


def _form_data(spec: ParamSpec, text: ParamText) -> Any:
    """``text`` as the data of the parameter's field."""
    if spec.type in PAIR_PARTS and isinstance(text, list):
        return [dict(zip(PAIR_PARTS[spec.type], pair, strict=True)) for pair in text]
    return text


# --- the inputs of one kind -------------------------------------------------------------------


class ParamsInput:
    """The parameter inputs of one rule or of the formula, for the kind shown on the page: a
    WTForms ``BaseForm`` made from the kind's specs, and the problems of each parameter."""

    def __init__(
        self,
        prefix: str,
        kind: HasParams | None,
        *,
        formdata: Any = None,
        texts: Mapping[str, ParamText] | None = None,
    ) -> None:
        self.prefix = prefix
        self.kind = kind
        self.form = BaseForm([(spec.name, _unbound_field(spec)) for spec in self.specs], prefix)
        data = {
            spec.name: _form_data(spec, texts[spec.name])
            for spec in self.specs
            if texts is not None and spec.name in texts
        }
        self.form.process(formdata, data=data)
        self.errors: dict[str, list[str]] = {}

    @classmethod
    def from_stored(cls, prefix: str, kind: HasParams | None, params: Any) -> ParamsInput:
        params = params if isinstance(params, Mapping) else {}
        specs = kind.params if kind is not None else ()
        texts = {spec.name: param_text(spec, params.get(spec.name, spec.default)) for spec in specs}
        return cls(prefix, kind, texts=texts)

    @classmethod
    def from_form(cls, prefix: str, kind: HasParams | None, formdata: Any) -> ParamsInput:
        return cls(prefix, kind, formdata=formdata)

    @property
    def specs(self) -> tuple[ParamSpec, ...]:
        return tuple(self.kind.params) if self.kind is not None else ()

    @property
    def texts(self) -> dict[str, ParamText]:
        """What each input holds: text, a checkbox's state, or the texts of a table's rows."""
        return {spec.name: self._text(spec) for spec in self.specs}

    def _text(self, spec: ParamSpec) -> ParamText:
        field = self.form[spec.name]
        if spec.type == "bool":
            return bool(field.data)
        if spec.type in PAIR_PARTS:
            parts = PAIR_PARTS[spec.type]
            return [[entry.form[part].data or "" for part in parts] for entry in field]
        return field.data or ""

    def renamed(self, prefix: str) -> ParamsInput:
        """The same inputs under another prefix (the rule moved up when one above went)."""
        if prefix == self.prefix:
            return self
        return ParamsInput(prefix, self.kind, texts=self.texts)

    def switched_to(self, kind: HasParams | None) -> ParamsInput:
        """Inputs for another kind: its defaults, keeping what was typed for a parameter of the
        same name and type."""
        if kind is None:
            return ParamsInput(self.prefix, None)
        texts = ParamsInput.from_stored(self.prefix, kind, {}).texts
        typed = self.texts
        old = {spec.name: spec for spec in self.specs}
        for spec in kind.params:
            before = old.get(spec.name)
            if before is None or before.type != spec.type:
                continue
            text = typed[spec.name]
            if spec.type != "choice" or text in dict(spec.choices):
                texts[spec.name] = text
        return ParamsInput(self.prefix, kind, texts=texts)

    def values(self, where: Any) -> dict[str, Any]:
        """The JSON parameters; every problem is kept beside its input."""
        self.errors = {}
        values: dict[str, Any] = {}
        if self.kind is None:
            return values
        texts = self.texts
        for spec in self.kind.params:
            value = param_value(spec, texts[spec.name])
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
        for spec in self.specs:
            table = self.form[spec.name]
            if spec.type not in PAIR_PARTS or table.name != target:
                continue
            if verb == "add_pair":
                table.append_entry()
            elif index.isdigit() and int(index) < len(table.entries):
                table.pop_entry(int(index))  # the rows below move up and are renumbered
            return True
        return False
