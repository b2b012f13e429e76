"""The record of a release kept for the minutes (评审结果汇总表): the ranked list of the
applications released together, as it stood at the moment of release.

Everything a reader of the minutes needs is copied onto the record (names, scores, amounts,
who proposed and who approved), so that later changes (an upheld objection, a corrected
amount, a renamed firm) never rewrite what was decided on that day. Rows are written once, in
the release's own transaction; only the rendered PDFs are added afterwards by a job.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import Boolean, ForeignKey, Index, Integer, Numeric, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.core.extensions import Model
from portal.core.money import MONEY, MONEY_SUM
from portal.core.timeutil import UTCDateTime

SCORE = Numeric(5, 2)


class ReleaseRecord(Model):
    __tablename__ = "release_records"
    __table_args__ = (Index("ix_release_records_program", "program_id", "released_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    program_id: Mapped[int] = mapped_column(ForeignKey("programs.id"))
    # The DECISION_RELEASED audit event this record was taken from (one record per release).
    audit_event_id: Mapped[int] = mapped_column(ForeignKey("audit_events.id"), unique=True)
    released_at: Mapped[datetime] = mapped_column(UTCDateTime())
    program_name_zh: Mapped[str] = mapped_column(String(200))
    program_name_en: Mapped[str] = mapped_column(String(200))
    expert_review: Mapped[bool] = mapped_column(Boolean)
    budget: Mapped[Decimal] = mapped_column(MONEY)
    released_before: Mapped[Decimal] = mapped_column(MONEY_SUM)
    proposed_total: Mapped[Decimal] = mapped_column(MONEY_SUM)
    released_total: Mapped[Decimal] = mapped_column(MONEY_SUM)
    # "available/total" when the approvals were scaled pro rata, else "".
    pro_rata_ratio: Mapped[str] = mapped_column(String(80), default="")
    approved_count: Mapped[int] = mapped_column(Integer)
    rejected_count: Mapped[int] = mapped_column(Integer)
    publicity_starts_on: Mapped[date | None]
    publicity_ends_on: Mapped[date | None]
    proposed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    proposed_by_name: Mapped[str] = mapped_column(String(200), default="")
    approved_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    approved_by_name: Mapped[str] = mapped_column(String(200), default="")
    verification_code: Mapped[str] = mapped_column(String(20), unique=True)
    # The rendered summary tables (Chinese, and its English translation): set by the job.
    pdf_key: Mapped[str | None] = mapped_column(String(120))
    pdf_sha256: Mapped[str | None] = mapped_column(String(64), index=True)
    pdf_size: Mapped[int | None] = mapped_column(Integer)
    pdf_en_key: Mapped[str | None] = mapped_column(String(120))
    pdf_en_sha256: Mapped[str | None] = mapped_column(String(64), index=True)
    pdf_en_size: Mapped[int | None] = mapped_column(Integer)
    rendered_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    entries: Mapped[list[ReleaseRecordEntry]] = relationship(
        back_populates="record", order_by="ReleaseRecordEntry.position", lazy="raise"
    )

    @property
    def entry_count(self) -> int:
        return self.approved_count + self.rejected_count


class ReleaseRecordEntry(Model):
    """One released application's line in the ranked list, as it stood."""

    __tablename__ = "release_record_entries"
    __table_args__ = (Index("ix_release_record_entries_record", "record_id", "position"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    record_id: Mapped[int] = mapped_column(ForeignKey("release_records.id", ondelete="CASCADE"))
    application_id: Mapped[int] = mapped_column(ForeignKey("applications.id"), index=True)
    position: Mapped[int] = mapped_column(Integer)
    # Place in the tiers; None for a rejection (a rejected application takes no place).
    rank: Mapped[int | None] = mapped_column(Integer)
    reference: Mapped[str] = mapped_column(String(40))
    enterprise: Mapped[str] = mapped_column(String(200))
    uscc: Mapped[str] = mapped_column(String(18))
    project_title: Mapped[str] = mapped_column(String(200), default="")
    score: Mapped[Decimal | None] = mapped_column(SCORE)
    spread: Mapped[Decimal | None] = mapped_column(SCORE)
    requested_amount: Mapped[Decimal | None] = mapped_column(MONEY)
    decision: Mapped[str] = mapped_column(String(20))
    # The amount decided (before any pro-rata cut) and the amount released after it.
    proposed_amount: Mapped[Decimal] = mapped_column(MONEY)
    released_amount: Mapped[Decimal] = mapped_column(MONEY)
    running_total: Mapped[Decimal] = mapped_column(MONEY_SUM)
    over_budget: Mapped[bool] = mapped_column(Boolean, default=False)
    budget_line: Mapped[bool] = mapped_column(Boolean, default=False)
    reason_code: Mapped[str] = mapped_column(String(40), default="")
    reason: Mapped[str] = mapped_column(Text, default="")
    decided_by_name: Mapped[str] = mapped_column(String(200), default="")

    record: Mapped[ReleaseRecord] = relationship(back_populates="entries")
