"""Decisions within a programme: the ranked list with its running total against the budget,
pending decisions (recorded, invisible to firms, changeable) and their release.

A decision is recorded on the application while its status stays ``decided``; only the release
moves it on (approvals into publicity, rejections to rejected), all of a programme's pending
decisions at once. The budget line holds at every step: the approvals of a programme, pending
and released, never add up to more than its budget, except in a pro-rata programme, where
approvals may exceed it and the release scales each one down (``formulas.pro_rata``).

Two officers acting at once end with one decision: the programme row is locked while a decision
is checked against the budget, the form carries the ``lock_version`` the officer saw, and the
application's optimistic lock refuses a write over a change made meanwhile.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import aliased
from sqlalchemy.orm.exc import StaleDataError

from portal import audit
from portal.accounts.models import Enterprise, User
from portal.applications import lifecycle
from portal.applications.models import Application, Status
from portal.domain import DomainError
from portal.extensions import db
from portal.programs import formulas
from portal.programs.models import Program
from portal.programs.rules import format_money, normalise_params
from portal.programs.services import current_version
from portal.review import calendar
from portal.timeutil import bureau_today, utcnow

APPROVE = "approve"
REJECT = "reject"
CENT = Decimal("0.01")
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
RELEASED_AWARDS = (Status.APPROVED, Status.PUBLICITY, Status.ON_HOLD, Status.AWARDED)


class DecisionRefused(DomainError):
    pass


class ConcurrentChange(DomainError):
    """Someone else changed the application (or the list) since the officer loaded the page."""


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


# --- reading --------------------------------------------------------------------------------


def budget_state(program: Program, exclude_ids: Iterable[int] = ()) -> BudgetState:
    """What the programme's approvals take from its budget (one query; sums in Decimal)."""
    excluded = set(exclude_ids)
    rows = db.session.execute(
        select(
            Application.id, Application.status, Application.decision, Application.decided_amount
        ).where(
            Application.program_id == program.id,
            Application.status.in_((Status.DECIDED, *RELEASED_AWARDS)),
            Application.decided_amount.is_not(None),
        )
    ).all()
    released = pending = ZERO
    for row in rows:
        if row.id in excluded:
            continue
        if row.status in RELEASED_AWARDS:
            released += row.decided_amount
        elif row.decision == APPROVE:
            pending += row.decided_amount
    return BudgetState(Decimal(program.budget), released, pending)


def formula_of(program: Program) -> dict[str, Any]:
    version = current_version(program)
    return version.formula if version is not None else {}


def default_amount(
    formula: dict[str, Any],
    *,
    rank: int | None,
    score: Decimal | None,
    requested: Decimal | None,
    formula_amount: Decimal | None,
    per_firm_cap: Decimal | None,
) -> Decimal | None:
    """The amount proposed before an officer decides: the tier of the rank for a ranked
    programme, otherwise the requested amount capped by the formula amount; then the
    programme's cap per firm. None when nothing can be proposed."""
    if formula.get("formula") == "ranked_tiers":
        if rank is None or score is None:
            return ZERO
        amount = formulas.tier_amount(formula.get("params") or {}, rank, score)
    else:
        amount = requested if requested is not None else formula_amount
        if amount is None:
            return None
        if formula_amount is not None:
            amount = min(amount, formula_amount)
    if per_firm_cap is not None:
        amount = min(amount, per_firm_cap)
    return amount


def ranking_order(program: Program) -> list[Any]:
    """Best first: by final score for programmes with expert review, else first come first
    served (the first submission counts, so a return for changes costs no place)."""
    by_time = [Application.first_submitted_at.asc().nulls_last(), Application.id.asc()]
    if program.reviewers_per_application > 0:
        return [Application.final_score.desc().nulls_last(), *by_time]
    return by_time


