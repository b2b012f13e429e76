"""The officer signs in and the desk lists the day's work, oldest first; a line opens the
queue filtered to what it counts. Nothing waiting says so. The desk fits a phone and axe
finds nothing serious. Visible texts are asserted in English (the officer switches first)."""

from __future__ import annotations

from playwright.sync_api import Browser, Page, expect

from tests.e2e.axe import assert_accessible
from tests.e2e.conftest import EXPECT_TIMEOUT_MS
from tests.e2e.phone import measure
from tests.helpers import DEMO_PASSWORD
from tests.integration.test_desk_todo import add_applications, every_kind_of_work

OFFICER = "officer@example.com"


def signed_in_officer(browser: Browser, live_server: str, width: int) -> Page:
    context = browser.new_context(
        base_url=live_server, locale="zh-CN", viewport={"width": width, "height": 900}
    )
    context.set_default_timeout(EXPECT_TIMEOUT_MS)
    page = context.new_page()
    page.goto("/login")
    page.locator("#email").fill(OFFICER)
    page.locator("#password").fill(DEMO_PASSWORD)
    page.locator("main form button[type=submit]").click()
    expect(page.locator("form[action$='/logout'] button")).to_be_visible()
    page.goto("/home?lang=en")  # remembered for the session (the switch hides on a phone)
    expect(page.locator("html")).to_have_attribute("lang", "en")
    return page


def test_all_clear(app, demo, browser, live_server, screenshot):
    page = signed_in_officer(browser, live_server, 1280)
    page.goto("/home")
    expect(page.locator(".desk-todo__clear")).to_have_text("Nothing waiting")
    expect(page.locator(".desk-todo__line")).to_have_count(0)
    screenshot(page, "desk-clear-desktop")
    page.context.close()


def test_the_desk_lists_the_work_and_opens_the_queue(app, demo, browser, live_server, screenshot):
    every_kind_of_work(app)
    add_applications(app, 2, days_ago=4.5)  # three waiting for the formal check in all
    page = signed_in_officer(browser, live_server, 1280)
    page.goto("/home")
    lines = page.locator(".desk-todo__line")
    expect(lines).to_have_count(10)
    expect(lines.first).to_have_attribute("data-kind", "letters_not_issued")
    expect(lines.first).to_have_class("desk-todo__line desk-todo__line--alert")
    check = page.locator(".desk-todo__line[data-kind=waiting_formal_check]")
    expect(check.locator("a")).to_have_text("3 submissions waiting for the formal check")
    expect(check.locator(".desk-todo__age")).to_have_text("oldest 4 days")
    assert_accessible(page, "officer desk")
    screenshot(page, "desk-todo-desktop")

    check.locator("a").click()
    expect(page).to_have_url(
        f"{live_server}/staff/applications?status=submitted&sort=oldest&program="
        + page.url.rsplit("=", 1)[-1]
    )
    # The queue has no filter for resubmissions: the submitted ones are the three first-time
    # submissions and the one resubmitted.
    expect(page.locator("main")).to_contain_text("4 applications")
    screenshot(page, "desk-todo-opened-queue")

    page.goto("/home")
    page.locator(".desk-todo__line[data-kind=objections] a").click()
    expect(page).to_have_url(f"{live_server}/staff/decisions/objections")
    page.context.close()


def test_the_desk_fits_a_phone(app, demo, browser, live_server, screenshot):
    every_kind_of_work(app)
    for width in (390, 360):
        page = signed_in_officer(browser, live_server, width)
        page.goto("/home")
        expect(page.locator(".desk-todo__line")).to_have_count(10)
        fit = measure(page)
        assert fit.fits, fit.describe()
        screenshot(page, f"desk-todo-{width}")
        page.context.close()
