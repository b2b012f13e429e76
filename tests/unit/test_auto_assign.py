"""Automatic reviewer assignment: conflicts, `already`, load balancing, determinism."""

from __future__ import annotations

from collections import Counter

import pytest
from hypothesis import given
from hypothesis import strategies as st

from portal.review.auto_assign import Candidate, Need, plan_assignments

FIRM_A = "914403001922038216"
FIRM_B = "9144030071526726XG"
FIRM_C = "91210900MA0Y000000"


def cand(reviewer_id, load=0, conflicts=(), expertise=()):
    return Candidate(reviewer_id, load, frozenset(conflicts), frozenset(expertise))


def need(application_id, uscc=FIRM_A, needed=2, already=(), areas=()):
    return Need(application_id, uscc, needed, frozenset(already), frozenset(areas))


def loads_after(pairs, candidates):
    counts = Counter(reviewer for _, reviewer in pairs)
    return {c.reviewer_id: c.current_load + counts[c.reviewer_id] for c in candidates}


@pytest.mark.parametrize(
    ("needs", "candidates", "pairs", "shortfalls"),
    [
        # nothing to do
        ([], [cand(1)], [], []),
        ([need(10, needed=0)], [cand(1)], [], []),
        # no candidates at all
        ([need(10, needed=2)], [], [], [(10, 2)]),
        # the conflicted reviewer (1) is skipped even though it has the lowest id
        ([need(10)], [cand(1, conflicts={FIRM_A}), cand(2), cand(3)], [(10, 2), (10, 3)], []),
        # a conflict with another firm does not matter
        ([need(10)], [cand(1, conflicts={FIRM_B}), cand(2), cand(3)], [(10, 1), (10, 2)], []),
        # conflicts compare normalised USCCs (spaces, case)
        (
            [need(10, uscc=" 9144 0300 7152 6726xg ", needed=1)],
            [cand(1, conflicts={"9144030071526726XG"}), cand(2)],
            [(10, 2)],
            [],
        ),
        (
            [need(10, uscc=FIRM_B, needed=1)],
            [cand(1, conflicts={"9144030071526726xg "}), cand(2)],
            [(10, 2)],
            [],
        ),
        # too few unconflicted reviewers: a shortfall
        (
            [need(10, needed=2)],
            [cand(1, conflicts={FIRM_A}), cand(2, conflicts={FIRM_A}), cand(3)],
            [(10, 3)],
            [(10, 1)],
        ),
        ([need(10, needed=3)], [cand(1), cand(2)], [(10, 1), (10, 2)], [(10, 1)]),
        (
            [need(10, needed=2)],
            [cand(1, conflicts={FIRM_A}), cand(2, conflicts={FIRM_A})],
            [],
            [(10, 2)],
        ),
        # `already` (assigned before or declined) is never picked again
        ([need(10, already={1})], [cand(1), cand(2), cand(3)], [(10, 2), (10, 3)], []),
        ([need(10, already={1, 2})], [cand(1), cand(2), cand(3)], [(10, 3)], [(10, 1)]),
        # existing load respected: lowest load first, whatever the id
        (
            [need(10), need(11)],
            [cand(1, load=5), cand(2, load=0), cand(3, load=0)],
            [(10, 2), (10, 3), (11, 2), (11, 3)],
            [],
        ),
        (
            [need(10, needed=1), need(11, needed=1), need(12, needed=1)],
            [cand(1, load=2), cand(2, load=0), cand(3, load=1)],
            # loads 2 0 1 -> reviewer 2 (2 1 1) -> 2 by id (2 2 1) -> 3 (2 2 2)
            [(10, 2), (11, 2), (12, 3)],
            [],
        ),
        # expertise breaks ties of load, not load itself
        (
            [need(10, needed=1, areas={"chemistry"})],
            [cand(1), cand(2, expertise={"finance"}), cand(3, expertise={"chemistry"})],
            [(10, 3)],
            [],
        ),
        (
            [need(10, needed=1, areas={"chemistry"})],
            [cand(1), cand(3, load=1, expertise={"chemistry"})],
            [(10, 1)],
            [],
        ),
        # more overlap first
        (
            [need(10, needed=2, areas={"chemistry", "fluorine", "finance"})],
            [
                cand(1, expertise={"chemistry"}),
                cand(2, expertise={"chemistry", "fluorine"}),
                cand(3, expertise={"chemistry", "fluorine", "finance"}),
            ],
            [(10, 3), (10, 2)],
            [],
        ),
        # then lower reviewer id, whatever the candidates' order
        ([need(10, needed=2)], [cand(9), cand(4), cand(7)], [(10, 4), (10, 7)], []),
        # needs are served in the given order
        (
            [need(20, needed=1), need(10, needed=1)],
            [cand(1), cand(2)],
            [(20, 1), (10, 2)],
            [],
        ),
    ],
)
def test_plan_assignments(needs, candidates, pairs, shortfalls):
    assert plan_assignments(needs, candidates) == (pairs, shortfalls)


