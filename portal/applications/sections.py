"""The sections of an application form and when each is complete."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from flask_babel import lazy_gettext as _l

from portal.applications.models import Application, Status
from portal.programs import formulas, rules
from portal.programs.models import ProgramVersion

SUMMARY = "summary"
FIGURES = "figures"
AMOUNT = "amount"
ATTACHMENTS = "attachments"
DECLARATION = "declaration"
SECTIONS = (SUMMARY, FIGURES, AMOUNT, ATTACHMENTS, DECLARATION)

SECTION_LABELS = {
    SUMMARY: _l("Project summary"),
    FIGURES: _l("Figures"),
    AMOUNT: _l("Requested amount"),
    ATTACHMENTS: _l("Documents"),
    DECLARATION: _l("Declaration"),
}

# Figures an application copies from the profile and lets the firm change with a reason.
YEAR_FIGURES = ("revenue", "employees", "rd_expense", "super_deduction_filed")
COUNT_FIGURES = ("ip_class_i", "ip_class_ii", "software_copyrights")
PROJECT_FIGURES = (
    "eligible_investment",
    "digital_level",
    "project_accepted",
    "other_public_funding",
)


def reads_project(version: ProgramVersion) -> bool:
    """Does this programme need project figures stated in the application?"""
    formula_kind = formulas.FORMULA_KINDS.get(version.formula.get("formula", ""))
    if formula_kind and formula_kind.reads_project:
        return True
    return _tree_reads_project(version.eligibility)


def _tree_reads_project(node: dict[str, Any]) -> bool:
    for key in ("all", "any"):
        if key in node:
            return any(_tree_reads_project(child) for child in node[key])
    kind = rules.RULE_KINDS.get(node.get("rule", ""))
    return bool(kind and kind.reads_project)


def required_documents(version: ProgramVersion, application: Application) -> list[dict]:
    """Documents required for this application (some only above an investment amount)."""
    investment = application.project_figures.get("eligible_investment")
    required = []
    for doc in version.documents:
        threshold = doc.get("required_from_investment")
        if doc.get("required") or (
            threshold is not None
            and investment not in (None, "")
            and Decimal(str(investment)) >= Decimal(str(threshold))
        ):
            required.append(doc)
    return required


def section_complete(application: Application, section: str, current_docs: set[str]) -> bool:
    version = application.program_version
    if section == SUMMARY:
        return bool(application.project_title.strip() and application.project_summary.strip())
    if section == FIGURES:
        if reads_project(version) and any(
            application.project_figures.get(name) in (None, "") for name in PROJECT_FIGURES
        ):
            return False
        return application.figures_confirmed
    if section == AMOUNT:
        return application.amount_confirmed
    if section == ATTACHMENTS:
        return all(doc["key"] in current_docs for doc in required_documents(version, application))
    if section == DECLARATION:
        return application.declared_at is not None
    raise ValueError(section)


def editable_sections(application: Application) -> frozenset[str]:
    if application.status is Status.DRAFT:
        return frozenset(SECTIONS)
    if application.status is Status.RETURNED:
        return frozenset(application.returned_sections)
    return frozenset()
