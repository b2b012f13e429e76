"""Programmes and their versions.

A programme's identity and schedule (names, dates, budget) live on ``Program``. Its rules,
formula, documents and rubric live on ``ProgramVersion``: once an application has been submitted
under a version, editing the programme writes a new version that only new applications use.
"""

from __future__ import annotations

import enum
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import JSON, ForeignKey, Numeric, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.core.extensions import Model, str_enum_column_type
from portal.core.money import MONEY
from portal.core.timeutil import UTCDateTime, utcnow


class ProgramKind(enum.StrEnum):
    RECOGNITION = "recognition"  # checked against data, no expert review
    POST_SUBSIDY = "post_subsidy"
    SELECTION = "selection"  # ranked by expert scores
    PROJECT = "project"  # project-based post-subsidy


program_kind_type = str_enum_column_type(ProgramKind, "program_kind", 20)


class Program(Model):
    __tablename__ = "programs"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(60), unique=True)
    name_zh: Mapped[str] = mapped_column(String(200))
    name_en: Mapped[str] = mapped_column(String(200))
    summary_zh: Mapped[str] = mapped_column(Text, default="")
    summary_en: Mapped[str] = mapped_column(Text, default="")
    kind: Mapped[ProgramKind] = mapped_column(program_kind_type)
    issuer_code: Mapped[str] = mapped_column(String(20))  # letter numbers: 阜科发〔2026〕12号
    opens_at: Mapped[datetime] = mapped_column(UTCDateTime())
    closes_at: Mapped[datetime] = mapped_column(UTCDateTime())
    budget: Mapped[Decimal] = mapped_column(MONEY)
    per_firm_cap: Mapped[Decimal | None] = mapped_column(MONEY)
    reviewers_per_application: Mapped[int] = mapped_column(default=0)
    publicity_days: Mapped[int] = mapped_column(default=5)
    score_spread_threshold: Mapped[Decimal] = mapped_column(Numeric(5, 2), default=20)
    pro_rata: Mapped[bool] = mapped_column(default=False)
    current_version_number: Mapped[int] = mapped_column(default=1)
    # Raised by every saved edit (services.update_program); the editor sends back the one it
    # showed, so that a save over someone else's newer edit is refused, not lost.
    lock_version: Mapped[int] = mapped_column(default=1, server_default="1")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)

    versions: Mapped[list[ProgramVersion]] = relationship(
        back_populates="program", order_by="ProgramVersion.number"
    )

    def name(self, locale: str) -> str:
        return self.name_en if locale == "en" else self.name_zh

    def summary(self, locale: str) -> str:
        return self.summary_en if locale == "en" else self.summary_zh

    def is_open(self, now: datetime) -> bool:
        return self.opens_at <= now < self.closes_at


class ProgramVersion(Model):
    __tablename__ = "program_versions"
    __table_args__ = (UniqueConstraint("program_id", "number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    program_id: Mapped[int] = mapped_column(ForeignKey("programs.id", ondelete="CASCADE"))
    number: Mapped[int]
    eligibility: Mapped[dict[str, Any]] = mapped_column(JSON)
    formula: Mapped[dict[str, Any]] = mapped_column(JSON)
    # [{"key", "name_zh", "name_en", "kinds": ["pdf"], "max_mb": 10, "required": true,
    #   "required_from_investment": null | amount}]
    documents: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    # [{"key", "name_zh", "name_en", "weight", "scale_max", "minimum": null | number}]
    rubric: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    program: Mapped[Program] = relationship(back_populates="versions")