def test_six_applications_two_reviewers_three_candidates_get_four_each():
    candidates = [cand(1), cand(2), cand(3)]
    needs = [need(100 + i, needed=2) for i in range(6)]
    pairs, shortfalls = plan_assignments(needs, candidates)
    assert shortfalls == []
    assert len(pairs) == 12
    assert loads_after(pairs, candidates) == {1: 4, 2: 4, 3: 4}
    assert pairs == [
        (100, 1), (100, 2),
        (101, 3), (101, 1),
        (102, 2), (102, 3),
        (103, 1), (103, 2),
        (104, 3), (104, 1),
        (105, 2), (105, 3),
    ]  # fmt: skip


def test_existing_load_is_evened_out():
    candidates = [cand(1, load=4), cand(2, load=1), cand(3, load=0)]
    needs = [need(100 + i, needed=1) for i in range(7)]
    pairs, _ = plan_assignments(needs, candidates)
    # 4+1+0 + 7 = 12 over three reviewers
    assert loads_after(pairs, candidates) == {1: 4, 2: 4, 3: 4}
    assert all(reviewer != 1 for _, reviewer in pairs)


def test_conflicted_reviewer_takes_the_other_firms_work():
    candidates = [cand(1, conflicts={FIRM_A}), cand(2), cand(3)]
    needs = [need(1, FIRM_A), need(2, FIRM_A), need(3, FIRM_B), need(4, FIRM_B)]
    pairs, shortfalls = plan_assignments(needs, candidates)
    assert shortfalls == []
    assert (1, 1) not in pairs and (2, 1) not in pairs
    assert [p for p in pairs if p[0] in (3, 4)] == [(3, 1), (3, 2), (4, 1), (4, 3)]
    assert loads_after(pairs, candidates) == {1: 2, 2: 3, 3: 3}


def test_deterministic_whatever_the_candidate_order():
    candidates = [
        cand(5, load=1, expertise={"fluorine"}),
        cand(2, conflicts={FIRM_B}),
        cand(8, expertise={"finance", "fluorine"}),
        cand(3, load=2),
        cand(1),
    ]
    needs = [
        need(1, FIRM_A, 2, areas={"fluorine"}),
        need(2, FIRM_B, 3, already={8}),
        need(3, FIRM_C, 2, areas={"finance"}),
    ]
    first = plan_assignments(needs, candidates)
    assert plan_assignments(needs, candidates) == first
    assert plan_assignments(needs, list(reversed(candidates))) == first
    assert plan_assignments(needs, sorted(candidates, key=lambda c: c.reviewer_id)) == first


def test_inputs_are_not_changed():
    candidates = (cand(1, load=3), cand(2))
    needs = (need(1),)
    plan_assignments(needs, candidates)
    assert candidates == (cand(1, load=3), cand(2))
    assert needs == (need(1),)


@pytest.mark.parametrize(
    ("needs", "candidates", "message"),
    [
        ([need(1)], [cand(1), cand(1)], "reviewer is listed twice"),
        ([need(1), need(1)], [cand(1)], "application is listed twice"),
        ([need(1, needed=-1)], [cand(1)], "negative need"),
        ([need(1)], [cand(1, load=-1)], "negative load"),
    ],
)
def test_bad_input_is_refused(needs, candidates, message):
    with pytest.raises(ValueError, match=message):
        plan_assignments(needs, candidates)


# --------------------------------------------------------------------------------------------
# Properties

FIRMS = [FIRM_A, FIRM_B, FIRM_C, "91210900MA0Y000001"]
AREAS = ["chemistry", "fluorine", "finance", "software"]


