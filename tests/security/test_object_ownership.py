"""Who may touch which object, on real objects of the base world.

The role matrix of tests/integration/test_access.py asks with ids that need not exist; here
every URL points at a real object, so a refusal cannot come from the object being missing, and
after every refused POST no row of any table and no stored file has changed. On top of the
declared roles come the rules about ownership: firm B gets 404 (never 403: it must not learn
that the object exists) for firm A's applications, documents, letters and notifications; a
reviewer sees only an assignment of their own that they have not declined, and a reviewer who
declared a conflict of interest with the firm can be assigned to it no more.
"""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import func, select

from portal.core.access import ENTERPRISE
from portal.core.extensions import db
from tests.security import world as w
from tests.security.endpoints import (
    ACCOUNTS,
    ROLES,
    assert_refused,
    audience,
    refusal_expected,
    refused_roles,
    rule_of,
    rules,
    url_for_rule,
    url_map_app,
)

URL_MAP_APP = url_map_app()
ALL_RULES = rules(URL_MAP_APP)
OBJECT_ARGUMENTS = {"application_id", "attachment_id", "letter_id", "notification_id"}
# Enterprise endpoints that take an object of a firm: firm B must get 404 on firm A's.
FIRM_OBJECT_ENDPOINTS = sorted(
    rule.endpoint
    for rule in ALL_RULES
    if OBJECT_ARGUMENTS & set(rule.arguments) and ENTERPRISE in audience(rule.endpoint)
)
FIRM_A_OBJECTS = {
    "application_id": ("rd_application", "key_application", "awarded_application"),
    "attachment_id": ("rd_attachment", "key_attachment"),
    "letter_id": ("letter",),
    "notification_id": ("firm_a_notification",),
}


def _methods(rule) -> list[str]:
    return [method for method in ("GET", "POST") if method in rule.methods]


def test_the_walk_finds_the_firms_object_endpoints():
    assert {
        "applications.show",
        "applications.upload",
        "files.download",
        "letters.download",
        "notifications.open_notification",
    } <= set(FIRM_OBJECT_ENDPOINTS)


@pytest.mark.parametrize("endpoint", FIRM_OBJECT_ENDPOINTS)
def test_firm_b_gets_404_for_firm_a_objects(world_app, fresh_world, endpoint):
    app, world = world_app, fresh_world
    rule = rule_of(app, endpoint)
    (argument,) = OBJECT_ARGUMENTS & set(rule.arguments)
    firm_a = w.signed_in_client(app, w.FIRM_A)
    firm_b = w.signed_in_client(app, w.FIRM_B)
    unchanged = w.Unchanged(app)
    for key in FIRM_A_OBJECTS[argument]:
        url = url_for_rule(app, rule, world, **{argument: world[key]})
        for method in _methods(rule):
            response = firm_b.open(url, method=method, data={"reason": "x", "confirm": "y"})
            assert response.status_code == 404, (method, url, response.status_code)
        unchanged.check(f"firm B on {url}")
        if "GET" in rule.methods:  # the owner does get it
            assert firm_a.get(url).status_code in (200, 302), url


def test_firm_b_marking_its_notifications_read_leaves_firm_a_s_alone(world_app, fresh_world):
    from portal.notifications.models import Notification

    firm_b = w.signed_in_client(world_app, w.FIRM_B)
    assert firm_b.post("/notifications/read").status_code == 302
    with world_app.app_context():
        unread = db.session.scalar(
            select(func.count())
            .select_from(Notification)
            .where(Notification.user_id == w.user_id(world_app, w.FIRM_A))
            .where(Notification.read_at.is_(None))
        )
    assert unread >= 1


def test_firm_pages_do_not_list_another_firms_applications(world_app, fresh_world):
    from portal.applications.models import Application

    with world_app.app_context():
        references = {
            key: db.session.get(Application, fresh_world[key]).reference
            for key in ("rd_application", "key_application", "firm_b_application")
        }
    firm_b = w.signed_in_client(world_app, w.FIRM_B)
    page = firm_b.get("/applications").get_data(as_text=True)
    assert references["firm_b_application"] in page
    assert references["rd_application"] not in page
    assert references["key_application"] not in page


# --- reviewers ---------------------------------------------------------------------------------


REVIEWER_ENDPOINTS = ("reviewer.score", "reviewer.decline")


@pytest.mark.parametrize(
    ("email", "assignment"),
    [
        (w.OTHER_REVIEWER, "assignment"),  # reviewer3 opens reviewer1's assignment
        (w.CONFLICTED_REVIEWER, "assignment"),
        (w.CONFLICTED_REVIEWER, "declined_assignment"),  # its own, declined as a conflict
    ],
)
def test_a_reviewer_opens_and_scores_only_an_assignment_of_their_own(
    world_app, fresh_world, email, assignment
):
    app, world = world_app, fresh_world
    reviewer = w.signed_in_client(app, email)
    unchanged = w.Unchanged(app)
    body = {"action": "submit", "score__innovation": "9", "comment__innovation": "好", "note": "x"}
    for endpoint in REVIEWER_ENDPOINTS:
        rule = rule_of(app, endpoint)
        url = url_for_rule(app, rule, world, assignment_id=world[assignment])
        for method in _methods(rule):
            response = reviewer.open(url, method=method, data={**body, "reason": "other"})
            assert response.status_code == 404, (email, method, url, response.status_code)
    # ... nor the application's documents, nor anything of it on the queue page.
    for key in ("key_attachment", "rd_attachment"):
        assert reviewer.get(f"/files/{world[key]}").status_code == 404
    queue = reviewer.get("/review").get_data(as_text=True)
    assert "含氟新材料中试线" not in queue
    unchanged.check(f"{email} on {assignment}")


