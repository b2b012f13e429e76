"""Plain values for programme templates (no ORM objects in templates)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from portal.core.timeutil import to_bureau_time
from portal.programs import calendar, rules
from portal.programs.models import Program
from portal.programs.services import Verdict


def program_card(
    program: Program, locale: str, now: datetime, verdict: Verdict | None
) -> dict[str, Any]:
    closes_local = to_bureau_time(program.closes_at)
    days_left = calendar.days_left(program.closes_at, now)
    return {
        "code": program.code,
        "name": program.name(locale),
        "summary": program.summary(locale),
        "kind": program.kind.value,
        "opens_at": program.opens_at,
        "closes_at": program.closes_at,
        "closes_local": closes_local,
        "days_left": days_left,
        "window": calendar.window(program.opens_at, program.closes_at, now),
        "budget": program.budget,
        "per_firm_cap": program.per_firm_cap,
        "reviewers": program.reviewers_per_application,
        "verdict": None if verdict is None else verdict_summary(verdict),
    }


def verdict_summary(verdict: Verdict) -> dict[str, Any]:
    if verdict.eligible:
        state = "eligible"
    elif verdict.refused:
        state = "not_eligible"
    elif verdict.missing_profile_data:
        state = "missing"
    else:
        state = "depends_on_project"
    amount = verdict.computation.amount
    return {"state": state, "amount": amount, "note": verdict.computation.note}


def rule_rows(result: rules.RuleResult, depth: int = 0) -> list[dict[str, Any]]:
    """Flatten the result tree into rows for a table; groups become headings."""
    rows = []
    if result.children:
        if depth > 0:
            rows.append({"group": result.combinator, "status": result.status.value, "depth": depth})
        for child in result.children:
            rows.extend(rule_rows(child, depth + 1))
    else:
        rows.append(
            {
                "label": str(result.label),
                "status": result.status.value,
                "detail": str(result.detail) if result.detail else "",
                "depth": depth,
            }
        )
    return rows


def verdict_view(verdict: Verdict) -> dict[str, Any]:
    return {
        **verdict_summary(verdict),
        "rows": rule_rows(verdict.result),
        "missing": [str(item) for item in verdict.missing],
        "may_start": verdict.may_start,
        "steps": [
            {
                "label": str(step.label),
                "expression": step.expression,
                "amount": step.amount,
                "sentence": str(step.sentence),
            }
            for step in verdict.computation.steps
        ],
        "computation_missing": [str(item) for item in verdict.computation.missing],
    }
