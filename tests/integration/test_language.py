"""Which language a page is in: ``?lang=`` (remembered), then the account's choice, then the
session, then the browser's Accept-Language, then Chinese."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from portal.accounts.models import User
from portal.core.extensions import db
from tests.helpers import sign_in

ENGLISH = '<html lang="en"'
CHINESE = '<html lang="zh-CN"'


def page_language(client, url: str = "/", **headers) -> str:
    html = client.get(url, headers=headers).get_data(as_text=True)
    if ENGLISH in html:
        return "en"
    assert CHINESE in html
    return "zh_CN"


def account_locale(app, email: str) -> str:
    with app.app_context():
        return db.session.scalar(select(User.locale).where(User.email == email))


def test_a_visitor_with_no_wish_reads_chinese(client):
    assert page_language(client) == "zh_CN"


@pytest.mark.parametrize(
    "accept, expected",
    [
        ("en-US,en;q=0.9", "en"),
        ("en-GB", "en"),
        ("zh-CN,zh;q=0.9,en;q=0.8", "zh_CN"),
        ("zh-TW,zh;q=0.9", "zh_CN"),
        ("fr-FR,de;q=0.5", "zh_CN"),  # neither of ours: the default
        ("fr-FR,en;q=0.3", "en"),
        ("*", "zh_CN"),
        (";;;q=,garbage", "zh_CN"),  # malformed: never an error
    ],
)
def test_the_browser_language_is_honoured(client, accept, expected):
    response = client.get("/", headers={"Accept-Language": accept})
    assert response.status_code == 200
    assert page_language(client, "/", **{"Accept-Language": accept}) == expected


@pytest.mark.parametrize("spelling", ["en", "EN", "en "])
def test_lang_in_the_address_wins_and_is_remembered(client, spelling):
    assert page_language(client, f"/programs?lang={spelling}") == "en"
    # The next page, without the parameter and with a Chinese browser, stays English.
    assert page_language(client, "/", **{"Accept-Language": "zh-CN"}) == "en"
    assert page_language(client, "/?lang=zh-CN", **{"Accept-Language": "en"}) == "zh_CN"
    assert page_language(client, "/", **{"Accept-Language": "en"}) == "zh_CN"


@pytest.mark.parametrize("value", ["fr", "", "x" * 5000, "../en", "zh_TW"])
def test_an_unknown_lang_is_ignored(client, value):
    response = client.get("/", query_string={"lang": value})
    assert response.status_code == 200
    assert CHINESE in response.get_data(as_text=True)


def test_the_account_choice_beats_the_session_and_the_browser(app, client, demo):
    # ent2's account is Chinese; a visitor who chose English then signs in as ent2.
    client.post("/language", data={"locale": "en", "next": "/"})
    sign_in(client, "ent2@example.com")  # the latest wish (English) becomes the account's
    assert account_locale(app, "ent2@example.com") == "en"
    other = app.test_client()
    sign_in(other, "ent2@example.com")
    assert page_language(other, "/home", **{"Accept-Language": "zh-CN"}) == "en"


def test_a_signed_in_lang_holds_for_the_session_without_writing_on_get(app, client, demo):
    sign_in(client, "ent3@example.com")
    assert page_language(client, "/home?lang=en") == "en"
    assert page_language(client, "/notifications") == "en"  # remembered over the account's
    assert account_locale(app, "ent3@example.com") == ""  # none chosen; a GET writes nothing
    # A button press makes it the account's choice.
    client.post("/language", data={"locale": "en", "next": "/home"})
    assert account_locale(app, "ent3@example.com") == "en"


def test_a_visitors_lang_becomes_the_accounts_choice_at_sign_in(app, client, demo):
    assert page_language(client, "/login?lang=en") == "en"
    sign_in(client, "ent4@example.com")
    assert account_locale(app, "ent4@example.com") == "en"
    fresh = app.test_client()
    sign_in(fresh, "ent4@example.com")
    assert page_language(fresh, "/home", **{"Accept-Language": "zh-CN"}) == "en"


def test_public_pages_vary_by_language_inputs(client):
    response = client.get("/")
    assert {"Accept-Language", "Cookie"} <= set(response.vary)


def test_an_account_without_a_choice_follows_the_browser(app, client, demo):
    # Demo and staff accounts are made without a language: the browser's applies to them, and
    # their mails are in Chinese until the owner chooses.
    assert account_locale(app, "ent5@example.com") == ""
    sign_in(client, "ent5@example.com")
    assert page_language(client, "/home", **{"Accept-Language": "en-GB,en"}) == "en"
    assert page_language(client, "/home", **{"Accept-Language": "zh-CN"}) == "zh_CN"
    with app.app_context():
        user = db.session.scalar(select(User).where(User.email == "ent5@example.com"))
        assert user.mail_locale == "zh_CN"
        user.locale = "en"
        assert user.mail_locale == "en"
