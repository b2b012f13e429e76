"""The wall map's settings: departments and goal tiles, kept by the supervisor and the admin;
bad input is refused beside its field with what was typed kept; every save is audited."""

from __future__ import annotations

from decimal import Decimal

from sqlalchemy import func, select

from portal.accounts.models import Department, User
from portal.core.audit import Action, AuditEvent
from portal.core.extensions import db
from portal.core.forms import INVALID_FORM_STATUS
from portal.tasks.models import GoalTile
from tests.helpers import sign_in, statements_for, use_english


def _count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def test_the_supervisor_adds_and_edits_a_department(app, client, signed_in):
    signed_in("supervisor@example.com")
    use_english(client)
    page = client.get("/tasks/settings/").get_data(as_text=True)
    assert "高新技术科" in page and "Departments" in page
    response = client.post(
        "/tasks/settings/departments/new",
        data={"name": " 法规科 ", "name_en": "Legal Department", "position": "7"},
    )
    assert response.status_code == 302
    with app.app_context():
        department = db.session.scalar(select(Department).where(Department.name == "法规科"))
        assert department.name_en == "Legal Department" and department.position == 7
        event = db.session.scalar(
            select(AuditEvent).where(AuditEvent.action == Action.DEPARTMENT_SAVED.value)
        )
        assert event.summary["name"] == "法规科" and event.summary["created"] is True
        department_id = department.id
    response = client.post(
        f"/tasks/settings/departments/{department_id}",
        data={"name": "政策法规科", "name_en": "Policy and Legal", "position": "8"},
    )
    assert response.status_code == 302
    with app.app_context():
        assert db.session.get(Department, department_id).name == "政策法规科"


def test_a_department_name_is_unique_and_required(app, client, signed_in):
    signed_in("admin@example.com")
    use_english(client)
    response = client.post(
        "/tasks/settings/departments/new",
        data={"name": "高新技术科", "name_en": "Typed English", "position": "3"},
    )
    assert response.status_code == INVALID_FORM_STATUS
    page = response.get_data(as_text=True)
    assert "There is already a department of that name." in page
    assert 'value="Typed English"' in page
    response = client.post("/tasks/settings/departments/new", data={"name": "", "position": "abc"})
    assert response.status_code == INVALID_FORM_STATUS
    with app.app_context():
        assert _count(Department) == 6


def test_goal_tiles_are_saved_with_their_kind_and_parameters(app, client, signed_in):
    signed_in("supervisor@example.com")
    use_english(client)
    data = {
        "title": "科技型中小企业",
        "title_en": "Technology-based SMEs",
        "kind": "firms_with_recognition",
        "programs": "",
        "recognition": "tech_sme",
        "unit": "",
        "target": "1,000",
        "year": "2026",
        "position": "1",
    }
    assert client.post("/tasks/settings/goal-tiles/new", data=data).status_code == 302
    with app.app_context():
        tile = db.session.scalar(select(GoalTile))
        assert tile.params == {"recognition": "tech_sme"}
        assert tile.target == Decimal(1000) and tile.unit == "家"
        tile_id = tile.id
    page = client.get("/tasks/settings/").get_data(as_text=True)
    assert "Technology-based SMEs" in page
    edit = client.get(f"/tasks/settings/goal-tiles/{tile_id}").get_data(as_text=True)
    assert 'value="1000"' in edit
    data.update(kind="final_awards", programs="rd-post-subsidy-2026, key-above-size-2026")
    data.update(recognition="", target="12")
    assert client.post(f"/tasks/settings/goal-tiles/{tile_id}", data=data).status_code == 302
    with app.app_context():
        tile = db.session.get(GoalTile, tile_id)
        assert tile.params == {"programs": ["rd-post-subsidy-2026", "key-above-size-2026"]}
        assert tile.unit == "家" and tile.target == 12
        assert (
            db.session.scalar(
                select(func.count())
                .select_from(AuditEvent)
                .where(AuditEvent.action == Action.GOAL_TILE_SAVED.value)
            )
            == 2
        )


