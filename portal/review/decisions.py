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
from decimal import ROUND_DOWN, Decimal
from typing import Any

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import and_, case, func, or_, select
from sqlalchemy.orm import aliased
from sqlalchemy.orm.exc import StaleDataError

from portal.accounts.models import Enterprise, User
from portal.applications import lifecycle
from portal.applications.models import Application, Status
from portal.applications.tallies import ApplicationTally, money
from portal.core import audit
from portal.core.domain import DomainError
from portal.core.extensions import db
from portal.core.pagination import DEFAULT_PER_PAGE, Page
from portal.core.timeutil import bureau_today, utcnow
from portal.programs import formulas
from portal.programs.models import Program
from portal.programs.rules import format_money, normalise_params
from portal.programs.services import current_version
from portal.review import calendar

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
            released += money(decided)
        elif decision == APPROVE:
            pending += money(decided)
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


def ranking_order(program: Program, columns: Any = Application) -> list[Any]:
    """Best first: by final score for programmes with expert review, else first come first
    served (the first submission counts, so a return for changes costs no place).

    ``columns``: the application's table, or a subquery with its ``final_score``,
    ``first_submitted_at`` and ``id``."""
    # Every application awaiting decision was submitted, so the time is never NULL here; no
    # NULLS LAST on it lets SQLite read the order from the ranking indexes (PostgreSQL sorts
    # NULL last in ascending order anyway).
    by_time = [columns.first_submitted_at.asc(), columns.id.asc()]
    if program.reviewers_per_application > 0:
        return [columns.final_score.desc().nulls_last(), *by_time]
    return by_time


# The portal's usual page: a page an officer can read through and decide before moving on.
RANKED_PAGE_SIZE = DEFAULT_PER_PAGE


def _default_amount_sql(formula: dict[str, Any], rank, columns, per_firm_cap):
    """``default_amount`` as an SQL expression over a ranked row (the same rules, so that a
    page of the ranked list needs no Python pass over the rows before it)."""
    if formula.get("formula") == "ranked_tiers":
        values = normalise_params(
            formulas.FORMULA_KINDS["ranked_tiers"], formula.get("params") or {}
        )
        whens = [
            (or_(rank.is_(None), columns.final_score.is_(None)), ZERO),
            (columns.final_score < values["min_score"], ZERO),
        ]
        last_rank = 0
        for count, amount in values["tiers"]:
            last_rank += count
            whens.append((rank <= last_rank, Decimal(amount).quantize(CENT, ROUND_DOWN)))
        amount = case(*whens, else_=ZERO)
    else:
        amount = case(
            (columns.formula_amount.is_(None), columns.requested_amount),
            (columns.requested_amount.is_(None), columns.formula_amount),
            (columns.requested_amount < columns.formula_amount, columns.requested_amount),
            else_=columns.formula_amount,
        )
    if per_firm_cap is not None:
        amount = case((amount > per_firm_cap, per_firm_cap), else_=amount)
    return amount


def _ranking(
    program: Program, formula: dict[str, Any], released: Decimal, *, up_to: int | None = None
):
    """The programme's applications awaiting or holding a pending decision, in ranked order,
    with their place, rank in the tiers, proposed amount and running total: window functions,
    so that the database ranks the list and a page reads only its rows.

    ``up_to``: only the first so many in ranked order (a row's rank and running total depend
    only on the rows before it), read in the order of the ranking indexes, so that the first
    pages cost the same however long the list is."""
    listed = (
        select(
            Application.id,
            Application.decision,
            Application.decided_amount,
            Application.final_score,
            Application.first_submitted_at,
            Application.requested_amount,
            Application.formula_amount,
            Application.lock_version,
        )
        .where(Application.program_id == program.id, Application.status == Status.DECIDED)
        .order_by(*ranking_order(program))
    )
    if up_to is not None:
        listed = listed.limit(up_to)
    listed = listed.subquery("ranked_listed")
    order = ranking_order(program, listed.c)
    takes_place = case((listed.c.decision == REJECT, 0), else_=1)
    base = select(
        *listed.c,
        func.row_number().over(order_by=order).label("position"),
        func.sum(takes_place).over(order_by=order, rows=(None, 0)).label("places"),
    ).subquery("ranked_base")
    # A rejected application takes no place in the tiers.
    rank = case((base.c.decision == REJECT, None), else_=base.c.places)
    default = _default_amount_sql(formula, rank, base.c, program.per_firm_cap)
    proposed = case(
        (base.c.decision == APPROVE, base.c.decided_amount),
        (base.c.decision == REJECT, ZERO),
        else_=default,
    )
    proposals = select(
        *(base.c[name] for name in ("id", "decision", "decided_amount", "lock_version")),
        base.c.position,
        rank.label("rank"),
        default.label("default_amount"),
        proposed.label("proposed"),
    ).subquery("ranked_proposals")
    running = released + func.sum(func.coalesce(proposals.c.proposed, 0)).over(
        order_by=proposals.c.position, rows=(None, 0)
    )
    ranked = select(*proposals.c, running.label("running_total")).subquery("ranked")
    return ranked


