"""The programme editor's rows as the page draws them.

Each input becomes a *cell*, a dict that ``templates/program_editor/_macros.html`` draws: id,
name, label, widget (text, number, select, checkbox, checkboxes, pairs), value (what was typed,
as WTForms shows it again), errors, and optionally choices, options, step, min, max,
maxlength, inputmode and width. The inputs of a table's row carry hidden labels that name the
row ("Weight, criterion 3"), and every problem also goes into the summary at the top of the
page, linked to its input.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, Field, SelectMultipleField

from portal.programs.parameters import InvalidParams, ParamSpec, format_number, normalise_params
from portal.programs.rule_catalogue import GROUP_LABELS, RULE_KINDS
from portal.web.admin.program_editor_data import ProgramEditor
from portal.web.admin.program_editor_fields import RowWholeNumberField
from portal.web.admin.program_editor_forms import (
    CriterionRowForm,
    DocumentRowForm,
    FormulaForm,
    RuleRowForm,
)
from portal.web.admin.program_params import NUMBER_TYPES, PAIR_LABELS, PAIR_PARTS, ParamsInput


def editor_view(editor: ProgramEditor) -> dict[str, Any]:
    """Everything ``templates/program_editor/editor.html`` draws below the basic details."""
    rules = None if editor.locked else [_rule_view(i, row) for i, row in enumerate(editor.rules)]
    formula = _formula_view(editor.formula)
    documents = [_document_view(i, row) for i, row in enumerate(editor.documents)]
    criteria = [_criterion_view(i, row) for i, row in enumerate(editor.rubric)]
    return {
        "rules": rules,
        "rules_outline": rules_outline(editor.locked_rules) if editor.locked else None,
        "groups": _group_summary(editor.rules),
        "formula": formula,
        "documents": documents,
        "rubric": criteria,
        "weight_total": _weight_total(editor.rubric),
        "section_errors": editor.section_errors,
        "problems": _problems(editor.section_errors, rules or [], formula, documents + criteria),
    }


# --- cells ------------------------------------------------------------------------------------


def cell(name: str, label: Any, widget: str, value: Any, errors=(), **extra: Any) -> dict:
    """One input as the template draws it."""
    return {
        "id": extra.pop("id", name),
        "name": name,
        "label": str(label),
        "widget": widget,
        "value": value,
        "errors": [str(error) for error in errors],
        "choices": extra.pop("choices", []),
        **extra,
    }


def field_cell(field: Field, label: Any, widget: str, errors: Any = None, **extra: Any) -> dict:
    """A WTForms field as a cell: its input shows again what was typed."""
    if widget == "checkbox":
        value: Any = bool(field.data)
    elif widget in ("select", "checkboxes"):
        value = field.data or ("" if widget == "select" else [])
    else:
        value = field._value()
    if widget == "select" and "choices" not in extra:
        extra["choices"] = [(choice.value, str(choice.label)) for choice in field.iter_choices()]
    errors = field.errors if errors is None else errors
    return cell(
        field.name, label, widget, value, errors, id=field.id, **(field.render_kw or {}), **extra
    )


def _row_label(label: Any, row: Any) -> str:
    """A hidden label that names the row of a table: "Weight, criterion 3"."""
    return str(_l("%(label)s, %(row)s", label=label, row=row))


def _in_context(where: Any, error: str) -> str:
    return str(_l("%(field)s: %(error)s", field=where, error=error))


# --- rules and formula ------------------------------------------------------------------------


def _rule_view(i: int, row: RuleRowForm) -> dict[str, Any]:
    number = i + 1
    return {
        "index": i,
        "number": number,
        "letter": row.letter or "",
        "shown": row.params.kind.key if row.params.kind else "",
        "kind": field_cell(row.kind, row.kind.label.text, "select"),
        "group": field_cell(row.group, row.group.label.text, "text", width="letter"),
        "params": param_cells(row.params),
        "remove_label": str(_l("Remove rule %(number)d", number=number)),
    }


def _group_summary(rows: list[RuleRowForm]) -> list[dict[str, Any]]:
    groups: dict[str, list[int]] = {}
    for number, row in enumerate(rows, start=1):
        if row.letter:
            groups.setdefault(row.letter, []).append(number)
    return [
        {"letter": letter, "rules": ", ".join(str(n) for n in numbers)}
        for letter, numbers in sorted(groups.items())
    ]


def _formula_view(formula: FormulaForm) -> dict[str, Any]:
    return {
        "kind": field_cell(formula.kind, formula.kind.label.text, "select"),
        "shown": formula.params.kind.key if formula.params.kind else "",
        "params": param_cells(formula.params),
    }


def param_cells(params: ParamsInput) -> list[dict]:
    cells = []
    for spec in params.specs:
        field, errors = params.form[spec.name], params.errors.get(spec.name, [])
        if spec.type in PAIR_PARTS:
            cells.append(_pairs_cell(spec, field, errors))
        elif spec.type in NUMBER_TYPES:
            extra: dict[str, Any] = {"step": "1" if spec.type == "int" else "any"}
            if spec.minimum is not None:
                extra["min"] = format_number(Decimal(spec.minimum))
            elif spec.type == "percent":
                extra["min"] = "0"
            if spec.type == "percent":
                extra["max"] = "100"
            cells.append(field_cell(field, spec.label, "number", errors, **extra))
        elif spec.type == "choice":
            choices = [("", str(_l("Choose…")))] if spec.default is None else []
            choices += [(key, str(label)) for key, label in spec.choices]
            cells.append(field_cell(field, spec.label, "select", errors, choices=choices))
        elif spec.type == "bool":
            cells.append(field_cell(field, spec.label, "checkbox", errors))
        else:
            cells.append(field_cell(field, spec.label, "text", errors))
    return cells


def _pairs_cell(spec: ParamSpec, table: Field, errors: list[str]) -> dict:
    """A table of pairs (tiers, level caps): a row of two inputs per pair."""
    rows = []
    for j, entry in enumerate(table):
        row_name = _l("row %(number)d", number=j + 1)
        rows.append(
            {
                "number": j + 1,
                "cells": [
                    field_cell(
                        part,
                        _row_label(part.label.text, row_name),
                        "number",
                        width="amount" if part.short_name == "amount" else "count",
                    )
                    for part in entry.form
                ],
                "remove": f"remove_pair:{table.name}:{j}",
                "remove_label": str(_l("Remove row %(number)d", number=j + 1)),
            }
        )
    return cell(
        table.name,
        spec.label,
        "pairs",
        None,
        errors,
        headers=[str(label) for label in PAIR_LABELS[spec.type]],
        rows=rows,
        add=f"add_pair:{table.name}",
    )


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


# --- documents and rubric ---------------------------------------------------------------------


def _row_cells(row: DocumentRowForm | CriterionRowForm, row_name: Any, widths: dict) -> list:
    """A cell per field of a table's row, in the order of the table's columns."""
    cells = []
    for field in row:
        widget = _row_widget(field)
        extra = {"width": widths[field.short_name]} if field.short_name in widths else {}
        if widget == "checkboxes":
            extra["options"] = [
                {"value": choice.value, "label": str(choice.label), "checked": choice.selected}
                for choice in field.iter_choices()
            ]
        cells.append(field_cell(field, _row_label(field.label.text, row_name), widget, **extra))
    return cells


def _row_widget(field: Field) -> str:
    if isinstance(field, BooleanField):
        return "checkbox"
    if isinstance(field, SelectMultipleField):
        return "checkboxes"
    return "number" if isinstance(field, RowWholeNumberField) else "text"


_DOCUMENT_WIDTHS = {
    "key": "key",
    "name_zh": "name",
    "name_en": "name",
    "max_mb": "count",
    "required_from_investment": "amount",
}
_CRITERION_WIDTHS = {
    "key": "key",
    "name_zh": "name",
    "name_en": "name",
    "weight": "count",
    "scale_max": "count",
    "minimum": "count",
}


def _document_view(i: int, row: DocumentRowForm) -> dict[str, Any]:
    number = i + 1
    return {
        "index": i,
        "number": number,
        "cells": _row_cells(row, _l("document %(number)d", number=number), _DOCUMENT_WIDTHS),
        "remove_label": str(_l("Remove document %(number)d", number=number)),
    }


def _criterion_view(i: int, row: CriterionRowForm) -> dict[str, Any]:
    number = i + 1
    return {
        "index": i,
        "number": number,
        "cells": _row_cells(row, _l("criterion %(number)d", number=number), _CRITERION_WIDTHS),
        "remove_label": str(_l("Remove criterion %(number)d", number=number)),
    }


def _weight_total(rows: list[CriterionRowForm]) -> int | None:
    weights = [row.weight.number for row in rows if row.weight.data]
    if not weights or None in weights:
        return None
    return sum(weight for weight in weights if weight is not None)


def _problems(
    section_errors: dict[str, list[str]],
    rules: list[dict[str, Any]],
    formula: dict[str, Any],
    tables: list[dict[str, Any]],
) -> list[dict[str, str]]:
    """Every problem of the rows, in page order, for the summary at the top."""
    problems = [{"href": "#rules", "text": error} for error in section_errors.get("rules", [])]
    for view in rules:
        rule = _l("Rule %(position)s", position=str(view["number"]))
        for item in (view["kind"], view["group"]):
            problems += [
                {"href": f"#{item['id']}", "text": _in_context(rule, error)}
                for error in item["errors"]
            ]
        for item in view["params"]:  # these messages name the rule already
            problems += [{"href": f"#{item['id']}", "text": e} for e in item["errors"]]
    for item in (formula["kind"], *formula["params"]):
        problems += [{"href": f"#{item['id']}", "text": e} for e in item["errors"]]
    for view in tables:
        for item in view["cells"]:
            problems += [
                {"href": f"#{item['id']}", "text": _in_context(item["label"], error)}
                for error in item["errors"]
            ]
    return problems
