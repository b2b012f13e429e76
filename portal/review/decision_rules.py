"""What a decision may be: approve or reject with its reason, an amount within the programme's
limits, and the budget line.

The budget line holds at every step: the approvals of a programme, pending and released, never
add up to more than its budget, except in a pro-rata programme, where pending approvals may
exceed it and the release scales each one down (``formulas.pro_rata``). A released award can
no longer be scaled, so a correction of one (a reissued letter) must fit beside the other
released awards in every programme. ``check_decision`` is the one check for both, a decision
recorded now and a released award corrected later.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from portal.applications.models import Application, Status
from portal.applications.tallies import ApplicationTally
from portal.core.domain import DomainError
from portal.core.extensions import db
from portal.core.money import CENT, format_money, sum_from_db
from portal.programs import formulas
from portal.programs.models import Program
from portal.programs.parameters import normalise_params
from portal.programs.services import current_version

APPROVE = "approve"
REJECT = "reject"
ZERO = Decimal("0.00")

REASON_LABELS = {
    "score_too_low": _l("Score too low"),
    "budget_exhausted": _l("Budget exhausted"),
    "ineligible": _l("Not eligible"),
    "other": _l("Other reason"),
    "objection_upheld": _l("Objection upheld during publicity"),
}
SELECTABLE_REASONS = ("score_too_low", "budget_exhausted", "ineligible", "other")

# Awards already released: they count against the budget whatever happens to pending ones.
RELEASED_AWARDS = (Status.PUBLICITY, Status.ON_HOLD, Status.AWARDED)


class DecisionRefused(DomainError):
    pass


@dataclass(frozen=True)
class Choice:
    decision: str  # APPROVE or REJECT
    amount: Decimal | None = None
    reason_code: str = ""
    reason: str = ""


@dataclass(frozen=True)
class BudgetState:
    budget: Decimal
    released: Decimal  # awards already released (in publicity, on hold, awarded)
    pending: Decimal  # approvals recorded but not released

    @property
    def committed(self) -> Decimal:
        return self.released + self.pending

    @property
    def remaining(self) -> Decimal:
        return self.budget - self.committed


def reason_label(code: str) -> str:
    return str(REASON_LABELS[code]) if code in REASON_LABELS else code


def budget_state(program: Program, exclude_ids: Iterable[int] = ()) -> BudgetState:
    """What the programme's approvals take from its budget, less the applications being
    decided (``exclude_ids``): the sums from the tallies, and the excluded applications' own
    amounts taken off them (two queries whatever the size of the programme)."""
    released = pending = ZERO
    for status, decision, decided in db.session.execute(
        select(ApplicationTally.status, ApplicationTally.decision, ApplicationTally.decided).where(
            ApplicationTally.program_id == program.id,
            ApplicationTally.status.in_([s.value for s in (Status.DECIDED, *RELEASED_AWARDS)]),
        )
    ):
        if status != Status.DECIDED.value:
            released += sum_from_db(decided)
        elif decision == APPROVE:
            pending += sum_from_db(decided)
    excluded = list(set(exclude_ids))
    if excluded:
        for row in db.session.execute(
            select(Application.status, Application.decision, Application.decided_amount).where(
                Application.id.in_(excluded),
                Application.program_id == program.id,
                Application.decided_amount.is_not(None),
            )
        ):
            if row.status in RELEASED_AWARDS:
                released -= row.decided_amount
            elif row.status is Status.DECIDED and row.decision == APPROVE:
                pending -= row.decided_amount
    return BudgetState(Decimal(program.budget), released, pending)


def formula_of(program: Program) -> dict[str, Any]:
    version = current_version(program)
    return version.formula if version is not None else {}


def highest_tier(formula: dict[str, Any]) -> Decimal | None:
    """The most a ranked programme pays one firm (its best tier); None for other formulas."""
    if formula.get("formula") != "ranked_tiers":
        return None
    kind = formulas.FORMULA_KINDS["ranked_tiers"]
    tiers = normalise_params(kind, formula.get("params") or {})["tiers"]
    return max((Decimal(amount) for _count, amount in tiers), default=None)


# --- checking a decision ----------------------------------------------------------------------


def _check_amount(
    application: Application, amount: Decimal | None, program: Program, formula: dict[str, Any]
) -> Decimal:
    if amount is None:
        raise DecisionRefused(_l("Enter the amount to approve."), field="amount")
    if amount != amount.quantize(CENT):
        raise DecisionRefused(
            _l("Enter the amount in yuan with at most two decimals."), field="amount"
        )
    if amount <= 0:
        raise DecisionRefused(
            _l("The amount must be more than 0; to refuse, reject the application."),
            field="amount",
        )
    limit = application.formula_amount
    if limit is not None and amount > limit:
        raise DecisionRefused(
            _l(
                "The amount may not exceed the formula amount of %(limit)s yuan.",
                limit=format_money(limit),
            ),
            field="amount",
        )
    limit = highest_tier(formula)
    if limit is not None and amount > limit:
        raise DecisionRefused(
            _l(
                "The amount may not exceed the programme's highest tier of %(limit)s yuan.",
                limit=format_money(limit),
            ),
            field="amount",
        )
    limit = program.per_firm_cap
    if limit is not None and amount > limit:
        raise DecisionRefused(
            _l(
                "The amount may not exceed the programme's cap per firm of %(limit)s yuan.",
                limit=format_money(limit),
            ),
            field="amount",
        )
    return amount.quantize(CENT)


def check_choice(
    application: Application, choice: Choice, program: Program, formula: dict[str, Any]
) -> Choice:
    """The choice with its amount normalised, or DecisionRefused naming the field."""
    if choice.decision == APPROVE:
        return Choice(APPROVE, _check_amount(application, choice.amount, program, formula))
    if choice.decision == REJECT:
        if choice.reason_code not in SELECTABLE_REASONS:
            raise DecisionRefused(_l("Choose the reason for the rejection."), field="reason_code")
        reason = (choice.reason or "").strip()
        if not reason:
            raise DecisionRefused(
                _l("Explain the rejection: the enterprise reads this text."), field="reason"
            )
        return Choice(REJECT, None, choice.reason_code, reason)
    raise DecisionRefused(_l("Choose approve or reject."), field="decision")


def check_budget(program: Program, decided: Sequence[tuple[Application, Choice]]) -> None:
    """Refuse approvals that would cross the budget line (DecisionRefused beside "amount").

    A pending approval counts with the released awards and the other pending approvals, except
    in a pro-rata programme, whose release scales pending approvals down to what the released
    awards leave. A released award (a corrected amount) can no longer be scaled: it must fit
    beside the other released awards, and outside pro rata beside the pending approvals too."""
    pending = released = ZERO
    for application, choice in decided:
        if application.status in RELEASED_AWARDS:
            released += choice.amount or ZERO
        else:
            pending += choice.amount or ZERO
    if program.pro_rata:
        pending = ZERO  # scaled down at the release, whatever it adds up to
    if pending + released <= 0:
        return
    state = budget_state(program, exclude_ids=[application.id for application, _c in decided])
    taken = state.released if program.pro_rata else state.committed
    if taken + pending + released <= state.budget:
        return
    remaining = format_money(max(state.budget - taken, ZERO))
    if released:
        message = _l(
            "A corrected amount of %(amount)s yuan would exceed the programme's budget: "
            "%(remaining)s yuan remain.",
            amount=format_money(released),
            remaining=remaining,
        )
    else:
        message = _l(
            "Approving %(amount)s yuan would exceed the programme's budget of "
            "%(budget)s yuan: %(remaining)s yuan remain.",
            amount=format_money(pending),
            budget=format_money(state.budget),
            remaining=remaining,
        )
    raise DecisionRefused(message, field="amount")


def check_decision(application: Application, choice: Choice, program: Program) -> Choice:
    """The one check of a decision on one application, whether recorded now or correcting a
    released award (a reissued letter): the choice's own rules, then the budget line. The
    caller holds the programme's lock (``decisions.lock_program``): the budget is a sum."""
    choice = check_choice(application, choice, program, formula_of(program))
    check_budget(program, [(application, choice)])
    return choice
