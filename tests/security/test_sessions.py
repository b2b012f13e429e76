"""Signing in and out: lockout that tells nothing about which accounts exist, sessions that
cannot be fixed in advance or replayed after signing out, and the flags of every cookie."""

from __future__ import annotations

import re
from http.cookies import SimpleCookie

import pytest
from flask import Blueprint
from sqlalchemy import select

from portal.accounts.models import User
from portal.core.access import PUBLIC, allow
from portal.core.extensions import db
from tests.helpers import DEMO_PASSWORD, sign_in
from tests.security import world as w
from tests.security.conftest import make_app

MAX_FAILURES = 3
KNOWN = "ent3@example.com"
# A signed CSRF token, as it appears in attributes: "<payload>.<time>.<signature>".
CSRF_TOKEN = re.compile(r'"[\w-]{20,}\.[\w-]{4,}\.[\w-]{20,}"')
UNKNOWN = "nobody-here@example.com"


@pytest.fixture
def app_config(app_config):
    return {**app_config, "LOGIN_MAX_FAILURES": MAX_FAILURES, "LOGIN_LOCKOUT_MINUTES": 15}


def _signed_in(client) -> bool:
    return client.get("/home").status_code == 200


def _attempt(client, email: str, password: str):
    return client.post("/login", data={"email": email, "password": password})


def _normalised(response, email: str) -> str:
    """The page with what legitimately differs between two visitors taken out: the CSRF
    token, the address they typed, and the minute of the lock's end."""
    page = response.get_data(as_text=True)
    page = CSRF_TOKEN.sub('"TOKEN"', page)
    page = page.replace(email, "EMAIL")
    return re.sub(r"\d{4}-\d{2}-\d{2} \d{2}:\d{2}", "TIME", page)


# --- lockout ---------------------------------------------------------------------------------


def test_locked_after_the_configured_failures_even_with_the_right_password(app, client, demo):
    for _ in range(MAX_FAILURES):
        assert _attempt(client, KNOWN, "wrong-password").status_code == 422
    response = _attempt(client, KNOWN, DEMO_PASSWORD)
    assert response.status_code == 422
    assert not _signed_in(client)
    # Another computer fares no better: the lock is on the account, not on the session.
    other = app.test_client()
    assert _attempt(other, KNOWN, DEMO_PASSWORD).status_code == 422
    assert not _signed_in(other)
    with app.app_context():
        user = db.session.scalar(select(User).where(User.email == KNOWN))
        assert user.locked_until is not None


def test_one_failure_fewer_does_not_lock(app, client, demo):
    for _ in range(MAX_FAILURES - 1):
        assert _attempt(client, KNOWN, "wrong-password").status_code == 422
    assert _attempt(client, KNOWN, DEMO_PASSWORD).status_code == 302
    assert _signed_in(client)


def test_known_and_unknown_addresses_get_the_same_answers_all_the_way(app, demo):
    """The same attempts at an account and at an address without one: every answer is the
    same page (the lock included), so the answers do not tell which accounts exist."""
    known, unknown = app.test_client(), app.test_client()
    passwords = ["wrong-password"] * (MAX_FAILURES + 2) + [DEMO_PASSWORD]
    for number, password in enumerate(passwords, start=1):
        a = _attempt(known, KNOWN, password)
        b = _attempt(unknown, UNKNOWN, password)
        assert a.status_code == b.status_code == 422, (number, a.status_code, b.status_code)
        assert _normalised(a, KNOWN) == _normalised(b, UNKNOWN), f"attempt {number} differs"
    locked_page = a.get_data(as_text=True)
    assert "锁定" in locked_page  # the lock is announced, for both
    assert not _signed_in(known)


def test_the_lock_of_an_unknown_address_is_its_own(app, demo):
    """Locking an address without an account locks nothing else."""
    client = app.test_client()
    for _ in range(MAX_FAILURES):
        _attempt(client, UNKNOWN, "wrong-password")
    assert _attempt(client, "Nobody-Here@Example.com ", "x").status_code == 422
    assert _attempt(client, KNOWN, DEMO_PASSWORD).status_code == 302


def test_sign_in_attempts_are_rate_limited_per_address(app_config, demo):
    limited = make_app({**app_config, "RATELIMIT_ENABLED": True, "LOGIN_RATE_LIMIT": "4/minute"})
    client = limited.test_client()
    statuses = [_attempt(client, f"x{i}@example.com", "wrong").status_code for i in range(5)]
    assert statuses == [422, 422, 422, 422, 429]
    assert _attempt(client, KNOWN, DEMO_PASSWORD).status_code == 429


# --- session fixation and replay --------------------------------------------------------------


def _session_cookie(client, app) -> str | None:
    cookie = client.get_cookie(app.config.get("SESSION_COOKIE_NAME", "session"))
    return None if cookie is None else cookie.value


def _client_with_cookie(app, value: str):
    other = app.test_client()
    other.set_cookie(app.config.get("SESSION_COOKIE_NAME", "session"), value)
    return other


