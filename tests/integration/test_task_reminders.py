"""Reminders three days before a deadline (SQLite and PostgreSQL), in-app and by mail through a
real SMTP server: a milestone not done to the people named on its task, a slip not closed to
them and its issuer; each once, with a slip step and the audit trail; the command."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest
from sqlalchemy import func, select

from portal.accounts.models import User
from portal.core.audit import Action, AuditEvent
from portal.core.extensions import db
from portal.core.jobs import commit
from portal.core.timeutil import BUREAU_ZONE, set_stopped_clock, stopped_clock
from portal.notifications.models import Notification
from portal.tasks.models import (
    KeyTask,
    Milestone,
    SlipColour,
    SlipState,
    SlipStep,
    SlipStepKind,
    SupervisionSlip,
)
from portal.tasks.reminders import send_reminders
from portal.tasks.slip_issue import issue_slip
from tests.wall_world import build_wall_world

ISSUED = date(2026, 6, 5)
TODAY = date(2026, 6, 15)


@pytest.fixture
def app_config(app_config, smtp) -> dict:
    _inbox, port = smtp
    return {**app_config, "SMTP_HOST": "127.0.0.1", "SMTP_PORT": port}


@pytest.fixture
def inbox(smtp):
    return smtp[0]


@pytest.fixture
def world(app, demo):
    """The wall world, a task with milestones around the 18th and slips issued on 5 June, then
    the clock on 15 June."""
    with stopped_clock(datetime(2026, 6, 5, 9, 0, tzinfo=BUREAU_ZONE)), app.app_context():
        built = build_wall_world(TODAY)
        for email in ("hightech@example.com", "supervisor@example.com"):
            db.session.scalar(select(User).where(User.email == email)).locale = "en"
        task = KeyTask(
            year=2026,
            number=30,
            title="科技成果转化",
            title_en="Technology transfer",
            leader_id=built.leader_id,
            department_id=built.departments["高新技术科"],
            owner_id=built.hightech_id,
        )
        db.session.add(task)
        db.session.flush()
        for days, title, done in (
            (3, "签订转化合同", None),  # due in 3 days: reminded
            (4, "完成登记", None),  # in 4 days: not yet
            (2, "召开对接会", TODAY),  # done: never
            (-1, "提交月报", None),  # overdue: the red slip's business, not a reminder's
        ):
            db.session.add(
                Milestone(
                    task_id=task.id,
                    due_on=TODAY + timedelta(days=days),
                    title=title,
                    title_en=f"Milestone {title}",
                    done_on=done,
                )
            )
        supervisor = db.session.get(User, built.supervisor_id)
        slips = {}
        for name, days in (("soon", 2), ("later", 4), ("closed", 1)):
            slip = issue_slip(
                task,
                SlipColour.YELLOW,
                f"进度滞后（{name}）",
                TODAY + timedelta(days=days),
                by=supervisor,
            )
            slips[name] = slip.id
        db.session.get(SupervisionSlip, slips["closed"]).state = SlipState.CLOSED
        commit()
        task_id = task.id
    with stopped_clock(datetime(2026, 6, 15, 8, 0, tzinfo=BUREAU_ZONE)), app.app_context():
        yield built, task_id, slips


def kinds_to(user_id: int) -> list[str]:
    return list(
        db.session.scalars(
            select(Notification.kind)
            .where(
                Notification.user_id == user_id,
                Notification.kind.in_(["milestone_due_soon", "slip_deadline_soon"]),
            )
            .order_by(Notification.id)
        )
    )


def text_part(message) -> str:
    return message.get_body(preferencelist=("plain",)).get_content()


def test_reminders_go_once_to_everyone_named(world, inbox):
    built, task_id, slips = world
    soon = db.session.get(SupervisionSlip, slips["soon"])
    version = soon.lock_version
    result = send_reminders(TODAY)
    commit()
    assert (result.milestones, result.slips) == (1, 1)

    assert kinds_to(built.hightech_id) == ["milestone_due_soon", "slip_deadline_soon"]
    assert kinds_to(built.leader_id) == ["milestone_due_soon", "slip_deadline_soon"]
    assert kinds_to(built.supervisor_id) == ["slip_deadline_soon"]  # the issuer
    assert kinds_to(built.funds_id) == []  # another department

    (milestone,) = db.session.scalars(
        select(Milestone).where(Milestone.task_id == task_id, Milestone.reminded_at.is_not(None))
    ).all()
    assert milestone.title == "签订转化合同"
    soon = db.session.get(SupervisionSlip, slips["soon"])
    assert soon.reminded_at is not None and soon.lock_version == version
    assert db.session.get(SupervisionSlip, slips["later"]).reminded_at is None
    assert db.session.get(SupervisionSlip, slips["closed"]).reminded_at is None
    steps = db.session.scalars(select(SlipStep.kind).where(SlipStep.slip_id == soon.id)).all()
    assert steps == [SlipStepKind.ISSUED, SlipStepKind.REMINDED]
    actions = set(
        db.session.scalars(
            select(AuditEvent.action).where(
                AuditEvent.action.in_(
                    [Action.TASK_MILESTONE_REMINDED.value, Action.SLIP_REMINDED.value]
                )
            )
        )
    )
    assert actions == {Action.TASK_MILESTONE_REMINDED.value, Action.SLIP_REMINDED.value}

    # By mail, in each person's language.
    mails = {m["Subject"]: m for m in inbox.messages("hightech@example.com")}
    subject = "Milestone due 18 June: Milestone 签订转化合同"
    assert subject in mails, list(mails)
    body = text_part(mails[subject])
    assert "Technology transfer" in body and "in 3 days, on 18 June" in body
    assert f"/tasks/{task_id}" in body
    slip_mail = mails[f"Slip {soon.code}: deadline 17 June"]
    assert "in 2 days, on 17 June" in text_part(slip_mail) and f"/tasks/slips/{soon.id}" in (
        text_part(slip_mail)
    )
    assert "进度滞后（soon）" in text_part(slip_mail)
    leader_mails = inbox.messages("leader@example.com")
    assert any("科技成果转化" in text_part(m) for m in leader_mails)
    sent = len(inbox.envelopes)

    # Once: the next run, and the day after, send nothing more.
    again = send_reminders(TODAY)
    commit()
    assert again.nothing_done
    # The next day: the milestone and the slip due on the 19th.
    next_day = send_reminders(TODAY + timedelta(days=1))
    commit()
    assert (next_day.milestones, next_day.slips) == (1, 1)
    assert kinds_to(built.hightech_id).count("milestone_due_soon") == 2
    assert kinds_to(built.hightech_id).count("slip_deadline_soon") == 2
    assert len(inbox.envelopes) > sent


def test_a_slip_issued_within_the_last_three_days_gets_no_reminder(world):
    _built, _task_id, _slips = world
    task = db.session.scalar(select(KeyTask).where(KeyTask.number == 30))
    fresh = issue_slip(task, SlipColour.RED, "新的督办", TODAY + timedelta(days=3))
    commit()
    send_reminders(TODAY)
    commit()
    assert db.session.get(SupervisionSlip, fresh.id).reminded_at is None


def test_the_command(app, world):
    _built, _task_id, _slips = world
    db.session.remove()
    runner = app.test_cli_runner()
    first = runner.invoke(args=["tasks", "remind", "--on", "2026-06-15"])
    assert first.exit_code == 0, first.output
    assert first.output.strip() == "Reminders sent: 1 milestone, 1 slip."
    again = runner.invoke(args=["tasks", "remind", "--on", "2026-06-15"])
    assert again.output.strip() == "Reminders: nothing to do."
    set_stopped_clock(datetime(2026, 6, 16, 8, 0, tzinfo=BUREAU_ZONE))
    daily = runner.invoke(args=["tasks", "daily"])
    assert daily.exit_code == 0, daily.output
    lines = daily.output.splitlines()
    assert lines[0].startswith("Evaluated 3 tasks:") and "slips raised" in lines[0]
    assert lines[1] == "Reminders sent: 1 milestone, 1 slip."
    assert db.session.scalar(select(func.count()).select_from(Notification)) > 0
