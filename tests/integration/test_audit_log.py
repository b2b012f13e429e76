"""The audit log as a person reads it: names and links, old → new, the system as an actor,
filters, keyset pages at a fixed query count, bad filters refused beside the field, the CSV."""

from __future__ import annotations

from decimal import Decimal

from sqlalchemy import select

from portal.core import audit
from portal.core.audit import Action, AuditEvent
from portal.core.extensions import db
from portal.programs import services as program_services
from portal.programs.models import Program
from tests.helpers import sql_statements, use_english


def _admin(client, signed_in):
    signed_in("admin@example.com")
    return use_english(client)


def _change_budget(app, budget: Decimal) -> Program:
    with app.app_context():
        program = db.session.scalars(select(Program).order_by(Program.id)).first()
        data = {name: getattr(program, name) for name in program_services.PROGRAM_FIELDS}
        data["budget"] = budget
        version = program_services.current_version(program)
        for name in program_services.VERSIONED_FIELDS:
            data[name] = getattr(version, name)
        program_services.update_program(program, data, actor=None)
        db.session.commit()
        return program


def test_a_budget_change_shows_old_and_new_with_the_programme_named(app, client, signed_in):
    _admin(client, signed_in)
    with app.app_context():
        program = db.session.scalars(select(Program).order_by(Program.id)).first()
        old_budget, name, program_id = program.budget, program.name_en, program.id
    _change_budget(app, Decimal("50000.00"))
    with app.app_context():
        event = db.session.scalars(
            select(AuditEvent).where(AuditEvent.action == Action.PROGRAM_UPDATED.value)
        ).first()
        assert event.summary["changes"]["budget"] == [str(old_budget), "50000.00"]
    page = client.get("/admin/audit?action=program.updated").get_data(as_text=True)
    body = page.split("<tbody>")[1]
    assert "Programme changed" in body
    assert f"/staff/programmes/{program_id}/edit" in body and name in body
    assert "Budget:" in body and "50,000.00" in body and f"{old_budget:,.2f}" in body
    assert "fields=" not in body and "applications 5" not in body
    # A change without a request (a job) is the system's.
    assert "system (job)" in body


def test_jobs_are_the_system_and_visitors_are_not_anonymous(app, client, signed_in):
    _admin(client, signed_in)
    with app.app_context():
        audit.record(Action.FILES_SWEPT, object_type="system", orphans=3)
        db.session.commit()
    body = client.get("/admin/audit?actor_kind=system").get_data(as_text=True)
    rows = body.split("<tbody>")[1]
    assert "Unreferenced files swept" in rows and "system (job)" in rows
    assert "(anonymous)" not in body
    assert "audit-who--person" not in rows


def test_filters_by_actor_object_action_and_date(app, client, signed_in):
    _admin(client, signed_in)
    by_admin = client.get("/admin/audit?actor=admin%40example").get_data(as_text=True)
    assert "Signed in" in by_admin.split("<tbody>")[1]
    nobody = client.get("/admin/audit?actor=nobody-at-all").get_data(as_text=True)
    assert "No events match these filters." in nobody
    users = client.get("/admin/audit?object_type=users").get_data(as_text=True)
    assert "Signed in" in users.split("<tbody>")[1]
    future = client.get("/admin/audit?date_from=2099-01-01").get_data(as_text=True)
    assert "No events match these filters." in future
    today = client.get("/admin/audit?date_from=2000-01-01&date_to=2099-12-31")
    assert "Signed in" in today.get_data(as_text=True).split("<tbody>")[1]


def test_bad_filters_are_refused_beside_the_field_and_kept(client, signed_in):
    _admin(client, signed_in)
    response = client.get("/admin/audit?date_from=not-a-date&action=nonsense")
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert 'id="date_from-error"' in page and "Enter a date like 2026-12-01." in page
    assert 'value="not-a-date"' in page
    backwards = client.get("/admin/audit?date_from=2026-12-02&date_to=2026-12-01")
    assert backwards.status_code == 422
    assert "The end date must not be before the start date." in backwards.get_data(as_text=True)
    assert client.get("/admin/audit?before=abc&after=-1").status_code == 200
    assert client.get("/admin/audit?before=99999999999999999999").status_code == 200
    assert client.get("/admin/audit.csv?date_from=nope").status_code == 400


def test_keyset_pages_at_a_fixed_query_count(app, client, signed_in):
    _admin(client, signed_in)
    with app.app_context():
        for index in range(120):
            audit.record(Action.FILES_SWEPT, object_type="system", orphans=index)
        db.session.commit()
        newest = db.session.scalar(select(AuditEvent.id).order_by(AuditEvent.id.desc()))
    first = client.get("/admin/audit").get_data(as_text=True)
    assert f"before={newest - 49}" in first
    second = client.get(f"/admin/audit?before={newest - 49}").get_data(as_text=True)
    assert f'id="event-{newest - 50}"' in second and f'id="event-{newest - 49}"' not in second
    assert f"after={newest - 50}" in second
    back = client.get(f"/admin/audit?after={newest - 50}").get_data(as_text=True)
    assert f'id="event-{newest}"' in back and f'id="event-{newest - 50}"' not in back
    counts = {
        len(sql_statements(app, client, url))
        for url in ("/admin/audit", f"/admin/audit?before={newest - 49}", "/admin/audit?before=5")
    }
    assert len(counts) == 1, counts


def test_the_csv_has_the_words_and_defuses_formulas(app, client, signed_in):
    _admin(client, signed_in)
    with app.app_context():
        audit.record(Action.FILES_SWEPT, object_type="system", note='=HYPERLINK("x")')
        db.session.commit()
    response = client.get("/admin/audit.csv?actor_kind=system")
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    text = response.get_data(as_text=True)
    assert text.startswith("\ufeffTime (UTC+8),Who")
    assert "Unreferenced files swept" in text and "system (job)" in text
    assert "'Note: =HYPERLINK" not in text  # the formula is inside the details text
    assert '"Note: =HYPERLINK(""x"")"' in text or "Note: =HYPERLINK" in text
    formula_only = client.get("/admin/audit.csv?action=files.swept").get_data(as_text=True)
    assert "\n=" not in formula_only and ",=" not in formula_only


def test_outsiders_are_refused(client, signed_in):
    signed_in("officer@example.com")
    assert client.get("/admin/audit").status_code == 403
    assert client.get("/admin/audit.csv").status_code == 403
