"""Creating and editing key tasks: the services' rules and the editor's pages (rows added
without JavaScript, problems beside their inputs, nothing written on a refusal)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from flask_babel import force_locale
from sqlalchemy import func, select

from portal.accounts.models import User
from portal.core.audit import Action, AuditEvent
from portal.core.concurrency import ConcurrentChange
from portal.core.domain import DomainError
from portal.core.extensions import db
from portal.tasks.models import IndicatorReport, KeyTask, Milestone, TaskIndicator
from portal.tasks.task_editing import (
    IndicatorRow,
    MilestoneRow,
    TaskFields,
    create_task,
    edit_task,
)
from tests.helpers import english_client
from tests.wall_world import PROGRAMME, build_wall_world


@pytest.fixture
def world(app, demo):
    with app.app_context():
        return build_wall_world()


def _user(email: str) -> User:
    return db.session.scalar(select(User).where(User.email == email))


def _fields(world, **changes) -> TaskFields:
    values = dict(
        title="科技型中小企业评价",
        title_en="Technology-based SMEs",
        year=world.year,
        number=30,
        leader_id=world.leader_id,
        department_id=world.departments["高新技术科"],
        owner_id=world.hightech_id,
        requirements="全年入库300家。",
    )
    values.update(changes)
    return TaskFields(**values)


def _indicators(**changes) -> list[IndicatorRow]:
    row = dict(name="入库企业", kind="final_awards", target=Decimal(300), programs=[PROGRAMME])
    row.update(changes)
    return [IndicatorRow(**row)]


def _milestones(world) -> list[MilestoneRow]:
    return [MilestoneRow(due_on=date(world.year, 6, 30), title="完成上半年评价")]


def _refusal(call) -> DomainError:
    with pytest.raises(DomainError) as caught:
        call()
    return caught.value


def test_a_supervisor_creates_a_task_with_defaults_from_the_kind(app, world):
    with app.app_context():
        supervisor = _user("supervisor@example.com")
        task = create_task(supervisor, _fields(world), _indicators(), _milestones(world))
        db.session.commit()
        indicator = db.session.scalar(select(TaskIndicator).where(TaskIndicator.task_id == task.id))
        assert indicator.unit == "家" and indicator.direction.value == "up"
        assert indicator.params == {"programs": [PROGRAMME]}
        assert indicator.baseline == 0
        event = db.session.scalar(
            select(AuditEvent).where(AuditEvent.action == Action.TASK_CREATED)
        )
        assert event.object_id == str(task.id) and event.summary["milestones"] == 1


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        (dict(number=1), "number"),  # taken in the year by the world's first task
        (dict(number=100), "number"),
        (dict(leader_id="hightech"), "leader"),
        (dict(owner_id="funds"), "owner"),  # not a member of the lead department
        (dict(title=" "), "title"),
    ],
)
def test_bad_task_fields_are_refused_beside_the_field(app, world, changes, field):
    with app.app_context():
        ids = {"hightech": world.hightech_id, "funds": world.funds_id}
        changes = {
            k: ids.get(v, v) if isinstance(v, str) and k.endswith("_id") else v
            for k, v in changes.items()
        }
        supervisor = _user("supervisor@example.com")
        error = _refusal(
            lambda: create_task(
                supervisor, _fields(world, **changes), _indicators(), _milestones(world)
            )
        )
        assert error.field == field
        assert db.session.scalar(select(func.count()).select_from(KeyTask)) >= 2


def test_a_disabled_owner_is_refused(app, world):
    from portal.core.timeutil import utcnow

    with app.app_context():
        _user("hightech@example.com").disabled_at = utcnow()
        db.session.flush()
        error = _refusal(
            lambda: create_task(
                _user("supervisor@example.com"), _fields(world), _indicators(), _milestones(world)
            )
        )
        assert error.field == "owner"


@pytest.mark.parametrize(
    ("indicator", "field"),
    [
        (dict(programs=["no-such-programme"]), "indicators-0-programs"),
        (dict(programs=[]), "indicators-0-programs"),
        (dict(kind="firms_with_recognition", recognition="nothing"), "indicators-0-recognition"),
        (dict(kind="unknown"), "indicators-0-kind"),
        (dict(target=Decimal(-1)), "indicators-0-target"),
        (dict(target=None), "indicators-0-target"),
    ],
)
def test_bad_indicators_are_refused_beside_their_row(app, world, indicator, field):
    with app.app_context():
        error = _refusal(
            lambda: create_task(
                _user("supervisor@example.com"),
                _fields(world),
                _indicators(**indicator),
                _milestones(world),
            )
        )
        assert error.field == field


def test_milestones_are_needed_and_in_the_year(app, world):
    with app.app_context():
        supervisor = _user("supervisor@example.com")
        error = _refusal(lambda: create_task(supervisor, _fields(world), _indicators(), []))
        assert error.field == "milestones"
        other_year = [MilestoneRow(due_on=date(world.year + 1, 1, 5), title="x", row=3)]
        error = _refusal(lambda: create_task(supervisor, _fields(world), _indicators(), other_year))
        assert error.field == "milestones-3-due_on"


def test_only_supervisors_and_admins_keep_tasks(app, world):
    with app.app_context():
        for email in ("hightech@example.com", "officer@example.com", "leader@example.com"):
            _refusal(
                lambda email=email: create_task(
                    _user(email), _fields(world), _indicators(), _milestones(world)
                )
            )
        create_task(_user("admin@example.com"), _fields(world), _indicators(), _milestones(world))


def _rows_of(task_id: int):
    indicators = db.session.scalars(
        select(TaskIndicator)
        .where(TaskIndicator.task_id == task_id)
        .order_by(TaskIndicator.position)
    ).all()
    milestones = db.session.scalars(
        select(Milestone).where(Milestone.task_id == task_id).order_by(Milestone.due_on)
    ).all()
    return indicators, milestones


def _same_rows(task: KeyTask):
    indicators, milestones = _rows_of(task.id)
    return (
        [
            IndicatorRow(
                id=i.id,
                row=n,
                name=i.name,
                name_en=i.name_en,
                kind=i.kind,
                programs=list((i.params or {}).get("programs") or []),
                target=i.target,
                baseline=i.baseline,
                unit=i.unit,
                direction=i.direction.value,
            )
            for n, i in enumerate(indicators)
        ],
        [
            MilestoneRow(id=m.id, row=n, due_on=m.due_on, title=m.title, title_en=m.title_en)
            for n, m in enumerate(milestones)
        ],
    )


def _task_fields(task: KeyTask, **changes) -> TaskFields:
    values = dict(
        title=task.title,
        title_en=task.title_en,
        year=task.year,
        number=task.number,
        leader_id=task.leader_id,
        department_id=task.department_id,
        owner_id=task.owner_id,
        cooperating_units=task.cooperating_units,
        requirements=task.requirements,
        requirements_en=task.requirements_en,
    )
    values.update(changes)
    return TaskFields(**values)


def test_editing_keeps_the_rows_ids_and_records_what_changed(app, world):
    with app.app_context():
        supervisor = _user("supervisor@example.com")
        task = db.session.get(KeyTask, world.red_task_id)
        version = task.lock_version
        indicators, milestones = _same_rows(task)
        indicators[1].target = Decimal(60)
        milestones.append(MilestoneRow(due_on=date(world.year, 12, 20), title="年终总结", row=2))
        edit_task(
            task, supervisor, version, _task_fields(task, title="新标题"), indicators, milestones
        )
        db.session.commit()
        stored, stored_milestones = _rows_of(task.id)
        assert [i.id for i in stored] == [
            world.red_awards_indicator_id,
            world.red_manual_indicator_id,
        ]
        assert stored[1].target == 60
        assert len(stored_milestones) == 3
        assert world.red_overdue_milestone_id in {m.id for m in stored_milestones}
        event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == Action.TASK_EDITED))
        assert event.summary["changes"]["title"] == ["雏鹰瞪羚企业培育", "新标题"]
        assert event.summary["indicators"] == {"changed": 1}
        assert event.summary["milestones"] == {"added": 1}
        assert db.session.get(KeyTask, task.id).lock_version > version


def test_a_stale_page_is_refused(app, world):
    with app.app_context():
        supervisor = _user("supervisor@example.com")
        task = db.session.get(KeyTask, world.red_task_id)
        indicators, milestones = _same_rows(task)
        with pytest.raises(ConcurrentChange):
            edit_task(
                task,
                supervisor,
                task.lock_version - 1 or 99,
                _task_fields(task, title="x"),
                indicators,
                milestones,
            )


def test_rows_with_history_cannot_be_removed(app, world):
    with app.app_context(), force_locale("en"):
        supervisor = _user("supervisor@example.com")
        db.session.add(
            IndicatorReport(
                indicator_id=world.red_manual_indicator_id,
                value=Decimal(3),
                reported_on=date(world.year, 1, 1),
                reported_by_id=world.hightech_id,
            )
        )
        db.session.commit()
        task = db.session.get(KeyTask, world.red_task_id)
        indicators, milestones = _same_rows(task)
        error = _refusal(
            lambda: edit_task(
                task, supervisor, None, _task_fields(task), indicators[:1], milestones
            )
        )
        assert error.field == "indicators" and "reported values" in str(error.message)
        indicators[1].kind = "final_awards"
        indicators[1].programs = [PROGRAMME]
        error = _refusal(
            lambda: edit_task(task, supervisor, None, _task_fields(task), indicators, milestones)
        )
        assert error.field == "indicators-1-kind"

        green = db.session.get(KeyTask, world.green_task_id)
        g_indicators, _unused = _same_rows(green)
        new = [MilestoneRow(due_on=date(world.year, 12, 1), title="新节点")]
        error = _refusal(
            lambda: edit_task(green, supervisor, None, _task_fields(green), g_indicators, new)
        )
        assert error.field == "milestones" and "done" in str(error.message)
        # Nothing was written.
        assert len(_rows_of(green.id)[1]) == 1


# --- the pages ------------------------------------------------------------------------------


def _form(world, **changes) -> dict[str, str]:
    data = {
        "title": "技术合同登记",
        "title_en": "Technology contracts registered",
        "year": str(world.year),
        "number": "40",
        "leader": str(world.leader_id),
        "department": str(world.departments["高新技术科"]),
        "owner": str(world.hightech_id),
        "cooperating_units": "",
        "requirements": "",
        "requirements_en": "",
        "indicators-0-id": "",
        "indicators-0-name": "登记合同",
        "indicators-0-name_en": "Contracts registered",
        "indicators-0-kind": "manual",
        "indicators-0-programs": "",
        "indicators-0-recognition": "",
        "indicators-0-unit": "项",
        "indicators-0-direction": "",
        "indicators-0-baseline": "",
        "indicators-0-target": "120",
        "milestones-0-id": "",
        "milestones-0-due_on": f"{world.year}-03-31",
        "milestones-0-title": "一季度登记",
        "milestones-0-title_en": "First quarter",
        "action": "save",
    }
    data.update(changes)
    return data


def test_the_new_task_page_saves_and_shows_the_task(app, world):
    client = english_client(app, "supervisor@example.com")
    page = client.get("/tasks/new")
    assert page.status_code == 200 and "indicators-0-name" in page.get_data(as_text=True)
    response = client.post("/tasks/new", data=_form(world))
    assert response.status_code == 302
    html = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Technology contracts registered" in html and "First quarter" in html


def test_adding_a_row_without_javascript_keeps_what_was_typed(app, world):
    client = english_client(app, "supervisor@example.com")
    response = client.post("/tasks/new", data=_form(world, action="add_milestone"))
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert 'name="milestones-1-title"' in html and "一季度登记" in html
    response = client.post("/tasks/new", data=_form(world, action="add_indicator"))
    assert 'name="indicators-1-name"' in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(KeyTask)) == 2


def test_bad_input_is_shown_beside_the_field_and_nothing_is_written(app, world):
    client = english_client(app, "supervisor@example.com")
    response = client.post(
        "/tasks/new",
        data=_form(world, **{"number": "1", "indicators-0-target": "lots"}),
    )
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert "Enter a number of 0 or more" in html and "lots" in html
    response = client.post("/tasks/new", data=_form(world, number="1"))
    assert response.status_code == 422
    assert "already exists" in response.get_data(as_text=True)
    response = client.post(
        "/tasks/new",
        data=_form(world, **{"indicators-0-kind": "final_awards", "indicators-0-programs": "nope"}),
    )
    assert response.status_code == 422 and "No programme has the code nope" in response.get_data(
        as_text=True
    )
    response = client.post("/tasks/new", data=_form(world, **{"milestones-0-due_on": "soon"}))
    assert response.status_code == 422 and "Enter a date" in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(KeyTask)) == 2


def test_the_edit_page_round_trips_and_a_stale_page_is_409(app, world):
    client = english_client(app, "supervisor@example.com")
    page = client.get(f"/tasks/{world.red_task_id}/edit").get_data(as_text=True)
    assert f'value="{world.red_awards_indicator_id}"' in page and PROGRAMME in page
    with app.app_context():
        task = db.session.get(KeyTask, world.red_task_id)
        version = task.lock_version
    data = {
        "title": "雏鹰瞪羚企业培育",
        "title_en": "Young eagles and gazelles",
        "year": str(world.year),
        "number": "1",
        "leader": str(world.leader_id),
        "department": str(world.departments["高新技术科"]),
        "owner": str(world.hightech_id),
        "lock_version": str(version),
        "indicators-0-id": str(world.red_awards_indicator_id),
        "indicators-0-name": "最终获批企业",
        "indicators-0-kind": "final_awards",
        "indicators-0-programs": PROGRAMME,
        "indicators-0-target": "20",
        "indicators-1-id": str(world.red_manual_indicator_id),
        "indicators-1-name": "",
        "indicators-1-name_en": "",
        "indicators-1-target": "",
        "milestones-0-id": str(world.red_overdue_milestone_id),
        "milestones-0-due_on": f"{world.year}-01-01",
        "milestones-0-title": "完成申报受理",
        "milestones-1-id": str(world.red_later_milestone_id),
        "milestones-1-due_on": f"{world.year}-12-01",
        "milestones-1-title": "完成资金拨付",
        "action": "save",
    }
    with app.app_context():
        number = db.session.get(KeyTask, world.red_task_id).number
    data["number"] = str(number)
    response = client.post(f"/tasks/{world.red_task_id}/edit", data=data)
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    with app.app_context():
        indicators, _ = _rows_of(world.red_task_id)
        assert [i.id for i in indicators] == [world.red_awards_indicator_id]  # the blanked row
    response = client.post(f"/tasks/{world.red_task_id}/edit", data=data)  # the old version
    assert response.status_code == 409


def test_others_may_not_open_the_editor(app, world):
    client = english_client(app, "hightech@example.com")
    assert client.get("/tasks/new").status_code == 403
    assert client.get(f"/tasks/{world.red_task_id}/edit").status_code == 403
    client = english_client(app, "supervisor@example.com")
    assert client.get("/tasks/99999/edit").status_code == 404
