"""Status by rule (``portal.tasks.status_rules``): each rule, the path red -> yellow -> green,
the edges of "due within N days", the time-proportional expected value at the year's ends and
in a leap year, and indicators where less is better; with properties checked by Hypothesis."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st

from portal.tasks.models import Direction, TaskStatus
from portal.tasks.status_rules import (
    NEAR_DAYS,
    IndicatorFacts,
    MilestoneFacts,
    expected_value,
    judge_indicator,
    judge_task,
    year_fraction,
)

YEAR = 2026
D = Decimal


def up(value, target="100", baseline="0", key=1) -> IndicatorFacts:
    return IndicatorFacts(
        key, "企业数", Direction.UP, D(baseline), D(target), None if value is None else D(value)
    )


def down(value, target="30", key=2) -> IndicatorFacts:
    return IndicatorFacts(
        key, "兑现天数", Direction.DOWN, D(0), D(target), None if value is None else D(value)
    )


def milestone(due: date, done: date | None = None, key=10) -> MilestoneFacts:
    return MilestoneFacts(key, "里程碑", due, done)


def judge(indicators=(), milestones=(), today=date(YEAR, 7, 1), previous=None):
    return judge_task(YEAR, list(indicators), list(milestones), today, previous)


# --- the expected value (序时进度) -----------------------------------------------------------


def test_year_fraction_at_the_ends_of_the_year():
    assert year_fraction(YEAR, date(YEAR - 1, 12, 31)) == 0
    assert year_fraction(YEAR, date(YEAR, 1, 1)) == D(1) / D(365)
    assert year_fraction(YEAR, date(YEAR, 12, 31)) == 1
    assert year_fraction(YEAR, date(YEAR + 1, 3, 1)) == 1


def test_year_fraction_in_a_leap_year():
    assert year_fraction(2028, date(2028, 1, 1)) == D(1) / D(366)
    assert year_fraction(2028, date(2028, 2, 29)) == D(60) / D(366)
    assert year_fraction(2028, date(2028, 12, 30)) == D(365) / D(366)
    assert year_fraction(2028, date(2028, 12, 31)) == 1


def test_expected_value_runs_from_baseline_to_target():
    facts = up(None, target="365", baseline="0")
    assert expected_value(facts, YEAR, date(YEAR, 1, 1)) == D("1.00")
    assert expected_value(facts, YEAR, date(YEAR, 7, 2)) == D("183.00")
    assert expected_value(facts, YEAR, date(YEAR, 12, 31)) == D("365.00")
    with_baseline = up(None, target="110", baseline="10")
    assert expected_value(with_baseline, YEAR, date(YEAR, 12, 31)) == D("110.00")
    assert expected_value(with_baseline, YEAR, date(YEAR - 1, 6, 1)) == D("10.00")
    # Less is better: the target is the limit all year.
    assert expected_value(down(None, target="30"), YEAR, date(YEAR, 1, 1)) == D(30)


def test_expected_value_in_a_leap_year():
    facts = up(None, target="366")
    assert expected_value(facts, 2028, date(2028, 1, 1)) == D("1.00")
    assert expected_value(facts, 2028, date(2028, 2, 29)) == D("60.00")


# --- indicators --------------------------------------------------------------------------------


def test_an_indicator_on_schedule_is_not_behind():
    verdict = judge_indicator(up("50"), YEAR, date(YEAR, 7, 1))  # expected 49.86
    assert not verdict.behind and verdict.percent == D("100.3")


def test_an_indicator_below_its_expected_value_is_behind():
    verdict = judge_indicator(up("25"), YEAR, date(YEAR, 7, 1))
    assert verdict.behind and verdict.expected == D("49.86") and verdict.percent == D("50.1")


def test_exactly_the_expected_value_is_on_schedule():
    facts = up("183", target="365")
    assert not judge_indicator(facts, YEAR, date(YEAR, 7, 2)).behind
    assert judge_indicator(up("182.99", target="365"), YEAR, date(YEAR, 7, 2)).behind


def test_an_unknown_value_is_behind_with_no_percent():
    verdict = judge_indicator(up(None), YEAR, date(YEAR, 7, 1))
    assert verdict.behind and verdict.percent is None


def test_less_is_better_behind_only_above_the_target():
    day = date(YEAR, 3, 1)
    assert not judge_indicator(down("30"), YEAR, day).behind
    assert judge_indicator(down("30"), YEAR, day).percent == 100
    assert not judge_indicator(down("0"), YEAR, day).behind
    late = judge_indicator(down("60"), YEAR, day)
    assert late.behind and late.percent == D("50.0")
    # A target of 0 (no overdue reports at all): any is behind.
    none_allowed = judge_indicator(down("1", target="0"), YEAR, day)
    assert none_allowed.behind and none_allowed.percent == 0


def test_a_baseline_above_the_value_reads_as_zero_percent():
    verdict = judge_indicator(up("5", baseline="10", target="110"), YEAR, date(YEAR, 7, 1))
    assert verdict.behind and verdict.percent == 0


# --- the task's status -------------------------------------------------------------------------


def test_green_when_on_schedule_and_nothing_due():
    verdict = judge([up("60")], [milestone(date(YEAR, 9, 1))])
    assert verdict.status is TaskStatus.GREEN and verdict.reasons == ()
    assert verdict.percent == D("120.3")


def test_yellow_when_an_indicator_is_behind():
    verdict = judge([up("10", key=5)])
    assert verdict.status is TaskStatus.YELLOW
    assert verdict.behind == (5,) and verdict.reasons[0].kind == "behind"


def test_yellow_when_a_manual_indicator_was_never_reported():
    verdict = judge([up(None)])
    assert verdict.status is TaskStatus.YELLOW and verdict.reasons[0].kind == "unknown"


def test_red_when_a_milestone_is_overdue():
    today = date(YEAR, 7, 1)
    verdict = judge([up("90")], [milestone(today - timedelta(days=1), key=7)], today)
    assert verdict.status is TaskStatus.RED and verdict.overdue == (7,)
    assert verdict.reasons[0].kind == "overdue" and verdict.reasons[0].due_on == date(YEAR, 6, 30)


def test_a_milestone_done_late_is_not_overdue():
    today = date(YEAR, 7, 1)
    verdict = judge([up("90")], [milestone(date(YEAR, 6, 1), done=date(YEAR, 6, 20))], today)
    assert verdict.status is TaskStatus.GREEN


def test_due_within_n_days_edges():
    today = date(YEAR, 7, 1)
    due_today = judge([up("90")], [milestone(today)], today)
    assert due_today.status is TaskStatus.YELLOW and due_today.due_soon == (10,)
    at_the_edge = judge([up("90")], [milestone(today + timedelta(days=NEAR_DAYS))], today)
    assert at_the_edge.status is TaskStatus.YELLOW
    beyond = judge([up("90")], [milestone(today + timedelta(days=NEAR_DAYS + 1))], today)
    assert beyond.status is TaskStatus.GREEN
    yesterday = judge([up("90")], [milestone(today - timedelta(days=1))], today)
    assert yesterday.status is TaskStatus.RED and yesterday.due_soon == ()


def test_red_to_yellow_to_green():
    overdue = milestone(date(YEAR, 6, 1))
    behind = up("10")
    day1 = judge([behind], [overdue], date(YEAR, 7, 1), previous=TaskStatus.GREEN)
    assert day1.status is TaskStatus.RED
    # The milestone is done but the indicator is still behind: red until caught up.
    done = milestone(date(YEAR, 6, 1), done=date(YEAR, 7, 2))
    day2 = judge([behind], [done], date(YEAR, 7, 2), previous=day1.status)
    assert day2.status is TaskStatus.RED and [r.kind for r in day2.reasons] == ["behind"]
    # Caught up: yellow first, never straight to green.
    day3 = judge([up("60")], [done], date(YEAR, 7, 3), previous=day2.status)
    assert day3.status is TaskStatus.YELLOW and day3.reasons[-1].kind == "recovering"
    day4 = judge([up("60")], [done], date(YEAR, 7, 4), previous=day3.status)
    assert day4.status is TaskStatus.GREEN


def test_reasons_are_in_order_overdue_behind_due_soon():
    today = date(YEAR, 7, 1)
    verdict = judge(
        [up("1")],
        [
            milestone(today + timedelta(days=2), key=3),
            milestone(date(YEAR, 6, 1), key=2),
            milestone(date(YEAR, 5, 1), key=1),
        ],
        today,
    )
    assert [r.kind for r in verdict.reasons] == ["overdue", "overdue", "behind", "due_soon"]
    assert [r.due_on for r in verdict.reasons if r.kind == "overdue"] == [
        date(YEAR, 5, 1),
        date(YEAR, 6, 1),
    ]


def test_the_task_percent_is_its_lowest_indicator():
    verdict = judge([up("60", key=1), down("45", key=2), up(None, key=3)])
    assert verdict.percent == D("66.7")
    assert judge([up(None)]).percent is None


# --- properties --------------------------------------------------------------------------------

days = st.dates(min_value=date(YEAR, 1, 1), max_value=date(YEAR, 12, 31))
amounts = st.decimals(min_value=0, max_value=10_000, places=2, allow_nan=False)
statuses = st.sampled_from([None, *TaskStatus])


@st.composite
def indicator_facts(draw):
    direction = draw(st.sampled_from(list(Direction)))
    value = draw(st.none() | amounts)
    return IndicatorFacts(
        draw(st.integers(1, 10_000)), "指标", direction, D(0), draw(amounts), value
    )


@st.composite
def milestone_facts(draw):
    due = draw(days)
    done = draw(st.none() | st.dates(min_value=date(YEAR, 1, 1), max_value=date(YEAR, 12, 31)))
    return MilestoneFacts(draw(st.integers(1, 10_000)), "里程碑", due, done)


@given(
    st.lists(indicator_facts(), max_size=4, unique_by=lambda i: i.key),
    st.lists(milestone_facts(), max_size=4),
    days,
    statuses,
)
def test_properties_of_the_status(indicators, milestones, today, previous):
    verdict = judge_task(YEAR, indicators, milestones, today, previous)
    overdue = any(m.done_on is None and m.due_on < today for m in milestones)
    # A task with an overdue milestone is red whatever else.
    assert (verdict.status is TaskStatus.RED) == (
        overdue or (previous is TaskStatus.RED and bool(verdict.behind))
    )
    # Never green straight after red.
    if previous is TaskStatus.RED:
        assert verdict.status is not TaskStatus.GREEN
    # Green means nothing to say; anything else says why.
    assert (verdict.status is TaskStatus.GREEN) == (verdict.reasons == ())
    # Every indicator is judged, and the task's percent is the lowest known one.
    assert set(verdict.indicators) == {i.key for i in indicators}
    known = [v.percent for v in verdict.indicators.values() if v.percent is not None]
    assert verdict.percent == (min(known) if known else None)


@given(indicator_facts(), days, days)
def test_more_time_never_lowers_the_expected_value(facts, one, other):
    early, late = sorted([one, other])
    assert expected_value(facts, YEAR, early) <= expected_value(facts, YEAR, late) or (
        facts.target < facts.baseline
    )


@given(indicator_facts(), days)
def test_more_is_better_and_less_is_better(facts, today):
    verdict = judge_indicator(facts, YEAR, today)
    if facts.value is None:
        assert verdict.behind and verdict.percent is None
        return
    assert verdict.percent is not None and verdict.percent >= 0
    if facts.direction is Direction.UP:
        assert verdict.behind == (facts.value < verdict.expected)
    else:
        assert verdict.behind == (facts.value > facts.target)
        assert verdict.expected == facts.target
    if not verdict.behind:
        assert verdict.percent >= 100
