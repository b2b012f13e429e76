"""The wall on one A3 landscape page (挂图作战图): twelve cards with status colour and word,
owners, indicators, next milestone and open slips; the summary counts, the goal tiles and a
legend; in Chinese and English; read back with pdftotext and pdfinfo; a fixed number of queries.

``print_world`` (used by the dispatch and accountability tests too) builds a year of twelve
tasks on top of ``tests.wall_world`` with known facts as of ``TODAY`` (Wednesday 18 November
2026; the week runs from Monday 16 to Sunday 22 November).
"""

from __future__ import annotations

import re
import subprocess
from datetime import UTC, date, datetime, time
from decimal import Decimal

from flask import current_app
from sqlalchemy import select

from portal.accounts import services
from portal.accounts.models import Department, Role, User
from portal.core import audit
from portal.core.audit import Action
from portal.core.extensions import db
from portal.core.timeutil import BUREAU_ZONE, set_stopped_clock, stopped_clock
from portal.tasks.models import (
    Direction,
    GoalTile,
    IndicatorReport,
    KeyTask,
    Milestone,
    SlipColour,
    SlipState,
    TaskIndicator,
    TaskStatus,
    TaskStatusMonth,
)
from portal.tasks.slip_issue import issue_slip
from tests.helpers import sign_in, statements_during
from tests.wall_world import build_wall_world

YEAR = 2026
TODAY = date(2026, 11, 18)
WEEK_ENDING = date(2026, 11, 22)
FORMULA_TITLE = '=HYPERLINK("http://x","y")培育'

EXTRA_DEPARTMENTS = (
    ("成果转化科", "Technology Transfer Department"),
    ("人才科", "Talent Department"),
)
EXTRA_PEOPLE = (
    ("transfer@example.com", "转化科员 Zhuan of Transfer", "成果转化科"),
    ("talent@example.com", "人才科员 Cai of Talent", "人才科"),
)


def at(day: date, hour: int = 10) -> datetime:
    """``hour`` o'clock on ``day`` in the bureau's zone, in UTC."""
    return datetime.combine(day, time(hour), tzinfo=BUREAU_ZONE).astimezone(UTC)


def d(month: int, day: int) -> date:
    return date(YEAR, month, day)


def _department(name: str, name_en: str, position: int) -> Department:
    found = db.session.scalar(select(Department).where(Department.name == name))
    if found is None:
        found = Department(name=name, name_en=name_en, position=position)
        db.session.add(found)
        db.session.flush()
    return found


def _person(email: str, name: str, department: Department) -> User:
    user = services.find_user_by_email(email)
    if user is None:
        user = services.create_staff(
            email, Role.DEPARTMENT, name, current_app.config["DEMO_PASSWORD"]
        )
    user.department_id = user.department_id or department.id
    db.session.flush()
    return user


def _task(number, title, title_en, department, owner, leader_id, status=TaskStatus.GREEN):
    task = KeyTask(
        year=YEAR,
        number=number,
        title=title,
        title_en=title_en,
        leader_id=leader_id,
        department_id=department.id,
        owner_id=owner.id,
        status=status,
        evaluated_on=TODAY,
    )
    db.session.add(task)
    db.session.flush()
    return task


def _indicator(task, name, name_en, target, value, reporter, *, unit="家", down=False, pos=0):
    indicator = TaskIndicator(
        task_id=task.id,
        position=pos,
        name=name,
        name_en=name_en,
        kind="manual",
        params={},
        unit=unit,
        direction=Direction.DOWN if down else Direction.UP,
        baseline=Decimal(0),
        target=Decimal(target),
    )
    db.session.add(indicator)
    db.session.flush()
    if value is not None:
        db.session.add(
            IndicatorReport(
                indicator_id=indicator.id,
                value=Decimal(value),
                reported_on=d(11, 10),
                reported_by_id=reporter.id,
            )
        )
    return indicator


def _milestone(task, due, title, title_en, done=None):
    milestone = Milestone(task_id=task.id, due_on=due, title=title, title_en=title_en, done_on=done)
    db.session.add(milestone)
    return milestone


def _status_changed(task, on: date, old: TaskStatus, new: TaskStatus) -> None:
    set_stopped_clock(at(on, 7))
    audit.record(
        Action.TASK_STATUS_CHANGED,
        task,
        **{"from": old.value, "to": new.value, "on": on.isoformat()},
    )