def ranked_list(program: Program, locale: str) -> dict[str, Any]:
    """The programme's applications awaiting or holding a pending decision, best first, with
    proposed amounts and the running total against the budget. Three queries whatever the
    number of applications (current version, the rows, the budget sums)."""
    formula = formula_of(program)
    decider = aliased(User)
    rows = db.session.execute(
        select(Application, Enterprise.name, Enterprise.uscc, decider.display_name)
        .join(Enterprise, Enterprise.id == Application.enterprise_id)
        .outerjoin(decider, decider.id == Application.decided_by_id)
        .where(Application.program_id == program.id, Application.status == Status.DECIDED)
        .order_by(*ranking_order(program))
    ).all()
    state = budget_state(program, exclude_ids=[app.id for app, *_ in rows])
    budget = Decimal(program.budget)
    running = state.released
    place = 0
    out = []
    for application, firm, uscc, decided_by in rows:
        rejected = application.decision == REJECT
        rank = None
        if not rejected:  # a rejected application takes no place in the tiers
            place += 1
            rank = place
        default = default_amount(
            formula,
            rank=rank,
            score=application.final_score,
            requested=application.requested_amount,
            formula_amount=application.formula_amount,
            per_firm_cap=program.per_firm_cap,
        )
        if application.decision == APPROVE:
            proposed = application.decided_amount
        elif rejected:
            proposed = ZERO
        else:
            proposed = default
        running += proposed or ZERO
        out.append(
            {
                "id": application.id,
                "reference": application.reference,
                "enterprise": firm,
                "uscc": uscc,
                "rank": rank,
                "score": application.final_score,
                "submitted_at": application.first_submitted_at,
                "requested_amount": application.requested_amount,
                "formula_amount": application.formula_amount,
                "default_amount": default,
                "proposed": proposed,
                "decision": application.decision,
                "decided_amount": application.decided_amount,
                "reason_code": application.decision_reason_code,
                "reason_label": reason_label(application.decision_reason_code),
                "reason": application.decision_reason,
                "decided_by": decided_by or "",
                "decided_at": application.decided_at,
                "lock_version": application.lock_version,
                "running_total": running,
                # a row that takes nothing from the budget is never "past" it
                "over_budget": running > budget and bool(proposed),
            }
        )
    pending_approvals = [r for r in out if r["decision"] == APPROVE]
    pending_total = sum((r["decided_amount"] for r in pending_approvals), ZERO)
    available = budget - state.released
    factor = None
    if program.pro_rata and pending_total > max(available, ZERO) and pending_total > 0:
        factor = max(available, ZERO) / pending_total
    return {
        "program": {
            "id": program.id,
            "code": program.code,
            "name": program.name(locale),
            "budget": budget,
            "per_firm_cap": program.per_firm_cap,
            "pro_rata": program.pro_rata,
            "expert_review": program.reviewers_per_application > 0,
            "ranked_tiers": formula.get("formula") == "ranked_tiers",
            "highest_tier": highest_tier(formula),
            "publicity_days": program.publicity_days,
        },
        "rows": out,
        "released": state.released,
        "pending_total": pending_total,
        "remaining": budget - state.released - pending_total,
        "proposed_total": running,
        "awaiting": sum(1 for r in out if r["decision"] is None),
        "pending_approvals": len(pending_approvals),
        "pending_rejections": sum(1 for r in out if r["decision"] == REJECT),
        "pro_rata_factor": factor,
        "snapshot": release_snapshot(
            (r["id"], r["lock_version"]) for r in out if r["decision"] is not None
        ),
    }


def release_snapshot(pairs: Iterable[tuple[int, int]]) -> str:
    """What the officer saw of the pending decisions when asking to release them."""
    return ",".join(f"{app_id}:{version}" for app_id, version in sorted(pairs))


def programmes_overview(program_ids: Sequence[int]) -> dict[int, dict[str, int]]:
    """Counts per programme for the decisions index (one query)."""
    counts: dict[int, dict[str, int]] = {
        pid: {"awaiting": 0, "pending": 0, "publicity": 0, "on_hold": 0, "awarded": 0}
        for pid in program_ids
    }
    if not program_ids:
        return counts
    rows = db.session.execute(
        select(Application.program_id, Application.status, Application.decision).where(
            Application.program_id.in_(list(program_ids)),
            Application.status.in_(
                (Status.DECIDED, Status.PUBLICITY, Status.ON_HOLD, Status.AWARDED)
            ),
        )
    ).all()
    for program_id, status, decision in rows:
        bucket = counts[program_id]
        if status is Status.DECIDED:
            bucket["pending" if decision else "awaiting"] += 1
        else:
            bucket[status.value] += 1
    return counts


