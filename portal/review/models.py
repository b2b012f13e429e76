"""Expert review: reviewer profiles, conflicts, assignments with their scores, objections.

A review is stored on its assignment (one reviewer, one application): the scores, the weighted
total and when it was submitted. Aggregates that lists sort by (mean, spread, flag, final
score) are kept on the application itself so that queues load in a fixed number of queries.
"""

from __future__ import annotations

import enum
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import (
    JSON,
    ForeignKey,
    Index,
    Integer,
    Numeric,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.applications.models import Application
from portal.core.extensions import Model, str_enum_column_type
from portal.core.labels import LabelledEnum
from portal.core.timeutil import UTCDateTime, utcnow
from portal.review import scoring_math

SCORE = Numeric(5, 2)


class ReviewerProfile(Model):
    __tablename__ = "reviewer_profiles"

    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    expertise: Mapped[list[str]] = mapped_column(JSON, default=list)
    # Firms the reviewer works for, advises or owns: never assigned to their applications.
    linked_usccs: Mapped[list[str]] = mapped_column(JSON, default=list)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)


class ConflictDeclaration(Model):
    """A reviewer's declared conflict with one firm (from declining an assignment or a form)."""

    __tablename__ = "conflict_declarations"
    __table_args__ = (UniqueConstraint("reviewer_id", "enterprise_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    reviewer_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    enterprise_id: Mapped[int] = mapped_column(ForeignKey("enterprises.id"))
    reason: Mapped[str] = mapped_column(Text, default="")
    declared_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class AssignmentStatus(LabelledEnum):
    ASSIGNED = "assigned", _l("Pending")  # scoring may be in progress (a saved draft)
    SUBMITTED = "submitted", _l("Submitted")  # locked; an officer may reopen it with a reason
    DECLINED = "declined", _l("Declined")


class FlagReason(LabelledEnum):
    """Why an application's reviews go to moderation (``scoring_math`` flags them)."""

    SPREAD = (
        scoring_math.SPREAD,
        _l("The reviewers' totals are further apart than the programme allows"),
    )
    MINIMUM = scoring_math.MINIMUM, _l("A reviewer scored a criterion below its minimum")


class DeclineReason(LabelledEnum):
    CONFLICT = "conflict", _l("Conflict of interest")
    NOT_MY_FIELD = "not_my_field", _l("Outside my field")
    WORKLOAD = "workload", _l("Workload")


class Assignment(Model):
    __tablename__ = "assignments"
    __table_args__ = (
        UniqueConstraint("application_id", "reviewer_id"),
        Index("ix_assignments_reviewer_queue", "reviewer_id", "status", "due_at", "id"),
        Index("ix_assignments_status_due", "status", "due_at", "application_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    application_id: Mapped[int] = mapped_column(
        ForeignKey("applications.id", ondelete="CASCADE"), index=True
    )
    reviewer_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    status: Mapped[AssignmentStatus] = mapped_column(
        str_enum_column_type(AssignmentStatus, "assignment_status", 20),
        default=AssignmentStatus.ASSIGNED,
    )
    assigned_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    assigned_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    due_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # Added during moderation as an extra reviewer.
    for_moderation: Mapped[bool] = mapped_column(default=False)
    decline_reason: Mapped[DeclineReason | None] = mapped_column(
        str_enum_column_type(DeclineReason, "decline_reason", 20)
    )
    decline_note: Mapped[str] = mapped_column(Text, default="")
    # {criterion_key: {"score": "7", "comment": "..."}}
    scores: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    total: Mapped[Decimal | None] = mapped_column(SCORE)
    minimum_missed: Mapped[bool] = mapped_column(default=False)
    submitted_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)

    application = relationship("Application")
    reviewer = relationship("User", foreign_keys=[reviewer_id])


class ObjectionStatus(enum.StrEnum):
    OPEN = "open"
    UPHELD = "upheld"
    DISMISSED = "dismissed"


class Objection(Model):
    """A signed objection raised during publicity (anonymous ones are not accepted)."""

    __tablename__ = "objections"
    # The open objections, oldest first, paged by key (migration 0013).
    __table_args__ = (
        Index("ix_objections_status_submitted", "status", "submitted_at", "id"),
        Index("ix_objections_resolved", "resolved_at", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    application_id: Mapped[int] = mapped_column(
        ForeignKey("applications.id", ondelete="CASCADE"), index=True
    )
    name: Mapped[str] = mapped_column(String(100))
    contact: Mapped[str] = mapped_column(String(200))
    reason: Mapped[str] = mapped_column(Text)
    submitted_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    ip_address: Mapped[str | None] = mapped_column(String(45))
    status: Mapped[ObjectionStatus] = mapped_column(
        str_enum_column_type(ObjectionStatus, "objection_status", 20),
        default=ObjectionStatus.OPEN,
    )
    resolved_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    resolution_note: Mapped[str] = mapped_column(Text, default="")
    # Who signed it: a signed-in account, or an address confirmed by a one-time code
    # (``contact`` is then that address; ``contact_kind`` says which: account, email, phone).
    account_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    contact_kind: Mapped[str] = mapped_column(String(10), default="")
    contact_confirmed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # The objector's language: mails about the objection are written in it.
    locale: Mapped[str] = mapped_column(String(10), default="zh_CN")

    evidence: Mapped[list[ObjectionEvidence]] = relationship(
        back_populates="objection", order_by="ObjectionEvidence.id"
    )


class ObjectionEvidence(Model):
    """A file an objector attached, checked like a firm's upload (kind by content, size)."""

    __tablename__ = "objection_evidence"

    id: Mapped[int] = mapped_column(primary_key=True)
    objection_id: Mapped[int] = mapped_column(
        ForeignKey("objections.id", ondelete="CASCADE"), index=True
    )
    original_name: Mapped[str] = mapped_column(String(200))
    storage_key: Mapped[str] = mapped_column(String(120))
    mime_type: Mapped[str] = mapped_column(String(100))
    size: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64))
    uploaded_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    objection: Mapped[Objection] = relationship(back_populates="evidence")


class ObjectorChallenge(Model):
    """A one-time code sent to an objector's email (or phone) to confirm it is theirs.

    Only a keyed hash of the code is kept; it works until ``expires_at`` and for
    ``PUBLICITY_CODE_ATTEMPTS`` tries; once confirmed it signs one objection (``used_at``).
    """

    __tablename__ = "objector_challenges"
    __table_args__ = (Index("ix_objector_challenges_address", "address", "created_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    application_id: Mapped[int] = mapped_column(ForeignKey("applications.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(100))
    channel: Mapped[str] = mapped_column(String(10))  # "email" | "phone"
    address: Mapped[str] = mapped_column(String(254))
    code_salt: Mapped[str] = mapped_column(String(32))
    code_hash: Mapped[str] = mapped_column(String(64))
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())
    confirmed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    ip_address: Mapped[str | None] = mapped_column(String(45))


class PublicityNotice(Model):
    """The printable notice (公示) of one programme's release: the list of awards proposed,
    rendered once as PDFs (Chinese and English) and verifiable like a letter, by its code or
    byte for byte."""

    __tablename__ = "publicity_notices"
    __table_args__ = (UniqueConstraint("program_id", "starts_on"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    program_id: Mapped[int] = mapped_column(ForeignKey("programs.id"))
    starts_on: Mapped[date]
    ends_on: Mapped[date]
    entry_count: Mapped[int] = mapped_column(Integer)
    program_name_zh: Mapped[str] = mapped_column(String(200))
    program_name_en: Mapped[str] = mapped_column(String(200))
    verification_code: Mapped[str] = mapped_column(String(20), unique=True)
    issued_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    pdf_key: Mapped[str] = mapped_column(String(120))
    pdf_sha256: Mapped[str] = mapped_column(String(64), index=True)
    pdf_size: Mapped[int] = mapped_column(Integer)
    pdf_en_key: Mapped[str] = mapped_column(String(120))
    pdf_en_sha256: Mapped[str] = mapped_column(String(64), index=True)
    pdf_en_size: Mapped[int] = mapped_column(Integer)


# The public list reads awards in publicity in this order, from this index alone (keyset
# pagination: a deep page costs what the first one does). Partial: only awards in publicity.
# On SQLite ``|| ''`` keeps the status indexes out of it: on a plain ``status IN`` SQLite
# (without statistics) reads the status index and sorts every award in publicity instead.
# PostgreSQL keeps the plain term: it has statistics for the column, not for the expression,
# and with the expression's default guess it would think the list short and sort it all.
PUBLIC_LIST_WHERE = {
    "sqlite": "(status || '') IN ('publicity', 'on_hold')",
    "postgresql": "status IN ('publicity', 'on_hold')",
}
Index(
    "ix_applications_public_list",
    Application.program_id,
    Application.publicity_starts_on,
    Application.decided_amount,
    Application.id,
    sqlite_where=text(PUBLIC_LIST_WHERE["sqlite"]),
    postgresql_where=text(PUBLIC_LIST_WHERE["postgresql"]),
)
