"""Eligibility rules as data: a rule tree evaluated against a firm's facts.

A programme's eligibility is a JSON-able tree that an officer edits:

- a leaf ``{"rule": "<kind>", "params": {...}}`` names one of ``RULE_KINDS``
  (``rule_catalogue``; what each kind checks is in ``rule_checks``);
- a group ``{"all": [node, ...]}`` or ``{"any": [node, ...]}`` combines nodes (nestable).

Every threshold is a parameter with a default taken from the demo programmes (``parameters``);
nothing here is a constant of a programme. ``evaluate`` reads only ``FirmFacts`` and says, for
each leaf, pass, fail or missing (the data needed is not given, and the detail tells the firm
what to fill in), and for the whole tree the verdict.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from flask_babel import lazy_gettext as _l

from portal.programs import parameters
from portal.programs.facts import FirmFacts
from portal.programs.parameters import HasParams, Text, check_params
from portal.programs.rule_catalogue import GROUP_LABELS, RULE_KINDS
from portal.programs.rule_checks import Status

MAX_DEPTH = 20


def normalise_params(kind: HasParams | str, raw: Mapping[str, Any] | None) -> dict[str, Any]:
    """``parameters.normalise_params``, where ``kind`` may also be a rule's key ("rd_grew")."""
    return parameters.normalise_params(RULE_KINDS[kind] if isinstance(kind, str) else kind, raw)


@dataclass(frozen=True)
class RuleResult:
    kind: str | None  # None for groups
    label: Text
    status: Status
    detail: Text | None
    children: tuple[RuleResult, ...] = ()
    combinator: str | None = None  # "all" / "any" for groups


# --- trees ----------------------------------------------------------------------------------


class InvalidRuleTree(ValueError):
    def __init__(self, problems: list[str]) -> None:
        super().__init__(problems)
        self.problems = problems

    def __str__(self) -> str:
        return "; ".join(str(problem) for problem in self.problems)


def _where(path: tuple[int, ...]) -> Text:
    if not path:
        return _l("Top level")
    return _l("Rule %(position)s", position=".".join(str(index) for index in path))


def validate_tree(tree: Any) -> list[str]:
    """Every problem in a rule tree, in tree order, each naming where it is ("Rule 2.1");
    an empty list when the tree is valid. Plain strings in the current locale."""
    problems: list[Text] = []
    _check_node(tree, (), problems)
    return [str(problem) for problem in problems]


def _check_node(node: Any, path: tuple[int, ...], problems: list[Text]) -> None:
    where = _where(path)
    if len(path) > MAX_DEPTH:
        problems.append(_l("%(where)s: the rules are nested too deeply.", where=where))
        return
    shapes = [key for key in ("rule", "all", "any") if isinstance(node, Mapping) and key in node]
    if len(shapes) != 1:
        problems.append(_l("%(where)s: expected a rule or a group of rules.", where=where))
        return
    shape = shapes[0]
    allowed = {"rule", "params"} if shape == "rule" else {shape}
    for key in node:
        if key not in allowed:
            problems.append(_l("%(where)s: unknown entry “%(key)s”.", where=where, key=str(key)))
    if shape == "rule":
        key = node["rule"]
        kind = RULE_KINDS.get(key) if isinstance(key, str) else None
        if kind is None:
            problems.append(
                _l("%(where)s: unknown rule kind “%(kind)s”.", where=where, kind=str(key))
            )
            return
        problems.extend(check_params(kind, node.get("params"), where)[1])
        return
    children = node[shape]
    if not isinstance(children, list | tuple):
        problems.append(_l("%(where)s: a group must list its rules.", where=where))
        return
    if not children:
        problems.append(_l("%(where)s: the group is empty.", where=where))
        return
    for index, child in enumerate(children, start=1):
        _check_node(child, (*path, index), problems)


def combine(combinator: str, statuses: Iterable[Status]) -> Status:
    """all: fail if any fails, else missing if any is missing, else pass.
    any: pass if any passes, else missing if any is missing, else fail."""
    found = set(statuses)
    if combinator == "all":
        decisive, otherwise = Status.FAIL, Status.PASS
    elif combinator == "any":
        decisive, otherwise = Status.PASS, Status.FAIL
    else:
        raise ValueError(f"unknown combinator {combinator!r}")
    if decisive in found:
        return decisive
    return Status.MISSING if Status.MISSING in found else otherwise


def evaluate(tree: Mapping[str, Any], facts: FirmFacts) -> RuleResult:
    """Evaluate a rule tree for a firm. Raises ``InvalidRuleTree`` when ``validate_tree``
    finds problems."""
    problems = validate_tree(tree)
    if problems:
        raise InvalidRuleTree(problems)
    return _evaluate(tree, facts)


def _evaluate(node: Mapping[str, Any], facts: FirmFacts) -> RuleResult:
    if "rule" in node:
        kind = RULE_KINDS[node["rule"]]
        params = normalise_params(kind, node.get("params"))
        outcome = kind.evaluate(facts, params)
        return RuleResult(kind.key, kind.describe(params), outcome.status, outcome.detail)
    combinator = "all" if "all" in node else "any"
    children = tuple(_evaluate(child, facts) for child in node[combinator])
    return RuleResult(
        kind=None,
        label=GROUP_LABELS[combinator],
        status=combine(combinator, (child.status for child in children)),
        detail=None,
        children=children,
        combinator=combinator,
    )


def missing_data(result: RuleResult) -> list[Text]:
    """The details of every missing leaf, in tree order, each said once: what to fill in."""
    found: list[Text] = []

    def walk(node: RuleResult) -> None:
        if node.combinator is not None:
            for child in node.children:
                walk(child)
        elif (
            node.status is Status.MISSING
            and node.detail is not None
            and all(str(node.detail) != str(seen) for seen in found)
        ):
            found.append(node.detail)

    walk(result)
    return found
