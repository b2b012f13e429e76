"""Registering tells no one who has an account (issue 12, item 3).

``POST /register`` answers the same page for a new address, an enterprise's address and a
staff address; only the owner of the address learns anything, by mail. The account can be
used only through the emailed link, once, within its time; until then signing in says so and
offers to send the link again (at most once per few minutes). Registering is rate-limited per
client, and the demo accounts stay ready to use.
"""

from __future__ import annotations

import html
import re
import threading
import time
from datetime import timedelta
from types import SimpleNamespace

import itsdangerous.timed
import pytest
from sqlalchemy import func, select

from portal.accounts import confirmation
from portal.accounts.models import Enterprise, User
from portal.accounts.uscc import with_check_character
from portal.core.extensions import db
from tests.helpers import DEMO_PASSWORD, sign_in, use_english
from tests.security.account_mail import link_in, text_of_mail
from tests.security.conftest import make_app

PASSWORD = "Another-Portal-2026"
NEW = "newcomer@example.com"
TAKEN_FIRM = "ent1@example.com"
TAKEN_STAFF = "officer@example.com"
CONFIRM = "/register/confirm/"
# A signed CSRF token, as it appears in attributes: "<payload>.<time>.<signature>".
CSRF_TOKEN = re.compile(r'"[\w-]{20,}\.[\w-]{4,}\.[\w-]{20,}"')


@pytest.fixture
def app_config(app_config, smtp) -> dict:
    return {**app_config, "SMTP_HOST": "127.0.0.1", "SMTP_PORT": smtp[1]}


@pytest.fixture
def inbox(smtp):
    return smtp[0]


def _registration(email: str, n: int) -> dict:
    return {
        "company_name": f"阜新测试{n}科技有限公司",
        "uscc": with_check_character(f"91210900MA0XY{n:04d}"),
        "contact_person": "李四",
        "mobile": "13904180000",
        "email": email,
        "password": PASSWORD,
        "password_confirm": PASSWORD,
    }


def _register(app, email: str, n: int):
    return use_english(app.test_client()).post("/register", data=_registration(email, n))


def _page(response) -> str:
    return CSRF_TOKEN.sub('"TOKEN"', html.unescape(response.get_data(as_text=True)))


def _counts(app) -> tuple[int, int]:
    with app.app_context():
        return (
            db.session.scalar(select(func.count()).select_from(User)),
            db.session.scalar(select(func.count()).select_from(Enterprise)),
        )


def _set_locale(app, email: str) -> None:
    with app.app_context():
        db.session.scalar(select(User).where(User.email == email)).locale = "en"
        db.session.commit()


def test_new_and_taken_addresses_get_the_same_answer(app, demo, inbox):
    for email in (TAKEN_FIRM, TAKEN_STAFF):
        _set_locale(app, email)
    users, firms = _counts(app)
    answers = [_register(app, email, n) for n, email in enumerate((NEW, TAKEN_FIRM, TAKEN_STAFF))]
    assert [a.status_code for a in answers] == [200, 200, 200]
    pages = [_page(a) for a in answers]
    assert pages[0] == pages[1] == pages[2]
    assert "Check your inbox to finish registering" in pages[0]
    assert "already" not in pages[0].split("<main", 1)[1].split("If the address")[0]
    # Only the new address made an account (and its firm).
    assert _counts(app) == (users + 1, firms + 1)
    # Each owner learns what happened, by mail; only the newcomer gets a link to finish.
    assert link_in(inbox, NEW, CONFIRM)
    for email in (TAKEN_FIRM, TAKEN_STAFF):
        (message,) = inbox.messages(email)
        assert message["Subject"] == "Someone tried to register with your address"
        assert CONFIRM not in text_of_mail(message)


