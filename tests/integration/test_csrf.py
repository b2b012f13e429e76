"""CSRF is enforced on every POST endpoint (integration tests otherwise run without it)."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from portal.core.audit import AuditEvent
from portal.core.extensions import db
from tests.helpers import csrf_token_from, sign_in


@pytest.fixture
def app_config(app_config):
    return {**app_config, "WTF_CSRF_ENABLED": True}


def _post_rules(app):
    return sorted(
        (rule for rule in app.url_map.iter_rules() if "POST" in rule.methods),
        key=lambda rule: rule.endpoint,
    )


def _url(app, rule):
    from flask import url_for

    with app.test_request_context():
        return url_for(rule.endpoint, **{arg: 5 for arg in rule.arguments})


def test_there_are_post_endpoints_to_check(app):
    assert len(_post_rules(app)) >= 8


@pytest.mark.parametrize("account", [None, "admin@example.com", "ent1@example.com"])
def test_every_post_without_a_token_is_refused_and_changes_nothing(app, client, demo, account):
    if account:
        assert sign_in(client, account).status_code == 302  # the real form, with its token
    with app.app_context():
        events_before = db.session.scalar(select(func.count()).select_from(AuditEvent))
    for rule in _post_rules(app):
        response = client.post(_url(app, rule), data={"locale": "en", "email": "x@example.com"})
        assert response.status_code == 400, rule.endpoint
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(AuditEvent)) == events_before


def test_a_post_with_the_token_is_accepted(client, demo):
    page = client.get("/login").get_data(as_text=True)
    response = client.post(
        "/login",
        data={
            "email": "ent1@example.com",
            "password": "Demo-Portal-2026",
            "csrf_token": csrf_token_from(page),
        },
    )
    assert response.status_code == 302


def test_csrf_failure_page_explains_what_to_do(client):
    response = client.post("/login", data={"email": "a@example.com", "password": "x"})
    assert response.status_code == 400
    assert "重新打开页面" in response.get_data(as_text=True)
