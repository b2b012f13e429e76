"""The reports a firm owes on an award (进展报告 / 总结报告) and the files attached to them.

One row per report of the agreement's terms, made when the firm accepts the agreement; the
firm fills in its figures and text and submits, an officer accepts it or returns it with a
reason, and a returned report is submitted again. Files are kept on record once uploaded
(a removed file keeps its row, ``removed_at`` set).
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from flask_babel import lazy_gettext as _l
from sqlalchemy import ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from portal.core.extensions import Model, str_enum_column_type
from portal.core.labels import LabelledEnum
from portal.core.money import MONEY
from portal.core.timeutil import UTCDateTime, utcnow


class ReportKind(LabelledEnum):
    PROGRESS = "progress", _l("Progress report")
    FINAL = "final", _l("Final report")


# The report's name in the bureau's Chinese, whatever the page's language (titles of record).
KIND_ZH = {ReportKind.PROGRESS: "中期进展报告", ReportKind.FINAL: "项目总结报告"}
KIND_EN = {ReportKind.PROGRESS: "Progress report", ReportKind.FINAL: "Final report"}


class ReportStatus(LabelledEnum):
    DUE = "due", _l("To be submitted")
    SUBMITTED = "submitted", _l("Submitted: waiting for the bureau's check")
    RETURNED = "returned", _l("Returned: please change and submit again")
    ACCEPTED = "accepted", _l("Accepted")


class ProgressReport(Model):
    """One report an award owes, with the figures and text the firm gives."""

    __tablename__ = "progress_reports"
    __table_args__ = (
        UniqueConstraint("agreement_id", "position", name="uq_progress_reports_position"),
        Index("ix_progress_reports_status_due", "status", "due_on", "id"),
        Index("ix_progress_reports_enterprise_due", "enterprise_id", "due_on", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    agreement_id: Mapped[int] = mapped_column(ForeignKey("agreements.id"))
    application_id: Mapped[int] = mapped_column(ForeignKey("applications.id"), index=True)
    program_id: Mapped[int] = mapped_column(ForeignKey("programs.id"))
    enterprise_id: Mapped[int] = mapped_column(ForeignKey("enterprises.id"))
    kind: Mapped[ReportKind] = mapped_column(str_enum_column_type(ReportKind, "report_kind", 20))
    position: Mapped[int] = mapped_column(Integer)  # 1, 2, ... within the agreement
    due_on: Mapped[date]
    status: Mapped[ReportStatus] = mapped_column(
        str_enum_column_type(ReportStatus, "report_status", 20), default=ReportStatus.DUE
    )
    # The figures: None until the firm gives them.
    rd_spend: Mapped[Decimal | None] = mapped_column(MONEY)  # actual R&D spend, yuan
    revenue: Mapped[Decimal | None] = mapped_column(MONEY)  # revenue in the period, yuan
    patents_filed: Mapped[int | None] = mapped_column(Integer)
    patents_granted: Mapped[int | None] = mapped_column(Integer)
    jobs_created: Mapped[int | None] = mapped_column(Integer)
    narrative: Mapped[str] = mapped_column(Text, default="")
    saved_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    submitted_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    submitted_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    return_reason: Mapped[str] = mapped_column(Text, default="")
    # Each reminder goes once: 14 and 3 days before the due date, and on it.
    reminded_14_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    reminded_3_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    reminded_due_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    lock_version: Mapped[int] = mapped_column(Integer, default=1, server_default="1")

    __mapper_args__ = {"version_id_col": lock_version}


class ReportFile(Model):
    """A file attached to a report, checked like every upload."""

    __tablename__ = "progress_report_files"
    __table_args__ = (Index("ix_progress_report_files_report", "report_id", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    report_id: Mapped[int] = mapped_column(ForeignKey("progress_reports.id", ondelete="CASCADE"))
    original_name: Mapped[str] = mapped_column(String(255))
    storage_key: Mapped[str] = mapped_column(String(120))
    mime_type: Mapped[str] = mapped_column(String(100))
    size: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64))
    page_count: Mapped[int | None] = mapped_column(Integer)
    uploaded_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    uploaded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    removed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
