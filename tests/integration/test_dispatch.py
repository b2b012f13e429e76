"""The weekly dispatch report (调度报告): each task's status and its change since last week, the
milestones done and overdue, the slips issued, closed and open, and the month's ranking of
departments by overdue items (通报); the A4 PDF in Chinese and English; sent once a week to the
leaders and supervisors, in the portal and by mail (a real SMTP server on loopback)."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import func, select

from portal.accounts.models import Role, User
from portal.core.audit import Action, AuditEvent
from portal.core.extensions import db
from portal.core.jobs import commit
from portal.core.timeutil import stopped_clock
from portal.notifications.models import Notification
from portal.tasks.models import TaskStatus
from tests.helpers import statements_during
from tests.integration.test_wall_pdf import (
    TODAY,
    WEEK_ENDING,
    at,
    build_print_world,
    client_as,
    d,
    pdf_info,
    pdf_text,
    squashed,
)
from tests.mail import Inbox


@pytest.fixture
def app_config(app_config, smtp) -> dict:
    _inbox, port = smtp
    return {**app_config, "SMTP_HOST": "127.0.0.1", "SMTP_PORT": port}


@pytest.fixture
def inbox(smtp) -> Inbox:
    return smtp[0]


def test_weeks_run_monday_to_sunday_and_are_named_by_their_sunday():
    from portal.tasks.dispatch import recent_weeks, week_ending_of, week_start

    assert week_ending_of(date(2026, 11, 16)) == WEEK_ENDING  # Monday
    assert week_ending_of(TODAY) == WEEK_ENDING
    assert week_ending_of(WEEK_ENDING) == WEEK_ENDING
    assert week_start(WEEK_ENDING) == date(2026, 11, 16)
    assert recent_weeks(TODAY, 3) == [WEEK_ENDING, date(2026, 11, 15), date(2026, 11, 8)]


def test_the_ranking_puts_the_most_overdue_first_and_ties_by_name():
    from portal.tasks.dispatch import overdue_within, rank_departments

    first, last = d(11, 1), d(11, 18)
    # Overdue on some day of the window: due before it and not finished before it.
    assert overdue_within(d(10, 29), None, first, last)
    assert overdue_within(d(11, 10), d(11, 17), first, last)  # done late this month
    assert not overdue_within(d(10, 20), d(10, 25), first, last)  # late, but in October
    assert not overdue_within(d(11, 18), None, first, last)  # due today: not yet overdue
    assert not overdue_within(d(11, 10), d(11, 10), first, last)  # done on the day
    ranking = rank_departments(
        ["乙科", "甲科", "丙科"],
        [("乙科", d(11, 2), None), ("甲科", d(11, 3), None)],
        [("丙科", d(11, 1), None), ("丙科", d(11, 5), d(11, 9))],
        first,
        last,
    )
    assert [(r.position, r.department, r.total) for r in ranking] == [
        (1, "丙科", 2),
        (2, "乙科", 1),  # 乙 (U+4E59) sorts before 甲 (U+7532)
        (3, "甲科", 1),
    ]


def test_the_weeks_facts(app, demo):
    from portal.tasks.dispatch import dispatch_report

    made = build_print_world(app)
    with app.app_context():
        report = dispatch_report(WEEK_ENDING, "zh_CN", today=TODAY)
        assert report.as_of == TODAY and report.week_start == d(11, 16)
        by_number = {line.task.number: line for line in report.tasks}
        assert len(by_number) == 12
        # Task 4 went red on 11 November and back to yellow on 17 November: changed.
        assert by_number[4].previous is TaskStatus.RED
        assert by_number[4].status is TaskStatus.YELLOW and by_number[4].changed
        # Task 3 has been red since 5 November: unchanged this week; red all November.
        assert by_number[3].previous is TaskStatus.RED and by_number[3].status is TaskStatus.RED
        assert not by_number[3].changed and by_number[3].month_worst is TaskStatus.RED
        assert by_number[1].status is TaskStatus.RED  # its milestone is overdue
        assert [line.task.number for line in report.tasks][:2] == [1, 3]  # red first

        assert [(m.task.number, m.days_late) for m in report.milestones_done] == [(4, 7), (5, 0)]
        assert [(m.task.number, m.days_late) for m in report.milestones_overdue] == [
            (1, 20),
            (3, 13),
        ]
        assert [m.task.number for m in report.milestones_next] == [4]

        slips = made["slips"]
        assert [s.slip.code for s in report.slips_issued] == [slips["new"]]
        assert [s.slip.code for s in report.slips_closed] == [slips["late_closed"]]
        assert [(s.slip.code, s.overdue) for s in report.slips_open] == [
            (slips["overdue"], True),
            (slips["new"], False),
        ]
        assert [(r.department, r.milestones, r.slips) for r in report.ranking] == [
            ("资源配置与管理科", 2, 1),
            ("成果转化科", 0, 1),
            ("高新技术科", 1, 0),
            ("人才科", 0, 0),
        ]


def test_a_past_week_reads_the_status_history(app, demo):
    from portal.tasks.dispatch import dispatch_report

    build_print_world(app)
    with app.app_context():
        report = dispatch_report(date(2026, 11, 15), "zh_CN", today=TODAY)
        assert report.as_of == date(2026, 11, 15)
        by_number = {line.task.number: line for line in report.tasks}
        # The week of 9-15 November: task 4 went from green to red on 11 November.
        assert by_number[4].previous is TaskStatus.GREEN
        assert by_number[4].status is TaskStatus.RED
        assert [m.task.number for m in report.milestones_done] == []


def test_the_report_pdf_in_chinese_and_english(app, demo):
    from portal.tasks.dispatch import render_dispatch_pdf

    made = build_print_world(app)
    with app.app_context():
        zh = render_dispatch_pdf(WEEK_ENDING, "zh_CN", TODAY)
        en = render_dispatch_pdf(WEEK_ENDING, "en", TODAY)
    for data in (zh, en):
        info = pdf_info(data)
        assert info["Page size"].endswith("(A4)")
    zh_text = squashed(pdf_text(zh))
    assert "阜新市科学技术局" in zh_text and "2026年11月16日" in zh_text
    assert made["slips"]["overdue"] in zh_text
    order = [
        zh_text.index(name)
        for name in ("资源配置与管理科213", "成果转化科011", "高新技术科101", "人才科000")
    ]
    assert order == sorted(order)

    flat = " ".join(pdf_text(en).split())
    assert "Weekly dispatch report on the key tasks" in flat
    assert "Week of 16 November 2026 to 22 November 2026; data as of 18 November 2026" in flat
    assert "Departments by overdue items, November 2026" in flat
    ranking = flat[flat.index("Departments by overdue items") :]
    positions = [
        ranking.index(name)
        for name in (
            "Resource Allocation Department 2 1 3",
            "High-Tech Department 1 0 1",
            "Technology Transfer Department 0 1 1",
            "Talent Department 0 0 0",
        )
    ]
    assert positions == sorted(positions)
    assert "(7 days late)" in flat and "(changed)" in flat


def test_sent_once_to_every_leader_and_supervisor_in_the_portal_and_by_mail(app, demo, inbox):
    from portal.tasks.dispatch import send_weekly_dispatch

    build_print_world(app)
    with app.app_context():
        people = set(
            db.session.scalars(
                select(User.email).where(
                    User.role.in_([Role.APPROVER, Role.SUPERVISOR]), User.disabled_at.is_(None)
                )
            )
        )
        assert {"leader@example.com", "supervisor@example.com"} <= people
        assert send_weekly_dispatch(WEEK_ENDING, today=TODAY) == len(people)
        commit()
        assert send_weekly_dispatch(TODAY, today=TODAY) is None  # the same week: not again
        commit()
        notes = list(
            db.session.scalars(select(Notification).where(Notification.kind == "dispatch_ready"))
        )
        assert len(notes) == len(people)
        assert {n.link for n in notes} == {"/tasks/dispatch.pdf?week=2026-11-22"}
        events = db.session.scalar(
            select(func.count()).where(AuditEvent.action == Action.DISPATCH_SENT.value)
        )
        assert events == 1
    assert {m["To"] for m in inbox.messages()} == people
    message = inbox.only("leader@example.com")
    body = message.get_body(preferencelist=("plain",)).get_content()
    assert "/tasks/dispatch.pdf?week=2026-11-22" in body


def test_the_dispatch_page_and_the_supervisors_send_button(app, demo, inbox):
    build_print_world(app)
    leader = client_as(app, "leader@example.com")
    with stopped_clock(at(TODAY)):
        page = leader.get("/tasks/dispatch?lang=en").get_data(as_text=True)
        assert "/tasks/dispatch.pdf?week=2026-11-22" in page
        assert "report now</button>" not in page
        assert leader.post("/tasks/dispatch/send").status_code == 403

    supervisor = client_as(app, "supervisor@example.com")
    with stopped_clock(at(TODAY)):
        page = supervisor.get("/tasks/dispatch?lang=en").get_data(as_text=True)
        assert "s report now</button>" in page
        first = supervisor.post("/tasks/dispatch/send", follow_redirects=True)
        assert "report was sent to" in first.get_data(as_text=True)
        again = supervisor.post("/tasks/dispatch/send", follow_redirects=True)
        assert "was sent already" in again.get_data(as_text=True)
        assert "s report now</button>" not in again.get_data(as_text=True)
    assert len(inbox.messages("leader@example.com")) == 1


def test_the_report_pdf_page(app, demo):
    build_print_world(app)
    client = client_as(app, "hightech@example.com")  # a department member reads the wall
    with stopped_clock(at(TODAY)):
        response = client.get("/tasks/dispatch.pdf?week=2026-11-18&lang=en")
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    assert 'filename="dispatch-20261122-en.pdf"' in response.headers["Content-Disposition"]
    for bad in ("2026-13-01", "yesterday", "20261118", "1900-01-01"):
        assert client.get(f"/tasks/dispatch.pdf?week={bad}").status_code == 400


def test_the_report_reads_a_fixed_number_of_queries(app, demo):
    from portal.tasks.models import KeyTask, SlipColour
    from tests.integration.test_wall_pdf import _milestone, _slip

    build_print_world(app)
    client = client_as(app, "supervisor@example.com")

    def count() -> int:
        with stopped_clock(at(TODAY)):
            return len(
                statements_during(
                    app, lambda: client.get("/tasks/dispatch.pdf?week=2026-11-22&lang=en")
                )
            )

    small = count()
    with app.app_context(), stopped_clock(at(TODAY)):
        for task in db.session.scalars(select(KeyTask)).all():
            _milestone(task, d(11, 2), "又一节点", "Another milestone")
            _slip(task, SlipColour.YELLOW, d(11, 9), d(11, 3))
        db.session.commit()
    assert count() == small


def test_the_command_sends_the_week_once(app, demo, inbox):
    build_print_world(app)
    runner = app.test_cli_runner()
    first = runner.invoke(args=["dispatch", "send", "--week-of", "2026-11-18"])
    assert first.exit_code == 0, first.output
    assert "week ending 2026-11-22 was sent to" in first.output
    second = runner.invoke(args=["dispatch", "send", "--week-of", "2026-11-16"])
    assert "was sent already" in second.output
    assert len(inbox.messages("leader@example.com")) == 1
