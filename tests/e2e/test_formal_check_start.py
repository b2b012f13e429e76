"""An officer takes a submitted application for the formal check; the firm then sees in its
history that the check has started, and the officer passes the application on."""

from __future__ import annotations

import re

from playwright.sync_api import Page, expect

from tests.helpers import submit_application

FIRM = "ent2@example.com"
OFFICER = "officer@example.com"
RD = "rd-post-subsidy-2026"  # no expert review: a pass goes to the decision


def test_officer_starts_the_check_and_the_firm_sees_it(app, demo, page: Page, new_page, sign_in):
    app.config["WTF_CSRF_ENABLED"] = False  # the firm's set-up goes through the test client
    try:
        application_id = submit_application(app, FIRM, RD)
    finally:
        app.config["WTF_CSRF_ENABLED"] = True

    sign_in(page, OFFICER)
    page.locator("button[name=locale][value=en]").click()
    page.goto(f"/staff/applications/{application_id}")
    expect(page.locator(".app-header .status")).to_have_text("Submitted")
    start = page.get_by_role("button", name="Start the formal check")
    expect(start).to_be_visible()
    start.click()

    expect(page).to_have_url(re.compile(rf"/staff/applications/{application_id}$"))
    expect(page.locator(".flash--success, .notice--success").first).to_contain_text(
        "You have started the formal check of this application."
    )
    expect(page.locator(".app-header .status")).to_have_text("Formal check")
    expect(page.get_by_role("button", name="Start the formal check")).to_have_count(0)

    firm = new_page()
    sign_in(firm, FIRM)
    firm.locator("button[name=locale][value=en]").click()
    firm.goto(f"/applications/{application_id}")
    expect(firm.locator("body")).to_contain_text("Formal check started")

    page.get_by_role("button", name="Pass: send for decision").click()
    expect(page.locator(".app-header .status")).to_have_text("Awaiting decision")
