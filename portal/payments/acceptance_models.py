"""The records of acceptance (验收): one review per round of an award, and each expert's
conclusion in it.

A round is formed with its panel and ends with the officer's conclusion; a 限期整改 (fix by a
date) outcome may be followed by a new round, so an award keeps every round it had.
"""

from __future__ import annotations

from datetime import date, datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import (
    CheckConstraint,
    ForeignKey,
    Index,
    Integer,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from portal.core.extensions import Model, str_enum_column_type
from portal.core.labels import LabelledEnum
from portal.core.timeutil import UTCDateTime, utcnow


class AcceptanceStatus(LabelledEnum):
    PANEL_FORMED = "panel_formed", _l("Panel formed: waiting for the experts")
    CONCLUDED = "concluded", _l("Concluded")


class AcceptanceOutcome(LabelledEnum):
    """An expert's conclusion and the officer's outcome use the same three words."""

    PASSED = "passed", _l("Passed")
    FIX = "fix", _l("Fix by a deadline")
    FAILED = "failed", _l("Not passed")


class AcceptanceReview(Model):
    """One round of acceptance of one award."""

    __tablename__ = "acceptance_reviews"
    __table_args__ = (
        UniqueConstraint("application_id", "round", name="uq_acceptance_reviews_round"),
        Index("ix_acceptance_reviews_application", "application_id", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    agreement_id: Mapped[int] = mapped_column(ForeignKey("agreements.id"))
    application_id: Mapped[int] = mapped_column(ForeignKey("applications.id"))
    program_id: Mapped[int] = mapped_column(ForeignKey("programs.id"))
    enterprise_id: Mapped[int] = mapped_column(ForeignKey("enterprises.id"), index=True)
    round: Mapped[int] = mapped_column(Integer, default=1)  # 1, 2, ... within the award
    status: Mapped[AcceptanceStatus] = mapped_column(
        str_enum_column_type(AcceptanceStatus, "acceptance_status", 20),
        default=AcceptanceStatus.PANEL_FORMED,
    )
    formed_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    formed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    outcome: Mapped[AcceptanceOutcome | None] = mapped_column(
        str_enum_column_type(AcceptanceOutcome, "acceptance_outcome", 20)
    )
    fix_deadline: Mapped[date | None]  # for 限期整改 only
    conclusion: Mapped[str] = mapped_column(Text, default="")  # the officer's, on the notice
    # Why the officer concluded before every expert had (empty when all had).
    proceed_reason: Mapped[str] = mapped_column(Text, default="")
    concluded_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    concluded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    document_id: Mapped[int | None] = mapped_column(ForeignKey("post_award_documents.id"))
    lock_version: Mapped[int] = mapped_column(Integer, default=1, server_default="1")

    __mapper_args__ = {"version_id_col": lock_version}


class AcceptanceAssignment(Model):
    """One expert on one round's panel, and their conclusion once given."""

    __tablename__ = "acceptance_assignments"
    __table_args__ = (
        UniqueConstraint("review_id", "expert_id", name="uq_acceptance_assignments_expert"),
        CheckConstraint("score IS NULL OR (score >= 0 AND score <= 100)", name="score_range"),
        Index("ix_acceptance_assignments_expert", "expert_id", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    review_id: Mapped[int] = mapped_column(ForeignKey("acceptance_reviews.id"), index=True)
    expert_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    assigned_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    conclusion: Mapped[AcceptanceOutcome | None] = mapped_column(
        str_enum_column_type(AcceptanceOutcome, "acceptance_conclusion", 20)
    )
    score: Mapped[int | None] = mapped_column(Integer)  # 0-100, optional
    comments: Mapped[str] = mapped_column(Text, default="")
    submitted_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