def test_the_assigned_reviewer_does_open_it(world_app, fresh_world):
    reviewer = w.signed_in_client(world_app, w.ASSIGNED_REVIEWER)
    page = reviewer.get(f"/review/{fresh_world['assignment']}")
    assert page.status_code == 200 and "含氟新材料中试线" in page.get_data(as_text=True)
    assert reviewer.get(f"/files/{fresh_world['key_attachment']}").status_code == 200
    # Another application's documents stay closed to them.
    assert reviewer.get(f"/files/{fresh_world['rd_attachment']}").status_code == 404


def test_a_conflicted_reviewer_cannot_be_assigned_again(world_app, fresh_world):
    from portal.review.models import Assignment
    from tests.helpers import use_english

    app, world = world_app, fresh_world
    with app.app_context():  # the declined assignment goes: only the conflict is left
        db.session.delete(db.session.get(Assignment, world["declined_assignment"]))
        db.session.commit()
    officer = use_english(w.signed_in_client(app, w.OFFICER))
    due = (date.today() + timedelta(days=20)).isoformat()
    url = f"/staff/review/applications/{world['key_application']}"
    unchanged = w.Unchanged(app)
    response = officer.post(
        f"{url}/assign",
        data={"reviewer_id": str(w.user_id(app, w.CONFLICTED_REVIEWER)), "due_on": due},
    )
    assert response.status_code == 422, response.status_code
    assert "declared a conflict of interest" in response.get_data(as_text=True)
    unchanged.check("assigning the conflicted reviewer")
    # Automatic assignment fills the place with someone else.
    assert officer.post(f"{url}/auto-assign", data={"due_on": due}).status_code == 302
    with app.app_context():
        reviewers = set(
            db.session.scalars(
                select(Assignment.reviewer_id).where(
                    Assignment.application_id == world["key_application"]
                )
            )
        )
    assert w.user_id(app, w.CONFLICTED_REVIEWER) not in reviewers
    assert w.user_id(app, w.OTHER_REVIEWER) in reviewers


# --- the declared roles, on real objects -------------------------------------------------------


@pytest.mark.parametrize("role", ROLES)
def test_every_refused_role_is_turned_away_from_real_objects(world_app, fresh_world, role):
    app, world = world_app, fresh_world
    client = w.signed_in_client(app, ACCOUNTS[role])
    unchanged = w.Unchanged(app)
    visited = 0
    for rule in ALL_RULES:
        if role not in refused_roles(rule.endpoint):
            continue
        url = url_for_rule(app, rule, world)
        how = refusal_expected(role, rule.endpoint)
        for method in _methods(rule):
            response = client.open(url, method=method, data={"reason": "x", "confirm": "y"})
            assert_refused(response, how, f"{method} {url} as {role}")
            if how == "login":  # back to the same page after signing in
                assert response.headers["Location"].endswith(_quoted(url))
            visited += 1
        unchanged.check(f"{role} on {url}")
    assert visited >= 10


def _quoted(url: str) -> str:
    from urllib.parse import quote

    return quote(url, safe="")


STAFF_RULES = [rule for rule in ALL_RULES if rule.rule.startswith(("/staff/", "/admin/"))]
REVIEW_RULES = [rule for rule in ALL_RULES if rule.rule.startswith("/review")]


@pytest.mark.parametrize(
    ("role", "prefix"),
    [
        ("enterprise", "/staff/"),
        ("enterprise", "/admin/"),
        ("enterprise", "/review"),
        ("reviewer", "/staff/"),
        ("reviewer", "/admin/"),
        ("officer", "/admin/"),
        ("officer", "/review"),
    ],
)
def test_whole_areas_are_closed_to_roles_that_do_not_work_there(
    world_app, fresh_world, role, prefix
):
    """By address, not by table: a new /staff/ endpoint opened to firms fails here."""
    app, world = world_app, fresh_world
    client = w.signed_in_client(app, ACCOUNTS[role])
    area = [rule for rule in ALL_RULES if rule.rule.startswith(prefix)]
    assert len(area) >= 3
    unchanged = w.Unchanged(app)
    for rule in area:
        url = url_for_rule(app, rule, world)
        for method in _methods(rule):
            response = client.open(url, method=method, data={"reason": "x"})
            assert response.status_code == 403, (role, method, url, response.status_code)
    unchanged.check(f"{role} in {prefix}")


def test_visitors_are_sent_to_sign_in_from_every_page_that_needs_an_account(world_app, fresh_world):
    app, world = world_app, fresh_world
    client = app.test_client()
    unchanged = w.Unchanged(app)
    for rule in ALL_RULES:
        if "anonymous" not in refused_roles(rule.endpoint):
            continue
        url = url_for_rule(app, rule, world)
        for method in _methods(rule):
            response = client.open(url, method=method)
            assert response.status_code == 302, (method, url)
            assert response.headers["Location"] == f"/login?next={_quoted(url)}", url
    unchanged.check("visitors")
    assert client.get("/home").headers["Location"].startswith("/login")