def _slip(task, colour, deadline, issued_on, *, closed_on=None, by=None):
    set_stopped_clock(at(issued_on))
    slip = issue_slip(task, colour, f"督办：{task.title}", deadline, by=by)
    assert slip is not None
    if closed_on is not None:
        slip.state = SlipState.CLOSED
        slip.closed_at = at(closed_on, 15)
    db.session.flush()
    return slip


def build_print_world(app) -> dict:
    """Twelve tasks of 2026 with known facts as of TODAY (see the module's docstring); needs
    the demo fixture. Returns ids and names for assertions."""
    with app.app_context(), stopped_clock(at(d(1, 5))):
        world = build_wall_world(TODAY)
        departments = {
            name: db.session.get(Department, department_id)
            for name, department_id in world.departments.items()
        }
        for position, (name, name_en) in enumerate(EXTRA_DEPARTMENTS, start=10):
            departments[name] = _department(name, name_en, position)
        people = {
            "hightech": db.session.get(User, world.hightech_id),
            "funds": db.session.get(User, world.funds_id),
        }
        for email, name, department in EXTRA_PEOPLE:
            people[email.split("@")[0]] = _person(email, name, departments[department])
        supervisor = db.session.get(User, world.supervisor_id)
        leader = world.leader_id
        funds, transfer, talent = people["funds"], people["transfer"], people["talent"]
        resources = departments["资源配置与管理科"]
        transfer_dept, talent_dept = departments["成果转化科"], departments["人才科"]

        red = db.session.get(KeyTask, world.red_task_id)
        red.status, red.evaluated_on = TaskStatus.RED, TODAY
        # The wall world's red task: its overdue milestone is due on 29 October.
        db.session.get(Milestone, world.red_overdue_milestone_id).due_on = d(10, 29)

        t3 = _task(
            3,
            "研发投入后补助",
            "R&D investment subsidies",
            resources,
            funds,
            leader,
            TaskStatus.RED,
        )
        _indicator(t3, "补助企业", "Firms subsidised", 40, 30, funds)
        _indicator(t3, "拨付资金", "Money paid", 2000, 1500, funds, unit="万元", pos=1)
        _milestone(t3, d(11, 5), "完成专家评审", "Expert review done")  # overdue, not done
        _milestone(t3, d(12, 20), "资金拨付到位", "Money paid out")
        t4 = _task(
            4,
            "规上企业遴选",
            "Key above-size firms selected",
            resources,
            funds,
            leader,
            TaskStatus.YELLOW,
        )
        _indicator(t4, "遴选企业", "Firms selected", 30, 26, funds)
        _milestone(t4, d(11, 10), "发布遴选名单", "List published", done=d(11, 17))  # late
        _milestone(t4, d(11, 24), "召开推进会", "Progress meeting")  # due within the week
        t5 = _task(
            5,
            "氟化工数字化转型后补助",
            "Fluorine park digital transformation",
            transfer_dept,
            transfer,
            leader,
        )
        _indicator(t5, "转型企业", "Firms transformed", 12, 12, transfer)
        _milestone(t5, d(10, 20), "制定实施细则", "Rules drafted", done=d(10, 25))  # late, Oct
        _milestone(t5, d(11, 16), "组织申报", "Applications opened", done=d(11, 16))  # on time
        t6 = _task(
            6,
            "氟精细化工中试基地",
            "Fluorine fine-chemicals pilot base",
            transfer_dept,
            transfer,
            leader,
        )
        _indicator(t6, "中试项目", "Pilot projects", 8, 7, transfer)
        _milestone(t6, d(12, 15), "基地挂牌", "Base opened")
        t7 = _task(
            7,
            "科技型中小企业评价",
            "Technology-based SME registration",
            talent_dept,
            talent,
            leader,
        )
        _indicator(t7, "入库企业", "Firms registered", 300, 280, talent)
        _milestone(t7, d(12, 1), "完成年度评价", "Year's registration done")
        t8 = _task(
            8, "技术合同登记", "Technology contract registration", talent_dept, talent, leader
        )
        _indicator(t8, "合同成交额", "Contract turnover", 50, 46, talent, unit="亿元")
        t9 = _task(9, "创新平台建设", "Innovation platforms", resources, funds, leader)
        _indicator(t9, "新增平台", "New platforms", 10, 9, funds)
        _indicator(t9, "逾期报告", "Reports overdue", 0, 0, funds, unit="份", down=True, pos=1)
        _indicator(t9, "平台投入", "Money invested", 5000, 4100, funds, unit="万元", pos=2)
        _indicator(t9, "平台人员", "Staff on platforms", 400, 390, funds, unit="人", pos=3)
        t10 = _task(
            10, "科技人才与科技特派", "S&T talent and the S&T mission", talent_dept, talent, leader
        )
        _indicator(t10, "科技特派员", "S&T commissioners", 120, 110, talent, unit="人")
        t11 = _task(
            11, "双千双百", "Double thousands, double hundreds", transfer_dept, transfer, leader
        )
        _indicator(t11, "高新技术企业", "High-tech firms", 100, 91, transfer)
        t12 = _task(12, FORMULA_TITLE, "+SUM(A1:A2) firms", talent_dept, talent, leader)
        _indicator(t12, "走访企业", "Firms visited", 60, None, talent)  # never reported

        # Status changes: t3 red since 5 November (not this week); t4 red -> yellow this week.
        _status_changed(t3, d(11, 5), TaskStatus.YELLOW, TaskStatus.RED)
        _status_changed(t4, d(11, 11), TaskStatus.GREEN, TaskStatus.RED)
        _status_changed(t4, d(11, 17), TaskStatus.RED, TaskStatus.YELLOW)
        for task, worst in ((t3, TaskStatus.RED), (t4, TaskStatus.RED), (t5, TaskStatus.GREEN)):
            for month in range(1, 11):
                db.session.add(
                    TaskStatusMonth(
                        task_id=task.id,
                        month=d(month, 1),
                        status=TaskStatus.GREEN if month < 10 else worst,
                        worst_status=TaskStatus.GREEN if month < 10 else worst,
                        evaluated_on=d(month, 28),
                    )
                )
            db.session.add(
                TaskStatusMonth(
                    task_id=task.id,
                    month=d(11, 1),
                    status=worst,
                    worst_status=worst,
                    reason="",
                    evaluated_on=TODAY,
                )
            )

        # Slips: 资源配置与管理科 has one open and overdue (deadline 12 November); 成果转化科 had
        # one closed late this week (deadline 10 November, closed 16 November) and one closed
        # on time in October; 人才科 one open, not yet due, issued this week.
        overdue_slip = _slip(t3, SlipColour.RED, d(11, 12), d(11, 6))
        late_closed = _slip(t5, SlipColour.YELLOW, d(11, 10), d(11, 2), closed_on=d(11, 16))
        early_closed = _slip(t6, SlipColour.BLUE, d(10, 15), d(10, 8), closed_on=d(10, 12))
        new_slip = _slip(t7, SlipColour.BLUE, d(11, 30), d(11, 17), by=supervisor)

        for position, (title, title_en, target) in enumerate(
            (
                ("科技型中小企业", "Technology-based SMEs", 1000),
                ("高新技术企业", "High-tech firms", 100),
            )
        ):
            db.session.add(
                GoalTile(
                    year=YEAR,
                    position=position,
                    title=title,
                    title_en=title_en,
                    kind="firms_with_recognition",
                    params={"recognition": "high_tech"},
                    unit="家",
                    target=Decimal(target),
                )
            )
        db.session.commit()
        return {
            "world": world,
            "tasks": {n: t.id for n, t in ((3, t3), (4, t4), (5, t5), (12, t12))},
            "slips": {
                "overdue": overdue_slip.code,
                "late_closed": late_closed.code,
                "early_closed": early_closed.code,
                "new": new_slip.code,
            },
        }


