"""A ranking kept for the minutes: every release of decisions keeps its ranked list as it stood
(ranks, scores, spreads, amounts proposed and released, the budget line, decisions, who
proposed and who approved).

The record is taken in the release's own transaction, from the audit event the release
records (``snapshot_release``, called by the letters' audit listener, which also gives the
record its verification code and renders its PDFs after the commit). The list is read from
the applications this release moved (their own release events, since the programme's
previous release), ordered as the ranked list orders them (``ranking.ranking_order``), with
the amounts each had before any pro-rata cut as those events recorded them.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy import func, or_, select
from sqlalchemy.orm import aliased, selectinload

from portal.accounts.models import Enterprise, User
from portal.applications.models import Application
from portal.core.audit import Action, AuditEvent
from portal.core.concurrency import flush_or_refuse
from portal.core.extensions import db
from portal.core.pagination import Page, paginate
from portal.core.timeutil import utcnow
from portal.programs.models import Program
from portal.review.decision_rules import APPROVE, REJECT, ZERO, budget_state
from portal.review.decisions import LIST_CHANGED
from portal.review.ranking import ranking_order
from portal.review.release_record_models import ReleaseRecord, ReleaseRecordEntry

RECORDS_PER_PAGE = 20


# --- taking the record ------------------------------------------------------------------------


def is_release(event: AuditEvent) -> bool:
    return event.action == Action.DECISION_RELEASED.value and bool(event.object_id)


def snapshot_release(event: AuditEvent, verification_code: str) -> ReleaseRecord | None:
    """Keep the ranked list of the release ``event`` records (in this transaction). None when
    the event is not a release or its release already has a record."""
    if not is_release(event):
        return None
    program = db.session.get(Program, int(str(event.object_id)))
    if program is None:
        return None
    # Write the release now: the applications moved and the event need to be read back (and
    # a decision changed meanwhile is refused here as the release itself would refuse it).
    flush_or_refuse(LIST_CHANGED)
    if db.session.scalar(select(ReleaseRecord.id).where(ReleaseRecord.audit_event_id == event.id)):
        return None
    moves = _moves_of_release(program, event)
    released = _released_together(program, list(moves))
    if not released:
        return None
    record = _record_of(event, program, released, moves, verification_code)
    db.session.add(record)
    db.session.flush()
    return record


RELEASE_MOVES = (
    Action.APPLICATION_RELEASE_APPROVAL.value,
    Action.APPLICATION_RELEASE_REJECTION.value,
)


def _moves_of_release(program: Program, event: AuditEvent) -> dict[int, tuple[Decimal, str]]:
    """{application id: (amount decided before any pro-rata cut (0 for a rejection), the
    factor used or "")} of the applications this release moved: their release events, written
    in this transaction after the programme's previous release (releases of one programme are
    serialised by its row lock, so no other release's events fall in between)."""
    previous = db.session.scalar(
        select(func.max(AuditEvent.id)).where(
            AuditEvent.object_type == "programs",
            AuditEvent.object_id == str(program.id),
            AuditEvent.action == Action.DECISION_RELEASED.value,
            AuditEvent.id < event.id,
        )
    )
    events = db.session.scalars(
        select(AuditEvent)
        .join(Application, Application.id == AuditEvent.application_id)
        .where(
            Application.program_id == program.id,
            AuditEvent.action.in_(RELEASE_MOVES),
            AuditEvent.id > (previous or 0),
            AuditEvent.id < event.id,
        )
        .order_by(AuditEvent.id)
    )
    out: dict[int, tuple[Decimal, str]] = {}
    for move in events:
        summary = move.summary or {}
        amount = summary.get("amount_before_pro_rata") or summary.get("amount") or "0"
        if move.application_id is not None:
            out[move.application_id] = (Decimal(str(amount)), summary.get("pro_rata_ratio", ""))
    return out


def _released_together(program: Program, application_ids: list[int]) -> Sequence[Any]:
    """These applications in ranked order, with their firms and deciders."""
    if not application_ids:
        return []
    decider = aliased(User)
    return db.session.execute(
        select(
            Application,
            Enterprise.name.label("enterprise"),
            Enterprise.uscc,
            decider.display_name.label("decided_by"),
        )
        .join(Enterprise, Enterprise.id == Application.enterprise_id)
        .outerjoin(decider, decider.id == Application.decided_by_id)
        .where(Application.id.in_(application_ids))
        .order_by(*ranking_order(program))
    ).all()


