"""Expert-review arithmetic: weighted totals, minimums, aggregation, z-scores and ranking."""

from __future__ import annotations

import statistics
from decimal import Decimal as D
from decimal import localcontext
from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st

from portal.review.scoring_math import (
    Aggregate,
    Criterion,
    aggregate,
    criteria_from_rubric,
    missed_minimums,
    rank,
    weighted_total,
    z_scores,
)

# The "key above-size enterprise selection" demo rubric, as stored in a programme version.
KEY_ABOVE_SIZE_RUBRIC = [
    {"key": "innovation", "name_en": "Innovation", "weight": 25, "scale_max": 10, "minimum": None},
    {"key": "technology_ip", "weight": 20, "scale_max": 10, "minimum": None},
    {"key": "market_benefit", "weight": 20, "scale_max": 10, "minimum": None},
    {"key": "rd_team", "weight": 15, "scale_max": 10, "minimum": None},
    {"key": "financial_health", "weight": 10, "scale_max": 10, "minimum": None},
    {"key": "fluorine_chain", "weight": 10, "scale_max": 10, "minimum": None},
]
KEYS = [item["key"] for item in KEY_ABOVE_SIZE_RUBRIC]
CRITERIA = criteria_from_rubric(KEY_ABOVE_SIZE_RUBRIC)


def scores_of(*values) -> dict[str, D]:
    return {key: D(str(value)) for key, value in zip(KEYS, values, strict=True)}


# --------------------------------------------------------------------------------------------
# criteria_from_rubric


def test_demo_rubric_becomes_criteria():
    criteria = criteria_from_rubric(KEY_ABOVE_SIZE_RUBRIC)
    assert criteria == [
        Criterion("innovation", D(25), D(10)),
        Criterion("technology_ip", D(20), D(10)),
        Criterion("market_benefit", D(20), D(10)),
        Criterion("rd_team", D(15), D(10)),
        Criterion("financial_health", D(10), D(10)),
        Criterion("fluorine_chain", D(10), D(10)),
    ]
    assert all(isinstance(c.weight, D) and isinstance(c.scale_max, D) for c in criteria)


def test_the_seeded_demo_programme_rubric_scores_100_at_full_marks():
    from portal.programs.demo import DEMO_PROGRAMS

    for programme in DEMO_PROGRAMS:
        criteria = criteria_from_rubric(programme["rubric"])
        if criteria:
            full = {c.key: c.scale_max for c in criteria}
            assert weighted_total(criteria, full) == D("100.00"), programme["code"]


@pytest.mark.parametrize(
    ("item", "expected"),
    [
        ({"key": "a", "weight": 25, "scale_max": 10}, Criterion("a", D(25), D(10))),
        ({"key": "a", "weight": "25", "scale_max": "10"}, Criterion("a", D(25), D(10))),
        ({"key": "a", "weight": "12.5", "scale_max": 5}, Criterion("a", D("12.5"), D(5))),
        ({"key": "a", "weight": 2.5, "scale_max": 10}, Criterion("a", D("2.5"), D(10))),
        ({"key": "a", "weight": 0, "scale_max": 10}, Criterion("a", D(0), D(10))),
        (
            {"key": "a", "weight": 1, "scale_max": 10, "minimum": 6},
            Criterion("a", D(1), D(10), D(6)),
        ),
        (
            {"key": "a", "weight": 1, "scale_max": 10, "minimum": "5.5"},
            Criterion("a", D(1), D(10), D("5.5")),
        ),
        ({"key": "a", "weight": 1, "scale_max": 10, "minimum": None}, Criterion("a", D(1), D(10))),
        ({"key": "a", "weight": 1, "scale_max": 10, "minimum": ""}, Criterion("a", D(1), D(10))),
        (
            {"key": "a", "weight": 1, "scale_max": 10, "minimum": 0},
            Criterion("a", D(1), D(10), D(0)),
        ),
        ({"key": " a ", "weight": 1, "scale_max": 10}, Criterion("a", D(1), D(10))),
    ],
)
def test_rubric_item_parsing(item, expected):
    assert criteria_from_rubric([item]) == [expected]


