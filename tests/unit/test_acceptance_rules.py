"""The pure rules of acceptance: what the panel's conclusions add up to, the mean score, the
panel's size, the deadline of a 限期整改 and picking experts by load."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

from portal.payments.acceptance_models import AcceptanceOutcome
from portal.payments.acceptance_rules import (
    Candidate,
    fix_deadline_ok,
    mean_score,
    panel_size_ok,
    panel_view,
    pick_by_load,
    score_in_range,
)

P, F, X = AcceptanceOutcome.PASSED, AcceptanceOutcome.FIX, AcceptanceOutcome.FAILED


def test_the_panel_view_is_the_majority():
    assert panel_view([P, P, X]) is P
    assert panel_view([F, F, P]) is F
    assert panel_view([X, X, X, P]) is X


def test_a_tie_goes_to_the_stricter_word():
    assert panel_view([P, X]) is X
    assert panel_view([P, P, F, F]) is F
    assert panel_view([P, F, X]) is X


def test_no_conclusion_gives_no_view():
    assert panel_view([]) is None


def test_the_mean_counts_the_scores_given_only():
    assert mean_score([80, None, 85]) == Decimal("82.5")
    assert mean_score([85, 86, 86]) == Decimal("85.7")
    assert mean_score([None, None]) is None


def test_scores_and_panel_sizes():
    assert score_in_range(0) and score_in_range(100)
    assert not score_in_range(-1) and not score_in_range(101)
    assert not panel_size_ok(2) and panel_size_ok(3) and panel_size_ok(9)
    assert not panel_size_ok(10)


def test_a_fix_deadline_is_a_week_to_a_year_ahead():
    today = date(2026, 12, 2)
    assert not fix_deadline_ok(today, today)
    assert not fix_deadline_ok(today + timedelta(days=6), today)
    assert fix_deadline_ok(today + timedelta(days=7), today)
    assert fix_deadline_ok(today + timedelta(days=366), today)
    assert not fix_deadline_ok(today + timedelta(days=367), today)


def test_picking_by_load_takes_the_least_busy_then_by_name():
    candidates = [
        Candidate(1, "Li", (), review_load=3, acceptance_load=0),
        Candidate(2, "Zhao", (), review_load=0, acceptance_load=1),
        Candidate(3, "Chen", (), review_load=1, acceptance_load=0),
        Candidate(4, "Sun", (), review_load=0, acceptance_load=0),
    ]
    assert pick_by_load(candidates, 3) == [4, 3, 2]
    assert pick_by_load(candidates, 10) == [4, 3, 2, 1]