def _record_of(
    event: AuditEvent,
    program: Program,
    released: Sequence[Any],
    before_cut: dict[int, tuple[Decimal, str]],
    verification_code: str,
) -> ReleaseRecord:
    ids = [row.Application.id for row in released]
    released_before = budget_state(program, exclude_ids=ids).released
    budget = Decimal(program.budget)
    proposer_id, approver_id = signatories(event)
    names = _names([i for i in (proposer_id, approver_id) if i is not None])
    entries = _entries(released, before_cut, budget, released_before)
    approvals = [e for e in entries if e.decision == APPROVE]
    ratios = {before_cut[e.application_id][1] for e in approvals if e.application_id in before_cut}
    return ReleaseRecord(
        program_id=program.id,
        audit_event_id=event.id,
        released_at=released[0].Application.released_at or event.occurred_at or utcnow(),
        program_name_zh=program.name_zh,
        program_name_en=program.name_en,
        expert_review=program.reviewers_per_application > 0,
        budget=budget,
        released_before=released_before,
        proposed_total=sum((e.proposed_amount for e in approvals), ZERO),
        released_total=sum((e.released_amount for e in approvals), ZERO),
        pro_rata_ratio=next((r for r in ratios if r), ""),
        approved_count=len(approvals),
        rejected_count=len(entries) - len(approvals),
        publicity_starts_on=_date(event.summary.get("publicity_starts_on")) if approvals else None,
        publicity_ends_on=_date(event.summary.get("publicity_ends_on")) if approvals else None,
        proposed_by_id=proposer_id,
        proposed_by_name=names.get(proposer_id or 0, ""),
        approved_by_id=approver_id,
        approved_by_name=names.get(approver_id or 0, ""),
        verification_code=verification_code,
        entries=entries,
    )


def _entries(
    released: Sequence[Any],
    before_cut: dict[int, tuple[Decimal, str]],
    budget: Decimal,
    released_before: Decimal,
) -> list[ReleaseRecordEntry]:
    """The ranked lines, with the rules of the ranked list: a rejection takes no place in the
    tiers, the running total adds the amounts decided to what was released before, and the
    budget line is drawn above the first line that goes past the budget."""
    entries = []
    running, places, line_drawn = released_before, 0, False
    for position, row in enumerate(released, start=1):
        app: Application = row.Application
        approved = app.decision == APPROVE
        proposed = before_cut.get(app.id, (app.decided_amount or ZERO, ""))[0] if approved else ZERO
        running += proposed
        if app.decision != REJECT:
            places += 1
        over = running > budget and proposed > 0
        entries.append(
            ReleaseRecordEntry(
                application_id=app.id,
                position=position,
                rank=None if app.decision == REJECT else places,
                reference=app.reference,
                enterprise=row.enterprise,
                uscc=row.uscc,
                project_title=app.project_title or "",
                score=app.final_score,
                spread=app.review_spread,
                requested_amount=app.requested_amount,
                decision=app.decision or REJECT,
                proposed_amount=proposed,
                released_amount=(app.decided_amount or ZERO) if approved else ZERO,
                running_total=running,
                over_budget=over,
                budget_line=over and not line_drawn,
                reason_code=app.decision_reason_code or "",
                reason=app.decision_reason or "",
                decided_by_name=row.decided_by or "",
            )
        )
        line_drawn = line_drawn or over
    return entries


def signatories(event: AuditEvent) -> tuple[int | None, int | None]:
    """Who proposed the release and who approved it: the ids the four-eyes sign-off puts in
    the event's summary, else the officer who released it (both)."""
    summary = event.summary or {}
    proposer = _user_id(summary.get("proposed_by")) or event.actor_id
    approver = _user_id(summary.get("approved_by")) or event.actor_id
    return proposer, approver


def _user_id(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.isdigit():
        return int(value)
    return None


def _names(user_ids: list[int]) -> dict[int, str]:
    if not user_ids:
        return {}
    rows = db.session.execute(select(User.id, User.display_name).where(User.id.in_(user_ids))).all()
    return {row.id: row.display_name for row in rows}


def _date(value: Any) -> date | None:
    return date.fromisoformat(value) if isinstance(value, str) and value else None


def pro_rata_percent(ratio: str) -> str:
    """A release's pro-rata factor ("available/total") as a percentage with two places, for
    reading (the exact factor is the division itself); "" when there was no cut."""
    if not ratio or "/" not in ratio:
        return ""
    available, total = (Decimal(part) for part in ratio.split("/", 1))
    return f"{available / total * 100:.2f}" if total else ""


# --- reading ----------------------------------------------------------------------------------


def records_of_program(program_id: int, page: int = 1) -> Page:
    """One page of the programme's release records, newest first (two queries)."""
    return paginate(
        select(ReleaseRecord)
        .where(ReleaseRecord.program_id == program_id)
        .order_by(ReleaseRecord.released_at.desc(), ReleaseRecord.id.desc()),
        page=page,
        per_page=RECORDS_PER_PAGE,
    )


def record_with_entries(record_id: int) -> ReleaseRecord | None:
    """The record and its ranked lines (two queries)."""
    return db.session.scalar(
        select(ReleaseRecord)
        .where(ReleaseRecord.id == record_id)
        .options(selectinload(ReleaseRecord.entries))
    )


def record_by_code(code: str | None) -> ReleaseRecord | None:
    if code is None:
        return None
    return db.session.scalar(select(ReleaseRecord).where(ReleaseRecord.verification_code == code))


def record_by_file(data: bytes) -> tuple[ReleaseRecord, str] | None:
    """The record whose stored Chinese or English PDF is exactly ``data``, and which one."""
    digest = hashlib.sha256(data).hexdigest()
    record = db.session.scalar(
        select(ReleaseRecord).where(
            or_(ReleaseRecord.pdf_sha256 == digest, ReleaseRecord.pdf_en_sha256 == digest)
        )
    )
    if record is None:
        return None
    return record, ("zh" if record.pdf_sha256 == digest else "en")
