"""A small wall-map world for tests: the departments, the wall's accounts and two key tasks.

Call ``build_wall_world()`` inside an app context after the ``demo`` fixture (it needs the
demo's leader and programmes); it commits. People and departments that already exist (the
demo may seed them) are reused by name or e-mail, so it may run after a fuller demo too.

- 办公室 General Office, 高新技术科 High-Tech Department, 资源配置与管理科 Resource Allocation
  Department;
- supervisor@example.com (supervisor, 办公室), hightech@example.com (department member,
  高新技术科), funds@example.com (department member, 资源配置与管理科), with the demo password;
- ``red_task``: a task of the year led by leader@example.com, owned by hightech@example.com
  for 高新技术科, with a ``final_awards`` indicator on "young-eagle-gazelle-2026", a ``manual``
  indicator and two milestones, one overdue and not done (so it is red) and one later;
- ``green_task``: the same owners, one milestone done and a ``final_awards`` indicator with
  target 0 (so it is green).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from flask import current_app
from sqlalchemy import select

from portal.accounts import services
from portal.accounts.models import Department, Role, User
from portal.core.extensions import db
from portal.core.timeutil import bureau_today
from portal.tasks.models import Direction, KeyTask, Milestone, TaskIndicator

PROGRAMME = "young-eagle-gazelle-2026"
DEPARTMENTS = (
    ("办公室", "General Office"),
    ("高新技术科", "High-Tech Department"),
    ("资源配置与管理科", "Resource Allocation Department"),
)
PEOPLE = (
    ("supervisor@example.com", Role.SUPERVISOR, "孙督查 Supervisor Sun", "办公室"),
    ("hightech@example.com", Role.DEPARTMENT, "高科员 Gao of High-Tech", "高新技术科"),
    ("funds@example.com", Role.DEPARTMENT, "钱科员 Qian of Resources", "资源配置与管理科"),
)


@dataclass(frozen=True)
class WallWorld:
    year: int
    today: date
    departments: dict[str, int]  # by Chinese name
    supervisor_id: int
    hightech_id: int
    funds_id: int
    leader_id: int
    red_task_id: int
    red_awards_indicator_id: int
    red_manual_indicator_id: int
    red_overdue_milestone_id: int
    red_later_milestone_id: int
    green_task_id: int
    green_indicator_id: int
    green_milestone_id: int


def _department(name: str, name_en: str, position: int) -> Department:
    found = db.session.scalar(select(Department).where(Department.name == name))
    if found is None:
        found = Department(name=name, name_en=name_en, position=position)
        db.session.add(found)
        db.session.flush()
    return found


def _person(email: str, role: Role, name: str, department: Department) -> User:
    user = services.find_user_by_email(email)
    if user is None:
        user = services.create_staff(
            email,
            role,
            name,
            current_app.config["DEMO_PASSWORD"],
            department_id=department.id,
        )
    if user.department_id is None:
        user.department_id = department.id
    db.session.flush()
    return user


def _free_number(year: int, wanted: int) -> int:
    taken = set(db.session.scalars(select(KeyTask.number).where(KeyTask.year == year)))
    number = wanted
    while number in taken:
        number += 1
    return number


def build_wall_world(today: date | None = None) -> WallWorld:
    today = today or bureau_today()
    year = today.year
    departments = {
        name: _department(name, name_en, position)
        for position, (name, name_en) in enumerate(DEPARTMENTS, start=1)
    }
    people = {
        email: _person(email, role, name, departments[dept]) for email, role, name, dept in PEOPLE
    }
    leader = services.find_user_by_email("leader@example.com")
    assert leader is not None, "build_wall_world needs the demo fixture"
    hightech = people["hightech@example.com"]
    dept_id = departments["高新技术科"].id
    start = date(year, 1, 1)
    overdue_on = max(start, today - timedelta(days=20))
    later_on = min(date(year, 12, 31), max(today + timedelta(days=40), start))

    red = KeyTask(
        year=year,
        number=_free_number(year, 1),
        title="雏鹰瞪羚企业培育",
        title_en="Young eagle and gazelle firms",
        leader_id=leader.id,
        department_id=dept_id,
        owner_id=hightech.id,
        cooperating_units="资源配置与管理科",
        requirements="全年支持雏鹰瞪羚企业不少于20家。",
        requirements_en="Support at least 20 young eagle and gazelle firms in the year.",
        created_by_id=people["supervisor@example.com"].id,
    )
    db.session.add(red)
    db.session.flush()
    awards = TaskIndicator(
        task_id=red.id,
        position=0,
        name="最终获批企业",
        name_en="Firms finally awarded",
        kind="final_awards",
        params={"programs": [PROGRAMME]},
        unit="家",
        direction=Direction.UP,
        baseline=Decimal(0),
        target=Decimal(20),
    )
    manual = TaskIndicator(
        task_id=red.id,
        position=1,
        name="走访企业",
        name_en="Firms visited",
        kind="manual",
        params={},
        unit="家",
        direction=Direction.UP,
        baseline=Decimal(0),
        target=Decimal(50),
    )
    overdue = Milestone(
        task_id=red.id, due_on=overdue_on, title="完成申报受理", title_en="Applications received"
    )
    later = Milestone(
        task_id=red.id, due_on=later_on, title="完成资金拨付", title_en="Money paid out"
    )
    db.session.add_all([awards, manual, overdue, later])

    green = KeyTask(
        year=year,
        number=_free_number(year, 2),
        title="高新技术企业培育",
        title_en="High-tech enterprise cultivation",
        leader_id=leader.id,
        department_id=dept_id,
        owner_id=hightech.id,
        requirements="按期完成高企认定组织工作。",
        requirements_en="Run the high-tech recognition round on time.",
        created_by_id=people["supervisor@example.com"].id,
    )
    db.session.add(green)
    db.session.flush()
    green_indicator = TaskIndicator(
        task_id=green.id,
        position=0,
        name="计划外获批企业",
        name_en="Awards beyond the plan",
        kind="final_awards",
        params={"programs": [PROGRAMME]},
        unit="家",
        direction=Direction.UP,
        baseline=Decimal(0),
        target=Decimal(0),
    )
    green_milestone = Milestone(
        task_id=green.id,
        due_on=overdue_on,
        title="发布认定通知",
        title_en="Recognition notice published",
        done_on=overdue_on,
        done_by_id=hightech.id,
    )
    db.session.add_all([green_indicator, green_milestone])
    db.session.commit()
    return WallWorld(
        year=year,
        today=today,
        departments={name: d.id for name, d in departments.items()},
        supervisor_id=people["supervisor@example.com"].id,
        hightech_id=hightech.id,
        funds_id=people["funds@example.com"].id,
        leader_id=leader.id,
        red_task_id=red.id,
        red_awards_indicator_id=awards.id,
        red_manual_indicator_id=manual.id,
        red_overdue_milestone_id=overdue.id,
        red_later_milestone_id=later.id,
        green_task_id=green.id,
        green_indicator_id=green_indicator.id,
        green_milestone_id=green_milestone.id,
    )