def _ranked_summary(program: Program) -> Any:
    """The list's counts and sums that need no ranking: plain aggregates over the covering
    index."""
    in_list = and_(Application.program_id == program.id, Application.status == Status.DECIDED)
    pending = Application.decision.is_not(None)
    approved = Application.decision == APPROVE
    return db.session.execute(
        select(
            func.count().label("rows"),
            func.sum(case((Application.decision.is_(None), 1), else_=0)).label("awaiting"),
            func.sum(case((approved, 1), else_=0)).label("approvals"),
            func.sum(case((Application.decision == REJECT, 1), else_=0)).label("rejections"),
            func.sum(case((approved, Application.decided_amount), else_=0)).label("pending"),
            func.sum(case((pending, Application.lock_version), else_=0)).label("versions"),
            func.sum(case((pending, Application.id * Application.lock_version), else_=0)).label(
                "weighted"
            ),
        ).where(in_list)
    ).one()


def proposed_amounts(program: Program, application_ids: Sequence[int]) -> dict[int, Decimal]:
    """{application id: proposed amount} of these applications as the ranked list shows."""
    formula = formula_of(program)
    ranked = _ranking(program, formula, budget_state(program).released)
    rows = db.session.execute(
        select(ranked.c.id, ranked.c.proposed).where(ranked.c.id.in_(list(application_ids)))
    ).all()
    return {row.id: _amount(row.proposed) for row in rows}


def _amount(value: Any) -> Decimal | None:
    return None if value is None else money(value)


