from __future__ import annotations

import html
import re

import pytest
from sqlalchemy import func, select

from portal.accounts.models import Enterprise, Role, User
from portal.core.audit import AuditEvent
from portal.core.extensions import db
from tests.helpers import sign_in, use_english

GOOD = {
    "company_name": "阜新测试科技有限公司",
    "uscc": "91210900MA0QF2N1XY",
    "contact_person": "王小明",
    "mobile": "139 0418 0099",
    "email": "Boss@Firm.example",
    "password": "a-long-password",
    "password_confirm": "a-long-password",
}


@pytest.fixture
def app_config(app_config, smtp) -> dict:
    return {**app_config, "SMTP_HOST": "127.0.0.1", "SMTP_PORT": smtp[1]}


@pytest.fixture
def client(app):
    return use_english(app.test_client())


def _confirmation_path(smtp, to: str) -> str:
    (message,) = smtp[0].messages(to)
    body = message.get_body(preferencelist=("plain",)).get_content()
    match = re.search(r"http://127\.0\.0\.1:5000(/register/confirm/\S+)", body)
    assert match, body
    return match.group(1)


def _counts(app) -> tuple[int, int, int]:
    with app.app_context():
        return tuple(
            db.session.scalar(select(func.count()).select_from(model))
            for model in (Enterprise, User, AuditEvent)
        )


def test_registration_creates_firm_account_usable_after_the_mailed_link_and_audits(
    app, client, smtp
):
    response = client.post("/register", data=GOOD)
    assert response.status_code == 200
    assert "Check your inbox to finish registering" in response.get_data(as_text=True)
    assert client.get("/home").status_code == 302  # not signed in, nor able to yet
    assert sign_in(client, "boss@firm.example", GOOD["password"]).status_code == 422
    link = _confirmation_path(smtp, "boss@firm.example")
    assert client.get(link).status_code == 200
    assert client.post(link).headers["Location"] == "/login"
    assert sign_in(client, "boss@firm.example", GOOD["password"]).status_code == 302
    home = client.get("/home").get_data(as_text=True)
    assert "阜新测试科技有限公司" in home and "91210900MA0QF2N1XY" in home
    with app.app_context():
        user = db.session.scalar(select(User))
        assert user.email == "boss@firm.example"
        assert user.role is Role.ENTERPRISE
        assert user.enterprise.uscc == "91210900MA0QF2N1XY"
        assert user.enterprise.mobile == "13904180099"
        assert user.password_hash != GOOD["password"]
        event = db.session.scalar(
            select(AuditEvent).where(AuditEvent.action == "account.registered")
        )
        assert event.actor_id == user.id
        assert event.object_id == str(user.id)
        assert event.summary["uscc"] == "91210900MA0QF2N1XY"
        assert event.ip_address == "127.0.0.1"


def test_second_registration_for_same_uscc_is_refused_and_changes_nothing(app, client):
    assert client.post("/register", data=GOOD).status_code == 200
    other = use_english(app.test_client())
    before = _counts(app)
    response = other.post(
        "/register", data={**GOOD, "email": "other@firm.example", "uscc": "91210900ma0qf2n1xy"}
    )
    page = html.unescape(response.get_data(as_text=True))
    assert response.status_code == 422
    assert "An account already exists for this unified social credit code" in page
    assert 'value="other@firm.example"' in page  # what was typed is kept
    assert _counts(app) == before


@pytest.mark.parametrize(
    ("uscc", "message"),
    [
        ("", "Enter the unified social credit code."),
        ("91210900MA0QF2N1X", "has 18 characters; this one has 17"),
        ("91210900MA0QF2NIXY", "Character 16 (“I”) cannot appear"),
        ("9121A900MA0QF2N1XY", "Characters 3 to 8 are the administrative region code"),
        ("91210900MA0QF2N1XA", "would be “Y”, not “A”"),
    ],
)
def test_each_bad_uscc_rule_is_named_beside_the_field(app, client, uscc, message):
    response = client.post("/register", data={**GOOD, "uscc": uscc})
    page = html.unescape(response.get_data(as_text=True))
    assert response.status_code == 422
    assert 'id="uscc-error"' in page and message in page
    assert 'aria-invalid="true"' in page
    assert 'value="阜新测试科技有限公司"' in page and 'value="boss@firm.example"' not in page
    assert 'value="Boss@Firm.example"' in page
    assert _counts(app) == (0, 0, 0)


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"password": "short1", "password_confirm": "short1"}, "password", "at least 10"),
        (
            {"password": "boss@firm.example", "password_confirm": "boss@firm.example"},
            "password",
            "must not be your email address",
        ),
        ({"password_confirm": "something-else"}, "password_confirm", "not the same"),
        ({"mobile": "12345"}, "mobile", "11-digit"),
        ({"email": "not-an-email"}, "email", "like name@example.com"),
        ({"company_name": ""}, "company_name", "registered name"),
        ({"contact_person": ""}, "contact_person", "contact person"),
    ],
)
def test_other_bad_fields_are_refused_with_a_message(app, client, changes, field, message):
    response = client.post("/register", data={**GOOD, **changes})
    page = html.unescape(response.get_data(as_text=True))
    assert response.status_code == 422
    assert f'id="{field}-error"' in page and message in page
    assert _counts(app) == (0, 0, 0)


def test_email_already_used_is_answered_as_a_new_one_and_its_owner_is_told(app, client, demo, smtp):
    with app.app_context():
        db.session.scalar(select(User).where(User.email == "ent1@example.com")).locale = "en"
        db.session.commit()
    before = _counts(app)[:2]
    response = client.post(
        "/register", data={**GOOD, "email": "ent1@example.com", "uscc": "914403001922038216"}
    )
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "Check your inbox to finish registering" in page and "already exists" not in page
    assert _counts(app)[:2] == before  # nothing was created
    (message,) = smtp[0].messages("ent1@example.com")
    assert message["Subject"] == "Someone tried to register with your address"


def test_registration_page_labels_every_input(client):
    page = client.get("/register").get_data(as_text=True)
    for field in GOOD:
        assert f'<label class="field__label" for="{field}">' in page


def test_signed_in_user_is_sent_home_from_register(client, signed_in):
    signed_in("ent1@example.com")
    response = client.get("/register")
    assert response.status_code == 302 and response.headers["Location"] == "/home"


def test_simultaneous_registrations_of_one_uscc_create_one_account(app):
    import threading

    barrier = threading.Barrier(4)
    statuses: list[int] = []

    def register(n: int) -> None:
        client = app.test_client()
        barrier.wait()
        response = client.post("/register", data={**GOOD, "email": f"racer{n}@firm.example"})
        statuses.append(response.status_code)

    threads = [threading.Thread(target=register, args=(n,)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(statuses) == [200, 422, 422, 422]
    enterprises, users, _events = _counts(app)
    assert (enterprises, users) == (1, 1)
