"""Demo states of the post-award stage: agreements."""

from __future__ import annotations

from collections.abc import Callable

from portal.demo_applications import DemoClock


def seed(clock: DemoClock, *, log: Callable[[str], None] = print) -> int:
    """Put demo awards into this part's states; return how many records were made."""
    return 0
