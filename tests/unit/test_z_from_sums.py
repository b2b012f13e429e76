"""A z-score from running sums (count, sum, sum of squares: what the tallies keep) equals the
one from every total, including the exact half-cent case and the undefined ones."""

from __future__ import annotations

from decimal import Decimal as D
from fractions import Fraction

from hypothesis import given
from hypothesis import strategies as st

from portal.review.scoring_math import Sums, mean_of, z_score, z_scores

reviewer_totals = st.dictionaries(
    st.integers(min_value=1, max_value=20),
    st.lists(st.integers(min_value=0, max_value=10000).map(lambda n: D(n) / 100), max_size=5),
    max_size=6,
)


def from_sums(totals_by_reviewer):
    mine = {r: Sums.of([Fraction(t) for t in ts]) for r, ts in totals_by_reviewer.items()}
    everything = [Fraction(t) for ts in totals_by_reviewer.values() for t in ts]
    whole = Sums.of(everything)
    return {r: z_score(whole, sums) for r, sums in mine.items()}


@given(reviewer_totals)
def test_z_from_sums_equals_z_from_every_total(totals_by_reviewer):
    assert from_sums(totals_by_reviewer) == z_scores(totals_by_reviewer)


def test_the_exact_half_and_the_undefined_cases():
    totals = {"A": [D(64)], "B": [D(60)] * 6 + [D(63), D(68)]}
    assert from_sums(totals) == {"A": D("0.88"), "B": D("-0.11")}
    assert from_sums({"A": [D(80)], "B": [D(80)]}) == {"A": None, "B": None}
    assert from_sums({"A": [D(80)], "B": []}) == {"A": None, "B": None}


def test_mean_of_sums():
    assert mean_of(Sums.of([Fraction(D("70.005")), Fraction(70)])) == D("70.00")
    assert mean_of(Sums.of([Fraction(1, 200), Fraction(0)])) == D("0.00")
    assert mean_of(Sums.of([Fraction(3, 200), Fraction(0)])) == D("0.01")
    assert mean_of(Sums(0, Fraction(0), Fraction(0))) is None
