"""Where a programme's application window stands, counted one way on every page.

The rule: days are the bureau's calendar days (Asia/Shanghai), counted from today's date to the
date of the closing (or opening) moment. A programme closing at 17:00 on 31 January has 60
days left all day on 2 December, however late it is; it "closes today" (0 days) on 31
January until 17:00. Counting whole 24-hour periods instead (``(closes_at - now).days``) said
59 on one page while another said 60, depending on the hour.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from portal.core.timeutil import to_bureau_time

OPEN, UPCOMING, CLOSED = "open", "upcoming", "closed"
# An open programme that closes within this many days is shown as closing soon.
CLOSING_SOON_DAYS = 7


def calendar_days(earlier: datetime, later: datetime) -> int:
    """Bureau calendar days from ``earlier``'s date to ``later``'s (negative if before)."""
    return (to_bureau_time(later).date() - to_bureau_time(earlier).date()).days


def days_left(closes_at: datetime, now: datetime) -> int:
    """Days left to apply: 0 on the closing day (and once closed), 1 the day before, ..."""
    return max(calendar_days(now, closes_at), 0) if now < closes_at else 0


def window(opens_at: datetime, closes_at: datetime, now: datetime) -> dict[str, Any]:
    """``state`` (open, upcoming, closed) and ``days``: left to close (open), to opening
    (upcoming), or since closing (closed); an open one also says whether it closes ``soon``."""
    if now < opens_at:
        return {"state": UPCOMING, "days": calendar_days(now, opens_at)}
    if now < closes_at:
        days = days_left(closes_at, now)
        return {"state": OPEN, "days": days, "soon": days <= CLOSING_SOON_DAYS}
    return {"state": CLOSED, "days": calendar_days(closes_at, now)}
