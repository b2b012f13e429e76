"""Four eyes on what cannot be undone: an officer proposes, an approver (分管领导) signs off.

Three steps take effect only when an approver signs off what an officer proposed: releasing a
programme's decisions, reissuing a letter with a changed amount and upholding an objection.
The proposal records what the officer saw (``fingerprint``: the pending list, the letter, the
objection as they stood); a proposal whose subject changed meanwhile is refused at sign-off
(stale), and the approver sends it back. The approver is never the proposer.

This module knows nothing of what each step does: the domain that owns a step registers, at
import, how to read its subject's fingerprint now and how to carry the step out
(``register``), so that letters (above review) can hook their reissue in here. The step is
carried out with the approver as the actor and both names in its audit summary
(``names_of``).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import JSON, ForeignKey, Index, Integer, String, Text, select
from sqlalchemy.orm import Mapped, aliased, mapped_column

from portal.accounts.models import Role, User
from portal.core import audit
from portal.core.audit import Action
from portal.core.concurrency import ConcurrentChange, lock_row, service
from portal.core.domain import DomainError
from portal.core.extensions import Model, db, str_enum_column_type
from portal.core.labels import LabelledEnum
from portal.core.timeutil import UTCDateTime, utcnow
from portal.programs.models import Program

SEND_BACK_REASON_MAX = 1000


class Kind(LabelledEnum):
    RELEASE = "release", _l("Release of a programme's decisions")
    REISSUE = "reissue", _l("Letter reissued with a changed amount")
    UPHOLD = "uphold", _l("Objection upheld")


class ProposalStatus(LabelledEnum):
    PENDING = "pending", _l("Awaiting sign-off")
    APPROVED = "approved", _l("Signed off")
    SENT_BACK = "sent_back", _l("Sent back")
    REPLACED = "replaced", _l("Replaced by a newer proposal")


class Proposal(Model):
    __tablename__ = "sign_off_proposals"
    __table_args__ = (
        Index("ix_sign_off_proposals_status", "status", "id"),
        Index("ix_sign_off_proposals_subject", "kind", "subject_id", "status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[Kind] = mapped_column(str_enum_column_type(Kind, "sign_off_kind", 20))
    status: Mapped[ProposalStatus] = mapped_column(
        str_enum_column_type(ProposalStatus, "sign_off_status", 20),
        default=ProposalStatus.PENDING,
    )
    # What the step acts on: a programme (release), a letter (reissue), an objection (uphold).
    subject_id: Mapped[int] = mapped_column(Integer)
    program_id: Mapped[int] = mapped_column(ForeignKey("programs.id", ondelete="RESTRICT"))
    # The one application a reissue or an upheld objection is about (its timeline shows it).
    application_id: Mapped[int | None] = mapped_column(
        ForeignKey("applications.id", ondelete="RESTRICT")
    )
    # The subject as the officer saw it when proposing; sign-off refuses when it differs now.
    fingerprint: Mapped[str] = mapped_column(String(200))
    # What the step needs to be carried out (a reissue's amount and reason, an objection's
    # note) and what the confirmation pages show (counts, totals, firms and amounts).
    payload: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    proposed_by_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="RESTRICT"))
    proposed_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="RESTRICT"))
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    send_back_reason: Mapped[str] = mapped_column(Text, default="")


class SignOffRefused(DomainError):
    pass


@dataclass(frozen=True)
class Step:
    """How one kind of step reads its subject now and is carried out on sign-off."""

    fingerprint: Callable[[Proposal], str]
    carry_out: Callable[[Proposal, Any, dict[str, Any]], None]


_steps: dict[Kind, Step] = {}


def register(
    kind: Kind,
    *,
    fingerprint: Callable[[Proposal], str],
    carry_out: Callable[[Proposal, Any, dict[str, Any]], None],
) -> None:
    _steps[kind] = Step(fingerprint, carry_out)


STALE = _l(
    "This proposal no longer matches what it would act on: it was changed after the officer "
    "proposed it. Send it back so that the officer can check it and propose it again."
)


def names_of(proposal: Proposal, approver: Any) -> dict[str, Any]:
    """Both people, for the summary of the step's audit events (ids and names as they were)."""
    proposer = db.session.get(User, proposal.proposed_by_id)
    return {
        "proposal_id": proposal.id,
        "proposed_by": proposal.proposed_by_id,
        "proposed_by_name": proposer.display_name if proposer else "",
        "approved_by": getattr(approver, "id", None),
        "approved_by_name": getattr(approver, "display_name", ""),
    }


# --- commands ---------------------------------------------------------------------------------


@service
def propose(
    kind: Kind,
    *,
    subject_id: int,
    program_id: int,
    application_id: int | None,
    fingerprint: str,
    payload: dict[str, Any],
    actor: Any,
) -> Proposal:
    """Record a proposal; a pending proposal of the same step on the same subject is replaced
    (the officer proposing again has looked at the subject as it is now)."""
    for earlier in db.session.scalars(
        select(Proposal).where(
            Proposal.kind == kind,
            Proposal.subject_id == subject_id,
            Proposal.status == ProposalStatus.PENDING,
        )
    ):
        earlier.status = ProposalStatus.REPLACED
        earlier.decided_at = utcnow()
    proposal = Proposal(
        kind=kind,
        subject_id=subject_id,
        program_id=program_id,
        application_id=application_id,
        fingerprint=fingerprint,
        payload=payload,
        proposed_by_id=actor.id,
        proposed_at=utcnow(),
    )
    db.session.add(proposal)
    db.session.flush()
    audit.record(
        Action.SIGN_OFF_PROPOSED,
        proposal,
        actor=actor,
        kind=kind.value,
        program_id=program_id,
        application_id=application_id,
        **_headline(payload),
    )
    return proposal