def test_bad_goal_tiles_are_refused_beside_the_field(app, client, signed_in):
    signed_in("supervisor@example.com")
    use_english(client)
    base = {
        "title": "Typed title",
        "title_en": "",
        "kind": "final_awards",
        "programs": "no-such-programme",
        "recognition": "",
        "unit": "",
        "target": "5",
        "year": "2026",
        "position": "0",
    }
    cases = [
        ({}, "No programme has the code no-such-programme."),
        ({"kind": "firms_with_recognition", "programs": ""}, "Choose a recognition."),
        ({"programs": "rd-post-subsidy-2026", "target": "NaN"}, "Enter a target of 0 or more."),
        ({"programs": "rd-post-subsidy-2026", "target": "-3"}, "Enter a target of 0 or more."),
        ({"programs": "rd-post-subsidy-2026", "year": "99999"}, "Enter a year from 2000 to 2100."),
        ({"kind": "manual"}, "Not a valid choice"),
    ]
    for change, message in cases:
        response = client.post("/tasks/settings/goal-tiles/new", data={**base, **change})
        assert response.status_code == INVALID_FORM_STATUS, change
        page = response.get_data(as_text=True)
        assert message in page, (change, page[:2000])
        assert 'value="Typed title"' in page
    with app.app_context():
        assert _count(GoalTile) == 0


def test_bad_ids_are_404_and_others_are_refused(app, client, signed_in):
    signed_in("supervisor@example.com")
    assert client.get("/tasks/settings/departments/999999").status_code == 404
    assert client.get("/tasks/settings/goal-tiles/99999999999999999999").status_code == 404
    client.get("/logout")
    for email in ("hightech@example.com", "officer@example.com", "leader@example.com"):
        fresh = app.test_client()
        assert sign_in(fresh, email).status_code == 302
        assert fresh.get("/tasks/settings/").status_code == 403


def test_the_settings_page_costs_the_same_queries_at_two_sizes(app, client, signed_in):
    signed_in("supervisor@example.com")
    small = statements_for(app, client, "/tasks/settings/")
    with app.app_context():
        for n in range(20):
            db.session.add(Department(name=f"科室{n}", name_en=f"Dept {n}", position=20 + n))
            db.session.add(
                GoalTile(
                    year=2026,
                    position=n,
                    title=f"目标{n}",
                    kind="firms_with_recognition",
                    params={"recognition": "gazelle"},
                    target=Decimal(10),
                )
            )
        db.session.flush()
        hightech = db.session.scalar(select(Department).where(Department.name == "高新技术科"))
        for user in db.session.scalars(select(User).where(User.email.like("reviewer%"))):
            user.department_id = hightech.id
        db.session.commit()
    assert statements_for(app, client, "/tasks/settings/") == small


def test_the_admin_creates_a_department_member(app, client, signed_in):
    signed_in("admin@example.com")
    use_english(client)
    form = client.get("/admin/staff/new").get_data(as_text=True)
    assert "Department member" in form and "Supervisor" in form and "Talent Department" in form
    with app.app_context():
        talent = db.session.scalar(select(Department.id).where(Department.name == "人才科"))
    base = {
        "email": "new.member@example.com",
        "display_name": "New Member",
        "role": "department",
        "department": "",
        "password": "a long new demo passphrase",
        "password_confirm": "a long new demo passphrase",
    }
    response = client.post("/admin/staff/new", data=base)
    assert response.status_code == INVALID_FORM_STATUS
    page = response.get_data(as_text=True)
    assert "A department member needs a department: choose one." in page
    assert 'value="New Member"' in page
    for bad in ("999", "abc", "99999999999999999999"):
        assert client.post("/admin/staff/new", data={**base, "department": bad}).status_code == (
            INVALID_FORM_STATUS
        )
    response = client.post("/admin/staff/new", data={**base, "department": str(talent)})
    assert response.status_code == 302
    with app.app_context():
        user = db.session.scalar(select(User).where(User.email == "new.member@example.com"))
        assert user.department_id == talent
    listing = client.get("/admin/accounts?kind=staff").get_data(as_text=True)
    assert "Talent Department" in listing and "General Office" in listing