def ranked_list(program: Program, locale: str, page: int = 1) -> dict[str, Any]:
    """One page of the programme's applications awaiting or holding a pending decision, best
    first, with proposed amounts and the running total against the budget, and the figures of
    the whole list. Four queries whatever the number of applications (current version,
    the budget's tallies, the list's counts, and the page with its firms and
    deciders, ranked by window functions over the list up to the page)."""
    formula = formula_of(program)
    budget = Decimal(program.budget)
    released = budget_state(program).released
    summary = _ranked_summary(program)
    total_rows = int(summary.rows or 0)
    pages = max(1, -(-total_rows // RANKED_PAGE_SIZE))
    page = min(max(1, page), pages)
    first = (page - 1) * RANKED_PAGE_SIZE
    ranked = _ranking(program, formula, released, up_to=first + RANKED_PAGE_SIZE)
    decider = aliased(User)
    page_rows = db.session.execute(
        select(
            ranked,
            Application.reference,
            Application.first_submitted_at,
            Application.final_score,
            Application.requested_amount,
            Application.formula_amount,
            Application.decision_reason_code,
            Application.decision_reason,
            Application.decided_at,
            Enterprise.name.label("enterprise"),
            Enterprise.uscc,
            decider.display_name.label("decided_by"),
        )
        .join(Application, Application.id == ranked.c.id)
        .join(Enterprise, Enterprise.id == Application.enterprise_id)
        .outerjoin(decider, decider.id == Application.decided_by_id)
        .where(ranked.c.position > first, ranked.c.position <= first + RANKED_PAGE_SIZE)
        .order_by(ranked.c.position)
    ).all()
    out = []
    # Running totals never fall (no amount is negative), so a row before this page was past
    # the budget exactly when the total before the page is past it and something before the
    # page added to it: then the budget line was drawn on an earlier page.
    seen_over = False
    if page_rows:
        before_page = money(page_rows[0].running_total) - (_amount(page_rows[0].proposed) or ZERO)
        seen_over = before_page > budget and before_page > released
    for row in page_rows:
        running = money(row.running_total)
        proposed = _amount(row.proposed)
        over_budget = running > budget and bool(proposed)
        budget_line = over_budget and not seen_over
        seen_over = seen_over or over_budget
        out.append(
            {
                "id": row.id,
                "position": row.position,
                "reference": row.reference,
                "enterprise": row.enterprise,
                "uscc": row.uscc,
                "rank": None if row.rank is None else int(row.rank),
                "score": row.final_score,
                "submitted_at": row.first_submitted_at,
                "requested_amount": row.requested_amount,
                "formula_amount": row.formula_amount,
                "default_amount": _amount(row.default_amount),
                "proposed": proposed,
                "decision": row.decision,
                "decided_amount": row.decided_amount,
                "reason_code": row.decision_reason_code,
                "reason_label": reason_label(row.decision_reason_code),
                "reason": row.decision_reason,
                "decided_by": row.decided_by or "",
                "decided_at": row.decided_at,
                "lock_version": row.lock_version,
                "running_total": running,
                "over_budget": over_budget,
                # where the budget line is drawn: the first row past it in the whole list
                "budget_line": budget_line,
            }
        )
    pending_total = money(summary.pending)
    available = budget - released
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
        "page": Page(rows=out, page=page, per_page=RANKED_PAGE_SIZE, total=total_rows),
        "released": released,
        "pending_total": pending_total,
        "remaining": budget - released - pending_total,
        "awaiting": int(summary.awaiting or 0),
        "pending_approvals": int(summary.approvals or 0),
        "pending_rejections": int(summary.rejections or 0),
        "pro_rata_factor": factor,
        "snapshot": release_snapshot(
            int(summary.approvals or 0) + int(summary.rejections or 0),
            int(summary.versions or 0),
            int(summary.weighted or 0),
        ),
    }


def release_snapshot(decisions_count: int, versions: int, weighted: int) -> str:
    """A fingerprint of the pending decisions the officer saw when asking to release them:
    their number, and the sums of their lock versions plain and weighted by id. Every change
    to a decision raises its application's lock version, so any change alters the
    fingerprint."""
    return f"{decisions_count}:{versions}:{weighted}"


def snapshot_of(applications: Iterable[Application]) -> str:
    pairs = [(app.id, app.lock_version) for app in applications]
    return release_snapshot(len(pairs), sum(v for _i, v in pairs), sum(i * v for i, v in pairs))


def programmes_overview(program_ids: Sequence[int]) -> dict[int, dict[str, int]]:
    """Counts per programme for the decisions index (one query over the tallies)."""
    counts: dict[int, dict[str, int]] = {
        pid: {"awaiting": 0, "pending": 0, "publicity": 0, "on_hold": 0, "awarded": 0}
        for pid in program_ids
    }
    if not program_ids:
        return counts
    statuses = (Status.DECIDED, Status.PUBLICITY, Status.ON_HOLD, Status.AWARDED)
    rows = db.session.execute(
        select(
            ApplicationTally.program_id,
            ApplicationTally.status,
            ApplicationTally.decision,
            ApplicationTally.applications,
        ).where(
            ApplicationTally.program_id.in_(list(program_ids)),
            ApplicationTally.status.in_([s.value for s in statuses]),
        )
    ).all()
    for program_id, status, decision, number in rows:
        bucket = counts[program_id]
        if status == Status.DECIDED.value:
            bucket["pending" if decision else "awaiting"] += number
        else:
            bucket[status] += number
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
    proposals = proposed_amounts(program, application_ids)
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
            proposed = proposals.get(app_id)
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
    if snapshot_of(pending) != snapshot:
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
