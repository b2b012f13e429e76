"""Demo data for the post-award stage: after the applications' stories (``demo_applications``)
have made awards final, each part of the stage puts some of them into its states (agreement
pending and accepted, tranches due, in a batch and paid, a report overdue, acceptance passed, a
recovery case), so that every post-award page has something to show after ``make run``.

Each part seeds in its own module, in the order the stage runs; each is safe to run again (it
changes nothing when its state is already there). The caller commits.
"""

from __future__ import annotations

from collections.abc import Callable

from portal.demo_applications import demo_clock
from portal.demo_post_award import acceptance, agreements, payments, recovery, reports

PARTS = (agreements, payments, acceptance, reports, recovery)


def seed_post_award(*, log: Callable[[str], None] = print) -> int:
    """Seed every part's demo states; return how many records were made."""
    made = 0
    with demo_clock() as clock:
        for part in PARTS:
            made += part.seed(clock, log=log)
    return made
