"""The wall map's demo after a full `seed-demo`: twelve key tasks in three colours as designed
(red 2, 5, 12; yellow 1, 3, 9; green the rest), slips in every state, a monthly history, goal
tiles with values; a second run adds nothing."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from portal.accounts.models import Department, Role, User
from portal.core.extensions import db
from portal.core.timeutil import bureau_today
from portal.demo_tasks import seed_demo as seed_wall_map
from portal.tasks.models import (
    GoalTile,
    KeyTask,
    SlipOrigin,
    SlipState,
    SlipStep,
    SupervisionSlip,
    TaskFile,
    TaskStatus,
    TaskStatusMonth,
)
from portal.tasks.progress import load_goals, load_progress
from tests.demo_snapshot import WALL_MAP

RED, YELLOW = {2, 5, 12}, {1, 3, 9}


@pytest.fixture
def seeded(app, demo_snapshots):
    """The whole `seed-demo` (seeded once a worker, then copied: tests/demo_snapshot.py)."""
    demo_snapshots.fill(app, WALL_MAP)
    with app.app_context():
        assert _count(KeyTask) == 12
        yield


def _count(model, *where) -> int:
    return db.session.scalar(select(func.count()).select_from(model).where(*where))


def test_the_wall_staff_and_departments(demo, app):
    with app.app_context():
        assert _count(Department) == 6
        members = db.session.scalars(select(User).where(User.role == Role.DEPARTMENT)).all()
        assert len(members) == 5 and all(m.department_id for m in members)
        supervisor = db.session.scalar(select(User).where(User.email == "supervisor@example.com"))
        assert supervisor.role is Role.SUPERVISOR
        assert db.session.get(Department, supervisor.department_id).name == "办公室"
        leader2 = db.session.scalar(select(User).where(User.email == "leader2@example.com"))
        assert leader2.role is Role.APPROVER


def test_twelve_tasks_in_three_colours(seeded, app):
    today = bureau_today()
    tasks = list(db.session.scalars(select(KeyTask).order_by(KeyTask.number)))
    assert [t.number for t in tasks] == list(range(1, 13))
    assert {t.year for t in tasks} == {today.year}
    progress = load_progress(tasks, today)
    for task in tasks:
        expected = (
            TaskStatus.RED
            if task.number in RED
            else TaskStatus.YELLOW
            if task.number in YELLOW
            else TaskStatus.GREEN
        )
        assert task.status is expected, (task.number, task.status_reason)
        # Stored as the rules give it: reading the progress again agrees.
        assert progress[task.id].status is expected, task.number
        assert 4 <= len(progress[task.id].milestones) <= 12
    # This month's history row per task, and the past months of the year.
    assert _count(TaskStatusMonth) == 12 * today.month
    assert _count(TaskFile, TaskFile.report_id.is_not(None)) > 0


def test_slips_in_every_state_from_rules_and_supervisor(seeded, app):
    slips = list(db.session.scalars(select(SupervisionSlip)))
    assert {s.state for s in slips} == set(SlipState)
    assert {s.origin for s in slips} == set(SlipOrigin)
    for slip in slips:
        kinds = [
            step.kind.value
            for step in db.session.scalars(
                select(SlipStep).where(SlipStep.slip_id == slip.id).order_by(SlipStep.id)
            )
        ]
        assert kinds[0] == "issued"
        assert kinds[-1] == slip.state.value or slip.state is SlipState.ISSUED
    serials = sorted((s.year, s.serial) for s in slips)
    assert len(set(serials)) == len(serials)


def test_goal_tiles_show_values(seeded, app):
    tiles = list(db.session.scalars(select(GoalTile).order_by(GoalTile.position)))
    assert [t.title for t in tiles] == ["科技型中小企业", "高新技术企业", "瞪羚企业", "雏鹰企业"]
    goals = load_goals(tiles, bureau_today())
    assert all(g.value and g.value > 0 for g in goals)


def test_a_second_run_adds_nothing(seeded, app):
    counts = [_count(m) for m in (KeyTask, SupervisionSlip, TaskStatusMonth, GoalTile, SlipStep)]
    assert seed_wall_map(log=lambda _line: None) == 0
    db.session.commit()
    result = app.test_cli_runner().invoke(args=["seed-demo"])
    assert result.exit_code == 0, result.output
    assert [
        _count(m) for m in (KeyTask, SupervisionSlip, TaskStatusMonth, GoalTile, SlipStep)
    ] == counts


def test_without_the_post_award_demo_it_adds_nothing(demo, app):
    with app.app_context():
        lines: list[str] = []
        assert seed_wall_map(log=lines.append) == 0
        assert lines and _count(KeyTask) == 0