@pytest.mark.parametrize(
    ("rubric", "message"),
    [
        ([{"weight": 1, "scale_max": 10}], "missing key"),
        ([{"key": "", "weight": 1, "scale_max": 10}], "missing key"),
        ([{"key": "a", "scale_max": 10}], "missing weight"),
        ([{"key": "a", "weight": None, "scale_max": 10}], "missing weight"),
        ([{"key": "a", "weight": 1}], "missing scale_max"),
        ([{"key": "a", "weight": -1, "scale_max": 10}], "negative weight"),
        ([{"key": "a", "weight": 1, "scale_max": 0}], "scale_max must be positive"),
        ([{"key": "a", "weight": 1, "scale_max": "-10"}], "scale_max must be positive"),
        ([{"key": "a", "weight": "ten", "scale_max": 10}], "not a number"),
        ([{"key": "a", "weight": "NaN", "scale_max": 10}], "not a finite number"),
        ([{"key": "a", "weight": True, "scale_max": 10}], "expected a number"),
        ([{"key": "a", "weight": 1, "scale_max": 10, "minimum": 11}], "outside"),
        ([{"key": "a", "weight": 1, "scale_max": 10, "minimum": -1}], "outside"),
        (
            [{"key": "a", "weight": 1, "scale_max": 10}, {"key": "a", "weight": 1, "scale_max": 5}],
            "duplicate key",
        ),
        (["innovation"], "expected an object"),
    ],
)
def test_bad_rubric_is_refused(rubric, message):
    with pytest.raises(ValueError, match=message):
        criteria_from_rubric(rubric)


def test_empty_rubric_has_no_criteria():
    assert criteria_from_rubric([]) == []


# --------------------------------------------------------------------------------------------
# weighted_total


@pytest.mark.parametrize(
    ("scores", "expected"),
    [
        (scores_of(10, 10, 10, 10, 10, 10), "100.00"),
        (scores_of(0, 0, 0, 0, 0, 0), "0.00"),
        # 25×0.8 + 20×0.7 + 20×0.9 + 15×0.6 + 10×0.5 + 10×1.0 = 20 + 14 + 18 + 9 + 5 + 10
        (scores_of(8, 7, 9, 6, 5, 10), "76.00"),
        # 25×0.75 + 20×0.65 + 20×0.825 + 15×0.7 + 10×0.9 + 10×0.3
        # = 18.75 + 13 + 16.5 + 10.5 + 9 + 3
        (scores_of("7.5", "6.5", "8.25", 7, 9, 3), "70.75"),
        # only innovation at full marks: its weight
        (scores_of(10, 0, 0, 0, 0, 0), "25.00"),
        # 25×0.1 + 20×0.3 + ... = 2.5 + 6 + 2 + 1.5 + 1 + 0.7
        (scores_of(1, 3, 1, 1, 1, "0.7"), "13.70"),
    ],
)
def test_weighted_total_demo_rubric(scores, expected):
    total = weighted_total(CRITERIA, scores)
    assert total == D(expected)
    assert str(total) == expected  # always two decimals


@pytest.mark.parametrize(
    ("rubric", "scores", "expected"),
    [
        # weights 1 and 2 (total 3) are normalised to 100: 100 × (1×1 + 2×0) / 3 = 33.333…
        (
            [
                {"key": "a", "weight": 1, "scale_max": 10},
                {"key": "b", "weight": 2, "scale_max": 10},
            ],
            {"a": D(10), "b": D(0)},
            "33.33",
        ),
        # 100 × (1×0 + 2×1) / 3 = 66.666…
        (
            [
                {"key": "a", "weight": 1, "scale_max": 10},
                {"key": "b", "weight": 2, "scale_max": 10},
            ],
            {"a": D(0), "b": D(10)},
            "66.67",
        ),
        # different scales: 100 × (3 × 4/5 + 1 × 50/100) / 4 = 100 × 2.9 / 4 = 72.5
        (
            [
                {"key": "a", "weight": 3, "scale_max": 5},
                {"key": "b", "weight": 1, "scale_max": 100},
            ],
            {"a": D(4), "b": D(50)},
            "72.50",
        ),
        # exactly half a cent rounds up (ROUND_HALF_UP, not the banker's 0.12): 100 × 1/800
        ([{"key": "a", "weight": 1, "scale_max": 800}], {"a": D(1)}, "0.13"),
        # 100 × 3/800 = 0.375 -> 0.38 (banker's would also give 0.38; 0.125 above is the test)
        ([{"key": "a", "weight": 1, "scale_max": 800}], {"a": D(3)}, "0.38"),
        # a zero-weight criterion counts for nothing but must still be scored
        (
            [
                {"key": "a", "weight": 0, "scale_max": 10},
                {"key": "b", "weight": 5, "scale_max": 10},
            ],
            {"a": D(0), "b": D(7)},
            "70.00",
        ),
    ],
)
def test_weighted_total_general_weights(rubric, scores, expected):
    assert weighted_total(criteria_from_rubric(rubric), scores) == D(expected)


