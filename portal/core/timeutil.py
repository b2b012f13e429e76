"""Times are stored as timezone-aware UTC and shown in the bureau's zone (Asia/Shanghai)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

from sqlalchemy import DateTime
from sqlalchemy.engine import Dialect
from sqlalchemy.types import TypeDecorator

BUREAU_ZONE = ZoneInfo("Asia/Shanghai")


# A stopped clock: the demo seed tells a story in the past through the real services, which all
# read the time here. Nothing else sets it; a context variable keeps it to the one command.
_stopped_at: ContextVar[datetime | None] = ContextVar("stopped_at", default=None)


def utcnow() -> datetime:
    return _stopped_at.get() or datetime.now(UTC)


@contextmanager
def stopped_clock(moment: datetime) -> Iterator[None]:
    """``utcnow()`` answers ``moment`` (aware) inside the block; ``set_stopped_clock`` moves it."""
    token = _stopped_at.set(moment.astimezone(UTC))
    try:
        yield
    finally:
        _stopped_at.reset(token)


def set_stopped_clock(moment: datetime) -> None:
    """Move a clock stopped by ``stopped_clock`` to ``moment`` (aware)."""
    if _stopped_at.get() is None:
        raise RuntimeError("set_stopped_clock outside stopped_clock")
    _stopped_at.set(moment.astimezone(UTC))


def to_bureau_time(value: datetime) -> datetime:
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(BUREAU_ZONE)


class UTCDateTime(TypeDecorator[datetime]):
    """A DateTime that refuses naive values and always comes back aware in UTC.

    SQLite has no time zone type, so without this a value read back would be naive.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


def bureau_today() -> date:
    """Today's date in the bureau's zone: "last year" and deadlines are counted from it."""
    return utcnow().astimezone(BUREAU_ZONE).date()
