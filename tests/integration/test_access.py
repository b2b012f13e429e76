"""Every endpoint declares who may use it; each role gets exactly what is declared.

EXPECTED_ACCESS is written out by hand on purpose: a new endpoint fails
test_every_endpoint_is_listed until someone decides (here) who may use it.
"""

from __future__ import annotations

import pytest
from sqlalchemy import event, select

from portal.accounts.models import User
from portal.core.access import (
    ADMIN,
    ANONYMOUS,
    APPROVER,
    ENTERPRISE,
    OFFICER,
    PUBLIC,
    REVIEWER,
    SIGNED_IN,
    declared_access,
)
from portal.core.extensions import db
from tests.helpers import sign_in

EXPECTED_ACCESS: dict[str, set[str]] = {
    "static": {PUBLIC},
    "public.index": {PUBLIC},
    "public.healthz": {PUBLIC},
    "accounts.set_language": {PUBLIC},
    "accounts.register": {ANONYMOUS},
    "accounts.login": {ANONYMOUS},
    "accounts.logout": set(SIGNED_IN),
    "accounts.home": set(SIGNED_IN),
    "accounts.change_password": set(SIGNED_IN),
    "admin.accounts": {ADMIN},
    "admin.audit_log": {ADMIN},
    "admin.audit_csv": {ADMIN},
    "admin.create_staff": {ADMIN},
    "admin.change_role": {ADMIN},
    "admin.disable_account": {ADMIN},
    "admin.enable_account": {ADMIN},
    "programs.index": {PUBLIC},
    "programs.show": {PUBLIC},
    "programs.apply": {ENTERPRISE},
    "profiles.edit_profile": {ENTERPRISE},
    "applications.index": {ENTERPRISE},
    "applications.show": {ENTERPRISE},
    "applications.summary": {ENTERPRISE},
    "applications.figures": {ENTERPRISE},
    "applications.amount": {ENTERPRISE},
    "applications.documents": {ENTERPRISE},
    "applications.upload": {ENTERPRISE},
    "applications.declaration": {ENTERPRISE},
    "applications.check": {ENTERPRISE},
    "applications.submit": {ENTERPRISE},
    "applications.withdraw": {ENTERPRISE},
    "files.download": {ENTERPRISE, OFFICER, ADMIN, REVIEWER},
    "files.view": {ENTERPRISE, OFFICER, ADMIN, REVIEWER},
    "staff_applications.index": {OFFICER, ADMIN},
    "staff_applications.show": {OFFICER, ADMIN},
    "staff_applications.return_for_changes": {OFFICER, ADMIN},
    "program_admin.index": {OFFICER, ADMIN},
    "program_editor.create": {OFFICER, ADMIN},
    "program_editor.edit": {OFFICER, ADMIN},
    # Four eyes: only the bureau's leadership signs off what officers propose.
    "sign_off.index": {APPROVER},
    "sign_off.show": {APPROVER},
    "sign_off.approve": {APPROVER},
    "sign_off.send_back": {APPROVER},
}

# Objects the matrix requests by id need not exist: access is decided before the object is
# loaded (a missing one is a 404, which still proves the role got past the access rule).
SAMPLE_VALUES = {
    "code": "rd-post-subsidy-2026",
    "department_id": 1,
    "tile_id": 1,
    "application_id": 1,
    "attachment_id": 1,
    "assignment_id": 1,
    "objection_id": 1,
    "evidence_id": 1,
    "notice_id": 1,
    "user_id": 1,
    "program_id": 1,
    "key": "a107012",
    "letter_id": 1,
    "export_id": 1,
    "lang": "zh",
    "notification_id": 1,
    "record_id": 1,
    "token": "not-a-token",
    "proposal_id": 1,
    "agreement_id": 1,
    "account_id": 1,
    "document_id": 1,
    "review_id": 1,
    "report_id": 1,
    "file_id": 1,
    "case_id": 1,
    "batch_id": 1,
    "tranche_id": 1,
    "task_id": 1,
    "indicator_id": 1,
    "milestone_id": 1,
    "slip_id": 1,
}


def _domain_tables() -> dict[str, set[str]]:
    """Endpoints of later domains are listed beside their tests: tests/integration/access_*.py
    each define EXPECTED = {endpoint: audience}."""
    import importlib
    import pathlib

    merged: dict[str, set[str]] = {}
    for path in sorted(pathlib.Path(__file__).parent.glob("access_*.py")):
        module = importlib.import_module(f"tests.integration.{path.stem}")
        merged.update(module.EXPECTED)
    return merged


