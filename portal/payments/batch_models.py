"""Payment batches: due tranches an officer gathers for one payment order, which an approver
(not the officer who made it) approves before finance pays it."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import JSON, CheckConstraint, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from portal.core.extensions import Model, str_enum_column_type
from portal.core.labels import LabelledEnum
from portal.core.money import MONEY
from portal.core.timeutil import UTCDateTime, utcnow


class BatchStatus(LabelledEnum):
    DRAFT = "draft", _l("Awaiting approval")
    APPROVED = "approved", _l("Approved")
    SENT_BACK = "sent_back", _l("Sent back")


class PaymentBatch(Model):
    """One payment order's worth of tranches (批次). Its tranches point at it (``batch_id``)
    while they are in it or once paid from it; ``tranche_ids`` keeps what it held when made,
    so that a sent-back batch still shows its lines. ``lines`` is the payment order as it
    was approved: payee, account and bank of each tranche, frozen at approval."""

    __tablename__ = "payment_batches"
    __table_args__ = (
        CheckConstraint("total > 0", name="total_positive"),
        CheckConstraint("tranche_count > 0", name="tranche_count_positive"),
        # Four eyes, kept by the database too: the approver is never the officer who made it.
        CheckConstraint(
            "approved_by_id IS NULL OR approved_by_id <> created_by_id",
            name="approver_not_creator",
        ),
        CheckConstraint(
            "status <> 'approved' OR (approved_by_id IS NOT NULL AND approved_at IS NOT NULL)",
            name="approved_has_approver",
        ),
        Index("ix_payment_batches_status", "status", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(String(30), unique=True)  # PB-2026-0001
    status: Mapped[BatchStatus] = mapped_column(
        str_enum_column_type(BatchStatus, "payment_batch_status", 20), default=BatchStatus.DRAFT
    )
    tranche_ids: Mapped[list[int]] = mapped_column(JSON)
    tranche_count: Mapped[int] = mapped_column(Integer)
    total: Mapped[Decimal] = mapped_column(MONEY)
    lines: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    created_by_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="RESTRICT"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    approved_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="RESTRICT"))
    approved_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    sent_back_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="RESTRICT"))
    sent_back_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    send_back_reason: Mapped[str] = mapped_column(Text, default="")
    lock_version: Mapped[int] = mapped_column(Integer, default=1, server_default="1")

    __mapper_args__ = {"version_id_col": lock_version}
