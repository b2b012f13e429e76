"""Decision letters, their numbering counters, and batch exports.

A letter is issued once, with a notice number that is never reused (``LetterSequence`` holds
the last number per issuer and year). A reissued letter is a new row with a new number; the
old one stays on record, marked superseded. The stored PDFs (Chinese, the official text, and
its English translation) keep their SHA-256 so that a file can be verified byte for byte.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from flask_babel import lazy_gettext as _l
from sqlalchemy import ForeignKey, Index, Integer, String, Text, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.core.extensions import Model, str_enum_column_type
from portal.core.labels import LabelledEnum
from portal.core.money import MONEY
from portal.core.timeutil import UTCDateTime, utcnow


class LetterKind(LabelledEnum):
    APPROVAL = "approval", _l("Approval notice")
    REJECTION = "rejection", _l("Rejection notice")


class LetterStatus(LabelledEnum):
    CURRENT = "current", _l("Current")
    SUPERSEDED = "superseded", _l("Superseded")


class LetterSequence(Model):
    """The last notice number used per issuer code and year (GB/T 9704: 阜科发〔2026〕12号)."""

    __tablename__ = "letter_sequences"

    issuer_code: Mapped[str] = mapped_column(String(20), primary_key=True)
    year: Mapped[int] = mapped_column(Integer, primary_key=True)
    last_number: Mapped[int] = mapped_column(Integer, default=0)


class Letter(Model):
    __tablename__ = "letters"
    __table_args__ = (
        UniqueConstraint("issuer_code", "year", "sequence"),
        # One current letter per application; superseded ones stay beside it.
        Index(
            "uq_letters_current_per_application",
            "application_id",
            unique=True,
            sqlite_where=text("status = 'current'"),
            postgresql_where=text("status = 'current'"),
        ),
        Index("ix_letters_program_issued", "program_id", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    application_id: Mapped[int] = mapped_column(ForeignKey("applications.id"), index=True)
    program_id: Mapped[int] = mapped_column(ForeignKey("programs.id"))
    kind: Mapped[LetterKind] = mapped_column(str_enum_column_type(LetterKind, "letter_kind", 20))
    status: Mapped[LetterStatus] = mapped_column(
        str_enum_column_type(LetterStatus, "letter_status", 20), default=LetterStatus.CURRENT
    )
    version: Mapped[int] = mapped_column(Integer, default=1)  # 2 for the first reissue, ...

    issuer_code: Mapped[str] = mapped_column(String(20))
    year: Mapped[int] = mapped_column(Integer)
    sequence: Mapped[int] = mapped_column(Integer)
    number: Mapped[str] = mapped_column(String(60), unique=True)
    verification_code: Mapped[str] = mapped_column(String(20), unique=True)

    issue_date: Mapped[date]
    issued_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    issued_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    # What the letter says, as printed (a later profile or programme edit changes nothing).
    enterprise_name: Mapped[str] = mapped_column(String(200))
    uscc: Mapped[str] = mapped_column(String(18))
    program_name_zh: Mapped[str] = mapped_column(String(200))
    program_name_en: Mapped[str] = mapped_column(String(200))
    amount: Mapped[Decimal | None] = mapped_column(MONEY)
    reason: Mapped[str] = mapped_column(Text, default="")
    reissue_reason: Mapped[str] = mapped_column(Text, default="")

    supersedes_id: Mapped[int | None] = mapped_column(ForeignKey("letters.id"))
    superseded_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    pdf_key: Mapped[str] = mapped_column(String(120))
    pdf_sha256: Mapped[str] = mapped_column(String(64), index=True)
    pdf_size: Mapped[int] = mapped_column(Integer)
    pdf_en_key: Mapped[str] = mapped_column(String(120))
    pdf_en_sha256: Mapped[str] = mapped_column(String(64), index=True)
    pdf_en_size: Mapped[int] = mapped_column(Integer)

    application = relationship("Application")
    supersedes = relationship("Letter", remote_side=[id])


class ExportStatus(LabelledEnum):
    QUEUED = "queued", _l("Waiting to start")
    RUNNING = "running", _l("In progress")
    DONE = "done", _l("Ready")
    FAILED = "failed", _l("Failed")


class LetterExport(Model):
    """A ZIP of one programme's letters with a CSV manifest, made by a background job."""

    __tablename__ = "letter_exports"

    id: Mapped[int] = mapped_column(primary_key=True)
    program_id: Mapped[int] = mapped_column(ForeignKey("programs.id"), index=True)
    requested_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    status: Mapped[ExportStatus] = mapped_column(
        str_enum_column_type(ExportStatus, "export_status", 20), default=ExportStatus.QUEUED
    )
    total: Mapped[int] = mapped_column(Integer, default=0)
    done: Mapped[int] = mapped_column(Integer, default=0)
    letter_count: Mapped[int] = mapped_column(Integer, default=0)
    file_key: Mapped[str | None] = mapped_column(String(120))
    file_size: Mapped[int | None] = mapped_column(Integer)
    error: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
