"""Script payloads typed into every free-text field (see tests/security/xss_world.py) are shown
as text everywhere: on every page of every role, in the forms that show them back after a
refusal, in the mails the portal sends, and in the decision letter's PDF; ``{{7*7}}`` is never
evaluated; and every page's Content-Security-Policy forbids inline scripts anyway.
"""

from __future__ import annotations

import email
import email.policy
import re
import subprocess
from pathlib import Path

import pytest
from markupsafe import escape

from portal.core.extensions import db
from portal.core.files import file_store
from portal.letters.models import Letter
from tests.helpers import DEMO_PASSWORD, sign_in, use_english
from tests.security import world as w
from tests.security.endpoints import allowed_roles, rules, url_for_rule, url_map_app
from tests.security.test_security_headers import assert_secure_headers
from tests.security.xss_world import (
    FIELDS,
    FIRM,
    PASSWORD,
    RAW,
    REVIEWER,
    VALUES,
    shown_as,
    tags,
)

ACCOUNTS = {
    "anonymous": None,
    "enterprise": (FIRM, PASSWORD),
    "officer": (w.OFFICER, DEMO_PASSWORD),
    "reviewer": (w.ASSIGNED_REVIEWER, DEMO_PASSWORD),
    "admin": (w.ADMIN, DEMO_PASSWORD),
}
WALKS = [(role, "zh") for role in ACCOUNTS] + [("officer", "en"), ("enterprise", "en")]
GET_RULES = rules(url_map_app(), {"GET"})
JAVASCRIPT_URL = re.compile(r"""(href|src|action|formaction)\s*=\s*["']?\s*javascript:""", re.I)


def problems_in(page: str) -> list[str]:
    """Payloads that are markup in ``page``, and templates that were evaluated."""
    found = [raw for raw in RAW if raw in page]
    found += [f"{tag}49" for tag in tags() if f"{tag}49" in page]
    if JAVASCRIPT_URL.search(page):
        found.append("javascript: URL")
    return found


def client_for(app, role: str, language: str):
    client = app.test_client()
    if ACCOUNTS[role]:
        assert sign_in(client, *ACCOUNTS[role]).status_code == 302
    if language == "en":
        use_english(client)
    return client


def walk(app, world, role: str, language: str):
    """Every page of ``role`` (as HTML), with its address; the URL arguments point at the
    hostile world's objects (and, for the reviewers' profiles, at each reviewer)."""
    client = client_for(app, role, language)
    urls = [
        url_for_rule(app, rule, world) for rule in GET_RULES if role in allowed_roles(rule.endpoint)
    ]
    if role in ("officer", "admin"):
        urls += [
            f"/staff/review/reviewers/{world[key]}" for key in ("reviewer", "hostile_reviewer")
        ]
    for url in urls:
        response = client.get(url)
        assert response.status_code < 500, url
        if response.mimetype == "text/html":
            yield url, response


@pytest.fixture(scope="module")
def shown(world_app, xss_snapshot):
    """Where each field is shown, over all walks (each walk also checks its pages)."""
    from tests.security.world import reset

    world = reset(world_app, xss_snapshot)
    where: dict[str, list[str]] = {field: [] for field in FIELDS}
    problems = []
    for role, language in WALKS:
        for url, response in walk(world_app, world, role, language):
            page = response.get_data(as_text=True)
            problems += [(role, language, url, problem) for problem in problems_in(page)]
            assert_secure_headers(response, url)
            for field in FIELDS:
                if all(part in page for part in shown_as(field)):
                    where[field].append(f"{role}/{language}:{url}")
    return where, problems


def test_no_page_of_any_role_shows_a_payload_as_markup(shown):
    _where, problems = shown
    assert problems == []


# A dismissed objection is kept on record but shown no more (the open one shows its text).
NOT_SHOWN = {"objection_name", "objection_reason"}


@pytest.mark.parametrize("field", sorted(set(FIELDS) - NOT_SHOWN))
def test_every_field_is_shown_somewhere_escaped(shown, field):
    """So that the walk above looked at every field's value, not at pages without it."""
    where, _problems = shown
    assert where[field], f"{field} ({VALUES[field][:12]}…) is shown on no page"


# Pages where a person expects to read what was typed (more than "somewhere").
EXPECTED = {
    ("anonymous", "/publicity"): ["company_name"],
    ("anonymous", "/programmes"): ["programme_name_zh", "programme_summary_zh"],
    ("enterprise", "/home"): ["company_name", "contact_person"],
    ("enterprise", "/profile"): ["certificate_no"],
    ("enterprise", "/applications/1"): ["return_reason", "rejection_reason", "reissue_reason"],
    ("enterprise", "/applications/1/check"): [
        "project_title",
        "project_summary",
        "declaration_name",
        "declaration_title",
    ],
    ("enterprise", "/applications/1/documents"): ["document_name"],
    ("officer", "/staff/applications/1"): ["company_name", "project_summary", "return_reason"],
    ("officer", "/staff/review/applications/2"): ["comment", "decline_note", "staff_name"],
    ("officer", "/staff/review/reviewers/3"): ["expertise"],
    ("officer", "/staff/decisions/objections"): ["open_objection_name", "open_objection_reason"],
    ("reviewer", "/review/1"): ["key_title", "key_summary", "comment"],
    ("admin", "/admin/accounts"): ["staff_name"],
    ("admin", "/admin/audit"): ["resolution_note", "decline_note"],
}