# --- reading PDFs back ------------------------------------------------------------------------


def pdf_text(data: bytes, *, layout: bool = False) -> str:
    args = ["pdftotext", *(["-layout"] if layout else []), "-", "-"]
    return subprocess.run(args, input=data, capture_output=True, check=True).stdout.decode()


def pdf_info(data: bytes) -> dict[str, str]:
    out = subprocess.run(["pdfinfo", "-"], input=data, capture_output=True, check=True).stdout
    return dict(
        (key.strip(), value.strip())
        for key, _, value in (line.partition(":") for line in out.decode().splitlines())
    )


def page_size_mm(info: dict[str, str]) -> tuple[float, float]:
    match = re.match(r"([\d.]+) x ([\d.]+) pts", info["Page size"])
    assert match, info["Page size"]
    width, height = (float(v) * 25.4 / 72 for v in match.groups())
    return round(width), round(height)


def squashed(text: str) -> str:
    return re.sub(r"\s+", "", text)


def client_as(app, email: str):
    client = app.test_client()
    assert sign_in(client, email).status_code == 302
    return client


# --- the wall PDF -----------------------------------------------------------------------------


def test_the_wall_prints_twelve_cards_on_one_a3_landscape_page_in_chinese(app, demo):
    from portal.tasks.wall_pdf import render_wall_pdf

    build_print_world(app)
    with app.app_context():
        data = render_wall_pdf(YEAR, TODAY, "zh_CN")
    info = pdf_info(data)
    assert info["Pages"] == "1"
    assert page_size_mm(info) == (420, 297)  # A3 landscape
    text = squashed(pdf_text(data))
    assert "阜新市科学技术局" in text
    assert "2026" in text and "2026年11月18日" in text
    for title in (
        "雏鹰瞪羚企业培育",
        "研发投入后补助",
        "规上企业遴选",
        "氟精细化工中试基地",
        "双千双百",
    ):
        assert title in text
    # Owners, an indicator against its target, the next milestone and an open slip's count.
    assert "资源配置与管理科" in text and "人才科" in text
    assert "30/40家" in text and "1,500/2,000万元" in text
    assert "11月24日召开推进会" in text
    assert "科技型中小企业" in text and "/1,000家" in text  # a goal tile


