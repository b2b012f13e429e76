"""Deciding within a programme: pending decisions (recorded, invisible to firms, changeable),
one at a time or in bulk, and their release; and the correction of a released award.

A decision is recorded on the application while its status stays ``decided``; only the release
moves it on (approvals into publicity, rejections to rejected), all of a programme's pending
decisions at once. What a decision may be, and the budget line, are in ``decision_rules``; the
ranked list the officer decides from is in ``ranking``.

Two officers acting at once end with one decision: the programme row is locked while a decision
is checked against the budget (``lock_program``), the form carries the ``lock_version`` the
officer saw, and the application's optimistic lock refuses a write over a change made
meanwhile. Each command runs in its own savepoint (``core.concurrency.service``): a refused one
leaves nothing behind.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from portal.accounts.models import Enterprise
from portal.applications import lifecycle
from portal.applications.models import Application, Status
from portal.core import audit
from portal.core.audit import Action
from portal.core.concurrency import (
    ConcurrentChange,
    check_not_stale,
    flush_or_refuse,
    lock_row,
    service,
)
from portal.core.extensions import db
from portal.core.money import format_money
from portal.core.timeutil import bureau_today, utcnow
from portal.programs import formulas
from portal.programs.models import Program
from portal.review import calendar, sign_off
from portal.review.decision_rules import (
    APPROVE,
    ZERO,
    Choice,
    DecisionRefused,
    budget_state,
    check_budget,
    check_choice,
    check_decision,
    formula_of,
)
from portal.review.ranking import proposed_amounts, snapshot_of
from portal.review.ranking import ranked_list as ranked_list  # the list these commands act on

LIST_CHANGED = _l(
    "The pending decisions changed after you opened this page. Check the list and release again."
)


def lock_program(program_id: int) -> Program:
    """Serialise decisions and releases of one programme (the budget check reads a sum)."""
    return lock_row(Program, program_id)


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


def _changed_meanwhile(reference: str) -> Any:
    return _l(
        "%(reference)s was changed by someone else after you opened this page. "
        "Check its current decision and try again.",
        reference=reference,
    )


def _check_seen(application: Application, seen_lock_version: int | None) -> None:
    """Refuse a decision taken on a row drawn at an older version (the form always says)."""
    check_not_stale(
        application,
        seen_lock_version,
        message=_changed_meanwhile(application.reference),
        required=True,
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
            Action.DECISION_RECORDED,
            application,
            actor=actor,
            decision=choice.decision,
            amount=_plain(choice.amount),
            reason_code=choice.reason_code,
            **previous,
        )
    if len(references) == 1:
        flush_or_refuse(_changed_meanwhile(references[0]))
    else:
        flush_or_refuse(
            _l(
                "One of the selected applications was changed by someone else after you "
                "opened this page. Check the list and try again."
            )
        )


def _plain(amount: Decimal | None) -> str | None:
    return None if amount is None else str(amount)


# --- deciding ---------------------------------------------------------------------------------


@service
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
    _check_seen(application, seen_lock_version)
    if (seen_decision or None) != (application.decision or None):
        raise ConcurrentChange(_changed_meanwhile(application.reference))
    choice = check_decision(application, choice, program)
    _write([(application, choice)], actor=actor)
    return application


@service
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
        _check_seen(application, seen_lock_versions.get(app_id))
        if decision == APPROVE:
            choice = Choice(APPROVE, _proposal(application, proposals.get(app_id)))
        else:
            choice = Choice(decision, None, reason_code, reason)
        decisions.append((application, _checked_in_bulk(application, choice, program, formula)))
    try:
        check_budget(program, decisions)
    except DecisionRefused as refusal:
        raise DecisionRefused(refusal.message, field="selected") from None
    _write(decisions, actor=actor)
    return [app for app, _choice in decisions]


def _proposal(application: Application, proposed: Decimal | None) -> Decimal:
    if not proposed:
        raise DecisionRefused(
            _l(
                "%(reference)s has no proposed amount: decide it on its own.",
                reference=application.reference,
            ),
            field="selected",
        )
    return proposed


def _checked_in_bulk(
    application: Application, choice: Choice, program: Program, formula: dict[str, Any]
) -> Choice:
    """``check_choice``, with a refusal of one application's amount named by its reference
    and shown beside the selection (the reason's refusals stay beside the reason)."""
    try:
        return check_choice(application, choice, program, formula)
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


def correct_award(application: Application, amount: Decimal) -> Decimal:
    """Correct the amount of a released award (its letter is reissued): checked as a decision
    is, under the programme's lock. Returns the amount as recorded."""
    program = lock_program(application.program_id)
    choice = check_decision(application, Choice(APPROVE, amount), program)
    application.decided_amount = choice.amount
    return choice.amount or ZERO


# --- release ----------------------------------------------------------------------------------


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


@service
def release_decisions(
    program: Program,
    *,
    actor: Any,
    snapshot: str,
    today: date | None = None,
    four_eyes: dict[str, Any] | None = None,
) -> ReleaseResult:
    """Release every pending decision of the programme: rejections become final, approvals
    (scaled pro rata when the programme allows it and the budget is short) go into publicity.

    People release through a proposal an approver signs off (``propose_release``); then
    ``four_eyes`` names both (``sign_off.names_of``) in every event of the release."""
    four_eyes = four_eyes or {}
    program = lock_program(program.id)
    pending = _pending_decisions(program)
    if not pending:
        raise DecisionRefused(_l("There are no pending decisions to release."))
    if snapshot_of(pending) != snapshot:
        raise ConcurrentChange(LIST_CHANGED)
    approvals, ratio = _released_amounts(program, pending)
    scaled = ratio is not None
    start, end = publicity_period(today or bureau_today(), program.publicity_days)
    _move_on(pending, approvals, start, end, actor=actor, pro_rata_ratio=ratio, four_eyes=four_eyes)
    released_total = sum(approvals.values(), ZERO)
    audit.record(
        Action.DECISION_RELEASED,
        program,
        actor=actor,
        approved=len(approvals),
        rejected=len(pending) - len(approvals),
        total=str(released_total),
        pro_rata=scaled,
        publicity_starts_on=start.isoformat(),
        publicity_ends_on=end.isoformat(),
        **four_eyes,
    )
    flush_or_refuse(LIST_CHANGED)
    return ReleaseResult(
        approved=len(approvals),
        rejected=len(pending) - len(approvals),
        total=released_total,
        scaled=scaled,
        publicity_ends_on=end if approvals else None,
    )


def _pending_decisions(program: Program) -> list[Application]:
    return list(
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


def _released_amounts(
    program: Program, pending: list[Application]
) -> tuple[dict[int, Decimal], str | None]:
    """{application id: amount released} of the pending approvals, and the exact factor
    ("available/total") when they were scaled pro rata, else None; DecisionRefused when they do
    not fit what is left of the budget."""
    approvals = {app.id: app.decided_amount or ZERO for app in pending if app.decision == APPROVE}
    state = budget_state(program, exclude_ids=[app.id for app in pending])
    available = max(state.budget - state.released, ZERO)
    total = sum(approvals.values(), ZERO)
    if total <= available:
        return approvals, None
    if not program.pro_rata:
        raise DecisionRefused(
            _l(
                "The pending approvals (%(total)s yuan) exceed what is left of the budget "
                "(%(remaining)s yuan). Change some decisions first.",
                total=format_money(total),
                remaining=format_money(available),
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
    # Kept on each release event so that the firm's page and the letter print the factor used.
    return amounts, f"{available}/{total}"


def _move_on(
    pending: list[Application],
    approvals: dict[int, Decimal],
    start: date,
    end: date,
    *,
    actor: Any,
    pro_rata_ratio: str | None,
    four_eyes: dict[str, Any],
) -> None:
    """Approvals into publicity at their released amounts, rejections made final."""
    now = utcnow()
    for application in pending:
        application.released_at = now
        if application.decision != APPROVE:
            lifecycle.transition(
                application,
                "release_rejection",
                actor=actor,
                reason_code=application.decision_reason_code,
                reason=application.decision_reason,
                **four_eyes,
            )
            continue
        decided = application.decided_amount
        application.decided_amount = approvals[application.id]
        application.publicity_starts_on = start
        application.publicity_ends_on = end
        details = {"amount": str(application.decided_amount)}
        if application.decided_amount != decided:
            details["amount_before_pro_rata"] = str(decided)
        if pro_rata_ratio is not None:
            details["pro_rata_ratio"] = pro_rata_ratio
        lifecycle.transition(
            application,
            "release_approval",
            actor=actor,
            publicity_ends_on=end.isoformat(),
            **details,
            **four_eyes,
        )


# --- the release as a proposal an approver signs off ------------------------------------------


@dataclass(frozen=True)
class ReleasePreview:
    """What releasing the pending decisions would do now: the confirmation pages show it."""

    snapshot: str
    approvals: list[dict[str, Any]]
    rejections: list[dict[str, Any]]
    total: Decimal
    pro_rata_ratio: str | None
    publicity_starts_on: date
    publicity_ends_on: date

    def payload(self) -> dict[str, Any]:
        return {
            "approved": len(self.approvals),
            "rejected": len(self.rejections),
            "total": str(self.total),
            "pro_rata_ratio": self.pro_rata_ratio,
            "publicity_starts_on": self.publicity_starts_on.isoformat(),
            "publicity_ends_on": self.publicity_ends_on.isoformat(),
            "approvals": self.approvals,
            "rejections": self.rejections,
        }


def release_preview(program: Program, today: date | None = None) -> ReleasePreview:
    """The release as it would happen now (DecisionRefused when it could not: nothing pending,
    or approvals over the budget without pro rata). Three queries."""
    pending = _pending_decisions(program)
    if not pending:
        raise DecisionRefused(_l("There are no pending decisions to release."))
    approvals, ratio = _released_amounts(program, pending)
    start, end = publicity_period(today or bureau_today(), program.publicity_days)
    firms = _firm_names([app.enterprise_id for app in pending])
    approved_rows, rejected_rows = [], []
    for app in pending:
        row = {"id": app.id, "reference": app.reference, "firm": firms.get(app.enterprise_id, "")}
        if app.decision == APPROVE:
            row["amount"] = str(approvals[app.id])
            if approvals[app.id] != app.decided_amount:
                row["amount_before_pro_rata"] = str(app.decided_amount)
            approved_rows.append(row)
        else:
            row["reason"] = app.decision_reason or ""
            rejected_rows.append(row)
    return ReleasePreview(
        snapshot=snapshot_of(pending),
        approvals=approved_rows,
        rejections=rejected_rows,
        total=sum(approvals.values(), ZERO),
        pro_rata_ratio=ratio,
        publicity_starts_on=start,
        publicity_ends_on=end,
    )


def _firm_names(enterprise_ids: list[int]) -> dict[int, str]:
    rows = db.session.execute(
        select(Enterprise.id, Enterprise.name).where(Enterprise.id.in_(set(enterprise_ids)))
    )
    return dict(rows.all())


@service
def propose_release(program: Program, *, actor: Any, snapshot: str) -> sign_off.Proposal:
    """The officer proposes releasing the pending decisions as the page showed them; they are
    released when an approver signs off (and refused then if the list changed meanwhile)."""
    program = lock_program(program.id)
    preview = release_preview(program)
    if preview.snapshot != snapshot:
        raise ConcurrentChange(LIST_CHANGED)
    return sign_off.propose(
        sign_off.Kind.RELEASE,
        subject_id=program.id,
        program_id=program.id,
        application_id=None,
        fingerprint=preview.snapshot,
        payload=preview.payload(),
        actor=actor,
    )


def _release_fingerprint(proposal: sign_off.Proposal) -> str:
    program = db.session.get(Program, proposal.subject_id)
    return snapshot_of(_pending_decisions(program)) if program is not None else ""


def _carry_out_release(proposal: sign_off.Proposal, approver: Any, names: dict[str, Any]) -> None:
    program = db.session.get(Program, proposal.subject_id)
    release_decisions(program, actor=approver, snapshot=proposal.fingerprint, four_eyes=names)


sign_off.register(
    sign_off.Kind.RELEASE, fingerprint=_release_fingerprint, carry_out=_carry_out_release
)
