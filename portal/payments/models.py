"""The shared records of the post-award stage: the programme's post-award plan, the funding
agreement and the firm's bank account, the payment tranches, and the verifiable documents
(agreements, acceptance notices, recovery notices).

Each part of the stage keeps its own further tables in its own module (batches, reports,
acceptance, recovery); these are the ones several parts read.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import (
    JSON,
    CheckConstraint,
    ForeignKey,
    Index,
    Integer,
    Numeric,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from portal.core.extensions import Model, str_enum_column_type
from portal.core.labels import LabelledEnum
from portal.core.money import MONEY
from portal.core.timeutil import UTCDateTime, utcnow


class PostAwardPlan(Model):
    """What follows an award in one programme. No row: the defaults of ``plan.default_plan``."""

    __tablename__ = "post_award_plans"

    program_id: Mapped[int] = mapped_column(
        ForeignKey("programs.id", ondelete="CASCADE"), primary_key=True
    )
    # [{"share_percent": "60", "condition": "agreement"|"acceptance"}, ...]; shares sum to 100.
    tranches: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    # [{"kind": "progress"|"final", "months": 6}, ...] months after the agreement is accepted.
    reports: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    acceptance_required: Mapped[bool] = mapped_column(default=False)
    statement_days: Mapped[int] = mapped_column(Integer, default=10)  # 陈述申辩 window
    repayment_days: Mapped[int] = mapped_column(Integer, default=30)  # recovery deadline
    ban_years: Mapped[int] = mapped_column(Integer, default=3)  # credit record ban
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)


class DocumentKind(LabelledEnum):
    AGREEMENT = "agreement", _l("Funding agreement")
    ACCEPTANCE_NOTICE = "acceptance_notice", _l("Acceptance notice")
    RECOVERY_NOTICE = "recovery_notice", _l("Recovery notice")


class PostAwardDocument(Model):
    """A verifiable PDF of the post-award stage, numbered and hashed like a decision letter.

    Rendered in the request that issues it (Chinese official text and its English
    translation); ``/verify`` finds it by its code or by its file's SHA-256.
    """

    __tablename__ = "post_award_documents"
    __table_args__ = (Index("ix_post_award_documents_application", "application_id", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[DocumentKind] = mapped_column(
        str_enum_column_type(DocumentKind, "post_award_document_kind", 30)
    )
    application_id: Mapped[int] = mapped_column(ForeignKey("applications.id"))
    program_id: Mapped[int] = mapped_column(ForeignKey("programs.id"))
    enterprise_id: Mapped[int] = mapped_column(ForeignKey("enterprises.id"), index=True)
    number: Mapped[str] = mapped_column(String(60), unique=True)  # 阜科协〔2026〕3号
    verification_code: Mapped[str] = mapped_column(String(20), unique=True)
    title_zh: Mapped[str] = mapped_column(String(200))
    title_en: Mapped[str] = mapped_column(String(200))
    enterprise_name: Mapped[str] = mapped_column(String(200))
    uscc: Mapped[str] = mapped_column(String(18))
    amount: Mapped[Decimal | None] = mapped_column(MONEY)
    issue_date: Mapped[date]
    issued_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    issued_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    supersedes_id: Mapped[int | None] = mapped_column(ForeignKey("post_award_documents.id"))
    superseded_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    pdf_key: Mapped[str] = mapped_column(String(120))
    pdf_sha256: Mapped[str] = mapped_column(String(64), index=True)
    pdf_size: Mapped[int] = mapped_column(Integer)
    pdf_en_key: Mapped[str] = mapped_column(String(120))
    pdf_en_sha256: Mapped[str] = mapped_column(String(64), index=True)
    pdf_en_size: Mapped[int] = mapped_column(Integer)


class AgreementStatus(LabelledEnum):
    OFFERED = "offered", _l("Waiting for the firm")
    ACCEPTED = "accepted", _l("Agreement accepted")


class Agreement(Model):
    """The funding agreement (资金支持协议 / 项目任务书) of one award."""

    __tablename__ = "agreements"

    id: Mapped[int] = mapped_column(primary_key=True)
    application_id: Mapped[int] = mapped_column(ForeignKey("applications.id"), unique=True)
    program_id: Mapped[int] = mapped_column(ForeignKey("programs.id"), index=True)
    enterprise_id: Mapped[int] = mapped_column(ForeignKey("enterprises.id"), index=True)
    status: Mapped[AgreementStatus] = mapped_column(
        str_enum_column_type(AgreementStatus, "agreement_status", 20),
        default=AgreementStatus.OFFERED,
    )
    amount: Mapped[Decimal] = mapped_column(MONEY)  # the award, as final
    # The plan as it stood when the agreement was offered: later plan edits never change it.
    terms: Mapped[dict[str, Any]] = mapped_column(JSON)
    offered_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    accepted_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    accepted_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    declaration: Mapped[str] = mapped_column(Text, default="")  # the text the firm agreed to
    document_id: Mapped[int | None] = mapped_column(ForeignKey("post_award_documents.id"))
    lock_version: Mapped[int] = mapped_column(Integer, default=1, server_default="1")

    __mapper_args__ = {"version_id_col": lock_version}


class BankAccountStatus(LabelledEnum):
    PENDING = "pending", _l("Waiting for the officer's confirmation")
    CONFIRMED = "confirmed", _l("Confirmed")
    REJECTED = "rejected", _l("Sent back")
    REPLACED = "replaced", _l("Replaced")


class BankAccount(Model):
    """The account an award is paid into. Never edited: a change is a new row that needs the
    officer's confirmation like the first, and the old one stays (``replaced``)."""

    __tablename__ = "bank_accounts"
    __table_args__ = (Index("ix_bank_accounts_agreement", "agreement_id", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    agreement_id: Mapped[int] = mapped_column(ForeignKey("agreements.id"))
    enterprise_id: Mapped[int] = mapped_column(ForeignKey("enterprises.id"), index=True)
    status: Mapped[BankAccountStatus] = mapped_column(
        str_enum_column_type(BankAccountStatus, "bank_account_status", 20),
        default=BankAccountStatus.PENDING,
    )
    account_name: Mapped[str] = mapped_column(String(200))  # equals the registered firm name
    bank_name: Mapped[str] = mapped_column(String(100))
    branch_name: Mapped[str] = mapped_column(String(100))
    account_number: Mapped[str] = mapped_column(String(40))
    entered_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    entered_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    rejection_reason: Mapped[str] = mapped_column(Text, default="")


class TrancheCondition(LabelledEnum):
    AGREEMENT = "agreement", _l("On the agreement (accepted, bank account confirmed)")
    ACCEPTANCE = "acceptance", _l("After the project passes acceptance")


class TrancheStatus(LabelledEnum):
    PLANNED = "planned", _l("Waiting for its condition")
    DUE = "due", _l("Due")
    IN_BATCH = "in_batch", _l("In a payment batch")
    PAID = "paid", _l("Paid")
    CANCELLED = "cancelled", _l("Cancelled")


class Tranche(Model):
    """One planned payment of an award. Created with the agreement from its terms; the amounts
    of an award's tranches add up to the award exactly (the last one takes the rounding)."""

    __tablename__ = "tranches"
    __table_args__ = (
        CheckConstraint("amount > 0", name="amount_positive"),
        # Paid means finance confirmed it: a day and the bank's reference (payments.tranches).
        CheckConstraint(
            "status <> 'paid' OR (paid_on IS NOT NULL AND bank_reference IS NOT NULL)",
            name="paid_has_reference",
        ),
        UniqueConstraint("application_id", "position", name="uq_tranches_application_position"),
        Index("ix_tranches_status_due", "status", "due_at", "id"),
        Index("ix_tranches_program_status", "program_id", "status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    agreement_id: Mapped[int] = mapped_column(ForeignKey("agreements.id"), index=True)
    application_id: Mapped[int] = mapped_column(ForeignKey("applications.id"), index=True)
    program_id: Mapped[int] = mapped_column(ForeignKey("programs.id"))
    enterprise_id: Mapped[int] = mapped_column(ForeignKey("enterprises.id"), index=True)
    position: Mapped[int] = mapped_column(Integer)  # 1, 2, ... within the award
    share_percent: Mapped[Decimal] = mapped_column(Numeric(5, 2))
    amount: Mapped[Decimal] = mapped_column(MONEY)
    condition: Mapped[TrancheCondition] = mapped_column(
        str_enum_column_type(TrancheCondition, "tranche_condition", 20)
    )
    status: Mapped[TrancheStatus] = mapped_column(
        str_enum_column_type(TrancheStatus, "tranche_status", 20), default=TrancheStatus.PLANNED
    )
    due_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # The payment batch it is in, or was paid from (payments.batch_models.PaymentBatch).
    batch_id: Mapped[int | None] = mapped_column(ForeignKey("payment_batches.id"), index=True)
    # Set once, when finance's confirmation is recorded (by hand or from the bank's file).
    paid_on: Mapped[date | None]
    bank_reference: Mapped[str | None] = mapped_column(String(60), unique=True)
    paid_recorded_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    paid_recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    lock_version: Mapped[int] = mapped_column(Integer, default=1, server_default="1")

    __mapper_args__ = {"version_id_col": lock_version}