# --- deciding -------------------------------------------------------------------------------


def lock_program(program_id: int) -> Program:
    """Serialise decisions and releases of one programme (the budget check reads a sum)."""
    return db.session.scalar(
        select(Program)
        .where(Program.id == program_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )


def _money(value: Decimal | None) -> str:
    return format_money(value) if value is not None else ""


def highest_tier(formula: dict[str, Any]) -> Decimal | None:
    """The most a ranked programme pays one firm (its best tier); None for other formulas."""
    if formula.get("formula") != "ranked_tiers":
        return None
    kind = formulas.FORMULA_KINDS["ranked_tiers"]
    tiers = normalise_params(kind, formula.get("params") or {})["tiers"]
    return max((Decimal(amount) for _count, amount in tiers), default=None)


def check_choice(
    application: Application, choice: Choice, program: Program, formula: dict[str, Any]
) -> Choice:
    """The choice with its amount normalised, or DecisionRefused naming the field."""
    if choice.decision == APPROVE:
        amount = choice.amount
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
        if application.formula_amount is not None and amount > application.formula_amount:
            raise DecisionRefused(
                _l(
                    "The amount may not exceed the formula amount of %(limit)s yuan.",
                    limit=_money(application.formula_amount),
                ),
                field="amount",
            )
        best = highest_tier(formula)
        if best is not None and amount > best:
            raise DecisionRefused(
                _l(
                    "The amount may not exceed the programme's highest tier of %(limit)s yuan.",
                    limit=_money(best),
                ),
                field="amount",
            )
        if program.per_firm_cap is not None and amount > program.per_firm_cap:
            raise DecisionRefused(
                _l(
                    "The amount may not exceed the programme's cap per firm of %(limit)s yuan.",
                    limit=_money(program.per_firm_cap),
                ),
                field="amount",
            )
        return Choice(APPROVE, amount.quantize(CENT))
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


def _check_budget(program: Program, decided_ids: list[int], approved: Decimal) -> None:
    if program.pro_rata or approved <= 0:
        return
    state = budget_state(program, exclude_ids=decided_ids)
    if state.committed + approved > state.budget:
        raise DecisionRefused(
            _l(
                "Approving %(amount)s yuan would exceed the programme's budget of "
                "%(budget)s yuan: %(remaining)s yuan remain.",
                amount=_money(approved),
                budget=_money(state.budget),
                remaining=_money(max(state.remaining, ZERO)),
            ),
            field="amount",
        )


def _check_pending(application: Application, program: Program) -> None:
    if application.program_id != program.id:
        raise DecisionRefused(_l("This application belongs to another programme."))
    if application.status is not Status.DECIDED:
        if application.released_at is not None:
            raise DecisionRefused(
                _l(
                    "The decision on %(reference)s has been released and can no longer be changed.",
                    reference=application.reference,
                )
            )
        raise DecisionRefused(
            _l(
                "%(reference)s is not awaiting a decision (it is “%(status)s”).",
                reference=application.reference,
                status=lifecycle.STATUS_LABELS[application.status],
            )
        )


def _changed_meanwhile(reference: str) -> ConcurrentChange:
    return ConcurrentChange(
        _l(
            "%(reference)s was changed by someone else after you opened this page. "
            "Check its current decision and try again.",
            reference=reference,
        )
    )


def _write(decisions: list[tuple[Application, Choice]], *, actor: Any) -> None:
    now = utcnow()
    # read before the flush: a refused flush leaves the objects unreadable
    references = [application.reference for application, _choice in decisions]
    for application, choice in decisions:
        previous = {
            "previous_decision": application.decision,
            "previous_amount": _plain(application.decided_amount),
        }
        application.decision = choice.decision
        application.decided_amount = choice.amount
        application.decision_reason_code = choice.reason_code
        application.decision_reason = choice.reason
        application.decided_by_id = getattr(actor, "id", None)
        application.decided_at = now
        audit.record(
            "decision.recorded",
            application,
            actor=actor,
            decision=choice.decision,
            amount=_plain(choice.amount),
            reason_code=choice.reason_code,
            **previous,
        )
    try:
        db.session.flush()
    except StaleDataError:
        if len(references) == 1:
            raise _changed_meanwhile(references[0]) from None
        raise ConcurrentChange(
            _l(
                "One of the selected applications was changed by someone else after you "
                "opened this page. Check the list and try again."
            )
        ) from None


def _plain(amount: Decimal | None) -> str | None:
    return None if amount is None else str(amount)


def record_decision(
    application: Application,
    choice: Choice,
    *,
    actor: Any,
    seen_lock_version: int | None,
    seen_decision: str | None,
) -> Application:
    """Record (or change) the pending decision on one application."""
    program = lock_program(application.program_id)
    _check_pending(application, program)
    if seen_lock_version != application.lock_version or (seen_decision or None) != (
        application.decision or None
    ):
        raise _changed_meanwhile(application.reference)
    choice = check_choice(application, choice, program, formula_of(program))
    _check_budget(program, [application.id], choice.amount or ZERO)
    _write([(application, choice)], actor=actor)
    return application


def record_bulk_decision(
    program: Program,
    application_ids: Sequence[int],
    decision: str,
    *,
    actor: Any,
    seen_lock_versions: dict[int, int | None],
    reason_code: str = "",
    reason: str = "",
) -> list[Application]:
    """Approve every selected application at its proposed amount, or reject them all with one
    reason. All or nothing: the first refusal refuses the whole action."""
    if not application_ids:
        raise DecisionRefused(_l("Select at least one application."), field="selected")
    program = lock_program(program.id)
    formula = formula_of(program)
    ranked = {row["id"]: row for row in ranked_list(program, "en")["rows"]}
    applications = {
        app.id: app
        for app in db.session.scalars(
            select(Application).where(Application.id.in_(list(application_ids)))
        )
    }
    decisions = []
    for app_id in application_ids:
        application = applications.get(app_id)
        if application is None:
            raise DecisionRefused(_l("One of the selected applications does not exist."))
        _check_pending(application, program)
        if seen_lock_versions.get(app_id) != application.lock_version:
            raise _changed_meanwhile(application.reference)
        if decision == APPROVE:
            proposed = ranked[app_id]["proposed"]
            if not proposed:
                raise DecisionRefused(
                    _l(
                        "%(reference)s has no proposed amount: decide it on its own.",
                        reference=application.reference,
                    ),
                    field="selected",
                )
            choice = Choice(APPROVE, proposed)
        else:
            choice = Choice(decision, None, reason_code, reason)
        try:
            choice = check_choice(application, choice, program, formula)
        except DecisionRefused as refusal:
            if refusal.field in ("reason_code", "reason", "decision"):
                raise
            raise DecisionRefused(
                _l(
                    "%(reference)s: %(problem)s",
                    reference=application.reference,
                    problem=refusal.message,
                ),
                field="selected",
            ) from None
        decisions.append((application, choice))
    approved = sum((choice.amount or ZERO for _app, choice in decisions), ZERO)
    try:
        _check_budget(program, [app.id for app, _choice in decisions], approved)
    except DecisionRefused as refusal:
        raise DecisionRefused(refusal.message, field="selected") from None
    _write(decisions, actor=actor)
    return [app for app, _choice in decisions]


# --- release --------------------------------------------------------------------------------


def holidays_from_config() -> tuple[set[date], set[date]]:
    try:
        return calendar.parse_holidays(current_app.config.get("HOLIDAYS", "") or "")
    except ValueError as error:
        raise DecisionRefused(
            _l("The holiday calendar in the settings is wrong: %(problem)s", problem=str(error))
        ) from None


def publicity_period(today: date, days: int) -> tuple[date, date]:
    """Publicity starts on the next working day after ``today`` and lasts ``days`` working
    days."""
    holidays, extra = holidays_from_config()
    start = calendar.add_working_days(today + timedelta(days=1), 1, holidays, extra)
    end = calendar.add_working_days(start, max(1, days), holidays, extra)
    return start, end


@dataclass(frozen=True)
class ReleaseResult:
    approved: int
    rejected: int
    total: Decimal
    scaled: bool
    publicity_ends_on: date | None


def release_decisions(
    program: Program, *, actor: Any, snapshot: str, today: date | None = None
) -> ReleaseResult:
    """Release every pending decision of the programme: rejections become final, approvals
    (scaled pro rata when the programme allows it and the budget is short) go into publicity."""
    program = lock_program(program.id)
    pending = list(
        db.session.scalars(
            select(Application)
            .where(
                Application.program_id == program.id,
                Application.status == Status.DECIDED,
                Application.decision.is_not(None),
            )
            .order_by(Application.id)
        )
    )
    if not pending:
        raise DecisionRefused(_l("There are no pending decisions to release."))
    if release_snapshot((app.id, app.lock_version) for app in pending) != snapshot:
        raise ConcurrentChange(
            _l(
                "The pending decisions changed after you opened this page. "
                "Check the list and release again."
            )
        )
    approvals = {app.id: app.decided_amount for app in pending if app.decision == APPROVE}
    state = budget_state(program, exclude_ids=[app.id for app in pending])
    available = max(state.budget - state.released, ZERO)
    total = sum(approvals.values(), ZERO)
    scaled = False
    if total > available:
        if not program.pro_rata:
            raise DecisionRefused(
                _l(
                    "The pending approvals (%(total)s yuan) exceed what is left of the budget "
                    "(%(remaining)s yuan). Change some decisions first.",
                    total=_money(total),
                    remaining=_money(available),
                )
            )
        amounts = formulas.pro_rata(approvals, available)
        by_id = {app.id: app for app in pending}
        too_small = [by_id[i].reference for i, amount in amounts.items() if amount <= 0]
        if too_small:
            raise DecisionRefused(
                _l(
                    "Scaled to the budget, the award to %(references)s would be less than "
                    "100 yuan. Reject it or raise the budget first.",
                    references=", ".join(too_small),
                )
            )
        approvals, scaled = amounts, True

    today = today or bureau_today()
    start, end = publicity_period(today, program.publicity_days)
    now = utcnow()
    for application in pending:
        application.released_at = now
        if application.decision == APPROVE:
            decided = application.decided_amount
            application.decided_amount = approvals[application.id]
            application.publicity_starts_on = start
            application.publicity_ends_on = end
            details = {"amount": str(application.decided_amount)}
            if application.decided_amount != decided:
                details["amount_before_pro_rata"] = str(decided)
            lifecycle.transition(
                application,
                "release_approval",
                actor=actor,
                publicity_ends_on=end.isoformat(),
                **details,
            )
        else:
            lifecycle.transition(
                application,
                "release_rejection",
                actor=actor,
                reason_code=application.decision_reason_code,
                reason=application.decision_reason,
            )
    released_total = sum(approvals.values(), ZERO)
    audit.record(
        "decision.released",
        program,
        actor=actor,
        approved=len(approvals),
        rejected=len(pending) - len(approvals),
        total=str(released_total),
        pro_rata=scaled,
        publicity_starts_on=start.isoformat(),
        publicity_ends_on=end.isoformat(),
    )
    try:
        db.session.flush()
    except StaleDataError:
        raise ConcurrentChange(
            _l(
                "The pending decisions changed after you opened this page. "
                "Check the list and release again."
            )
        ) from None
    return ReleaseResult(
        approved=len(approvals),
        rejected=len(pending) - len(approvals),
        total=released_total,
        scaled=scaled,
        publicity_ends_on=end if approvals else None,
    )