def test_the_pages_people_read_show_what_was_typed(shown):
    where, _problems = shown
    missing = [
        (role, url, field)
        for (role, url), fields in EXPECTED.items()
        for field in fields
        if f"{role}/zh:{url}" not in where[field]
    ]
    assert missing == []


def test_english_pages_show_the_english_names(shown):
    where, _problems = shown
    assert any(page.startswith("officer/en:") for page in where["programme_name_en"])
    assert any(page.startswith("enterprise/en:") for page in where["programme_summary_en"])


def test_the_hostile_reviewer_sees_its_own_name_escaped(world_app, fresh_xss_world):
    client = world_app.test_client()
    assert sign_in(client, REVIEWER, PASSWORD).status_code == 302
    for url in ("/home", "/review", "/notifications"):
        page = client.get(url).get_data(as_text=True)
        assert problems_in(page) == [], url
        assert shown_as("staff_name")[0] in page, url


# --- shown back after a refusal -----------------------------------------------------------------


def _refused(response, value: str, what: str) -> None:
    assert response.status_code == 422, (what, response.status_code)
    page = response.get_data(as_text=True)
    assert problems_in(page) == [], what
    assert str(escape(value)) in page, what


def test_refused_forms_show_the_payload_back_as_text(world_app, fresh_xss_world):
    payload = VALUES["project_summary"].replace("A02", "Z01")
    visitor = world_app.test_client()
    response = visitor.post(
        "/register",
        data={"company_name": payload, "uscc": "bad", "contact_person": payload, "email": "x"},
    )
    _refused(response, payload, "registration")
    response = visitor.post(
        f"/publicity/{fresh_xss_world['key_application']}/object",
        data={"name": payload[:100], "contact": payload[:200], "reason": payload},
    )
    # (on hold after its open objection: a 404 is an answer too, and shows nothing)
    if response.status_code != 404:
        _refused(response, payload[:100], "objection")
    admin = w.signed_in_client(world_app, w.ADMIN)
    response = admin.post(
        "/admin/staff/new",
        data={"email": "x", "display_name": payload[:100], "role": "reviewer"},
    )
    _refused(response, payload[:100], "staff")
    officer = w.signed_in_client(world_app, w.OFFICER)
    response = officer.post(
        f"/staff/review/reviewers/{fresh_xss_world['reviewer']}", data={"expertise": payload}
    )
    _refused(response, payload, "expertise")
    firm = world_app.test_client()
    assert sign_in(firm, FIRM, PASSWORD).status_code == 302
    response = firm.post("/account/password", data={"current_password": payload})
    assert problems_in(response.get_data(as_text=True)) == []
    response = world_app.test_client().post("/login", data={"email": payload, "password": "x"})
    assert problems_in(response.get_data(as_text=True)) == []


# --- mails ----------------------------------------------------------------------------------------


def _mails(xss_snapshot) -> list[email.message.EmailMessage]:
    outbox = Path(xss_snapshot.files).parent / "outbox"
    return [
        email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
        for path in sorted(outbox.rglob("*.eml"))
    ]


def test_mails_show_what_was_typed_as_text(xss_snapshot):
    mails = _mails(xss_snapshot)
    assert mails, "the world sent no mail"
    html_parts = []
    for mail in mails:
        for part in mail.walk():
            if part.get_content_type() == "text/html":
                html_parts.append(part.get_content())
    assert html_parts
    everything = "\n".join(html_parts)
    assert problems_in(everything) == []
    assert shown_as("return_reason")[0] in everything or shown_as("rejection_reason")[0] in (
        everything
    )


# --- the letter -----------------------------------------------------------------------------------


def _pdf_text(data: bytes) -> str:
    result = subprocess.run(
        ["pdftotext", "-raw", "-enc", "UTF-8", "-", "-"],
        input=data,
        capture_output=True,
        check=True,
        timeout=60,
    )
    return "".join(result.stdout.decode("utf-8").split())


def test_the_decision_letter_prints_the_payloads_as_literal_text(world_app, fresh_xss_world):
    with world_app.app_context():
        letter = db.session.get(Letter, fresh_xss_world["letter"])
        pdfs = {"zh": file_store().read(letter.pdf_key), "en": file_store().read(letter.pdf_en_key)}
    for language, pdf in pdfs.items():
        text = _pdf_text(pdf)
        name = "programme_name_zh" if language == "zh" else "programme_name_en"
        for field in ("company_name", "rejection_reason", "reissue_reason", name):
            assert "".join(VALUES[field].split()) in text, (language, field)
        assert not [tag for tag in tags() if f"{tag}49" in text], language
