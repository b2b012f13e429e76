"""An admin changes a programme's post-award plan (``PostAwardPlan``).

The rules a plan must keep (``plan_problems``, pure): tranches whose shares are positive, have
at most two decimals and add up to exactly 100; a tranche paid after acceptance only when the
plan requires acceptance; reports of a known kind, due 1 to 60 months after the agreement;
the recovery settings within their ranges. ``save_plan`` refuses a plan that breaks one (nothing
written) and records what changed, old and new, in the audit trail.

Agreements already offered keep the terms they were offered with (``Agreement.terms``): a new
plan applies to awards made after it is saved.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from flask_babel import lazy_gettext as _l

from portal.core import audit
from portal.core.audit import Action
from portal.core.domain import DomainError
from portal.core.extensions import db
from portal.payments.models import PostAwardPlan, TrancheCondition
from portal.payments.plan import REPORT_KINDS, PlanTerms, plan_for
from portal.programs.models import Program

MAX_TRANCHES = 3
MAX_REPORTS = 3
MONTHS = (1, 60)
STATEMENT_DAYS = (1, 60)
REPAYMENT_DAYS = (1, 365)
BAN_YEARS = (0, 10)
HUNDRED = Decimal("100")


@dataclass(frozen=True)
class Problem:
    field: str  # the form's field (or group) the message belongs beside
    message: Any


class PlanRefused(DomainError):
    """The plan breaks one or more rules; ``problems`` says which, field by field."""

    def __init__(self, problems: list[Problem]) -> None:
        super().__init__(problems[0].message, field=problems[0].field)
        self.problems = problems


def plain_percent(value: Decimal) -> str:
    """60.00 → "60", 33.50 → "33.5": a share as a person writes it."""
    return format(value.normalize(), "f")


def _within(value: int, bounds: tuple[int, int]) -> bool:
    return bounds[0] <= value <= bounds[1]


def plan_problems(terms: PlanTerms) -> list[Problem]:
    """What is wrong with a plan; empty when it may be saved."""
    problems = []
    if not terms.tranches:
        problems.append(Problem("tranches", _l("Enter at least one tranche.")))
    elif len(terms.tranches) > MAX_TRANCHES:
        problems.append(Problem("tranches", _l("Enter at most three tranches.")))
    for index, tranche in enumerate(terms.tranches):
        share = tranche.share_percent
        if share <= 0 or share > HUNDRED:
            problems.append(
                Problem(f"tranches-{index}-share", _l("Enter a share from 0.01 to 100."))
            )
        elif share != share.quantize(Decimal("0.01")):
            problems.append(
                Problem(f"tranches-{index}-share", _l("Enter the share with at most two decimals."))
            )
        if tranche.condition is TrancheCondition.ACCEPTANCE and not terms.acceptance_required:
            problems.append(
                Problem(
                    f"tranches-{index}-condition",
                    _l("A tranche after acceptance needs a plan that requires acceptance."),
                )
            )
    total = sum((t.share_percent for t in terms.tranches), Decimal(0))
    if terms.tranches and total != HUNDRED:
        problems.append(
            Problem(
                "tranches",
                _l(
                    "The shares add up to %(total)s %%; they must add up to exactly 100 %%.",
                    total=plain_percent(total),
                ),
            )
        )
    if len(terms.reports) > MAX_REPORTS:
        problems.append(Problem("reports", _l("Enter at most three reports.")))
    for index, report in enumerate(terms.reports):
        if report.kind not in REPORT_KINDS:
            problems.append(Problem(f"reports-{index}-kind", _l("Choose a kind of report.")))
        if not _within(report.months, MONTHS):
            problems.append(
                Problem(f"reports-{index}-months", _l("Enter a number of months from 1 to 60."))
            )
    for field, value, bounds, message in (
        (
            "statement_days",
            terms.statement_days,
            STATEMENT_DAYS,
            _l("Enter a number of days from 1 to 60."),
        ),
        (
            "repayment_days",
            terms.repayment_days,
            REPAYMENT_DAYS,
            _l("Enter a number of days from 1 to 365."),
        ),
        ("ban_years", terms.ban_years, BAN_YEARS, _l("Enter a number of years from 0 to 10.")),
    ):
        if not _within(value, bounds):
            problems.append(Problem(field, message))
    return problems


def _described(terms: PlanTerms) -> dict[str, Any]:
    """The plan as the audit trail shows it: one plain value per setting."""
    return {
        "tranches": ", ".join(
            f"{plain_percent(t.share_percent)}% {t.condition.value}" for t in terms.tranches
        ),
        "reports": ", ".join(f"{r.kind} {r.months}m" for r in terms.reports) or "—",
        "acceptance_required": terms.acceptance_required,
        "statement_days": terms.statement_days,
        "repayment_days": terms.repayment_days,
        "ban_years": terms.ban_years,
    }


def save_plan(program: Program, terms: PlanTerms, *, actor: Any) -> bool:
    """Save ``terms`` as the programme's plan; False when nothing changed (nothing recorded).

    Refused with ``PlanRefused`` (nothing written) when the plan breaks a rule."""
    problems = plan_problems(terms)
    if problems:
        raise PlanRefused(problems)
    before = _described(plan_for(program))
    after = _described(terms)
    changed = {key: (before[key], after[key]) for key in after if before[key] != after[key]}
    saved = db.session.get(PostAwardPlan, program.id)
    if not changed and saved is not None:
        return False
    data = terms.as_json()
    if saved is None:
        saved = PostAwardPlan(program_id=program.id)
        db.session.add(saved)
    saved.tranches = data["tranches"]
    saved.reports = data["reports"]
    saved.acceptance_required = terms.acceptance_required
    saved.statement_days = terms.statement_days
    saved.repayment_days = terms.repayment_days
    saved.ban_years = terms.ban_years
    db.session.flush()
    audit.record(
        Action.POST_AWARD_PLAN_UPDATED,
        program,
        actor=actor,
        program_code=program.code,
        fields=sorted(changed),
        changes=audit.changes_of(changed),
    )
    return True
