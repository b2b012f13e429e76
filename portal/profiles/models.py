"""The enterprise profile beyond registration: yearly figures and recognitions.

The scalar profile fields live on ``Enterprise`` itself (portal/accounts/models.py).
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from sqlalchemy import ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from portal.core.extensions import Model
from portal.core.money import MONEY
from portal.core.timeutil import UTCDateTime, utcnow


class EnterpriseYear(Model):
    """Figures for one financial year, as declared by the firm."""

    __tablename__ = "enterprise_years"
    __table_args__ = (UniqueConstraint("enterprise_id", "year"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    enterprise_id: Mapped[int] = mapped_column(
        ForeignKey("enterprises.id", ondelete="CASCADE"), index=True
    )
    year: Mapped[int]
    revenue: Mapped[Decimal | None] = mapped_column(MONEY)
    employees: Mapped[int | None]
    rd_expense: Mapped[Decimal | None] = mapped_column(MONEY)
    super_deduction_filed: Mapped[bool | None]
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)


class EnterpriseRecognition(Model):
    """A recognition held (young eagle, gazelle, unicorn) in a given year."""

    __tablename__ = "enterprise_recognitions"
    __table_args__ = (UniqueConstraint("enterprise_id", "kind", "year"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    enterprise_id: Mapped[int] = mapped_column(
        ForeignKey("enterprises.id", ondelete="CASCADE"), index=True
    )
    kind: Mapped[str] = mapped_column(String(20))
    year: Mapped[int]
    certificate_no: Mapped[str] = mapped_column(String(60), default="")
