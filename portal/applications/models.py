"""Applications, their submitted versions, and their attachments."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import JSON, ForeignKey, Index, Integer, Numeric, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.core.extensions import Model, str_enum_column_type
from portal.core.labels import LabelledEnum
from portal.core.money import MONEY
from portal.core.timeutil import UTCDateTime, utcnow


class Status(LabelledEnum):
    DRAFT = "draft", _l("Draft")
    SUBMITTED = "submitted", _l("Submitted")
    RETURNED = "returned_for_changes", _l("Returned for changes")
    FORMAL_CHECK = "formal_check", _l("Formal check")
    EXPERT_REVIEW = "expert_review", _l("Expert review")
    MODERATION = "moderation", _l("Moderation")
    # A decision recorded but not released (approvals go from here straight to publicity).
    DECIDED = "decided", _l("Awaiting decision")
    PUBLICITY = "publicity", _l("In publicity")
    ON_HOLD = "on_hold", _l("On hold: objection under review")  # an objection awaits an officer
    AWARDED = "awarded", _l("Final")  # the award is final: see applications.award_terms
    REJECTED = "rejected", _l("Rejected")
    WITHDRAWN = "withdrawn", _l("Withdrawn")


status_type = str_enum_column_type(Status, "application_status", 30)


class Application(Model):
    __tablename__ = "applications"
    __table_args__ = (
        # One active application per programme per firm; a withdrawn one does not count.
        Index(
            "uq_applications_active_per_firm",
            "enterprise_id",
            "program_id",
            unique=True,
            sqlite_where=text("status <> 'withdrawn'"),
            postgresql_where=text("status <> 'withdrawn'"),
        ),
        # Migration 0006 holds the exact, per-dialect definitions of the scale indexes: the
        # ranked list's covering index, the queue's orders, an assignment's programme.
        Index(
            "ix_applications_ranking",
            "program_id",
            "status",
            text("final_score DESC"),
            "first_submitted_at",
            "id",
            "decision",
            "decided_amount",
            "requested_amount",
            "formula_amount",
            "lock_version",
        ),
        Index(
            "ix_applications_ranking_by_time",
            "program_id",
            "status",
            "first_submitted_at",
            "id",
            "final_score",
            "decision",
            "decided_amount",
            "requested_amount",
            "formula_amount",
            "lock_version",
        ),
        Index("ix_applications_programme_of", "id", "program_id", "status"),
        Index("ix_applications_queue", text("last_submitted_at DESC"), text("id DESC")),
        Index(
            "ix_applications_queue_program",
            "program_id",
            text("last_submitted_at DESC"),
            text("id DESC"),
        ),
        Index(
            "ix_applications_queue_status",
            "status",
            text("last_submitted_at DESC"),
            text("id DESC"),
        ),
        Index(
            "ix_applications_queue_score",
            text("final_score DESC"),
            text("review_mean DESC"),
            text("id DESC"),
        ),
        Index(
            "ix_applications_queue_program_score",
            "program_id",
            text("final_score DESC"),
            text("review_mean DESC"),
            text("id DESC"),
        ),
        Index("ix_applications_queue_spread", text("review_spread DESC"), text("id DESC")),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    reference: Mapped[str] = mapped_column(String(40), unique=True)
    enterprise_id: Mapped[int] = mapped_column(ForeignKey("enterprises.id"), index=True)
    program_id: Mapped[int] = mapped_column(ForeignKey("programs.id"))
    program_version_id: Mapped[int] = mapped_column(ForeignKey("program_versions.id"))
    status: Mapped[Status] = mapped_column(status_type, default=Status.DRAFT)

    project_title: Mapped[str] = mapped_column(String(200), default="")
    project_summary: Mapped[str] = mapped_column(Text, default="")
    # The profile figures this application uses, copied when it starts (and on refresh while a
    # draft); a later profile edit does not change a submitted application.
    figures: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    # {field: {"value": ..., "reason": ...}}: figures the firm changed, each with its reason.
    figure_changes: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    project_figures: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    figures_confirmed: Mapped[bool] = mapped_column(default=False)
    formula_amount: Mapped[Decimal | None] = mapped_column(MONEY)
    requested_amount: Mapped[Decimal | None] = mapped_column(MONEY)
    computation: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    amount_confirmed: Mapped[bool] = mapped_column(default=False)
    declaration_name: Mapped[str] = mapped_column(String(100), default="")
    declaration_title: Mapped[str] = mapped_column(String(100), default="")
    declared_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    returned_sections: Mapped[list[str]] = mapped_column(JSON, default=list)
    return_reason: Mapped[str] = mapped_column(Text, default="")
    withdraw_reason: Mapped[str] = mapped_column(Text, default="")

    # Review aggregates, kept current by the review services (lists sort and filter on them).
    review_count: Mapped[int] = mapped_column(Integer, default=0)
    review_mean: Mapped[Decimal | None] = mapped_column(Numeric(5, 2))
    review_spread: Mapped[Decimal | None] = mapped_column(Numeric(5, 2))
    review_flagged: Mapped[bool] = mapped_column(default=False, index=True)
    moderated_total: Mapped[Decimal | None] = mapped_column(Numeric(5, 2))
    moderation_reason: Mapped[str] = mapped_column(Text, default="")
    final_score: Mapped[Decimal | None] = mapped_column(Numeric(5, 2))

    # The decision: recorded first (pending, invisible to the firm), then released.
    decision: Mapped[str | None] = mapped_column(String(10))  # "approve" | "reject"
    decided_amount: Mapped[Decimal | None] = mapped_column(MONEY)
    decision_reason_code: Mapped[str] = mapped_column(String(40), default="")
    decision_reason: Mapped[str] = mapped_column(Text, default="")
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    released_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    publicity_starts_on: Mapped[date | None]
    publicity_ends_on: Mapped[date | None]
    awarded_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    # Optimistic lock: two officers acting on one application at once end with one action.
    lock_version: Mapped[int] = mapped_column(Integer, default=1)

    submission_count: Mapped[int] = mapped_column(Integer, default=0)
    first_submitted_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    last_submitted_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)

    enterprise = relationship("Enterprise")
    program = relationship("Program")
    program_version = relationship("ProgramVersion")
    attachments: Mapped[list[Attachment]] = relationship(
        back_populates="application", order_by="Attachment.id"
    )

    __mapper_args__ = {"version_id_col": lock_version}


class ApplicationSubmission(Model):
    """What the firm sent, each time it submitted: the history keeps every version."""

    __tablename__ = "application_submissions"

    id: Mapped[int] = mapped_column(primary_key=True)
    application_id: Mapped[int] = mapped_column(
        ForeignKey("applications.id", ondelete="CASCADE"), index=True
    )
    number: Mapped[int]
    submitted_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    submitted_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    content: Mapped[dict[str, Any]] = mapped_column(JSON)


class Attachment(Model):
    """One uploaded file for one document slot. Replacing keeps the old row (replaced_at set)."""

    __tablename__ = "attachments"
    __table_args__ = (
        Index(
            "uq_attachments_current_per_slot",
            "application_id",
            "document_key",
            unique=True,
            sqlite_where=text("replaced_at IS NULL"),
            postgresql_where=text("replaced_at IS NULL"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    application_id: Mapped[int] = mapped_column(
        ForeignKey("applications.id", ondelete="CASCADE"), index=True
    )
    document_key: Mapped[str] = mapped_column(String(60))
    original_name: Mapped[str] = mapped_column(String(255))
    storage_key: Mapped[str] = mapped_column(String(120))
    mime_type: Mapped[str] = mapped_column(String(100))
    size: Mapped[int]
    sha256: Mapped[str] = mapped_column(String(64))
    page_count: Mapped[int | None]
    uploaded_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    uploaded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    replaced_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    application: Mapped[Application] = relationship(back_populates="attachments")