def _headline(payload: dict[str, Any]) -> dict[str, Any]:
    keys = ("approved", "rejected", "total", "amount", "amount_before", "reference")
    return {key: payload[key] for key in keys if key in payload}


def _check_decidable(proposal: Proposal, approver: Any) -> None:
    if getattr(approver, "role", None) is not Role.APPROVER:
        raise SignOffRefused(_l("Only an approver can sign off or send back a proposal."))
    if proposal.proposed_by_id == approver.id:
        raise SignOffRefused(_l("You proposed this yourself: another approver must sign it off."))
    if proposal.status is not ProposalStatus.PENDING:
        raise SignOffRefused(
            _l(
                "This proposal has already been dealt with (“%(status)s”).",
                status=proposal.status.label,
            )
        )


def is_stale(proposal: Proposal) -> bool:
    return _steps[proposal.kind].fingerprint(proposal) != proposal.fingerprint


@service
def approve(proposal: Proposal, *, approver: Any, seen_fingerprint: str) -> Proposal:
    """Sign off: the step is carried out now, with the approver as its actor."""
    proposal = lock_row(Proposal, proposal.id)
    _check_decidable(proposal, approver)
    if seen_fingerprint != proposal.fingerprint:
        raise ConcurrentChange(_l("This proposal was replaced meanwhile. Open it again."))
    step = _steps[proposal.kind]
    if step.fingerprint(proposal) != proposal.fingerprint:
        raise ConcurrentChange(STALE)
    names = names_of(proposal, approver)
    step.carry_out(proposal, approver, names)
    proposal.status = ProposalStatus.APPROVED
    proposal.decided_by_id = approver.id
    proposal.decided_at = utcnow()
    audit.record(
        Action.SIGN_OFF_APPROVED,
        proposal,
        actor=approver,
        kind=proposal.kind.value,
        program_id=proposal.program_id,
        application_id=proposal.application_id,
        **names,
    )
    db.session.flush()
    return proposal


@service
def send_back(proposal: Proposal, *, approver: Any, reason: str) -> Proposal:
    """Refuse to sign off, saying why; nothing of the step happens."""
    proposal = lock_row(Proposal, proposal.id)
    _check_decidable(proposal, approver)
    reason = (reason or "").strip()
    if not reason:
        raise SignOffRefused(_l("Say why you send it back: the officer reads it."), field="reason")
    if len(reason) > SEND_BACK_REASON_MAX:
        raise SignOffRefused(
            _l("Keep the reason under %(count)d characters.", count=SEND_BACK_REASON_MAX),
            field="reason",
        )
    proposal.status = ProposalStatus.SENT_BACK
    proposal.decided_by_id = approver.id
    proposal.decided_at = utcnow()
    proposal.send_back_reason = reason
    audit.record(
        Action.SIGN_OFF_SENT_BACK,
        proposal,
        actor=approver,
        kind=proposal.kind.value,
        program_id=proposal.program_id,
        application_id=proposal.application_id,
        reason=reason,
        proposed_by=proposal.proposed_by_id,
        proposed_by_name=names_of(proposal, approver)["proposed_by_name"],
        sent_back_by=approver.id,
        sent_back_by_name=approver.display_name,
    )
    db.session.flush()
    return proposal


# --- queries ----------------------------------------------------------------------------------


def pending_for(kind: Kind, subject_ids: Sequence[int]) -> dict[int, Proposal]:
    """The pending proposal of each subject that has one (one query)."""
    if not subject_ids:
        return {}
    rows = db.session.scalars(
        select(Proposal).where(
            Proposal.kind == kind,
            Proposal.subject_id.in_(list(subject_ids)),
            Proposal.status == ProposalStatus.PENDING,
        )
    )
    return {proposal.subject_id: proposal for proposal in rows}


def latest_sent_back(kind: Kind, subject_id: int) -> Proposal | None:
    """The latest proposal on the subject, when the approver sent it back (the officer is
    told why); None when the latest one is pending or was signed off."""
    latest = db.session.scalars(
        select(Proposal)
        .where(Proposal.kind == kind, Proposal.subject_id == subject_id)
        .order_by(Proposal.id.desc())
        .limit(1)
    ).first()
    return latest if latest is not None and latest.status is ProposalStatus.SENT_BACK else None


def proposal_rows(*, pending: bool, locale: str, limit: int = 50) -> list[dict[str, Any]]:
    """Proposals with their programme and both people, newest first: the pending ones, or
    those dealt with (one query)."""
    proposer = aliased(User)
    decider = aliased(User)
    query = (
        select(Proposal, Program, proposer.display_name, decider.display_name)
        .join(Program, Program.id == Proposal.program_id)
        .join(proposer, proposer.id == Proposal.proposed_by_id)
        .outerjoin(decider, decider.id == Proposal.decided_by_id)
        .order_by(Proposal.id.desc())
        .limit(limit)
    )
    if pending:
        query = query.where(Proposal.status == ProposalStatus.PENDING)
    else:
        query = query.where(Proposal.status != ProposalStatus.PENDING)
    return [
        {
            "proposal": proposal,
            "program": program.name(locale),
            "proposed_by": proposed_by,
            "decided_by": decided_by or "",
        }
        for proposal, program, proposed_by, decided_by in db.session.execute(query).all()
    ]
