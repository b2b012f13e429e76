"""The records of recovery (追回) and the credit record: a case opened on an award with its
evidence, the firm's statement (陈述申辩), the approver's decision, the repayments, and the ban
the decision writes into the firm's credit record.

The amounts hold by construction and by the database: a decided amount is more than 0, the
repayments of a case add up to at most its decided amount (``repaid_amount`` is their sum, kept
with every repayment under the case's row lock, and checked by the database), and the decided
amounts of an award's cases add up to at most what was paid on it (checked by the service under
the same lock).
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from flask_babel import lazy_gettext as _l
from sqlalchemy import (
    CheckConstraint,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from portal.core.extensions import Model, str_enum_column_type
from portal.core.labels import LabelledEnum
from portal.core.money import MONEY
from portal.core.timeutil import UTCDateTime, utcnow


class RecoveryGrounds(LabelledEnum):
    FALSE_MATERIALS = "false_materials", _l("False materials")
    DUPLICATE_FUNDING = "duplicate_funding", _l("Duplicate funding")
    MISUSE = "misuse", _l("Misuse of the funds")
    FAILED_ACCEPTANCE = "failed_acceptance", _l("Failed acceptance")


class RecoveryStatus(LabelledEnum):
    STATEMENT_DUE = "statement_due", _l("Waiting for the firm's statement")
    STATEMENT_RECEIVED = "statement_received", _l("Statement received: waiting for the decision")
    DECIDED = "decided", _l("Recovery decided: notice to issue")
    NO_RECOVERY = "no_recovery", _l("Decided: no recovery")
    NOTICE_ISSUED = "notice_issued", _l("Notice issued: repayment due")
    SETTLED = "settled", _l("Settled")


class RecoveryDecision(LabelledEnum):
    RECOVER = "recover", _l("Recover")
    NO_RECOVERY = "no_recover", _l("No recovery")


class RecoveryCase(Model):
    """One recovery case on one award."""

    __tablename__ = "recovery_cases"
    __table_args__ = (
        CheckConstraint(
            "decided_amount IS NULL OR decided_amount > 0", name="decided_amount_positive"
        ),
        CheckConstraint(
            "repaid_amount >= 0 AND repaid_amount <= COALESCE(decided_amount, 0)",
            name="repaid_within_decided",
        ),
        Index("ix_recovery_cases_status_id", "status", "id"),
        Index("ix_recovery_cases_application", "application_id", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    application_id: Mapped[int] = mapped_column(ForeignKey("applications.id"))
    agreement_id: Mapped[int | None] = mapped_column(ForeignKey("agreements.id"))
    program_id: Mapped[int] = mapped_column(ForeignKey("programs.id"))
    enterprise_id: Mapped[int] = mapped_column(ForeignKey("enterprises.id"), index=True)
    grounds: Mapped[RecoveryGrounds] = mapped_column(
        str_enum_column_type(RecoveryGrounds, "recovery_grounds", 30)
    )
    description: Mapped[str] = mapped_column(Text)  # the facts found, as the notice states them
    status: Mapped[RecoveryStatus] = mapped_column(
        str_enum_column_type(RecoveryStatus, "recovery_status", 30),
        default=RecoveryStatus.STATEMENT_DUE,
    )
    opened_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    opened_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    # The last day (Asia/Shanghai) the firm may state its case: ``statement_days`` working
    # days counted from the day after the case was opened (the firm is told that day).
    statement_due_on: Mapped[date]
    statement: Mapped[str] = mapped_column(Text, default="")
    statement_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    statement_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    decision: Mapped[RecoveryDecision | None] = mapped_column(
        str_enum_column_type(RecoveryDecision, "recovery_decision", 20)
    )
    decided_amount: Mapped[Decimal | None] = mapped_column(MONEY)
    decision_reason: Mapped[str] = mapped_column(Text, default="")
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    document_id: Mapped[int | None] = mapped_column(ForeignKey("post_award_documents.id"))
    # ``repayment_days`` calendar days from the notice's date (its last day).
    repayment_due_on: Mapped[date | None]
    repaid_amount: Mapped[Decimal] = mapped_column(MONEY, default=Decimal("0.00"))
    settled_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    lock_version: Mapped[int] = mapped_column(Integer, default=1, server_default="1")

    __mapper_args__ = {"version_id_col": lock_version}


class RecoveryFile(Model):
    """A file of a case: the officer's evidence or the firm's statement, checked like any
    upload (kind by content, size) before it is stored."""

    __tablename__ = "recovery_files"
    __table_args__ = (Index("ix_recovery_files_case", "case_id", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("recovery_cases.id", ondelete="CASCADE"))
    purpose: Mapped[str] = mapped_column(String(20))  # "evidence" | "statement"
    original_name: Mapped[str] = mapped_column(String(200))
    storage_key: Mapped[str] = mapped_column(String(120))
    mime_type: Mapped[str] = mapped_column(String(100))
    size: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64))
    uploaded_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    uploaded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))


class Repayment(Model):
    """Money the firm paid back on a case, as the bureau's finance confirmed it."""

    __tablename__ = "recovery_repayments"
    __table_args__ = (
        CheckConstraint("amount > 0", name="amount_positive"),
        UniqueConstraint("case_id", "reference", name="uq_recovery_repayments_reference"),
        Index("ix_recovery_repayments_case", "case_id", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("recovery_cases.id"))
    amount: Mapped[Decimal] = mapped_column(MONEY)
    paid_on: Mapped[date]
    reference: Mapped[str] = mapped_column(String(60))  # the bank's reference
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))


class CreditRecord(Model):
    """A ban from applying, written by a decision to recover; ended early only by a credit
    repair (修复) that the approver records with a reason."""

    __tablename__ = "credit_records"
    __table_args__ = (
        CheckConstraint("ban_until >= ban_from", name="ban_period"),
        Index("ix_credit_records_enterprise_until", "enterprise_id", "ban_until"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    enterprise_id: Mapped[int] = mapped_column(ForeignKey("enterprises.id"))
    case_id: Mapped[int] = mapped_column(ForeignKey("recovery_cases.id"), unique=True)
    ban_from: Mapped[date]
    ban_until: Mapped[date]  # the last day of the ban
    notice_number: Mapped[str] = mapped_column(String(60), default="")  # set when issued
    reason_zh: Mapped[str] = mapped_column(Text, default="")
    reason_en: Mapped[str] = mapped_column(Text, default="")
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    repaired_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    repaired_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    repair_reason: Mapped[str] = mapped_column(Text, default="")