def test_the_session_changes_on_sign_in_and_a_planted_one_gains_nothing(app, client, demo):
    client.get("/login")
    with client.session_transaction() as session:
        session["planted"] = "by an attacker"
    planted = _session_cookie(client, app)
    assert planted
    assert sign_in(client, w.FIRM_A).status_code == 302
    signed_in = _session_cookie(client, app)
    assert signed_in != planted
    with client.session_transaction() as session:
        assert "planted" not in session
    # The attacker who knows the planted cookie is still a visitor.
    assert not _signed_in(_client_with_cookie(app, planted))
    # (while the victim's own cookie is a signed-in session: the check above means something)
    assert _signed_in(_client_with_cookie(app, signed_in))


def test_a_session_cookie_is_worthless_after_signing_out(app, client, demo):
    assert sign_in(client, w.FIRM_A).status_code == 302
    stolen = _session_cookie(client, app)
    assert _signed_in(_client_with_cookie(app, stolen))
    assert client.post("/logout").status_code == 302
    assert not _signed_in(client)
    assert not _signed_in(_client_with_cookie(app, stolen))
    # Signing in again starts a new session that works.
    assert sign_in(client, w.FIRM_A).status_code == 302
    assert _signed_in(client)
    assert not _signed_in(_client_with_cookie(app, stolen))


def test_a_session_cookie_signed_with_another_key_is_refused(app, client, demo):
    assert sign_in(client, w.FIRM_A).status_code == 302
    value = _session_cookie(client, app)
    other = make_app({**app.config, "SECRET_KEY": "another-key"})
    assert not _signed_in(_client_with_cookie(other, value))
    tampered = value[:-3] + ("AAA" if not value.endswith("AAA") else "BBB")
    assert not _signed_in(_client_with_cookie(app, tampered))


# --- cookie flags ----------------------------------------------------------------------------


def _set_cookies(response) -> dict[str, SimpleCookie]:
    cookies = {}
    for header in response.headers.getlist("Set-Cookie"):
        parsed = SimpleCookie()
        parsed.load(header)
        for name, morsel in parsed.items():
            cookies[name] = morsel
    return cookies


@pytest.fixture
def remember_route(app):
    """A page that signs in with "remember me", as Flask-Login would if a form offered it."""
    bp = Blueprint("remember_probe", __name__)

    @bp.route("/remember-probe", methods=["GET"])
    @allow(PUBLIC)
    def remember_probe():
        from flask_login import login_user

        login_user(db.session.scalar(select(User).where(User.email == w.FIRM_A)), remember=True)
        return "remembered"

    app.register_blueprint(bp)
    return "/remember-probe"


def _cookie_flags(app, url: str, *, https: bool) -> dict[str, dict]:
    client = app.test_client()
    base = "https://localhost" if https else "http://localhost"
    found = {}
    for response in (
        client.get("/login", base_url=base),
        _attempt_on(client, base),
        client.get(url, base_url=base),
    ):
        for name, morsel in _set_cookies(response).items():
            found[name] = {
                "httponly": bool(morsel["httponly"]),
                "secure": bool(morsel["secure"]),
                "samesite": morsel["samesite"],
            }
    return found


def _attempt_on(client, base: str):
    return client.post("/login", data={"email": w.FIRM_A, "password": DEMO_PASSWORD}, base_url=base)


def test_cookies_are_http_only_and_same_site(app, demo, remember_route):
    flags = _cookie_flags(app, remember_route, https=False)
    assert {"session", "remember_token"} <= set(flags)
    for name, cookie in flags.items():
        assert cookie["httponly"], name
        assert cookie["samesite"] in ("Lax", "Strict"), name


def test_cookies_are_secure_when_served_over_https(app_config, demo, tmp_path):
    from portal.config import settings_from_env

    https = settings_from_env({"PORTAL_HTTPS": "true", "PORTAL_SECRET_KEY": "k"}, tmp_path)
    keys = [key for key in https if key.startswith(("SESSION_COOKIE", "REMEMBER_COOKIE"))]
    secure_app = make_app({**app_config, **{key: https[key] for key in keys}})

    @secure_app.route("/remember-probe")
    @allow(PUBLIC)
    def remember_probe():
        from flask_login import login_user

        login_user(db.session.scalar(select(User).where(User.email == w.FIRM_A)), remember=True)
        return "remembered"

    flags = _cookie_flags(secure_app, "/remember-probe", https=True)
    assert {"session", "remember_token"} <= set(flags)
    for name, cookie in flags.items():
        assert cookie["secure"] and cookie["httponly"], name
        assert cookie["samesite"] in ("Lax", "Strict"), name
    # ... and without PORTAL_HTTPS they are not marked Secure (they would never be sent back).
    plain = settings_from_env({"PORTAL_SECRET_KEY": "k"}, tmp_path)
    assert plain["SESSION_COOKIE_SECURE"] is False and plain["REMEMBER_COOKIE_SECURE"] is False