def test_extra_score_keys_are_ignored():
    scores = scores_of(8, 7, 9, 6, 5, 10) | {"not_a_criterion": D(99)}
    assert weighted_total(CRITERIA, scores) == D("76.00")


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"innovation": D("10.01")}, "outside 0..10"),
        ({"innovation": D(11)}, "outside 0..10"),
        ({"rd_team": D("-0.5")}, "outside 0..10"),
        ({"rd_team": D(-1)}, "outside 0..10"),
        ({"fluorine_chain": None}, "'fluorine_chain': score missing"),
        ({"innovation": "abc"}, "not a number"),
        ({"innovation": D("NaN")}, "not a finite number"),
    ],
)
def test_out_of_range_or_bad_score_is_refused(change, message):
    scores = scores_of(8, 7, 9, 6, 5, 10) | change
    with pytest.raises(ValueError, match=message):
        weighted_total(CRITERIA, scores)


@pytest.mark.parametrize("missing", KEYS)
def test_missing_score_is_refused(missing):
    scores = scores_of(8, 7, 9, 6, 5, 10)
    del scores[missing]
    with pytest.raises(ValueError, match=f"'{missing}': score missing"):
        weighted_total(CRITERIA, scores)


@pytest.mark.parametrize(
    ("criteria", "message"),
    [
        ([], "no criteria"),
        ([Criterion("a", D(0), D(10))], "weights total zero"),
    ],
)
def test_nothing_to_weigh_is_refused(criteria, message):
    with pytest.raises(ValueError, match=message):
        weighted_total(criteria, {"a": D(5)})


def test_scale_limits_are_inclusive():
    assert weighted_total(CRITERIA, scores_of(10, 0, 10, 0, 10, 0)) == D("55.00")


score_steps = st.integers(min_value=0, max_value=1000).map(lambda n: D(n) / 100)  # 0.00..10.00


@given(st.lists(score_steps, min_size=6, max_size=6))
def test_weighted_total_matches_exact_sum(values):
    scores = dict(zip(KEYS, values, strict=True))
    exact = sum(
        (Fraction(c.weight) * Fraction(scores[c.key]) / Fraction(c.scale_max) for c in CRITERIA),
        Fraction(0),
    )
    total = weighted_total(CRITERIA, scores)
    assert D(0) <= total <= D(100)
    assert total.as_tuple().exponent == -2
    assert abs(Fraction(total) - exact) <= Fraction(1, 200)


@given(st.lists(score_steps, min_size=6, max_size=6), st.sampled_from(KEYS), score_steps)
def test_raising_a_score_never_lowers_the_total(values, key, other):
    scores = dict(zip(KEYS, values, strict=True))
    higher = scores | {key: max(scores[key], other)}
    assert weighted_total(CRITERIA, higher) >= weighted_total(CRITERIA, scores)


@given(st.lists(score_steps, min_size=6, max_size=6), st.permutations(range(6)))
def test_criterion_order_does_not_matter(values, order):
    scores = dict(zip(KEYS, values, strict=True))
    shuffled = [CRITERIA[i] for i in order]
    assert weighted_total(shuffled, scores) == weighted_total(CRITERIA, scores)


# --------------------------------------------------------------------------------------------
# missed_minimums

