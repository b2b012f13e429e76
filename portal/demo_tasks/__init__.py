"""Demo data of the key-task wall map: the bureau's departments and wall-map staff, the twelve
key tasks of a plausible Fuxin year with indicators and milestones in every status, slips in
every state of their loop, and the city's goal tiles. Run by ``flask seed-demo`` after the
post-award demo (its indicators read the demo's awards and payments)."""

from __future__ import annotations


def seed_demo() -> None:
    """Seed the wall map's demo (idempotent: a second run adds nothing)."""
