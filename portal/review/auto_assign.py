"""Automatic reviewer assignment: conflict-free and load-balanced.

Pure planning: the caller gathers each reviewer's open load and conflicts (linked USCCs and
declared conflicts) and each application's need, then creates the planned assignments.

Rules: a reviewer whose conflicts contain the applicant's USCC is never assigned; neither is
one already assigned to (or who declined) the application, nor anyone twice to the same
application. Applications are served greedily in the given order; each takes the eligible
reviewers with the lowest load (open load plus what this plan has given them so far), ties
broken by more overlap with the preferred expertise, then by lower reviewer id.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class Candidate:
    reviewer_id: int
    current_load: int  # open assignments the reviewer already has
    conflicted_uscc: frozenset[str]  # firms the reviewer is linked to or declared a conflict with
    expertise: frozenset[str] = frozenset()


@dataclass(frozen=True)
class Need:
    application_id: int
    uscc: str
    needed: int  # how many more reviewers this application needs
    already: frozenset[int] = frozenset()  # reviewers already assigned (or who declined)
    areas: frozenset[str] = frozenset()  # preferred expertise (tie-break only)


def _normalise_uscc(value: str) -> str:
    return "".join(value.split()).upper()


def _normalise_all(values: Iterable[str]) -> frozenset[str]:
    return frozenset(_normalise_uscc(value) for value in values)


def plan_assignments(
    needs: Sequence[Need], candidates: Sequence[Candidate]
) -> tuple[list[tuple[int, int]], list[tuple[int, int]]]:
    """Plan assignments: ([(application_id, reviewer_id)], [(application_id, missing_count)]).

    Pairs are listed application by application in the order of ``needs``, and within one
    application in the order picked. A shortfall is reported for each application that has
    fewer eligible reviewers than it needs. USCCs are compared without spaces, upper-cased.
    ValueError for a duplicate reviewer or application, or a negative need or load.
    """
    reviewer_ids = [c.reviewer_id for c in candidates]
    if len(set(reviewer_ids)) != len(reviewer_ids):
        raise ValueError("a reviewer is listed twice among the candidates")
    application_ids = [n.application_id for n in needs]
    if len(set(application_ids)) != len(application_ids):
        raise ValueError("an application is listed twice among the needs")
    for candidate in candidates:
        if candidate.current_load < 0:
            raise ValueError(f"reviewer {candidate.reviewer_id}: negative load")
    for need in needs:
        if need.needed < 0:
            raise ValueError(f"application {need.application_id}: negative need")

    load = {c.reviewer_id: c.current_load for c in candidates}
    conflicts = {c.reviewer_id: _normalise_all(c.conflicted_uscc) for c in candidates}
    pairs: list[tuple[int, int]] = []
    shortfalls: list[tuple[int, int]] = []
    for need in needs:
        if need.needed == 0:
            continue
        uscc = _normalise_uscc(need.uscc)
        eligible = [
            c
            for c in candidates
            if uscc not in conflicts[c.reviewer_id] and c.reviewer_id not in need.already
        ]
        # One sort is enough: picking a reviewer raises only that reviewer's load, and they
        # are not eligible again for this application.
        eligible.sort(
            key=lambda c: (load[c.reviewer_id], -len(c.expertise & need.areas), c.reviewer_id)
        )
        chosen = eligible[: need.needed]
        for candidate in chosen:
            pairs.append((need.application_id, candidate.reviewer_id))
            load[candidate.reviewer_id] += 1
        if len(chosen) < need.needed:
            shortfalls.append((need.application_id, need.needed - len(chosen)))
    return pairs, shortfalls
