"""The endpoints of ``app.url_map``, who may use them, and URLs to real objects of the base world.

Who may use what comes from the declared tables of tests/integration/test_access.py (and its
access_*.py files); values for URL arguments come from the world, falling back to that module's
SAMPLE_VALUES, so a new endpoint or argument is picked up (or reported) without a list here.
"""

from __future__ import annotations

import os
import tempfile
from typing import Any

from flask import url_for

from portal.core.access import ANONYMOUS, PUBLIC
from tests.integration.test_access import EXPECTED_ACCESS, SAMPLE_VALUES
from tests.security import world as w

STATE_CHANGING = frozenset({"POST", "PUT", "PATCH", "DELETE"})

# The account that plays each role (firm B holds a draft of its own: see build_base_world).
ACCOUNTS = {
    "anonymous": None,
    "enterprise": w.FIRM_A,
    "officer": w.OFFICER,
    "reviewer": w.ASSIGNED_REVIEWER,
    "admin": w.ADMIN,
    "approver": w.APPROVER,
    "supervisor": w.SUPERVISOR,
    "department": w.DEPARTMENT_MEMBER,
}
ROLES = tuple(ACCOUNTS)


def url_map_app():
    """An app that is only asked for its url_map (no database is touched)."""
    os.environ.setdefault("PORTAL_INSTANCE_DIR", tempfile.mkdtemp(prefix="portal-sec-"))
    from portal import create_app
    from tests.conftest import TEST_CONFIG

    return create_app({**TEST_CONFIG, "SQLALCHEMY_DATABASE_URI": "sqlite://"})


def rules(app, methods=None):
    found = [rule for rule in app.url_map.iter_rules() if rule.endpoint != "static"]
    if methods is not None:
        found = [rule for rule in found if rule.methods & set(methods)]
    return sorted(found, key=lambda rule: (rule.endpoint, rule.rule))


def state_changing_rules(app):
    return rules(app, STATE_CHANGING)


def audience(endpoint: str) -> set[str]:
    assert endpoint in EXPECTED_ACCESS, (
        f"{endpoint} is not in the declared access tables (tests/integration/test_access.py "
        "and access_*.py): declare who may use it"
    )
    return EXPECTED_ACCESS[endpoint]


def allowed_roles(endpoint: str) -> list[str]:
    """Every role that may use the endpoint ("anonymous" for public and visitors' pages)."""
    who = audience(endpoint)
    roles = [role for role in ROLES if role != "anonymous" and (PUBLIC in who or role in who)]
    if PUBLIC in who or ANONYMOUS in who:
        roles.insert(0, "anonymous")
    if ANONYMOUS in who and PUBLIC not in who:
        roles = ["anonymous"]
    return roles


def refused_roles(endpoint: str) -> list[str]:
    allowed = allowed_roles(endpoint)
    return [role for role in ROLES if role not in allowed]


def world_values(world: dict[str, Any], app) -> dict[str, Any]:
    """URL arguments that point at real objects of the base world."""
    return {
        **SAMPLE_VALUES,
        "code": w.RD,
        "application_id": world["rd_application"],
        "attachment_id": world["rd_attachment"],
        "assignment_id": world["assignment"],
        "objection_id": world["objection"],
        "user_id": w.user_id(app, w.OTHER_REVIEWER),
        "program_id": world["programme"],
        "letter_id": world["letter"],
        "export_id": world["export"],
        "notification_id": world["firm_a_notification"],
        "filename": "css/portal.css",
    }


# Where the default object is not the one an endpoint works on.
ENDPOINT_VALUES = {
    "publicity.object": {"application_id": "open_publicity_application"},
    "publicity.send_code": {"application_id": "open_publicity_application"},
    "publicity.confirm_code": {"application_id": "open_publicity_application"},
    "review_admin.application_reviews": {"application_id": "key_application"},
    "review_admin.assign": {"application_id": "key_application"},
    "review_admin.auto_assign_one": {"application_id": "key_application"},
    "review_admin.moderate": {"application_id": "key_application"},
    "review_admin.program_overview": {"program_id": "key_programme"},
    "review_admin.auto_assign": {"program_id": "key_programme"},
    "letters.issue_now": {"application_id": "awarded_application"},
    "letter_admin.program_letters": {"program_id": "eagle_programme"},
    "letter_admin.start_export": {"program_id": "eagle_programme"},
    "files.download": {"attachment_id": "key_attachment"},
}


def url_for_rule(app, rule, world: dict[str, Any], **overrides: Any) -> str:
    values = world_values(world, app)
    for argument, key in ENDPOINT_VALUES.get(rule.endpoint, {}).items():
        values[argument] = world[key]
    values.update(overrides)
    missing = [argument for argument in rule.arguments if argument not in values]
    assert not missing, (
        f"no value for <{', '.join(missing)}> of {rule.endpoint}: add one to SAMPLE_VALUES "
        "(tests/integration/test_access.py) or to tests/security/endpoints.py"
    )
    with app.test_request_context():
        return url_for(rule.endpoint, **{argument: values[argument] for argument in rule.arguments})


def rule_of(app, endpoint: str):
    return next(rule for rule in app.url_map.iter_rules() if rule.endpoint == endpoint)


def refusal_expected(role: str, endpoint: str) -> str:
    """How a refused role is turned away: "login" (anonymous), "home" (signed in on a
    visitors' page) or "403"."""
    if role == "anonymous":
        return "login"
    if ANONYMOUS in audience(endpoint):
        return "home"
    return "403"


def assert_refused(response, how: str, what: str) -> None:
    location = response.headers.get("Location", "")
    if how == "login":
        assert response.status_code == 302 and location.startswith("/login?next="), (
            what,
            response.status_code,
            location,
        )
    elif how == "home":
        assert response.status_code == 302 and location.endswith("/home"), (
            what,
            response.status_code,
            location,
        )
    else:
        assert response.status_code == 403, (what, response.status_code, location)
