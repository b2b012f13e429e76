"""The shell every page shares: headers, error pages, language, health, one commit point."""

from __future__ import annotations

import pytest
from flask import Blueprint
from sqlalchemy import func, select

from portal.accounts.models import Enterprise, User
from portal.core.access import PUBLIC, allow
from portal.core.extensions import db
from tests.helpers import sign_in


@pytest.mark.parametrize("path", ["/", "/login", "/register", "/healthz", "/missing"])
def test_security_headers_on_every_response(client, path):
    headers = client.get(path).headers
    csp = headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp
    assert "frame-ancestors 'none'" in csp
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["X-Frame-Options"] == "DENY"


def test_pages_have_no_inline_scripts_or_styles(client):
    for path in ("/", "/login", "/register"):
        page = client.get(path).get_data(as_text=True)
        assert "<script>" not in page and "<style" not in page and " style=" not in page


def test_session_cookie_flags(client, demo):
    response = sign_in(client, "ent1@example.com")
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie


@pytest.mark.parametrize(("path", "code"), [("/nowhere", 404), ("/admin/accounts", 403)])
def test_error_pages_in_the_portal_look(client, signed_in, path, code):
    signed_in("ent1@example.com")
    response = client.get(path)
    page = response.get_data(as_text=True)
    assert response.status_code == code
    assert 'class="masthead"' in page and f'class="error-page__code">{code}<' in page


def test_too_large_request_gets_413_page(app, client):
    app.config["MAX_CONTENT_LENGTH"] = 1024
    response = client.post("/register", data={"company_name": "x" * 4096})
    assert response.status_code == 413
    assert "文件过大" in response.get_data(as_text=True)


def test_unexpected_error_gets_500_page_and_nothing_is_kept(app, client):
    bp = Blueprint("explode", __name__)

    @bp.route("/explode", methods=["POST"])
    @allow(PUBLIC)
    def explode():
        db.session.add(
            Enterprise(name="half", uscc="914403001922038216", contact_person="c", mobile="1")
        )
        db.session.flush()  # written to the transaction...
        raise RuntimeError("boom")  # ...and then the request fails

    app.register_blueprint(bp)
    app.testing = False  # let the error handler answer instead of re-raising
    app.config["PROPAGATE_EXCEPTIONS"] = False
    response = client.post("/explode")
    assert response.status_code == 500
    assert "所有内容均未改动" in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Enterprise)) == 0


def test_refused_request_rolls_back(app, client):
    bp = Blueprint("refuse", __name__)

    @bp.route("/refuse", methods=["POST"])
    @allow(PUBLIC)
    def refuse():
        db.session.add(
            Enterprise(name="half", uscc="914403001922038216", contact_person="c", mobile="1")
        )
        db.session.flush()
        return "no", 422

    app.register_blueprint(bp)
    assert client.post("/refuse").status_code == 422
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Enterprise)) == 0


def test_language_switch_for_visitors_and_accounts(app, client, demo):
    assert 'lang="zh-CN"' in client.get("/").get_data(as_text=True)
    response = client.post("/language", data={"locale": "en", "next": "/register"})
    assert response.headers["Location"] == "/register"
    page = client.get("/register").get_data(as_text=True)
    assert 'lang="en"' in page and "Register an enterprise" in page
    # A signed-in account keeps its choice across sessions.
    sign_in(client, "ent2@example.com")
    client.post("/language", data={"locale": "zh_CN", "next": "/home"})
    with app.app_context():
        assert (
            db.session.scalar(select(User.locale).where(User.email == "ent2@example.com"))
            == "zh_CN"
        )
    fresh = app.test_client()
    sign_in(fresh, "ent2@example.com")
    assert 'lang="zh-CN"' in fresh.get("/home").get_data(as_text=True)


def test_language_switch_refuses_foreign_next_and_unknown_locale(client):
    response = client.post("/language", data={"locale": "fr", "next": "//evil.example"})
    assert response.headers["Location"] == "/"
    assert 'lang="zh-CN"' in client.get("/").get_data(as_text=True)


def test_health_ok(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    # No Redis configured in tests; the files folder takes a probe file.
    assert response.get_json() == {
        "status": "ok",
        "database": "ok",
        "redis": "not configured",
        "files": "ok",
    }


@pytest.fixture
def broken_app(app_config, tmp_path):
    from portal import create_app

    # A directory cannot be opened as a database file.
    (tmp_path / "not-a-db").mkdir()
    return create_app(
        {**app_config, "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'not-a-db'}"}
    )


def test_health_503_when_database_is_down(broken_app):
    response = broken_app.test_client().get("/healthz")
    assert response.status_code == 503
    assert response.get_json()["database"] == "unavailable"
