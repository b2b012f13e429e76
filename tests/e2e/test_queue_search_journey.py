"""The officer searches the queue: part of a firm's name finds its application, the search
combines with the status filter, two characters explain themselves, typed syntax is only
text, and the next page keeps the search. The page fits a phone and axe finds nothing
serious. Visible texts are asserted in English (the officer switches first); the Chinese
page is looked at too (its new words come with the translations' merge)."""

from __future__ import annotations

import re

from playwright.sync_api import Browser, Page, expect
from sqlalchemy import update

from portal.accounts.models import Enterprise
from portal.applications.models import Application, Status
from portal.core.extensions import db
from tests.e2e.axe import assert_accessible
from tests.e2e.conftest import EXPECT_TIMEOUT_MS, save_screenshot
from tests.e2e.phone import measure
from tests.helpers import DEMO_PASSWORD
from tests.integration.test_officer_queue import make_applications

OFFICER = "officer@example.com"


def shot(page: Page, name: str) -> None:
    save_screenshot(page, f"search/{name}")


def signed_in_officer(browser: Browser, live_server: str, width: int, english: bool) -> Page:
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
    if english:
        page.locator("button[name=locale][value=en]").click()
        expect(page.locator("html")).to_have_attribute("lang", "en")
    return page


def _seed(app) -> None:
    ids = make_applications(
        app, 40, rows={n: {"status": Status.FORMAL_CHECK} for n in range(0, 40, 4)}
    )
    with app.app_context():
        firm_id = db.session.get(Application, ids[9]).enterprise_id
        db.session.execute(
            update(Enterprise)
            .where(Enterprise.id == firm_id)
            .values(name="阜新氟材料科技有限公司 (Fuxin Fluoro Materials)")
        )
        db.session.commit()


def _reference_links(page: Page):
    return page.locator("table.desk-queue tbody td.desk-ref a")


def _references(page: Page) -> list[str]:
    return _reference_links(page).all_inner_texts()


def test_officer_finds_an_application_by_part_of_a_firm_name(app, demo, browser, live_server):
    _seed(app)
    page = signed_in_officer(browser, live_server, 1280, english=True)
    page.goto("/staff/applications")
    search = page.get_by_label("Search")
    search.fill("氟材料科技")
    search.press("Enter")
    expect(page.locator("table.desk-queue tbody tr")).to_have_count(1)
    assert _references(page) == ["2026-T-000009"]
    expect(search).to_have_value("氟材料科技")
    shot(page, "queue-search-name-desktop")
    assert_accessible(page, "queue search")

    # English part of the same name, any case; then combined with a status filter.
    search.fill("fluoro MATERIALS")
    page.get_by_role("button", name="Show").click()
    # Waits for the new page: reading the list at once could catch the old one mid-navigation.
    expect(page).to_have_url(re.compile(r"q=fluoro"))
    expect(_reference_links(page)).to_have_text(["2026-T-000009"])
    search.fill("有限公司")
    page.locator("#status").select_option("formal_check")
    page.get_by_role("button", name="Show").click()
    expect(page.locator(".caption")).to_have_text("10 applications")
    assert all(int(ref[-2:]) % 4 == 0 for ref in _references(page))

    # Two characters: only the start of a reference or USCC, and the page says so.
    page.locator("#status").select_option("")
    search.fill("20")
    page.get_by_role("button", name="Show").click()
    expect(page.locator(".queue-note")).to_contain_text("shorter than 3 characters")
    expect(_reference_links(page)).to_have_count(25)
    shot(page, "queue-search-short-desktop")

    # The next page keeps the search.
    page.get_by_role("link", name="Next").click()
    expect(page).to_have_url(re.compile(r"page=2"))
    expect(page.get_by_label("Search")).to_have_value("20")
    expect(_reference_links(page)).to_have_count(15)

    # Syntax is text: nothing matches, the box keeps it, no error page.
    page.get_by_label("Search").fill('"% OR *_')
    page.get_by_role("button", name="Show").click()
    expect(page.locator("table.desk-queue tbody")).to_contain_text("No applications match")
    expect(page.get_by_label("Search")).to_have_value('"% OR *_')
    page.context.close()


def test_queue_search_fits_a_phone(app, demo, browser, live_server):
    _seed(app)
    for width in (390, 360):
        page = signed_in_officer(browser, live_server, width, english=False)
        page.goto("/staff/applications?q=有限公司")
        expect(page.locator("#q")).to_have_value("有限公司")
        fit = measure(page)
        assert fit.fits, fit.describe()
        if width == 390:
            shot(page, "queue-search-phone-390-zh")
            page.goto("/staff/applications?q=企业")
            shot(page, "queue-search-short-phone-390-zh")
        page.context.close()
    page = signed_in_officer(browser, live_server, 1280, english=False)
    page.goto("/staff/applications?q=企业0003")
    shot(page, "queue-search-desktop-zh")
    page.context.close()