MIN_RUBRIC = criteria_from_rubric(
    [
        {"key": "innovation", "weight": 50, "scale_max": 10, "minimum": 6},
        {"key": "team", "weight": 30, "scale_max": 10, "minimum": "4.5"},
        {"key": "finance", "weight": 20, "scale_max": 10, "minimum": None},
    ]
)


@pytest.mark.parametrize(
    ("scores", "expected"),
    [
        ({"innovation": D(6), "team": D("4.5"), "finance": D(0)}, []),  # equal is enough
        ({"innovation": D("5.99"), "team": D(9), "finance": D(9)}, ["innovation"]),
        ({"innovation": D(9), "team": D("4.49"), "finance": D(9)}, ["team"]),
        ({"innovation": D(0), "team": D(0), "finance": D(0)}, ["innovation", "team"]),
        ({"innovation": D(10), "team": D(10), "finance": D(10)}, []),
        ({"team": D(1)}, ["team"]),  # a missing score is weighted_total's business
    ],
)
def test_missed_minimums(scores, expected):
    assert missed_minimums(MIN_RUBRIC, scores) == expected


def test_no_minimums_in_the_demo_rubric():
    assert missed_minimums(CRITERIA, scores_of(0, 0, 0, 0, 0, 0)) == []


# --------------------------------------------------------------------------------------------
# aggregate

T20 = D(20)


@pytest.mark.parametrize(
    ("totals", "kwargs", "expected"),
    [
        (
            [],
            {},
            Aggregate(0, None, None, False, False, (), None, False),
        ),
        (
            [D("80.00")],
            {},
            Aggregate(1, D("80.00"), D("0.00"), False, False, (), D("80.00"), False),
        ),
        (
            [D(85), D(60)],
            {},
            Aggregate(2, D("72.50"), D("25.00"), False, True, ("spread",), D("72.50"), False),
        ),
        # exactly at the threshold: not flagged
        (
            [D(80), D(60)],
            {},
            Aggregate(2, D("70.00"), D("20.00"), False, False, (), D("70.00"), False),
        ),
        # one cent above: flagged (mean 69.995 rounds half up)
        (
            [D("80.00"), D("59.99")],
            {},
            Aggregate(2, D("70.00"), D("20.01"), False, True, ("spread",), D("70.00"), False),
        ),
        (
            [D(70), D(75)],
            {"minimum_missed": True},
            Aggregate(2, D("72.50"), D("5.00"), True, True, ("minimum",), D("72.50"), False),
        ),
        (
            [D(90), D(60), D(75)],
            {"minimum_missed": True},
            Aggregate(
                3, D("75.00"), D("30.00"), True, True, ("spread", "minimum"), D("75.00"), False
            ),
        ),
        # a moderator's total replaces the mean and clears the flag; the reason stays
        (
            [D(85), D(60)],
            {"moderator_total": D(70)},
            Aggregate(2, D("72.50"), D("25.00"), False, False, ("spread",), D("70.00"), True),
        ),
        (
            [D(85), D(60)],
            {"moderator_total": D(70), "minimum_missed": True},
            Aggregate(
                2, D("72.50"), D("25.00"), True, False, ("spread", "minimum"), D("70.00"), True
            ),
        ),
        # a moderator's zero is a score, not "no moderation"
        (
            [D(85), D(60)],
            {"moderator_total": D(0)},
            Aggregate(2, D("72.50"), D("25.00"), False, False, ("spread",), D("0.00"), True),
        ),
        # moderated without any review total (e.g. every reviewer declined)
        (
            [],
            {"moderator_total": D("66.5")},
            Aggregate(0, None, None, False, False, (), D("66.50"), True),
        ),
    ],
)
def test_aggregate(totals, kwargs, expected):
    result = aggregate(totals, spread_threshold=T20, **kwargs)
    assert result == expected
    for value in (result.mean, result.spread, result.final):
        assert value is None or value.as_tuple().exponent == -2