@st.composite
def problems(draw, *, equal_load=False, conflicts=True, already=True):
    ids = draw(st.lists(st.integers(min_value=1, max_value=40), unique=True, max_size=8))
    start_load = draw(st.integers(min_value=0, max_value=5))
    candidates = [
        Candidate(
            reviewer_id=reviewer_id,
            current_load=start_load if equal_load else draw(st.integers(0, 6)),
            conflicted_uscc=frozenset(draw(st.sets(st.sampled_from(FIRMS))))
            if conflicts
            else frozenset(),
            expertise=frozenset(draw(st.sets(st.sampled_from(AREAS)))),
        )
        for reviewer_id in ids
    ]
    application_ids = draw(st.lists(st.integers(1, 1000), unique=True, max_size=12))
    known = [*ids, 99]  # 99: a reviewer who left the pool
    needs = [
        Need(
            application_id=application_id,
            uscc=draw(st.sampled_from(FIRMS)),
            needed=draw(st.integers(0, 4)),
            already=frozenset(draw(st.sets(st.sampled_from(known), max_size=3)))
            if already
            else frozenset(),
            areas=frozenset(draw(st.sets(st.sampled_from(AREAS)))),
        )
        for application_id in application_ids
    ]
    return needs, candidates


def eligible_for(n: Need, candidates):
    return [
        c for c in candidates if n.uscc not in c.conflicted_uscc and c.reviewer_id not in n.already
    ]


@given(problems())
def test_no_conflict_no_already_no_duplicate(problem):
    needs, candidates = problem
    pairs, _ = plan_assignments(needs, candidates)
    by_id = {c.reviewer_id: c for c in candidates}
    needs_by_id = {n.application_id: n for n in needs}
    assert len(pairs) == len(set(pairs))  # (2)
    for application_id, reviewer_id in pairs:  # (1)
        n = needs_by_id[application_id]
        assert n.uscc not in by_id[reviewer_id].conflicted_uscc
        assert reviewer_id not in n.already


@given(problems())
def test_each_application_gets_what_can_be_had(problem):
    needs, candidates = problem
    pairs, shortfalls = plan_assignments(needs, candidates)
    got = Counter(application_id for application_id, _ in pairs)
    expected_shortfalls = []
    for n in needs:  # (3)
        eligible = len(eligible_for(n, candidates))
        assert got[n.application_id] == min(n.needed, eligible)
        if n.needed > eligible:
            expected_shortfalls.append((n.application_id, n.needed - eligible))
    assert shortfalls == expected_shortfalls
    assert [a for a, _ in pairs] == sorted(
        (a for a, _ in pairs), key=[n.application_id for n in needs].index
    )


@given(problems())
def test_every_pick_has_the_lowest_load_at_the_time(problem):
    needs, candidates = problem
    pairs, _ = plan_assignments(needs, candidates)
    load = {c.reviewer_id: c.current_load for c in candidates}
    for n in needs:
        chosen = [r for a, r in pairs if a == n.application_id]
        passed_over = [
            c.reviewer_id for c in eligible_for(n, candidates) if c.reviewer_id not in chosen
        ]
        if chosen and passed_over:
            assert max(load[r] for r in chosen) <= min(load[r] for r in passed_over)
        for r in chosen:
            load[r] += 1


@given(problems(equal_load=True, conflicts=False, already=False))
def test_equal_start_without_conflicts_stays_balanced(problem):
    needs, candidates = problem  # (4) as stated: no conflicts, equal start
    pairs, _ = plan_assignments(needs, candidates)
    loads = loads_after(pairs, candidates).values()
    if loads:
        assert max(loads) - min(loads) <= 1


@given(problems(equal_load=True))
def test_equal_start_reviewers_eligible_for_everything_stay_balanced(problem):
    needs, candidates = problem  # (4) generalised: others may be conflicted or excluded
    pairs, _ = plan_assignments(needs, candidates)
    universal = [c for c in candidates if all(c in eligible_for(n, candidates) for n in needs)]
    loads = [loads_after(pairs, candidates)[c.reviewer_id] for c in universal]
    if loads:
        assert max(loads) - min(loads) <= 1


@given(problems(), st.randoms(use_true_random=False))
def test_candidate_order_does_not_matter(problem, random):
    needs, candidates = problem
    shuffled = list(candidates)
    random.shuffle(shuffled)
    assert plan_assignments(needs, shuffled) == plan_assignments(needs, candidates)
