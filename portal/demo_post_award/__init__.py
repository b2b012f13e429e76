"""Demo data for the post-award stage. The applications' stories (``demo_applications``) make
two recent final awards (ent1's and ent2's 2026 R&D post-subsidies); ``last_year`` first takes a
closed 2025 programme through to final awards for ent3, ent4 and ent5, accepted months ago. Each
part of the stage then puts some of them into its states, across the firms:

- agreements: ent1's accepted with a confirmed account; ent2's offered, its account waiting for
  the officer (ent3, ent4, ent5 accepted theirs in January 2026);
- payments: ent3's and ent4's first tranches paid through a batch the officer made and the
  leader approved; ent5's in an approved batch waiting for finance; ent1's due;
- acceptance: ent3's project passed with its notice (阜科验), its 40 % tranche then due;
- reports: ent3's progress report accepted, ent4's waiting for the officer, ent5's overdue
  (blocking ent5's new applications; ent1 can still apply);
- recovery: a case on ent4's 2025 award, half repaid, and the ban that bars ent4.

Each part seeds in its own module, in the order the stage runs; each is safe to run again (it
changes nothing when its state is already there). The caller commits.
"""

from __future__ import annotations

from collections.abc import Callable

from portal.demo_applications import demo_clock
from portal.demo_post_award import (
    acceptance,
    agreements,
    last_year,
    payments,
    recovery,
    reports,
)

PARTS = (last_year, agreements, payments, acceptance, reports, recovery)


def seed_post_award(*, log: Callable[[str], None] = print) -> int:
    """Seed every part's demo states; return how many records were made."""
    made = 0
    with demo_clock() as clock:
        for part in PARTS:
            made += part.seed(clock, log=log)
    return made
