"""The daily evaluation of the key tasks (SQLite and PostgreSQL): the status stored with its
reason, the month's history (latest and worst), the audit trail and the warning of a task
turned red, slips raised by rule each once, red -> yellow -> green over days however often it
runs, the same statements at any number of applications, the lock, and the command."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import create_engine, func, select, text

from portal.applications.models import Status
from portal.core.audit import Action, AuditEvent
from portal.core.extensions import db
from portal.core.timeutil import BUREAU_ZONE, stopped_clock
from portal.notifications.messages import compose
from portal.notifications.models import Notification
from portal.tasks.evaluation import LOCK_SPACE, evaluate
from portal.tasks.models import (
    Direction,
    KeyTask,
    Milestone,
    SlipColour,
    SlipOrigin,
    SlipState,
    SupervisionSlip,
    TaskIndicator,
    TaskStatus,
    TaskStatusMonth,
)
from portal.tasks.progress import load_progress
from tests.helpers import add_bare_applications
from tests.wall_world import build_wall_world

TODAY = date(2026, 6, 15)
RD = "rd-post-subsidy-2026"


@pytest.fixture
def clock():
    with stopped_clock(datetime(2026, 6, 15, 9, 0, tzinfo=BUREAU_ZONE)):
        yield


@pytest.fixture
def world(app, demo, clock):
    with app.app_context():
        built = build_wall_world(TODAY)
        db.session.commit()
    with app.app_context():
        yield built


def add_task(world, number: int, milestones=(), indicators=()) -> KeyTask:
    task = KeyTask(
        year=2026,
        number=number,
        title=f"测试任务{number}",
        title_en=f"Test task {number}",
        leader_id=world.leader_id,
        department_id=world.departments["高新技术科"],
        owner_id=world.hightech_id,
    )
    db.session.add(task)
    db.session.flush()
    for due_on, title in milestones:
        db.session.add(Milestone(task_id=task.id, due_on=due_on, title=title, title_en=title))
    for kind, params, target in indicators:
        db.session.add(
            TaskIndicator(
                task_id=task.id,
                name=kind,
                kind=kind,
                params=params,
                direction=Direction.UP,
                target=Decimal(target),
            )
        )
    db.session.commit()
    return task


def milestone_of(task: KeyTask) -> Milestone:
    return db.session.scalar(select(Milestone).where(Milestone.task_id == task.id))


def slips_of(task_id: int) -> list[SupervisionSlip]:
    return list(
        db.session.scalars(
            select(SupervisionSlip)
            .where(SupervisionSlip.task_id == task_id)
            .order_by(SupervisionSlip.id)
        )
    )


def month_row(task_id: int, month: date) -> TaskStatusMonth:
    return db.session.scalar(
        select(TaskStatusMonth).where(
            TaskStatusMonth.task_id == task_id, TaskStatusMonth.month == month
        )
    )


def counts() -> tuple[int, ...]:
    return tuple(
        db.session.scalar(select(func.count()).select_from(model))
        for model in (SupervisionSlip, AuditEvent, Notification, TaskStatusMonth)
    )


def run(day: date):
    result = evaluate(day)
    db.session.commit()
    return result


def test_first_evaluation_stores_status_history_and_raises_slips(world):
    red = db.session.get(KeyTask, world.red_task_id)
    version = red.lock_version
    result = run(TODAY)
    assert not result.already_running and result.evaluated == 2
    assert result.changed == [(world.red_task_id, TaskStatus.GREEN, TaskStatus.RED)]

    red = db.session.get(KeyTask, world.red_task_id)
    assert red.status is TaskStatus.RED and red.evaluated_on == TODAY
    assert "完成申报受理" in red.status_reason and "2026-05-26" in red.status_reason
    assert red.lock_version == version  # the rules' status is no edit of the task
    green = db.session.get(KeyTask, world.green_task_id)
    assert green.status is TaskStatus.GREEN and green.evaluated_on == TODAY

    history = month_row(world.red_task_id, date(2026, 6, 1))
    assert history.status is TaskStatus.RED and history.worst_status is TaskStatus.RED
    assert history.overdue_milestones == 1 and history.evaluated_on == TODAY
    assert history.reason == red.status_reason
    assert history.progress_percent is not None
    assert month_row(world.green_task_id, date(2026, 6, 1)).status is TaskStatus.GREEN

    (change,) = db.session.scalars(
        select(AuditEvent).where(AuditEvent.action == Action.TASK_STATUS_CHANGED.value)
    ).all()
    assert change.object_id == str(world.red_task_id) and change.actor_id is None
    assert change.summary["from"] == "green" and change.summary["to"] == "red"
    assert change.summary["on"] == "2026-06-15" and change.summary["reasons"]

    told = set(
        db.session.scalars(
            select(Notification.user_id).where(Notification.kind == "task_turned_red")
        )
    )
    assert {world.hightech_id, world.leader_id} <= told
    warning = db.session.scalar(
        select(Notification).where(
            Notification.kind == "task_turned_red", Notification.user_id == world.hightech_id
        )
    )
    assert warning.link == f"/tasks/{world.red_task_id}"
    message = compose(warning.kind, warning.params, warning.link, "en")
    assert message.title == "Key task overdue: Young eagle and gazelle firms"
    assert "Overdue since 26 May: Applications received" in message.paragraphs

    red_slip, yellow_slip = slips_of(world.red_task_id)
    assert red_slip.colour is SlipColour.RED and red_slip.origin is SlipOrigin.RULE
    assert red_slip.cause_key == f"milestone:{world.red_overdue_milestone_id}"
    assert red_slip.milestone_id == world.red_overdue_milestone_id
    assert red_slip.deadline == TODAY + timedelta(days=5)
    assert "完成申报受理" in red_slip.reason and "2026-05-26" in red_slip.reason
    assert red_slip.issued_by_id is None and red_slip.requirements
    assert yellow_slip.colour is SlipColour.YELLOW
    assert yellow_slip.cause_key == f"behind:{world.red_task_id}:2026-06"
    assert yellow_slip.deadline == TODAY + timedelta(days=10)
    assert "走访企业" in yellow_slip.reason  # the manual indicator, never reported
    assert sorted(result.slips) == [red_slip.id, yellow_slip.id]
    assert slips_of(world.green_task_id) == []


def test_running_twice_on_a_day_changes_nothing(world):
    run(TODAY)
    before = counts()
    red = db.session.get(KeyTask, world.red_task_id)
    stored = (red.status, red.status_reason, red.evaluated_on)
    again = run(TODAY)
    assert again.nothing_done and again.evaluated == 2
    assert counts() == before
    red = db.session.get(KeyTask, world.red_task_id)
    assert (red.status, red.status_reason, red.evaluated_on) == stored
    # The next day the slips are still open: none raised again.
    assert run(TODAY + timedelta(days=1)).slips == []


def test_red_then_yellow_then_green_over_days_whatever_the_runs(world):
    task = add_task(world, 20, milestones=[(date(2026, 6, 10), "提交方案")])
    run(TODAY)
    assert db.session.get(KeyTask, task.id).status is TaskStatus.RED
    milestone_of(task).done_on = TODAY
    db.session.commit()
    # Done the same day: yellow at once, and however often it runs that day, never green.
    for _ in range(3):
        run(TODAY)
        assert db.session.get(KeyTask, task.id).status is TaskStatus.YELLOW
    # The wall's live reading agrees with the stored status.
    live = load_progress([db.session.get(KeyTask, task.id)], TODAY)[task.id]
    assert live.status is TaskStatus.YELLOW
    assert live.verdict.reasons[-1].kind == "recovering"

    tomorrow = TODAY + timedelta(days=1)
    run(tomorrow)
    assert db.session.get(KeyTask, task.id).status is TaskStatus.GREEN
    june = month_row(task.id, date(2026, 6, 1))
    assert june.status is TaskStatus.GREEN and june.worst_status is TaskStatus.RED
    assert june.evaluated_on == tomorrow and june.overdue_milestones == 0

    run(date(2026, 7, 1))
    july = month_row(task.id, date(2026, 7, 1))
    assert july.status is TaskStatus.GREEN and july.worst_status is TaskStatus.GREEN
    assert month_row(task.id, date(2026, 6, 1)).worst_status is TaskStatus.RED

    changes = db.session.scalars(
        select(AuditEvent)
        .where(
            AuditEvent.action == Action.TASK_STATUS_CHANGED.value,
            AuditEvent.object_id == str(task.id),
        )
        .order_by(AuditEvent.id)
    ).all()
    assert [(c.summary["from"], c.summary["to"]) for c in changes] == [
        ("green", "red"),
        ("red", "yellow"),
        ("yellow", "green"),
    ]


def test_a_milestone_due_within_three_days_raises_a_blue_slip(world):
    near = add_task(world, 21, milestones=[(TODAY + timedelta(days=3), "召开推进会")])
    later = add_task(world, 22, milestones=[(TODAY + timedelta(days=4), "完成评审")])
    run(TODAY)
    (blue,) = slips_of(near.id)
    assert blue.colour is SlipColour.BLUE and blue.deadline == TODAY + timedelta(days=3)
    assert blue.cause_key == f"near:{milestone_of(near).id}" and "召开推进会" in blue.reason
    assert slips_of(later.id) == []
    # Due within seven days: yellow, though no slip yet.
    assert db.session.get(KeyTask, later.id).status is TaskStatus.YELLOW
    run(TODAY + timedelta(days=1))
    (later_blue,) = slips_of(later.id)
    assert later_blue.colour is SlipColour.BLUE
    assert len(slips_of(near.id)) == 1


def test_each_cause_raises_one_slip_even_once_closed(world):
    task = add_task(
        world,
        23,
        milestones=[(date(2026, 6, 1), "完成摸底")],
        indicators=[("final_awards", {"programs": [RD]}, "100000")],
    )
    run(TODAY)
    red, yellow = slips_of(task.id)
    assert (red.colour, yellow.colour) == (SlipColour.RED, SlipColour.YELLOW)
    for slip in (red, yellow):
        slip.state = SlipState.CLOSED
    db.session.commit()
    # Still overdue and behind, later in the month: the closed slips' causes are spent.
    assert run(TODAY + timedelta(days=5)).slips == []
    assert len(slips_of(task.id)) == 2
    # A new month: still behind, one new yellow slip; the milestone's red slip is not raised again.
    run(date(2026, 7, 1))
    slips = slips_of(task.id)
    assert len(slips) == 3
    assert slips[-1].colour is SlipColour.YELLOW
    assert slips[-1].cause_key == f"behind:{task.id}:2026-07"


def test_only_tasks_of_the_year_are_evaluated(world):
    last_year = add_task(world, 24, milestones=[(date(2025, 12, 1), "去年的节点")])
    last_year.year = 2025
    db.session.commit()
    run(TODAY)
    task = db.session.get(KeyTask, last_year.id)
    assert task.evaluated_on is None and task.status is TaskStatus.GREEN


def test_statements_do_not_grow_with_applications(app, world):
    add_task(world, 25, indicators=[("final_awards", {"programs": [RD]}, "0")])
    run(TODAY)  # the first run changes statuses and raises slips; then steady

    def statements() -> int:
        from sqlalchemy import event

        seen: list[str] = []

        def count(_conn, _cursor, statement, *_args):
            seen.append(statement)

        event.listen(db.engine, "before_cursor_execute", count)
        try:
            evaluate(TODAY)
        finally:
            event.remove(db.engine, "before_cursor_execute", count)
        db.session.commit()
        return len(seen)

    small = statements()
    db.session.remove()
    add_bare_applications(app, RD, 30, status=Status.AWARDED, prefix="Q")
    assert statements() == small


def test_a_second_run_meanwhile_is_already_running(app, world, database_url):
    if not database_url.startswith("postgresql"):
        pytest.skip("SQLite: the write lock makes a second run wait; no advisory lock")
    other = create_engine(database_url)
    with other.connect() as connection:
        connection.execute(
            text("SELECT pg_advisory_xact_lock(CAST(:space AS integer), 1)"),
            {"space": LOCK_SPACE},
        )
        result = evaluate(TODAY)
        db.session.rollback()
        assert result.already_running and result.nothing_done
        output = app.test_cli_runner().invoke(args=["tasks", "evaluate", "--on", "2026-06-15"])
        assert output.exit_code == 0 and "already running" in output.output
        connection.rollback()
    other.dispose()
    assert run(TODAY).changed  # once the other run is over


def test_the_command(app, world):
    db.session.remove()
    runner = app.test_cli_runner()
    first = runner.invoke(args=["tasks", "evaluate", "--on", "2026-06-15"])
    assert first.exit_code == 0, first.output
    assert first.output.strip() == "Evaluated 2 tasks: 1 task changed status, 2 slips raised."
    again = runner.invoke(args=["tasks", "evaluate", "--on", "2026-06-15"])
    assert again.exit_code == 0 and again.output.strip() == "Evaluated 2 tasks: nothing to do."
    daily = runner.invoke(args=["tasks", "daily"])  # today: the stopped clock's 15 June
    assert daily.exit_code == 0
    assert daily.output.splitlines()[0] == "Evaluated 2 tasks: nothing to do."
    assert daily.output.splitlines()[1].startswith("Reminders")
    wrong = runner.invoke(args=["tasks", "evaluate", "--on", "15/06/2026"])
    assert wrong.exit_code == 2
    assert db.session.get(KeyTask, world.red_task_id).status is TaskStatus.RED
