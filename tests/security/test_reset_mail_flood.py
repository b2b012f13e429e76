"""At most one password-reset mail per address per few minutes, however often it is asked,
from however many processes, answered alike (issue 12, item 9)."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import select

from portal.accounts.models import User
from portal.core.extensions import db
from tests.security.account_mail import link_in
from tests.security.conftest import make_app

FIRM = "ent1@example.com"
# A signed CSRF token, as it appears in attributes: "<payload>.<time>.<signature>".
CSRF_TOKEN = re.compile(r'"[\w-]{20,}\.[\w-]{4,}\.[\w-]{20,}"')


@pytest.fixture
def app_config(app_config, smtp) -> dict:
    return {**app_config, "SMTP_HOST": "127.0.0.1", "SMTP_PORT": smtp[1]}


@pytest.fixture
def inbox(smtp):
    return smtp[0]


def _ask(app, email: str):
    return app.test_client().post("/password/forgot", data={"email": email})


def _page(response) -> str:
    return CSRF_TOKEN.sub('"TOKEN"', response.get_data(as_text=True))


def test_eight_requests_send_one_mail_and_get_the_same_answer(app, app_config, demo, inbox):
    other_process = make_app(app_config)  # its own memory: only the database is shared
    answers = [_ask(app if n % 2 else other_process, FIRM) for n in range(8)]
    unknown = _ask(app, "nobody@example.com")
    assert {a.status_code for a in answers} == {unknown.status_code} == {200}
    assert {_page(a) for a in answers} == {_page(unknown)}
    assert len(inbox.messages(FIRM)) == 1
    assert link_in(inbox, FIRM, "/password/reset/")


def test_another_mail_goes_once_the_interval_has_passed(app, demo, inbox):
    _ask(app, FIRM)
    _ask(app, FIRM)
    assert len(inbox.messages(FIRM)) == 1
    with app.app_context():
        user = db.session.scalar(select(User).where(User.email == FIRM))
        user.reset_mail_sent_at -= timedelta(minutes=app.config["ACCOUNT_MAIL_INTERVAL_MINUTES"])
        db.session.commit()
    _ask(app, FIRM)
    assert len(inbox.messages(FIRM)) == 2


def test_the_interval_is_configurable(app_config, demo, inbox):
    no_wait = make_app({**app_config, "ACCOUNT_MAIL_INTERVAL_MINUTES": 0})
    _ask(no_wait, FIRM)
    _ask(no_wait, FIRM)
    assert len(inbox.messages(FIRM)) == 2
