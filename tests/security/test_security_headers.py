"""Security headers on every response: every GET endpoint of ``app.url_map`` as every role
that may use it (on real objects, so pages, PDFs, spreadsheets and ZIPs alike), and every kind
of error page."""

from __future__ import annotations

import io

import pytest
from flask import Blueprint

from portal.core.access import PUBLIC, allow
from tests.helpers import sign_in
from tests.security import world as w
from tests.security.endpoints import (
    ACCOUNTS,
    ROLES,
    allowed_roles,
    rules,
    url_for_rule,
    url_map_app,
)

GET_ENDPOINTS = [rule.endpoint for rule in rules(url_map_app(), {"GET"})] + ["static"]


def directives(csp: str) -> dict[str, list[str]]:
    parsed = {}
    for part in csp.split(";"):
        words = part.split()
        if words:
            parsed[words[0]] = words[1:]
    return parsed


def assert_secure_headers(response, what: str) -> None:
    headers = response.headers
    csp = headers.get("Content-Security-Policy")
    assert csp, f"{what}: no Content-Security-Policy"
    policy = directives(csp)
    scripts = policy.get("script-src", policy.get("default-src"))
    assert scripts is not None, f"{what}: no script-src"
    assert "'unsafe-inline'" not in scripts and "'unsafe-eval'" not in scripts, what
    assert "*" not in scripts and "data:" not in scripts, what
    assert policy.get("object-src") == ["'none'"], what
    assert policy.get("base-uri") == ["'none'"], what
    framing = policy.get("frame-ancestors")
    assert headers.get("X-Frame-Options") in ("DENY", "SAMEORIGIN") or framing in (
        ["'none'"],
        ["'self'"],
    ), what
    assert headers.get("X-Content-Type-Options") == "nosniff", what
    assert headers.get("Referrer-Policy") in (
        "no-referrer",
        "same-origin",
        "strict-origin",
        "strict-origin-when-cross-origin",
    ), what


@pytest.mark.parametrize("endpoint", GET_ENDPOINTS)
def test_every_page_as_every_role_that_may_see_it(world_app, fresh_world, endpoint):
    app, world = world_app, fresh_world
    rule = next(r for r in app.url_map.iter_rules() if r.endpoint == endpoint)
    roles = ["anonymous", *ROLES[1:]] if endpoint == "static" else allowed_roles(endpoint)
    for role in roles:
        client = w.signed_in_client(app, ACCOUNTS[role])
        url = url_for_rule(app, rule, world)
        response = client.get(url)
        assert response.status_code < 500, (url, role)
        assert_secure_headers(response, f"GET {url} as {role} ({response.status_code})")


def test_downloads_are_attachments_of_their_own_type(world_app, fresh_world):
    officer = w.signed_in_client(world_app, w.OFFICER)
    for url, mimetype in (
        (f"/files/{fresh_world['rd_attachment']}", "application/pdf"),
        (f"/letters/{fresh_world['letter']}/zh.pdf", "application/pdf"),
        (f"/staff/letters/exports/{fresh_world['export']}/download", "application/zip"),
    ):
        response = officer.get(url)
        assert response.status_code == 200, url
        assert response.mimetype == mimetype, url
        assert response.headers["Content-Disposition"].startswith("attachment"), url
        assert "no-store" in response.headers.get("Cache-Control", ""), url
        assert_secure_headers(response, url)
    for url in ("/staff/exports/applications.csv", "/staff/exports/applications.xlsx"):
        response = officer.post(url)
        assert response.status_code == 200, url
        assert response.headers["Content-Disposition"].startswith("attachment"), url
        assert_secure_headers(response, url)


@pytest.fixture
def error_app(app, demo):
    """An app with a view that fails, for the 500 page."""
    bp = Blueprint("failing", __name__)

    @bp.route("/failing")
    @allow(PUBLIC)
    def failing():
        raise RuntimeError("a bug")

    app.register_blueprint(bp)
    app.config["MAX_CONTENT_LENGTH"] = 1024
    app.config["PROPAGATE_EXCEPTIONS"] = False
    return app


def test_error_pages_carry_the_headers_too(error_app):
    client = error_app.test_client()
    firm = error_app.test_client()
    assert sign_in(firm, w.FIRM_A).status_code == 302
    cases = [
        (client.get("/no/such/page"), 404),
        (firm.get("/applications/999999"), 404),
        (firm.get("/staff/applications"), 403),
        (client.get("/logout"), 405),
        (firm.post("/review/1", data={}), 403),
        (client.post("/register", data={"company_name": "x" * 4096}), 413),
        (client.get("/failing"), 500),
        (
            client.post(
                "/verify/file",
                data={"file": (io.BytesIO(b"x" * 4096), "a.pdf")},
                content_type="multipart/form-data",
            ),
            413,
        ),
    ]
    for response, code in cases:
        assert response.status_code == code
        assert_secure_headers(response, f"error {code}")
        assert "a bug" not in response.get_data(as_text=True)


@pytest.fixture
def strict_app(app_config, demo):
    """Rate limits and CSRF on, as in production."""
    from tests.security.conftest import make_app

    return make_app(
        {
            **app_config,
            "RATELIMIT_ENABLED": True,
            "WTF_CSRF_ENABLED": True,
            "VERIFY_RATE_LIMIT": "2/minute",
        }
    )


def test_csrf_and_rate_limit_pages_carry_the_headers_too(strict_app):
    client = strict_app.test_client()
    response = client.post("/login", data={"email": "a@example.com", "password": "x"})
    assert response.status_code == 400
    assert_secure_headers(response, "CSRF 400")
    statuses = [client.get("/verify").status_code for _ in range(3)]
    assert statuses == [200, 200, 429]
    assert_secure_headers(client.get("/verify"), "429")


def test_https_adds_strict_transport_security(app_config, demo, tmp_path):
    from portal.config import settings_from_env
    from tests.security.conftest import make_app

    https = settings_from_env({"PORTAL_HTTPS": "true", "PORTAL_SECRET_KEY": "k"}, tmp_path)
    secure = make_app({**app_config, "SESSION_COOKIE_SECURE": https["SESSION_COOKIE_SECURE"]})
    response = secure.test_client().get("/", base_url="https://localhost")
    hsts = response.headers["Strict-Transport-Security"]
    assert hsts.startswith("max-age=") and int(hsts.split("=")[1].split(";")[0]) >= 15552000
    assert_secure_headers(response, "https")
    plain = make_app(app_config).test_client().get("/")
    assert "Strict-Transport-Security" not in plain.headers