def test_the_wall_in_english_names_every_status_in_words(app, demo):
    from portal.tasks.wall_pdf import render_wall_pdf

    build_print_world(app)
    with app.app_context():
        data = render_wall_pdf(YEAR, TODAY, "en")
    info = pdf_info(data)
    assert info["Pages"] == "1" and page_size_mm(info) == (420, 297)
    text = pdf_text(data)
    flat = " ".join(text.split())
    assert "Fuxin Municipal Bureau of Science and Technology" in flat
    assert "Key tasks of 2026: the wall map" in flat
    assert "Data as of 18 November 2026" in flat
    assert "R&D investment subsidies" in flat and "Fluorine fine-chemicals pilot base" in flat
    # Colour AND word: each status's word is printed on its cards and in the legend.
    assert flat.count("Overdue") >= 3  # t1 and t3 are red (overdue milestones), + legend
    assert "On schedule" in flat and "Behind or due soon" in flat
    assert "Legend" in flat and "Blue slip" in flat
    assert "Next milestone: 24 Nov Progress meeting" in flat
    assert "and 1 more" in flat  # the fourth indicator of task 9
    # The summary: 12 tasks, 2 red (overdue milestones), open slips 2.
    assert re.search(r"12 tasks", flat)
    assert re.search(r"2 slips open", flat)


def test_the_wall_pdf_page_in_both_languages_and_its_year(app, demo):
    build_print_world(app)
    client = client_as(app, "leader@example.com")
    with stopped_clock(at(TODAY)):
        response = client.get("/tasks/wall.pdf?year=2026&lang=en")
    assert response.status_code == 200
    assert response.mimetype == "application/pdf"
    assert 'filename="wall-2026-20261118-en.pdf"' in response.headers["Content-Disposition"]
    assert "R&D investment subsidies" in pdf_text(response.data)
    with stopped_clock(at(TODAY)):
        chinese = client.get("/tasks/wall.pdf?year=2026&lang=zh")
    assert "研发投入后补助" in squashed(pdf_text(chinese.data))
    # A year without tasks prints an empty wall; a malformed year is refused.
    with stopped_clock(at(TODAY)):
        empty = client.get("/tasks/wall.pdf?year=2031&lang=en")
    assert empty.status_code == 200 and "No key tasks for this year yet." in pdf_text(empty.data)
    for bad in ("abc", "99999", "-1", "1999"):
        assert client.get(f"/tasks/wall.pdf?year={bad}").status_code == 400


def test_the_wall_pdf_reads_a_fixed_number_of_queries(app, demo):
    from portal.tasks import wall_pdf

    build_print_world(app)
    client = client_as(app, "supervisor@example.com")

    def count() -> int:
        with stopped_clock(at(TODAY)):
            return len(statements_during(app, lambda: client.get("/tasks/wall.pdf?lang=en")))

    small = count()
    with app.app_context():
        task = db.session.scalar(select(KeyTask).where(KeyTask.number == 3))
        for n in range(13, 25):  # twelve more tasks, each with an indicator, milestone, slip
            extra = KeyTask(
                year=YEAR,
                number=n,
                title=f"任务{n}",
                leader_id=task.leader_id,
                department_id=task.department_id,
                owner_id=task.owner_id,
            )
            db.session.add(extra)
            db.session.flush()
            _indicator(extra, "指标", "Indicator", 10, 5, db.session.get(User, task.owner_id))
            _milestone(extra, d(12, 1), "里程碑", "Milestone")
            with stopped_clock(at(TODAY)):
                _slip(extra, SlipColour.RED, d(11, 1), d(10, 20))
        db.session.commit()
    assert count() == small
    assert wall_pdf.CARDS_PER_PAGE == 12
