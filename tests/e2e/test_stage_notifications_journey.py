"""The officer passes a firm's application through the formal check; the firm finds the news
on its notifications page, says what comes next, and follows it to the application. On a
390-px phone the page fits without sideways scrolling."""

from __future__ import annotations

import re

from playwright.sync_api import Page, expect

from tests.helpers import submit_application

FIRM = "ent1@example.com"
OTHER_FIRM = "ent2@example.com"
OFFICER = "officer@example.com"
KEY = "key-above-size-2026"  # expert review: a pass goes to the reviewers


def english(page: Page) -> None:
    page.locator("button[name=locale][value=en]").click()
    expect(page.locator("html")).to_have_attribute("lang", "en")


def test_the_firm_sees_that_its_application_passed_the_formal_check(
    app, demo, page: Page, new_page, sign_in, screenshot
):
    app.config["WTF_CSRF_ENABLED"] = False  # the firms' set-up goes through the test client
    try:
        application_id = submit_application(app, FIRM, KEY)
        submit_application(app, OTHER_FIRM, KEY)
    finally:
        app.config["WTF_CSRF_ENABLED"] = True

    sign_in(page, OFFICER)
    english(page)
    page.goto(f"/staff/applications/{application_id}")
    page.get_by_role("button", name="Pass: send to expert review").click()
    expect(page.locator(".app-header .status")).to_have_text("Expert review")

    firm = new_page()
    sign_in(firm, FIRM)
    english(firm)
    firm.goto("/notifications")
    expect(firm.locator("h1")).to_have_text("Notifications")
    passed = firm.locator(".notification").filter(has_text="passed the formal check")
    expect(passed).to_have_count(1)
    expect(passed.locator(".notification__title")).to_have_text(
        re.compile(r"^Your application \S+ passed the formal check$")
    )
    expect(passed.locator(".tag")).to_have_text("New")
    expect(passed.locator(".notification__text")).to_contain_text(
        "meets the programme's conditions as submitted"
    )
    screenshot(firm, "notifications-formal-check-passed")

    # On a phone the list fits the screen.
    firm.set_viewport_size({"width": 390, "height": 844})
    firm.reload()
    assert firm.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    screenshot(firm, "notifications-formal-check-passed-390")

    # Opening it marks it read and leads to the application.
    passed.get_by_role("button").click()
    expect(firm).to_have_url(re.compile(rf"/applications/{application_id}$"))

    # The other firm, not passed yet, hears nothing of it.
    other = new_page()
    sign_in(other, OTHER_FIRM)
    english(other)
    other.goto("/notifications")
    expect(other.locator(".notification").filter(has_text="formal check")).to_have_count(0)
