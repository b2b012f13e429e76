"""A programme's post-award plan: how the award is paid (tranches and their conditions), which
reports the firm owes and when, whether the project needs acceptance (验收), and the recovery
settings (days to state a case, days to repay, years of ban).

A programme without a saved plan follows the default of its kind: a post-subsidy is paid in one
sum on the agreement and owes one final report; a project is paid 60 % on the agreement and
40 % after acceptance, with a progress report at 6 months and a final report at 12.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from decimal import Decimal
from typing import Any

from portal.core.extensions import db
from portal.payments.models import PostAwardPlan, TrancheCondition
from portal.programs.models import Program, ProgramKind

REPORT_KINDS = ("progress", "final")


@dataclass(frozen=True)
class TrancheTerm:
    share_percent: Decimal
    condition: TrancheCondition


@dataclass(frozen=True)
class ReportTerm:
    kind: str  # "progress" | "final"
    months: int  # after the agreement is accepted


@dataclass(frozen=True)
class PlanTerms:
    tranches: tuple[TrancheTerm, ...]
    reports: tuple[ReportTerm, ...]
    acceptance_required: bool
    statement_days: int
    repayment_days: int
    ban_years: int

    def as_json(self) -> dict[str, Any]:
        """The terms as an agreement keeps them (``Agreement.terms``)."""
        data = asdict(self)
        data["tranches"] = [
            {"share_percent": str(t.share_percent), "condition": t.condition.value}
            for t in self.tranches
        ]
        data["reports"] = [{"kind": r.kind, "months": r.months} for r in self.reports]
        return data

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> PlanTerms:
        return cls(
            tranches=tuple(
                TrancheTerm(Decimal(str(t["share_percent"])), TrancheCondition(t["condition"]))
                for t in data.get("tranches") or []
            ),
            reports=tuple(
                ReportTerm(str(r["kind"]), int(r["months"])) for r in data.get("reports") or []
            ),
            acceptance_required=bool(data.get("acceptance_required")),
            statement_days=int(data.get("statement_days", 10)),
            repayment_days=int(data.get("repayment_days", 30)),
            ban_years=int(data.get("ban_years", 3)),
        )


def default_plan(kind: ProgramKind) -> PlanTerms:
    if kind is ProgramKind.PROJECT:
        return PlanTerms(
            tranches=(
                TrancheTerm(Decimal("60"), TrancheCondition.AGREEMENT),
                TrancheTerm(Decimal("40"), TrancheCondition.ACCEPTANCE),
            ),
            reports=(ReportTerm("progress", 6), ReportTerm("final", 12)),
            acceptance_required=True,
            statement_days=10,
            repayment_days=30,
            ban_years=3,
        )
    return PlanTerms(
        tranches=(TrancheTerm(Decimal("100"), TrancheCondition.AGREEMENT),),
        reports=(ReportTerm("final", 12),),
        acceptance_required=False,
        statement_days=10,
        repayment_days=30,
        ban_years=3,
    )


def plan_for(program: Program) -> PlanTerms:
    saved = db.session.get(PostAwardPlan, program.id)
    if saved is None:
        return default_plan(program.kind)
    return PlanTerms.from_json(
        {
            "tranches": saved.tranches,
            "reports": saved.reports,
            "acceptance_required": saved.acceptance_required,
            "statement_days": saved.statement_days,
            "repayment_days": saved.repayment_days,
            "ban_years": saved.ban_years,
        }
    )


def split_amount(amount: Decimal, shares: list[Decimal]) -> list[Decimal]:
    """The award cut into tranches by percent, to the fen; the last tranche takes the rounding
    so that the parts add up to the award exactly."""
    parts = [(amount * share / 100).quantize(Decimal("0.01")) for share in shares[:-1]]
    return [*parts, amount - sum(parts, Decimal(0))]
