from __future__ import annotations

import html
from datetime import timedelta

import pytest
from sqlalchemy import select

from portal.accounts.models import User
from portal.core.audit import AuditEvent
from portal.core.extensions import db
from portal.core.timeutil import utcnow
from tests.helpers import DEMO_PASSWORD, sign_in


def _user(app, email: str) -> User:
    with app.app_context():
        user = db.session.scalar(select(User).where(User.email == email))
        db.session.expunge(user)
        return user


def _actions(app) -> list[str]:
    with app.app_context():
        return list(db.session.scalars(select(AuditEvent.action).order_by(AuditEvent.id)))


@pytest.mark.parametrize(
    ("email", "heading"),
    [
        ("ent1@example.com", "阜新氟科新材料有限公司"),
        ("officer@example.com", "审核工作台"),
        ("reviewer1@example.com", "我的评审"),
        ("admin@example.com", "系统管理"),
    ],
)
def test_each_role_signs_in_to_its_own_home(client, demo, email, heading):
    response = sign_in(client, email)
    assert response.status_code == 302 and response.headers["Location"] == "/home"
    page = client.get("/home").get_data(as_text=True)
    assert f"<h1>{heading}</h1>" in page


def test_sign_in_is_audited_and_email_is_case_insensitive(app, client, demo):
    assert sign_in(client, "  ENT2@Example.com ").status_code == 302
    assert _actions(app)[-1] == "account.signed_in"
    assert _user(app, "ent2@example.com").last_sign_in_at is not None


def test_wrong_password_and_unknown_email_get_the_same_message_and_are_audited(app, client, demo):
    wrong = sign_in(client, "ent1@example.com", "wrong-password")
    unknown = sign_in(client, "nobody@example.com", "wrong-password")
    for response in (wrong, unknown):
        assert response.status_code == 422
        assert "邮箱或密码不正确" in response.get_data(
            as_text=True
        ) or "not right" in response.get_data(as_text=True)
    with app.app_context():
        failures = db.session.scalars(
            select(AuditEvent)
            .where(AuditEvent.action == "account.sign_in_failed")
            .order_by(AuditEvent.id)
        ).all()
        assert [f.summary["reason"] for f in failures] == ["bad_password", "unknown_email"]
        assert failures[1].summary["email"] == "nobody@example.com"


def test_lockout_after_repeated_failures_says_when_to_try_again(app, client, demo):
    for _ in range(app.config["LOGIN_MAX_FAILURES"] - 1):
        assert sign_in(client, "ent1@example.com", "wrong-password").status_code == 422
    last = sign_in(client, "ent1@example.com", "wrong-password")
    page = html.unescape(last.get_data(as_text=True))
    user = _user(app, "ent1@example.com")
    assert user.locked_until is not None
    assert user.locked_until > utcnow() + timedelta(minutes=14)
    assert "account.locked" in _actions(app)
    assert "锁定" in page or "locked" in page
    # The right password does not help while locked, and the page says until when.
    locked = sign_in(client, "ent1@example.com", DEMO_PASSWORD)
    assert locked.status_code == 422
    assert client.get("/home").status_code == 302
    local_time = user.locked_until.astimezone(__import__("zoneinfo").ZoneInfo("Asia/Shanghai"))
    assert local_time.strftime("%H:%M") in locked.get_data(as_text=True)


def test_lock_expires(app, client, demo):
    with app.app_context():
        user = db.session.scalar(select(User).where(User.email == "ent1@example.com"))
        user.locked_until = utcnow() - timedelta(seconds=1)
        db.session.commit()
    assert sign_in(client, "ent1@example.com").status_code == 302
    assert _user(app, "ent1@example.com").locked_until is None


def test_disabled_account_cannot_sign_in(app, client, demo):
    with app.app_context():
        user = db.session.scalar(select(User).where(User.email == "ent3@example.com"))
        user.disabled_at = utcnow()
        db.session.commit()
    response = sign_in(client, "ent3@example.com")
    assert response.status_code == 422
    assert "停用" in response.get_data(as_text=True) or "disabled" in response.get_data(
        as_text=True
    )
    assert client.get("/home").status_code == 302


def test_disabling_ends_an_open_session(app, client, demo):
    sign_in(client, "ent3@example.com")
    assert client.get("/home").status_code == 200
    admin = app.test_client()
    sign_in(admin, "admin@example.com")
    user_id = _user(app, "ent3@example.com").id
    assert admin.post(f"/admin/accounts/{user_id}/disable").status_code == 302
    assert client.get("/home").status_code == 302


@pytest.mark.parametrize(
    ("next_value", "expected"),
    [
        ("/account/password", "/account/password"),
        ("//evil.example/", "/home"),
        ("/\\evil.example", "/home"),
        ("https://evil.example/", "/home"),
    ],
)
def test_next_is_followed_only_within_the_site(client, demo, next_value, expected):
    response = client.post(
        "/login",
        data={"email": "ent1@example.com", "password": DEMO_PASSWORD, "next": next_value},
    )
    assert response.headers["Location"] == expected


def test_login_page_carries_only_a_safe_next(client):
    page = client.get("/login?next=//evil.example").get_data(as_text=True)
    assert '<input id="next" name="next" type="hidden" value="">' in page
    page = client.get("/login?next=/account/password").get_data(as_text=True)
    assert '<input id="next" name="next" type="hidden" value="/account/password">' in page


def test_sign_in_starts_a_fresh_session(client, demo):
    with client.session_transaction() as session:
        session["planted"] = "by an attacker"
        session["locale"] = "en"
    sign_in(client, "ent1@example.com")
    with client.session_transaction() as session:
        assert "planted" not in session
        assert session["locale"] == "en"


def test_sign_out(app, client, demo):
    sign_in(client, "ent1@example.com")
    response = client.post("/logout")
    assert response.status_code == 302
    assert client.get("/home").status_code == 302
    assert _actions(app)[-1] == "account.signed_out"


def test_password_change_ends_other_sessions(app, client, demo):
    sign_in(client, "ent1@example.com")
    other = app.test_client()
    sign_in(other, "ent1@example.com")
    response = client.post(
        "/account/password",
        data={
            "current_password": DEMO_PASSWORD,
            "new_password": "a-brand-new-secret",
            "new_password_confirm": "a-brand-new-secret",
        },
    )
    assert response.status_code == 302
    assert client.get("/home").status_code == 200  # this session carries on
    assert other.get("/home").status_code == 302  # the other one has ended
    fresh = app.test_client()
    assert sign_in(fresh, "ent1@example.com", DEMO_PASSWORD).status_code == 422
    assert sign_in(fresh, "ent1@example.com", "a-brand-new-secret").status_code == 302
    assert "account.password_changed" in _actions(app)


def test_password_change_refuses_a_wrong_current_password(app, client, demo):
    sign_in(client, "ent1@example.com")
    response = client.post(
        "/account/password",
        data={
            "current_password": "not-it-at-all",
            "new_password": "a-brand-new-secret",
            "new_password_confirm": "a-brand-new-secret",
        },
    )
    assert response.status_code == 422
    assert 'id="current_password-error"' in response.get_data(as_text=True)
    assert "account.password_changed" not in _actions(app)