def test_the_account_is_usable_only_through_the_link_and_only_once(app, inbox):
    assert _register(app, NEW, 1).status_code == 200
    visitor = use_english(app.test_client())
    refused = sign_in(visitor, NEW, PASSWORD)
    page = html.unescape(refused.get_data(as_text=True))
    assert refused.status_code == 422
    assert "open the link in the mail" in page and "Send the link again" in page
    assert visitor.get("/home").status_code == 302
    # A wrong password is not told that the account waits for its link.
    wrong = html.unescape(sign_in(visitor, NEW, "Not-The-Password-1").get_data(as_text=True))
    assert "open the link in the mail" not in wrong and "Send the link again" not in wrong

    link = link_in(inbox, NEW, CONFIRM)
    assert visitor.get(link).status_code == 200  # opening the link alone confirms nothing
    assert sign_in(visitor, NEW, PASSWORD).status_code == 422
    done = visitor.post(link)
    assert done.status_code == 302 and done.headers["Location"] == "/login"
    assert sign_in(visitor, NEW, PASSWORD).status_code == 302
    again = use_english(app.test_client()).get(link)
    assert again.status_code == 404 and "already been used" in again.get_data(as_text=True)
    assert use_english(app.test_client()).post(link).status_code == 404


def test_the_link_expires(app, inbox, monkeypatch):
    assert _register(app, NEW, 1).status_code == 200
    hours = app.config["REGISTRATION_CONFIRM_HOURS"]
    earlier = time.time() - hours * 3600 - 60
    with app.app_context():
        user = db.session.scalar(select(User).where(User.email == NEW))
        # A link made just over its lifetime ago (itsdangerous stamps it with time.time()).
        monkeypatch.setattr(itsdangerous.timed, "time", SimpleNamespace(time=lambda: earlier))
        old_token = confirmation.make_token(user)
        monkeypatch.undo()
    visitor = use_english(app.test_client())
    assert visitor.get(CONFIRM + old_token).status_code == 404
    assert visitor.post(CONFIRM + old_token).status_code == 404
    assert visitor.get(CONFIRM + "forged.token.value").status_code == 404
    assert sign_in(visitor, NEW, PASSWORD).status_code == 422


def test_sending_the_link_again_is_limited_per_address(app, inbox):
    assert _register(app, NEW, 1).status_code == 200
    assert len(inbox.messages(NEW)) == 1
    visitor = use_english(app.test_client())
    sign_in(visitor, NEW, PASSWORD)
    first = visitor.post("/register/resend")
    sign_in(visitor, NEW, PASSWORD)
    second = visitor.post("/register/resend")
    # A visitor who never gave the password asks in vain.
    stranger = use_english(app.test_client()).post("/register/resend")
    assert first.status_code == second.status_code == stranger.status_code == 200
    assert _page(first) == _page(stranger)
    assert len(inbox.messages(NEW)) == 1  # within the interval of the first mail
    with app.app_context():
        user = db.session.scalar(select(User).where(User.email == NEW))
        interval = timedelta(minutes=app.config["ACCOUNT_MAIL_INTERVAL_MINUTES"])
        user.registration_mail_sent_at -= interval
        db.session.commit()
    sign_in(visitor, NEW, PASSWORD)
    assert visitor.post("/register/resend").status_code == 200
    assert len(inbox.messages(NEW)) == 2
    assert link_in(inbox, NEW, CONFIRM)


def test_repeated_registrations_with_a_taken_address_mail_its_owner_once(app, demo, inbox):
    for n in range(4):
        assert _register(app, TAKEN_FIRM, n).status_code == 200
    assert len(inbox.messages(TAKEN_FIRM)) == 1


def test_registration_is_rate_limited_per_client(app_config):
    limited = make_app({**app_config, "RATELIMIT_ENABLED": True, "REGISTER_RATE_LIMIT": "3/minute"})
    statuses = [_register(limited, f"r{n}@example.com", n).status_code for n in range(4)]
    assert statuses == [200, 200, 200, 429]


def test_demo_accounts_are_ready_to_use(app, demo):
    with app.app_context():
        assert (
            db.session.scalar(
                select(func.count()).select_from(User).where(User.email_confirmed_at.is_(None))
            )
            == 0
        )
    assert sign_in(app.test_client(), TAKEN_FIRM, DEMO_PASSWORD).status_code == 302


def test_simultaneous_registrations_of_one_address_answer_alike(app, inbox):
    """The unique index decides between registrations at the same moment; the losers get the
    same page as the winner, not an error that would show the address was just taken."""
    barrier = threading.Barrier(4)
    statuses: list[int] = []

    def register(n: int) -> None:
        client = use_english(app.test_client())
        barrier.wait()
        statuses.append(client.post("/register", data=_registration(NEW, n)).status_code)

    threads = [threading.Thread(target=register, args=(n,)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert statuses == [200, 200, 200, 200]
    assert _counts(app) == (1, 1)
