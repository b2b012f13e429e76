"""CSRF protection on every state-changing endpoint of ``app.url_map``, for every role that may
use it, on real objects.

For each endpoint and allowed role: a request without a token, with a made-up token, with a
real token of another session, and with a wrong token in the X-CSRFToken header is refused with
the CSRF page (400) and changes no row of any table and no stored file; then the same request
with the page's own token is not refused, so the 400s came from the missing token and nothing
else. Where the request body is a valid submission, the request with the token must really
change the database, which shows that the refused ones would have too.

The endpoints are read from the url_map when this module is collected: a new POST endpoint gets
its own case here, and fails until the access tables say who may use it.
"""

from __future__ import annotations

import pytest
from flask import Blueprint

from portal.core.access import PUBLIC, allow
from tests.security import world as w
from tests.security.endpoints import (
    ACCOUNTS,
    STATE_CHANGING,
    allowed_roles,
    rule_of,
    state_changing_rules,
    url_for_rule,
    url_map_app,
)
from tests.security.forms import CSRF_REFUSAL_TEXT, page_token

ENDPOINTS = [rule.endpoint for rule in state_changing_rules(url_map_app())]

# Valid submissions: with the token, these requests must change the database.
BODIES = {
    "accounts.register": {
        "company_name": "阜新新注册科技有限公司",
        "uscc": "",  # replaced by a valid code below
        "contact_person": "李四",
        "mobile": "13904180000",
        "email": "newfirm@example.com",
        "password": "Another-Portal-2026",
        "password_confirm": "Another-Portal-2026",
    },
    "accounts.login": {"email": w.FIRM_A, "password": "Demo-Portal-2026"},
    "accounts.set_language": {"locale": "en", "next": "/"},
    "applications.summary": {"project_title": "新的项目名称", "project_summary": "新的项目摘要。"},
    "admin.disable_account": {},
    "notifications.open_notification": {},
    "publicity.object": {"reason": "研发数据不符。"},
    "publicity.send_code": {"name": "李四", "channel": "email", "address": "lisi@example.com"},
    "publicity.confirm_code": {"code": "123456"},
    "reviewer.score": {"action": "draft", "comment__innovation": "草稿意见。"},
    "staff_applications.reject": {"reason": "不符合申报条件。"},
    "staff_applications.return_for_changes": {"sections": "summary", "reason": "请补充。"},
}
# Signed-in endpoints whose valid body changes the database only for some roles.
CHANGES_FOR = {
    "accounts.set_language": {"enterprise", "officer", "reviewer", "admin"},
    "accounts.login": {"anonymous"},
    "notifications.open_notification": {"enterprise"},
    # Objections are signed: an account's (a visitor confirms an address first).
    "publicity.object": {"enterprise", "officer", "reviewer", "admin"},
    # Without a code asked for in this session there is nothing to confirm.
    "publicity.confirm_code": set(),
}


@pytest.fixture
def app_config(app_config):
    return {**app_config, "WTF_CSRF_ENABLED": True}


@pytest.fixture(scope="module")
def world_app_config():
    return {"WTF_CSRF_ENABLED": True}


def _body(endpoint: str) -> dict:
    body = dict(BODIES.get(endpoint, {"locale": "en", "email": "x@example.com"}))
    if endpoint == "accounts.register":
        from portal.accounts.uscc import with_check_character

        body["uscc"] = with_check_character("91210900MA0XY0009")
    return body


def _client_for(app, role: str, endpoint: str):
    account = ACCOUNTS[role]
    if role == "enterprise" and endpoint.startswith("applications."):
        account = w.FIRM_B  # firm B's own draft can still be edited
    return w.signed_in_client(app, account)


def _url(app, world, endpoint: str, role: str) -> str:
    overrides = {}
    if role == "enterprise" and endpoint.startswith("applications."):
        overrides["application_id"] = world["firm_b_application"]
    return url_for_rule(app, rule_of(app, endpoint), world, **overrides)


def _method(app, endpoint: str) -> str:
    methods = sorted(rule_of(app, endpoint).methods & STATE_CHANGING)
    return methods[0]


def _assert_csrf_refusal(response, what: str) -> None:
    assert response.status_code == 400, (what, response.status_code)
    assert CSRF_REFUSAL_TEXT.encode() in response.data, what


def test_state_changing_endpoints_are_found_in_the_url_map():
    assert len(ENDPOINTS) >= 40
    assert {"accounts.logout", "applications.upload", "decisions.release"} <= set(ENDPOINTS)


