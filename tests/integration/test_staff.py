from __future__ import annotations

import html

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from portal.accounts.models import Role, User
from portal.core.audit import AuditEvent
from portal.core.extensions import db
from tests.helpers import use_english


def _user(app, email):
    with app.app_context():
        user = db.session.scalar(select(User).where(User.email == email))
        if user is not None:
            db.session.expunge(user)
        return user


def _events(app, action):
    with app.app_context():
        # Ordered: PostgreSQL returns rows in no promised order without ORDER BY.
        query = select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.id)
        return db.session.scalars(query).all()


def test_cli_creates_staff_with_password_from_stdin(app, demo):
    runner = app.test_cli_runner()
    result = runner.invoke(
        args=[
            "users",
            "create",
            "Expert.Sun@example.com",
            "--role",
            "reviewer",
            "--name",
            "孙专家",
        ],
        input="a-good-password\n",
    )
    assert result.exit_code == 0, result.output
    user = _user(app, "expert.sun@example.com")
    assert user.role is Role.REVIEWER and user.display_name == "孙专家"
    assert user.enterprise_id is None
    assert _events(app, "staff.created")[-1].summary["role"] == "reviewer"
    client = app.test_client()
    response = client.post(
        "/login", data={"email": "expert.sun@example.com", "password": "a-good-password"}
    )
    assert response.status_code == 302


@pytest.mark.parametrize(
    ("args", "stdin", "message"),
    [
        (
            ["users", "create", "x@example.com", "--role", "enterprise"],
            "a-good-password\n",
            "Invalid value for '--role'",
        ),
        (["users", "create", "x@example.com", "--role", "officer"], "short\n", "10"),
        (
            ["users", "create", "officer@example.com", "--role", "officer"],
            "a-good-password\n",
            "已注册",
        ),
    ],
)
def test_cli_refuses_bad_input(app, demo, args, stdin, message):
    result = app.test_cli_runner().invoke(args=args, input=stdin, env={"LANG": "C"})
    assert result.exit_code != 0
    assert message in result.output
    assert _user(app, "x@example.com") is None


def test_admin_creates_staff_account(app, client, signed_in):
    signed_in("admin@example.com")
    use_english(client)
    response = client.post(
        "/admin/staff/new",
        data={
            "email": "new.officer@example.com",
            "display_name": "New Officer",
            "role": "officer",
            "password": "a-good-password",
            "password_confirm": "a-good-password",
        },
    )
    assert response.status_code == 302
    assert _user(app, "new.officer@example.com").role is Role.OFFICER
    listing = client.get("/admin/accounts").get_data(as_text=True)
    assert "new.officer@example.com" in listing


def test_admin_staff_form_keeps_input_on_error(app, client, signed_in):
    signed_in("admin@example.com")
    use_english(client)
    response = client.post(
        "/admin/staff/new",
        data={
            "email": "officer@example.com",
            "display_name": "Dup",
            "role": "officer",
            "password": "a-good-password",
            "password_confirm": "a-good-password",
        },
    )
    page = html.unescape(response.get_data(as_text=True))
    assert response.status_code == 422
    assert 'id="email-error"' in page and "already exists" in page
    assert 'value="Dup"' in page


def test_admin_cannot_offer_the_enterprise_role(client, signed_in):
    signed_in("admin@example.com")
    response = client.post(
        "/admin/staff/new",
        data={
            "email": "sneaky@example.com",
            "display_name": "x",
            "role": "enterprise",
            "password": "a-good-password",
            "password_confirm": "a-good-password",
        },
    )
    assert response.status_code == 422


def test_admin_changes_a_staff_role_and_it_is_audited(app, client, signed_in):
    signed_in("admin@example.com")
    reviewer = _user(app, "reviewer3@example.com")
    response = client.post(f"/admin/accounts/{reviewer.id}/role", data={"role": "officer"})
    assert response.status_code == 302
    assert _user(app, "reviewer3@example.com").role is Role.OFFICER
    event = _events(app, "staff.role_changed")[-1]
    assert event.summary == {"old": "reviewer", "new": "officer"}
    assert event.object_id == str(reviewer.id)


def test_role_change_ends_the_accounts_sessions(app, client, signed_in):
    reviewer_client = app.test_client()
    reviewer_client.post(
        "/login", data={"email": "reviewer3@example.com", "password": "Demo-Portal-2026"}
    )
    assert reviewer_client.get("/home").status_code == 200
    signed_in("admin@example.com")
    reviewer = _user(app, "reviewer3@example.com")
    client.post(f"/admin/accounts/{reviewer.id}/role", data={"role": "officer"})
    assert reviewer_client.get("/home").status_code == 302


def test_enterprise_account_can_never_get_a_staff_role(app, client, signed_in):
    signed_in("admin@example.com")
    firm = _user(app, "ent1@example.com")
    client.post(f"/admin/accounts/{firm.id}/role", data={"role": "officer"})
    assert _user(app, "ent1@example.com").role is Role.ENTERPRISE
    assert _events(app, "staff.role_changed") == []
    # The database refuses it too, whoever tries.
    with app.app_context():
        user = db.session.get(User, firm.id)
        user.role = Role.ADMIN
        with pytest.raises(IntegrityError):
            db.session.flush()
        db.session.rollback()


def test_admin_cannot_demote_or_disable_themself(app, client, signed_in):
    signed_in("admin@example.com")
    admin = _user(app, "admin@example.com")
    client.post(f"/admin/accounts/{admin.id}/role", data={"role": "reviewer"})
    client.post(f"/admin/accounts/{admin.id}/disable")
    admin = _user(app, "admin@example.com")
    assert admin.role is Role.ADMIN and admin.is_active


def test_disable_and_enable_are_audited(app, client, signed_in):
    signed_in("admin@example.com")
    firm = _user(app, "ent4@example.com")
    client.post(f"/admin/accounts/{firm.id}/disable")
    assert not _user(app, "ent4@example.com").is_active
    client.post(f"/admin/accounts/{firm.id}/enable")
    assert _user(app, "ent4@example.com").is_active
    assert [e.object_id for e in _events(app, "account.disabled")] == [str(firm.id)]
    assert [e.object_id for e in _events(app, "account.enabled")] == [str(firm.id)]


def test_unknown_account_is_404(client, signed_in):
    signed_in("admin@example.com")
    assert client.post("/admin/accounts/99999/disable").status_code == 404


def test_audit_log_page_lists_events(app, client, signed_in):
    signed_in("admin@example.com")
    use_english(client)
    page = client.get("/admin/audit").get_data(as_text=True)
    assert "Signed in" in page and "admin@example.com" in page
    filtered = client.get("/admin/audit?action=staff.created").get_data(as_text=True)
    assert "Signed in" not in filtered.split("<tbody>")[1]


def test_seed_demo_twice_changes_nothing(app, demo):
    with app.app_context():
        before = db.session.scalar(select(func.count()).select_from(User))
        events = db.session.scalar(select(func.count()).select_from(AuditEvent))
    result = app.test_cli_runner().invoke(args=["seed-demo"])
    assert result.exit_code == 0 and "already present" in result.output
    with app.app_context():
        # admin, officer, leader (approver), 3 reviewers, 5 firms; the wall map's supervisor,
        # five department members and a second leader
        assert db.session.scalar(select(func.count()).select_from(User)) == before == 18
        assert db.session.scalar(select(func.count()).select_from(AuditEvent)) == events
