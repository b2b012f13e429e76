"""The rows of the programme editor, and the versioned data they stand for.

``ProgramEditor`` holds the rows as typed (``ProgramRowsForm``), changes them without saving
(add or remove a row, show the parameters of a newly chosen kind), and turns them into the
``eligibility``, ``formula``, ``documents`` and ``rubric`` of a ``ProgramVersion``
(``services.VERSIONED_FIELDS``). ``from_version`` goes the other way: the rows that show a
stored version.

The editor shows eligibility rules as a list, all of which must be met, in which rules that
share a letter form a group of alternatives. A stored tree of another shape (deeper nesting)
cannot be shown as rows: it is shown read-only and kept as it is.
"""

from __future__ import annotations

from collections.abc import Mapping
from string import ascii_uppercase
from typing import Any

from flask_babel import lazy_gettext as _l
from wtforms import FieldList

from portal.programs.files_kinds import KIND_LABELS as FILE_KIND_LABELS
from portal.programs.formulas import FORMULA_KINDS
from portal.programs.models import ProgramVersion
from portal.programs.parameters import format_number
from portal.programs.rule_catalogue import RULE_KINDS
from portal.web.admin.program_editor_forms import (
    CriterionRowForm,
    DocumentRowForm,
    FormulaForm,
    ProgramRowsForm,
    RuleRowForm,
)
from portal.web.admin.program_params import number_text

NEW_DOCUMENT = {"kinds": ["pdf"], "max_mb": "10", "required": True}
NEW_CRITERION = {"scale_max": "10"}
_CHECK_RULE = _l("Check the parameters of the newly chosen rule, then save again.")
_CHECK_FORMULA = _l("Check the parameters of the newly chosen formula, then save again.")


class ProgramEditor:
    """Rules, formula, documents and rubric of the programme being edited, as typed."""

    def __init__(self, form: ProgramRowsForm, locked_rules: Any = None, *, locked: bool = False):
        self.form = form
        # A stored tree too deep for rows: shown read-only, kept, never read from the page.
        self.locked = locked
        self.locked_rules = locked_rules
        self.section_errors: dict[str, list[str]] = {}

    @property
    def rules(self) -> list[RuleRowForm]:
        return [entry.form for entry in self.form.rules]

    @property
    def formula(self) -> FormulaForm:
        return self.form.formula.form

    @property
    def documents(self) -> list[DocumentRowForm]:
        return [entry.form for entry in self.form.documents]

    @property
    def rubric(self) -> list[CriterionRowForm]:
        return [entry.form for entry in self.form.rubric]

    # construction

    @classmethod
    def from_version(cls, version: ProgramVersion | None) -> ProgramEditor:
        if version is None:  # a new programme: one empty rule to start from
            return cls(ProgramRowsForm(data={"rules": [{}]}))
        rows = rule_rows(version.eligibility)
        stored = version.formula if isinstance(version.formula, Mapping) else {}
        key = stored.get("formula") if isinstance(stored.get("formula"), str) else ""
        key = key if key in FORMULA_KINDS else ""
        form = ProgramRowsForm(
            data={
                "rules": rows or [],
                "formula": {"kind": key, "shown": key, "params": stored.get("params")},
                "documents": [document_data(doc) for doc in version.documents or []],
                "rubric": [criterion_data(criterion) for criterion in version.rubric or []],
            }
        )
        if rows is None:
            return cls(form, version.eligibility, locked=True)
        return cls(form)

    @classmethod
    def from_form(cls, formdata: Any, version: ProgramVersion | None) -> ProgramEditor:
        """What the page sent, with the parameter inputs of each kind now chosen. The rules of
        a stored tree the editor cannot show as rows are never read from the page."""
        form = ProgramRowsForm(formdata)
        if version is not None and rule_rows(version.eligibility) is None:
            form.rules.process(None)  # no rows
            editor = cls(form, version.eligibility, locked=True)
        else:
            editor = cls(form)
        for row in [*editor.rules, editor.formula]:
            row.show_chosen_kind()
        editor._renumber()
        return editor

    def _renumber(self) -> None:
        """Name each rule's parameter inputs after the rule's place on the page."""
        for entry in self.form.rules:
            entry.form.params = entry.form.params.renamed(f"{entry.name}-p")

    # actions that change the page without saving

    def apply(self, action: str) -> None:
        """``add_<row>``, ``remove_<row>:<i>`` (rule, document, criterion), ``add_pair:<name>``
        or ``remove_pair:<name>:<j>``; anything else (``refresh``) only redraws."""
        verb, _sep, argument = action.partition(":")
        index = int(argument) if argument.isdigit() else -1
        lists: dict[str, tuple[FieldList, dict]] = {
            "rule": (self.form.rules, {}),
            "document": (self.form.documents, NEW_DOCUMENT),
            "criterion": (self.form.rubric, NEW_CRITERION),
        }
        change, _sep, what = verb.partition("_")
        if verb in ("add_pair", "remove_pair"):
            for params in [self.formula.params, *(row.params for row in self.rules)]:
                if params.change_pairs(action):
                    break
        elif what in lists and not (what == "rule" and self.locked):
            rows, new = lists[what]
            if change == "add":
                rows.append_entry(dict(new))
            elif change == "remove" and 0 <= index < len(rows.entries):
                rows.pop_entry(index)  # the rows below move up and are renumbered
        self._renumber()

    # saving

    def build(self, version: ProgramVersion | None) -> dict[str, Any] | None:
        """The versioned data (``services.VERSIONED_FIELDS``), or None when something is wrong
        (each problem is then kept beside its input).

        A section that comes back as the page showed it keeps its stored JSON, so that saving
        an unchanged page changes nothing even where the stored data is spelt differently
        ("500000" or 500000, a parameter left to its default)."""
        self.section_errors = {}
        self.form.validate()
        for row in self.rules:
            if row.switched:
                row.kind.errors = [*row.kind.errors, str(_CHECK_RULE)]
        if self.formula.switched:
            self.formula.kind.errors = [*self.formula.kind.errors, str(_CHECK_FORMULA)]
        data = self.versioned_data()
        if not self.locked and all(row.blank for row in self.rules):
            self.section_errors["rules"] = [str(_l("Add at least one rule."))]
        if self.has_errors:
            return None
        if version is None:
            return data
        again = ProgramEditor.from_version(version).versioned_data()
        for name, value in again.items():
            if value == data[name]:
                data[name] = getattr(version, name)
        if self.locked:
            data["eligibility"] = version.eligibility
        stored_formula = version.formula if isinstance(version.formula, Mapping) else {}
        if data["formula"] is not version.formula and "per_firm_cap" in stored_formula:
            data["formula"]["per_firm_cap"] = stored_formula["per_firm_cap"]
        return data

    def versioned_data(self) -> dict[str, Any]:
        """The rows as the JSON of a version; the parameters' problems are kept beside their
        inputs."""
        return {
            "eligibility": self.locked_rules if self.locked else eligibility_tree(self.rules),
            "formula": formula_data(self.formula),
            "documents": [document_entry(row) for row in self.documents if not row.blank],
            "rubric": [criterion_entry(row) for row in self.rubric if not row.blank],
        }

    @property
    def has_errors(self) -> bool:
        kinds = [*self.rules, self.formula]
        return bool(
            self.section_errors
            or any(row.errors for row in [*kinds, *self.documents, *self.rubric])
            or any(row.params.errors for row in kinds)
        )