@pytest.mark.parametrize(
    ("totals", "mean"),
    [
        ([D("70.00"), D("70.01")], "70.01"),  # 70.005: half up (banker's would give 70.00)
        ([D("70.00"), D("70.03")], "70.02"),  # 70.015
        ([D(80), D(80), D(81)], "80.33"),
        ([D(80), D(81), D(81)], "80.67"),
        ([D("0"), D("0.01")], "0.01"),
    ],
)
def test_mean_rounds_half_up(totals, mean):
    assert aggregate(totals, spread_threshold=T20).mean == D(mean)


@pytest.mark.parametrize(
    ("threshold", "flagged"),
    [(D(24), True), (D("24.99"), True), (D(25), False), (D("25.00"), False), (D(30), False)],
)
def test_spread_threshold_is_strict(threshold, flagged):
    assert aggregate([D(85), D(60)], spread_threshold=threshold).flagged is flagged


@given(st.lists(st.integers(min_value=0, max_value=10000).map(lambda n: D(n) / 100), max_size=6))
def test_aggregate_properties(totals):
    result = aggregate(totals, spread_threshold=T20)
    assert result.count == len(totals)
    if totals:
        assert min(totals) <= result.mean <= max(totals)
        assert result.spread == max(totals) - min(totals)
        assert result.flagged is (max(totals) - min(totals) > T20)
        assert result.final == result.mean
    else:
        assert result.mean is result.spread is result.final is None


# --------------------------------------------------------------------------------------------
# z_scores


def test_z_scores_example_from_the_brief():
    # all totals 60 70 80 90: mean 75; deviations ±15, ±5 -> variance (225+25+25+225)/4 = 125
    # stdev √125 = 11.1803…; A: (85 − 75) / 11.18 = 0.894…; B: (65 − 75) / 11.18 = −0.894…
    result = z_scores({"A": [D(80), D(90)], "B": [D(60), D(70)]})
    assert result == {"A": D("0.89"), "B": D("-0.89")}


def test_z_scores_uneven_reviewers():
    # all totals 90 60 60 70: mean 70; deviations 20 −10 −10 0 -> variance 600/4 = 150
    # stdev √150 = 12.247…; A: 20 / 12.247 = 1.633; B: mean 63.33 -> −6.667 / 12.247 = −0.544
    result = z_scores({"A": [D(90)], "B": [D(60), D(60), D(70)]})
    assert result == {"A": D("1.63"), "B": D("-0.54")}


def test_z_scores_round_half_up():
    # all totals 60 60 60 70 60: mean 62; deviations −2 −2 −2 8 −2 -> variance 80/5 = 16, stdev 4
    # A: mean 62.5 -> 0.5 / 4 = 0.125 -> 0.13 (half up); B: −2 / 4 = −0.50
    result = z_scores({"A": [D(60), D(60), D(60), D(70)], "B": [D(60)]})
    assert result == {"A": D("0.13"), "B": D("-0.50")}


def test_z_scores_exact_half_with_a_repeating_stdev():
    # all totals 60×6, 63, 64, 68: mean 555/9 = 61.66…; deviations −5/3 (×6), 4/3, 7/3, 19/3
    # -> variance (6×25 + 16 + 49 + 361) / 9 / 9 = 64/9, stdev 8/3 = 2.66… (no finite decimal:
    # a 60-digit division lands just below the half and would give 0.87)
    # A: (64 − 555/9) / (8/3) = (7/3) / (8/3) = 0.875 exactly -> 0.88
    # B: mean 491/8 = 61.375 -> (−7/24) / (8/3) = −7/64 = −0.109… -> −0.11
    result = z_scores({"A": [D(64)], "B": [D(60)] * 6 + [D(63), D(68)]})
    assert result == {"A": D("0.88"), "B": D("-0.11")}


@pytest.mark.parametrize(
    "totals_by_reviewer",
    [
        {"A": [D(80)], "B": [D(80), D("80.00")]},  # stdev 0
        {"A": [D(80)]},  # fewer than 2 totals
        {"A": [D(80)], "B": []},
        {"A": [], "B": []},
        {},
    ],
)
def test_z_scores_undefined(totals_by_reviewer):
    result = z_scores(totals_by_reviewer)
    assert result == dict.fromkeys(totals_by_reviewer)


def test_reviewer_without_totals_has_no_z_score():
    result = z_scores({"A": [D(80), D(90)], "B": [D(60), D(70)], "C": []})
    assert result == {"A": D("0.89"), "B": D("-0.89"), "C": None}


