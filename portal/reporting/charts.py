"""Geometry of the dashboard's bar charts: plain numbers in, rectangles and markers out.

Every bar is drawn in a viewBox ``WIDTH`` units wide that the page stretches to its column, so
positions here are whole units of that box. The segments of a bar always tile it exactly
(no gap, no overlap, summing to ``WIDTH``), and a segment with a value is never drawn so thin
that it disappears. Nothing here needs Flask or the database.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

WIDTH = 1000
# A segment that has a value is at least this wide (0.6 % of the bar: a few pixels).
MIN_SEGMENT = 6

# Colours follow the flow of an application: greys before and after, blues while the bureau
# works on it, amber while it waits on someone, greens as an award firms up, red when rejected.
STATUS_ORDER = (
    "draft",
    "submitted",
    "returned_for_changes",
    "formal_check",
    "expert_review",
    "moderation",
    "decided",
    "approved",
    "publicity",
    "on_hold",
    "awarded",
    "rejected",
    "withdrawn",
)

Number = int | Decimal


def allocate(values: Sequence[Number], width: int = WIDTH, minimum: int = MIN_SEGMENT) -> list[int]:
    """Split ``width`` in proportion to ``values`` as whole units that add up to ``width``.

    Largest remainders decide the rounding; every non-zero value gets at least ``minimum``
    (taken from the widest segments) when there is room for that. All zero: all zero.
    """
    if any(value < 0 for value in values):
        raise ValueError("bar values cannot be negative")
    total = sum(values)
    if not total:
        return [0] * len(values)
    exact = [Decimal(value) * width / Decimal(total) for value in values]
    widths = [int(share) for share in exact]
    leftover = width - sum(widths)
    by_remainder = sorted(range(len(values)), key=lambda i: (-(exact[i] - widths[i]), i))
    for index in by_remainder[:leftover]:
        widths[index] += 1
    nonzero = [i for i, value in enumerate(values) if value]
    if len(nonzero) * minimum > width:
        return widths
    for index in nonzero:
        while widths[index] < minimum:
            widest = max(range(len(widths)), key=lambda i: (widths[i], -i))
            widths[widest] -= 1
            widths[index] += 1
    return widths


def _segments(parts: Sequence[tuple[str, Number]], width: int = WIDTH) -> list[dict[str, Any]]:
    widths = allocate([value for _key, value in parts], width)
    segments, x = [], 0
    for (key, value), size in zip(parts, widths, strict=True):
        if size:
            segments.append({"key": key, "value": value, "x": x, "width": size})
        x += size
    return segments


def percent(part: Number, whole: Number) -> int:
    """Whole percent, rounded half up; 0 when there is no whole."""
    if not whole:
        return 0
    return int((Decimal(part) * 100 / Decimal(whole)).quantize(Decimal(1), rounding=ROUND_HALF_UP))


def status_bar(statuses: Sequence[dict[str, Any]]) -> dict[str, Any]:
    """Applications by status, in the order of the life cycle; statuses with none are left out."""
    counts = {row["status"]: row["count"] for row in statuses}
    parts = [(status, counts.get(status, 0)) for status in STATUS_ORDER]
    return {
        "width": WIDTH,
        "segments": _segments(parts),
        "total": sum(value for _key, value in parts),
    }


# The awards in a budget bar, from the firmest to the least firm (applications.award_terms).
AWARD_SEGMENTS = ("award-final", "award-publicity", "award-proposed")


def budget_bar(
    budget: Decimal,
    final: Decimal,
    publicity: Decimal,
    proposed: Decimal,
    requested: Decimal,
) -> dict[str, Any]:
    """Final, in-publicity and proposed awards against the budget, with the amount requested
    marked.

    The scale is the largest of the budget, the awards and the request, so a programme that
    is asked for (or, pro rata, awards) more than its budget shows by how much. Markers: the
    budget line when the scale goes past it, and the amount requested.
    """
    committed = final + publicity + proposed
    scale = max(budget, committed, requested)
    remaining = max(budget - committed, Decimal(0))
    beyond = scale - max(budget, committed)  # room for a request larger than both
    segments = _segments(
        [
            ("award-final", final),
            ("award-publicity", publicity),
            ("award-proposed", proposed),
            ("award-remaining", remaining),
            ("award-beyond", beyond),
        ]
    )

    def x(amount: Decimal) -> int:
        # Kept a unit inside the box so that a marker at either end stays visible.
        position = int((amount * WIDTH / scale).to_integral_value()) if scale else 0
        return min(max(position, 1), WIDTH - 1)

    markers = []
    if scale > budget:
        markers.append({"key": "award-budget", "x": x(budget), "value": budget})
    if requested:
        markers.append({"key": "award-requested", "x": x(requested), "value": requested})
    over = None
    if committed > budget:
        # From the budget line to the end of the awards as drawn.
        end = sum(s["width"] for s in segments if s["key"] in AWARD_SEGMENTS)
        over = {"x": x(budget), "width": max(end - x(budget), 0), "value": committed - budget}
    return {
        "width": WIDTH,
        "segments": [s for s in segments if s["key"] != "award-beyond"],
        "markers": markers,
        "over": over,
        "empty": not scale,
        "committed_percent": percent(committed, budget),
        "final_percent": percent(final, budget),
        "requested_percent": percent(requested, budget),
    }


def review_bar(submitted: int, open_reviews: int, overdue: int) -> dict[str, Any]:
    """Reviews submitted, still open in time, and overdue (declined ones are not counted)."""
    overdue = min(overdue, open_reviews)
    total = submitted + open_reviews
    return {
        "width": WIDTH,
        "segments": _segments(
            [
                ("review-submitted", submitted),
                ("review-open", open_reviews - overdue),
                ("review-overdue", overdue),
            ]
        ),
        "total": total,
        "percent": percent(submitted, total),
    }


def programme_charts(programme: dict[str, Any]) -> dict[str, Any]:
    """The three bars of one programme from the figures ``services.dashboard`` returns."""
    reviews = programme["reviews"]
    return {
        "statuses": status_bar(programme["statuses"]),
        "budget": budget_bar(
            programme["budget"],
            programme["final"],
            programme["publicity"],
            programme["proposed"],
            programme["requested"],
        ),
        "reviews": review_bar(reviews["submitted"], reviews["open"], reviews["overdue"]),
    }