def test_a_new_post_endpoint_is_walked_and_refused_without_a_token(app, world):
    bp = Blueprint("probe", __name__)

    @bp.route("/probe-new-endpoint", methods=["POST", "DELETE"])
    @allow(PUBLIC)
    def probe():
        from portal.core.audit import record

        record("probe.changed", object_type="probe")
        return "changed"

    app.register_blueprint(bp)
    assert "probe.probe" in [rule.endpoint for rule in state_changing_rules(app)]
    # ... and the walk cannot run it until the access tables declare it.
    with pytest.raises(AssertionError, match="not in the declared access tables"):
        allowed_roles("probe.probe")
    client = app.test_client()
    before = w.fingerprint(app)
    _assert_csrf_refusal(client.post("/probe-new-endpoint"), "POST")
    _assert_csrf_refusal(client.delete("/probe-new-endpoint"), "DELETE")
    assert w.fingerprint(app) == before
    token = page_token(client.get("/").get_data(as_text=True))
    assert client.post("/probe-new-endpoint", data={"csrf_token": token}).status_code == 200
    assert w.changed_tables(before, w.fingerprint(app)) == ["audit_events"]


@pytest.mark.parametrize("endpoint", ENDPOINTS)
def test_refused_without_a_valid_token_and_accepted_with_it(world_app, fresh_world, endpoint):
    app, world = world_app, fresh_world
    method = _method(app, endpoint)
    foreign_token = page_token(app.test_client().get("/").get_data(as_text=True))
    must_change = endpoint in BODIES
    for role in allowed_roles(endpoint):
        what = f"{method} {endpoint} as {role}"
        client = _client_for(app, role, endpoint)
        url = _url(app, world, endpoint, role)
        token = page_token(client.get("/").get_data(as_text=True))
        assert token != foreign_token
        body = _body(endpoint)
        before, files_before = w.fingerprint(app), w.stored_files(app)

        _assert_csrf_refusal(client.open(url, method=method, data=body), f"{what}, no token")
        # (not the last character: its low bits are padding, so changing it may change nothing)
        head, signature = token.rsplit(".", 1)
        tampered = f"{head}.{'B' if signature[0] == 'A' else 'A'}{signature[1:]}"
        for wrong in ("not-a-token", foreign_token, tampered):
            response = client.open(url, method=method, data={**body, "csrf_token": wrong})
            _assert_csrf_refusal(response, f"{what}, token {wrong[:12]}…")
        response = client.open(url, method=method, data=body, headers={"X-CSRFToken": "wrong"})
        _assert_csrf_refusal(response, f"{what}, wrong header")
        changed = w.changed_tables(before, w.fingerprint(app))
        assert changed == [], f"{what}: refused, yet {changed} changed"
        assert w.stored_files(app) == files_before, what

        response = client.open(url, method=method, data={**body, "csrf_token": token})
        assert response.status_code != 400, (what, response.data[:600])
        assert CSRF_REFUSAL_TEXT.encode() not in response.data, what
        if must_change and role in CHANGES_FOR.get(endpoint, {role}):
            # The first role's valid submission does the work (the next ones may find it done).
            must_change = False
            changed = w.changed_tables(before, w.fingerprint(app))
            assert changed, f"{what}: the token request changed nothing ({response.status_code})"


def test_the_token_also_works_in_the_header(world_app, fresh_world):
    app = world_app
    client = w.signed_in_client(app, w.FIRM_A)
    token = page_token(client.get("/").get_data(as_text=True))
    before = w.fingerprint(app)
    response = client.post("/notifications/read", headers={"X-CSRFToken": token})
    assert response.status_code == 302
    assert w.changed_tables(before, w.fingerprint(app)) == ["notifications"]


def test_a_token_of_a_signed_out_session_is_refused(world_app, fresh_world):
    app = world_app
    client = w.signed_in_client(app, w.FIRM_A)
    old_token = page_token(client.get("/").get_data(as_text=True))
    assert client.post("/logout", data={"csrf_token": old_token}).status_code == 302
    w.signed_in_client(app, w.FIRM_A)  # the same account signs in elsewhere
    from tests.helpers import sign_in

    assert sign_in(client, w.FIRM_A).status_code == 302
    before = w.fingerprint(app)
    _assert_csrf_refusal(
        client.post("/notifications/read", data={"csrf_token": old_token}), "old token"
    )
    assert w.fingerprint(app) == before