def test_z_scores_keep_reviewer_keys():
    result = z_scores({7: [D(50)], 3: [D(70)]})
    assert list(result) == [7, 3]
    assert result == {7: D("-1.00"), 3: D("1.00")}


reviewer_totals = st.dictionaries(
    st.integers(min_value=1, max_value=20),
    st.lists(st.integers(min_value=0, max_value=10000).map(lambda n: D(n) / 100), max_size=4),
    max_size=6,
)


@given(reviewer_totals)
def test_z_scores_match_an_independent_computation(totals_by_reviewer):
    result = z_scores(totals_by_reviewer)
    assert set(result) == set(totals_by_reviewer)
    everything = [Fraction(t) for totals in totals_by_reviewer.values() for t in totals]
    if len(everything) < 2 or len(set(everything)) == 1:
        assert all(z is None for z in result.values())
        return
    mean = statistics.mean(everything)
    variance = statistics.pvariance(everything)
    with localcontext() as context:
        context.prec = 50
        stdev = (D(variance.numerator) / D(variance.denominator)).sqrt()
        weighted_sum = D(0)
        for reviewer, totals in totals_by_reviewer.items():
            z = result[reviewer]
            if not totals:
                assert z is None
                continue
            difference = statistics.mean(Fraction(t) for t in totals) - mean
            reference = D(difference.numerator) / D(difference.denominator) / stdev
            assert z.as_tuple().exponent == -2
            assert abs(z - reference) <= D("0.005")
            weighted_sum += z * len(totals)
        # Σ count × z is 0 before rounding
        assert abs(weighted_sum) <= D("0.005") * len(everything)


# --------------------------------------------------------------------------------------------
# rank


@pytest.mark.parametrize(
    ("items", "expected"),
    [
        ([], []),
        ([("a", D(90))], [("a", 1)]),
        (
            [("a", D(90)), ("b", D(80)), ("c", D(80)), ("d", D(70))],
            [("a", 1), ("b", 2), ("c", 2), ("d", 4)],
        ),
        # input order does not matter for ranks; ties keep input order
        (
            [("d", D(70)), ("c", D(80)), ("a", D(90)), ("b", D(80))],
            [("a", 1), ("c", 2), ("b", 2), ("d", 4)],
        ),
        ([("x", D(80)), ("y", D(80)), ("z", D(80))], [("x", 1), ("y", 1), ("z", 1)]),
        # 80 and 80.00 are the same score
        ([("x", D("80.00")), ("y", D(80)), ("z", D("79.99"))], [("x", 1), ("y", 1), ("z", 3)]),
        (
            [("a", D(90)), ("b", D(90)), ("c", D(90)), ("d", D(50)), ("e", D(40)), ("f", D(40))],
            [("a", 1), ("b", 1), ("c", 1), ("d", 4), ("e", 5), ("f", 5)],
        ),
        # no score: unranked, last, in input order
        (
            [("x", None), ("a", D(50)), ("y", None), ("b", D(60))],
            [("b", 1), ("a", 2), ("x", None), ("y", None)],
        ),
        ([("y", None), ("x", None)], [("y", None), ("x", None)]),
        ([("a", D(0)), ("b", None)], [("a", 1), ("b", None)]),  # zero is a score
    ],
)
def test_rank(items, expected):
    assert rank(items) == expected


@given(
    st.lists(
        st.one_of(st.none(), st.integers(min_value=0, max_value=20).map(D)),
        max_size=12,
    )
)
def test_rank_is_one_plus_the_number_of_better_scores(scores):
    items = list(enumerate(scores))
    result = rank(items)
    assert sorted(key for key, _ in result) == list(range(len(scores)))
    ranks = dict(result)
    for key, score in items:
        if score is None:
            assert ranks[key] is None
        else:
            assert ranks[key] == 1 + sum(1 for s in scores if s is not None and s > score)
    listed = [ranks[key] for key, _ in result]
    scored = [r for r in listed if r is not None]
    assert scored == sorted(scored)
    assert all(r is None for r in listed[len(scored) :])