# --- rows into JSON ---------------------------------------------------------------------------


def eligibility_tree(rows: list[RuleRowForm]) -> dict[str, Any]:
    """``{"all": [...]}`` of the rules; the rules that share a letter become one
    ``{"any": [...]}``, where the first of them is."""
    children: list[dict[str, Any]] = []
    groups: dict[str, dict[str, list]] = {}
    for number, row in enumerate(rows, start=1):
        if row.blank or row.params.kind is None:
            continue
        where = _l("Rule %(position)s", position=str(number))
        leaf = {"rule": row.params.kind.key, "params": row.params.values(where)}
        letter = row.letter
        if letter is None:
            continue  # refused beside the group's input
        if letter:
            if letter not in groups:
                groups[letter] = {"any": []}
                children.append(groups[letter])
            groups[letter]["any"].append(leaf)
        else:
            children.append(leaf)
    return {"all": children}


def formula_data(formula: FormulaForm) -> dict[str, Any]:
    if formula.params.kind is None:
        return {"formula": formula.chosen, "params": {}}
    return {"formula": formula.params.kind.key, "params": formula.params.values(_l("Formula"))}


def document_entry(row: DocumentRowForm) -> dict[str, Any]:
    amount = row.required_from_investment.number
    return {
        "key": row.key.data,
        "name_zh": row.name_zh.data,
        "name_en": row.name_en.data,
        "kinds": [kind for kind in FILE_KIND_LABELS if kind in (row.kinds.data or [])],
        "max_mb": row.max_mb.number,
        "required": bool(row.required.data),
        "required_from_investment": None if amount is None else format_number(amount),
    }


def criterion_entry(row: CriterionRowForm) -> dict[str, Any]:
    return {
        "key": row.key.data,
        "name_zh": row.name_zh.data,
        "name_en": row.name_en.data,
        "weight": row.weight.number,
        "scale_max": row.scale_max.number,
        "minimum": row.minimum.number,
    }


# --- stored JSON into rows --------------------------------------------------------------------


def document_data(doc: Any) -> dict[str, Any]:
    doc = doc if isinstance(doc, Mapping) else {}
    return {
        "key": str(doc.get("key") or ""),
        "name_zh": str(doc.get("name_zh") or ""),
        "name_en": str(doc.get("name_en") or ""),
        "kinds": [kind for kind in doc.get("kinds") or [] if isinstance(kind, str)],
        "max_mb": number_text(doc.get("max_mb")),
        "required": bool(doc.get("required")),
        "required_from_investment": number_text(doc.get("required_from_investment")),
    }


def criterion_data(criterion: Any) -> dict[str, Any]:
    criterion = criterion if isinstance(criterion, Mapping) else {}
    return {
        "key": str(criterion.get("key") or ""),
        "name_zh": str(criterion.get("name_zh") or ""),
        "name_en": str(criterion.get("name_en") or ""),
        "weight": number_text(criterion.get("weight")),
        "scale_max": number_text(criterion.get("scale_max")),
        "minimum": number_text(criterion.get("minimum")),
    }


def rule_rows(tree: Any) -> list[dict[str, Any]] | None:
    """The rows (as ``RuleRowForm`` data) of a tree of the shape the editor makes:
    ``{"all": [...]}`` of leaves and of ``{"any": [leaves]}`` groups (a letter each). None for
    anything else."""
    if not (isinstance(tree, Mapping) and set(tree) == {"all"} and isinstance(tree["all"], list)):
        return None
    rows: list[dict[str, Any]] = []
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


def _leaf_row(node: Mapping, letter: str) -> dict[str, Any]:
    key = node["rule"]
    return {"kind": key, "group": letter, "shown": key, "params": node.get("params")}