EXPECTED_ACCESS.update(_domain_tables())

ROLE_ACCOUNTS = {
    "anonymous": None,
    "enterprise": "ent1@example.com",
    "officer": "officer@example.com",
    "reviewer": "reviewer1@example.com",
    "admin": "admin@example.com",
    "approver": "leader@example.com",
    "supervisor": "supervisor@example.com",
    "department": "hightech@example.com",
}


def _url_for(app, rule, target_user_id: int) -> str:
    values = {}
    for argument in rule.arguments:
        if argument == "user_id":
            values[argument] = target_user_id
        elif argument == "filename":
            values[argument] = "css/portal.css"
        elif argument in SAMPLE_VALUES:
            values[argument] = SAMPLE_VALUES[argument]
        else:
            raise AssertionError(f"no sample value for <{argument}> in {rule.endpoint}")
    with app.test_request_context():
        from flask import url_for

        return url_for(rule.endpoint, **values)


def _rules(app):
    return sorted(app.url_map.iter_rules(), key=lambda r: r.endpoint)


def test_every_endpoint_declares_access(app):
    missing = [r.endpoint for r in _rules(app) if declared_access(app, r.endpoint) is None]
    assert missing == []


def test_every_endpoint_is_listed_with_its_audience(app):
    actual = {r.endpoint: set(declared_access(app, r.endpoint) or ()) for r in _rules(app)}
    assert actual == EXPECTED_ACCESS


def test_an_undeclared_endpoint_is_refused(app, client):
    @app.route("/forgotten")
    def forgotten():
        return "should never be served"

    assert client.get("/forgotten").status_code == 403


def _allowed(audience: set[str], role: str) -> bool:
    if PUBLIC in audience:
        return True
    if role == "anonymous":
        return ANONYMOUS in audience
    return role in audience


CASES = [
    (endpoint, role)
    for endpoint in sorted(EXPECTED_ACCESS)
    if endpoint != "static"
    for role in ROLE_ACCOUNTS
]


@pytest.mark.parametrize(("endpoint", "role"), CASES)
def test_role_against_endpoint(app, client, demo, endpoint, role):
    with app.app_context():
        target = db.session.scalar(select(User).where(User.email == "reviewer3@example.com"))
        target_id = target.id
    if ROLE_ACCOUNTS[role]:
        assert sign_in(client, ROLE_ACCOUNTS[role]).status_code == 302
    rule = next(r for r in app.url_map.iter_rules() if r.endpoint == endpoint)
    url = _url_for(app, rule, target_id)
    method = "GET" if "GET" in rule.methods else "POST"
    response = client.open(url, method=method)
    audience = EXPECTED_ACCESS[endpoint]
    location = response.headers.get("Location", "")
    if _allowed(audience, role):
        assert response.status_code != 403
        assert "/login" not in location or endpoint == "accounts.logout"
    elif role == "anonymous":
        assert response.status_code == 302 and location.startswith("/login?next=")
    elif ANONYMOUS in audience:
        assert response.status_code == 302 and location.endswith("/home")
    else:
        assert response.status_code == 403


@pytest.mark.parametrize("role", list(ROLE_ACCOUNTS))
def test_get_requests_never_write(app, client, demo, role):
    if ROLE_ACCOUNTS[role]:
        assert sign_in(client, ROLE_ACCOUNTS[role]).status_code == 302
    with app.app_context():
        target_id = db.session.scalar(select(User.id).where(User.email == "reviewer3@example.com"))
        engine = db.engine
    writes: list[str] = []

    def capture(_conn, _cursor, statement, *_args):
        if statement.lstrip().split(" ", 1)[0].upper() in {"INSERT", "UPDATE", "DELETE"}:
            writes.append(statement)

    event.listen(engine, "before_cursor_execute", capture)
    try:
        visited = 0
        for rule in _rules(app):
            if "GET" not in rule.methods:
                continue
            response = client.get(_url_for(app, rule, target_id))
            assert response.status_code < 500, rule.endpoint
            visited += 1
    finally:
        event.remove(engine, "before_cursor_execute", capture)
    assert visited >= 8
    assert writes == []
