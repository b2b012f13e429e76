"""A firm that forgot its password asks for a link, receives it by mail (a real SMTP server on
loopback), opens it in Chromium, chooses a new password and signs in with it."""

from __future__ import annotations

import email
import re
from email.policy import default as default_policy

import pytest
from playwright.sync_api import Page, expect

FIRM = "ent1@example.com"
NEW_PASSWORD = "Fresh-Start-2026!"


@pytest.fixture
def app_config(app_config, smtp) -> dict:
    return {**app_config, "SMTP_HOST": "127.0.0.1", "SMTP_PORT": smtp[1]}


def test_firm_resets_its_password_from_the_emailed_link(
    page: Page, demo, smtp, sign_in, screenshot
):
    inbox, _port = smtp
    page.goto("/login")
    page.locator("button[name=locale][value=en]").click()
    page.get_by_role("link", name="Forgot your password?").click()
    page.locator("#email").fill(FIRM)
    page.get_by_role("button", name="Send the link").click()
    expect(page.locator("h1")).to_have_text("Check your email")

    (envelope,) = inbox.envelopes
    message = email.message_from_bytes(envelope.original_content, policy=default_policy)
    body = message.get_body(preferencelist=("plain",)).get_content()
    link = re.search(r"http://127\.0\.0\.1:5000(/password/reset/\S+)", body).group(1)

    page.goto(link)
    expect(page.locator("h1")).to_have_text("Choose a new password")
    page.locator("#new_password").fill(NEW_PASSWORD)
    page.locator("#new_password_confirm").fill("something else")
    page.get_by_role("button", name="Set the new password").click()
    expect(page.locator("#new_password_confirm-error")).to_contain_text("not the same")
    screenshot(page, "password-reset-error")
    page.locator("#new_password").fill(NEW_PASSWORD)
    page.locator("#new_password_confirm").fill(NEW_PASSWORD)
    page.get_by_role("button", name="Set the new password").click()
    expect(page.locator(".flash--success")).to_contain_text("Your password has been reset")

    sign_in(page, FIRM, NEW_PASSWORD)
    expect(page.locator("form[action$='/logout'] button[type=submit]")).to_be_visible()

    # The link worked once.
    page.locator("form[action$='/logout'] button[type=submit]").click()
    page.goto(link)
    expect(page.locator("h1")).to_have_text("Link not valid")
