"""No response sends the browser to another site, whatever return-to value it is given.

The endpoints that follow a return-to value are sign-in (``next``, carried from the address
through the form), the language switch (``next``) and opening a notification (its stored link).
Every other endpoint of ``app.url_map`` is probed too, with the payloads in ``next`` and in the
other names such parameters go by, so that a new one that follows them is caught.
"""

from __future__ import annotations

import string
from urllib.parse import quote, urljoin, urlsplit

import pytest
from sqlalchemy import select

from portal.core.extensions import db
from tests.helpers import DEMO_PASSWORD
from tests.security import world as w
from tests.security.endpoints import (
    ACCOUNTS,
    STATE_CHANGING,
    allowed_roles,
    rules,
    url_for_rule,
    url_map_app,
)
from tests.security.forms import form_fields

PAYLOADS = [
    "//evil.example",
    "https://evil.example",
    "/\\evil.example",
    "\\\\evil.example",
    "javascript:alert(1)",
    "http:/evil.example",
    "%2F%2Fevil.example",
    "/%2F%2Fevil.example",
    "///evil.example",
    "/\t/evil.example",
    " //evil.example",
    "https:evil.example",
    "//evil.example@localhost",
    "/login?next=//evil.example",
]
RETURN_TO_NAMES = ("next", "return_to", "return", "back", "redirect", "url", "target", "continue")
ALL_RULES = rules(url_map_app())


def stays_on_site(location: str | None) -> bool:
    """Whether a browser following ``location`` from a page of the site stays on it.

    Browsers drop tabs and new lines anywhere in a URL, surrounding spaces and control
    characters, and read backslashes as slashes in http(s) URLs. A scheme without a host
    (``http:/evil.example``) is refused too: on an HTTPS page it names another site."""
    if not location:
        return True
    cleaned = "".join(ch for ch in location if ch not in "\t\n\r")
    cleaned = cleaned.strip(string.whitespace + "".join(map(chr, range(32))))
    cleaned = cleaned.replace("\\", "/")
    given = urlsplit(cleaned)
    if given.scheme and not (given.scheme in ("http", "https") and given.netloc == "localhost"):
        return False
    target = urlsplit(urljoin("http://localhost/some/page", cleaned))
    return target.scheme in ("http", "https") and target.netloc == "localhost"


@pytest.mark.parametrize(
    ("location", "safe"),
    [
        ("/home", True),
        ("/login?next=%2F%2Fevil.example", True),
        ("http://localhost/home", True),
        ("//evil.example", False),
        ("/\\evil.example", False),
        ("\\\\evil.example", False),
        ("/\t/evil.example", False),
        (" //evil.example", False),
        ("javascript:alert(1)", False),
        ("http:/evil.example", False),
        ("https:evil.example", False),
        ("https://evil.example", False),
        ("https://localhost.evil.example/", False),
    ],
)
def test_the_judge_of_locations(location, safe):
    assert stays_on_site(location) is safe


def _quoted(value: str) -> str:
    return quote(value, safe="")


@pytest.mark.parametrize("payload", PAYLOADS)
def test_sign_in_follows_no_foreign_next(world_app, fresh_world, payload):
    for query in (_quoted(payload), _quoted(_quoted(payload))):
        client = world_app.test_client()
        page = client.get(f"/login?next={query}").get_data(as_text=True)
        form = form_fields(page, "/login")
        form["email"], form["password"] = w.FIRM_A, DEMO_PASSWORD
        response = client.post("/login", data=form)
        assert response.status_code == 302
        location = response.headers["Location"]
        assert stays_on_site(location), (payload, location)
        # The typed value itself, straight into the form.
        client = world_app.test_client()
        response = client.post(
            "/login", data={"email": w.FIRM_A, "password": DEMO_PASSWORD, "next": payload}
        )
        assert stays_on_site(response.headers["Location"]), (payload, response.headers)


def test_sign_in_does_follow_a_path_of_the_site(world_app, fresh_world):
    client = world_app.test_client()
    response = client.get("/applications/1")
    assert response.headers["Location"] == "/login?next=%2Fapplications%2F1"
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    form = form_fields(page, "/login")
    form["email"], form["password"] = w.FIRM_A, DEMO_PASSWORD
    assert client.post("/login", data=form).headers["Location"] == "/applications/1"


@pytest.mark.parametrize("payload", PAYLOADS)
def test_the_language_switch_follows_no_foreign_next(world_app, fresh_world, payload):
    for account in (None, w.FIRM_A):
        client = w.signed_in_client(world_app, account)
        response = client.post("/language", data={"locale": "en", "next": payload})
        assert response.status_code == 302
        assert stays_on_site(response.headers["Location"]), (payload, response.headers)
    response = client.post("/language", data={"locale": "zh_CN", "next": "/programmes"})
    assert response.headers["Location"] == "/programmes"


@pytest.mark.parametrize("link", PAYLOADS)
def test_opening_a_notification_follows_only_a_link_of_the_site(world_app, fresh_world, link):
    from portal.notifications.models import Notification

    firm = w.signed_in_client(world_app, w.FIRM_A)
    with world_app.app_context():
        notification = db.session.get(Notification, fresh_world["firm_a_notification"])
        notification.link = link
        db.session.commit()
    response = firm.post(f"/notifications/{fresh_world['firm_a_notification']}/open")
    assert response.status_code == 302
    assert stays_on_site(response.headers["Location"]), (link, response.headers)


def test_a_notification_link_of_the_site_is_followed(world_app, fresh_world):
    from portal.notifications.models import Notification

    firm = w.signed_in_client(world_app, w.FIRM_A)
    with world_app.app_context():
        link = db.session.scalar(
            select(Notification.link).where(Notification.id == fresh_world["firm_a_notification"])
        )
    assert link.startswith("/")
    response = firm.post(f"/notifications/{fresh_world['firm_a_notification']}/open")
    assert response.headers["Location"] == link


@pytest.mark.parametrize(
    "path", ["//evil.example", "//evil.example/login", "///evil.example//home", "/staff//review"]
)
def test_odd_paths_do_not_redirect_away(world_app, fresh_world, path):
    # As a browser sends them: the path as given, the Host header of the portal.
    response = world_app.test_client().get("/", environ_overrides={"PATH_INFO": path})
    assert stays_on_site(response.headers.get("Location")), (path, response.headers)


WALK_PAYLOADS = ["//evil.example", "https://evil.example", "/\\evil.example"]


@pytest.mark.parametrize("payload", WALK_PAYLOADS)
def test_no_endpoint_redirects_away_whatever_it_is_sent(world_app, fresh_world, payload):
    app, world = world_app, fresh_world
    params = dict.fromkeys(RETURN_TO_NAMES, payload)
    clients = {}
    redirects = 0
    for rule in ALL_RULES:
        role = allowed_roles(rule.endpoint)[0]
        if role not in clients:
            clients[role] = w.signed_in_client(app, ACCOUNTS[role])
        client = clients[role]
        url = url_for_rule(app, rule, world)
        if rule.endpoint == "accounts.logout":
            continue  # would sign the shared client out; it is probed below
        responses = []
        if "GET" in rule.methods:
            responses.append(client.get(url, query_string=params))
        if rule.methods & STATE_CHANGING:
            responses.append(client.post(url, query_string=params, data=params))
        for response in responses:
            location = response.headers.get("Location")
            redirects += location is not None
            assert stays_on_site(location), (rule.endpoint, location)
    assert redirects >= 10
    officer = w.signed_in_client(app, w.OFFICER)
    response = officer.post("/logout", query_string=params, data=params)
    assert stays_on_site(response.headers["Location"])
