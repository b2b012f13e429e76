"""The ranked list of a programme's applications awaiting or holding a pending decision, best
first, with proposed amounts and the running total against the budget; and the counts behind
the decisions pages. Reading only: the decisions themselves are in ``review.decisions``.

The database ranks the list with window functions, so that a page reads only its rows and the
first pages cost the same however long the list is.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from decimal import ROUND_DOWN, Decimal
from typing import Any

from sqlalchemy import and_, case, func, or_, select
from sqlalchemy.orm import aliased

from portal.accounts.models import Enterprise, User
from portal.applications.models import Application, Status
from portal.applications.tallies import ApplicationTally
from portal.core.extensions import db
from portal.core.money import CENT, sum_from_db
from portal.core.pagination import DEFAULT_PER_PAGE, Page
from portal.programs import formulas
from portal.programs.models import Program
from portal.programs.parameters import normalise_params
from portal.review.decision_rules import (
    APPROVE,
    REJECT,
    ZERO,
    budget_state,
    formula_of,
    highest_tier,
    reason_label,
)

# The portal's usual page: a page an officer can read through and decide before moving on.
RANKED_PAGE_SIZE = DEFAULT_PER_PAGE


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


def proposed_amounts(program: Program, application_ids: Sequence[int]) -> dict[int, Decimal | None]:
    """{application id: proposed amount} of these applications as the ranked list shows."""
    formula = formula_of(program)
    ranked = _ranking(program, formula, budget_state(program).released)
    rows = db.session.execute(
        select(ranked.c.id, ranked.c.proposed).where(ranked.c.id.in_(list(application_ids)))
    ).all()
    return {row.id: _amount(row.proposed) for row in rows}


def _amount(value: Any) -> Decimal | None:
    return None if value is None else sum_from_db(value)


def ranked_list(program: Program, locale: str, page: int = 1) -> dict[str, Any]:
    """One page of the programme's applications awaiting or holding a pending decision, best
    first, with proposed amounts and the running total against the budget, and the figures of
    the whole list. Four queries whatever the number of applications (current version,
    the budget's tallies, the list's counts, and the page with its firms and
    deciders, ranked by window functions over the list up to the page)."""
    formula = formula_of(program)
    released = budget_state(program).released
    summary = _ranked_summary(program)
    total_rows = int(summary.rows or 0)
    pages = max(1, -(-total_rows // RANKED_PAGE_SIZE))
    page = min(max(1, page), pages)
    first = (page - 1) * RANKED_PAGE_SIZE
    ranked = _ranking(program, formula, released, up_to=first + RANKED_PAGE_SIZE)
    rows = _rows_of_page(_page_rows(ranked, first), Decimal(program.budget), released)
    return {
        "program": _program_view(program, formula, locale),
        "rows": rows,
        "page": Page(rows=rows, page=page, per_page=RANKED_PAGE_SIZE, total=total_rows),
        "released": released,
        **_list_figures(program, summary, released),
    }


def _page_rows(ranked: Any, first: int) -> Sequence[Any]:
    """The page's ranked rows after position ``first``, with their firms and deciders."""
    decider = aliased(User)
    return db.session.execute(
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


def _rows_of_page(
    page_rows: Sequence[Any], budget: Decimal, released: Decimal
) -> list[dict[str, Any]]:
    out = []
    # Running totals never fall (no amount is negative), so a row before this page was past
    # the budget exactly when the total before the page is past it and something before the
    # page added to it: then the budget line was drawn on an earlier page.
    seen_over = False
    if page_rows:
        before_page = sum_from_db(page_rows[0].running_total) - (
            _amount(page_rows[0].proposed) or ZERO
        )
        seen_over = before_page > budget and before_page > released
    for row in page_rows:
        running = sum_from_db(row.running_total)
        over_budget = running > budget and bool(_amount(row.proposed))
        # where the budget line is drawn: the first row past it in the whole list
        budget_line = over_budget and not seen_over
        seen_over = seen_over or over_budget
        out.append(_row_view(row, running, over_budget, budget_line))
    return out


def _row_view(row: Any, running: Decimal, over_budget: bool, budget_line: bool) -> dict[str, Any]:
    return {
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
        "proposed": _amount(row.proposed),
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
        "budget_line": budget_line,
    }


def _program_view(program: Program, formula: dict[str, Any], locale: str) -> dict[str, Any]:
    return {
        "id": program.id,
        "code": program.code,
        "name": program.name(locale),
        "budget": Decimal(program.budget),
        "per_firm_cap": program.per_firm_cap,
        "pro_rata": program.pro_rata,
        "expert_review": program.reviewers_per_application > 0,
        "ranked_tiers": formula.get("formula") == "ranked_tiers",
        "highest_tier": highest_tier(formula),
        "publicity_days": program.publicity_days,
    }


def _list_figures(program: Program, summary: Any, released: Decimal) -> dict[str, Any]:
    """The whole list's figures: pending sums and counts, the pro-rata factor the release
    would apply, and the fingerprint the release form carries."""
    budget = Decimal(program.budget)
    pending_total = sum_from_db(summary.pending)
    available = max(budget - released, ZERO)
    factor = None
    if program.pro_rata and pending_total > available and pending_total > 0:
        factor = available / pending_total
    approvals, rejections = int(summary.approvals or 0), int(summary.rejections or 0)
    return {
        "pending_total": pending_total,
        "remaining": budget - released - pending_total,
        "awaiting": int(summary.awaiting or 0),
        "pending_approvals": approvals,
        "pending_rejections": rejections,
        "pro_rata_factor": factor,
        "snapshot": release_snapshot(
            approvals + rejections, int(summary.versions or 0), int(summary.weighted or 0)
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
