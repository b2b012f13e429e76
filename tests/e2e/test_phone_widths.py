"""Every page of the main journeys fits a phone: no sideways scrolling of the page at 390 px
(an iPhone 12-15), nor at 360 px (a small Android phone) for the key pages in both languages.

The pages, the seeded state they show (a draft, a submission, one returned, one in review,
ranked ones, awards in publicity and on hold, final decisions with letters, an export) and the
people who see them are the accessibility test's (tests/e2e/test_accessibility.py), so that a
page added there is measured here too. Each person has one browser context, signed in once;
each test walks one person's pages and fails with the list of every page wider than the
viewport, the widest element and what sticks out (see tests/e2e/phone.py).

Set PORTAL_SCREENSHOTS=1 to save a full-page screenshot of every page measured to
test-artifacts/phone-<width>-<language>-<page>.png.
"""

from __future__ import annotations

import re
import shutil
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from flask_babel import force_locale, gettext
from playwright.sync_api import Browser, Page, expect

from portal import create_app
from tests.conftest import TEST_CONFIG, TEST_DATABASE_URL
from tests.e2e.conftest import EXPECT_TIMEOUT_MS, serve
from tests.e2e.phone import measure, report
from tests.e2e.test_accessibility import ACCOUNTS, CHECKS, Check, seed_journeys
from tests.helpers import DEMO_PASSWORD, close_connections

PHONE = {"width": 390, "height": 844}
SMALL_PHONE = {"width": 360, "height": 740}
PEOPLE = ("public", "firm", "reviewer", "reviewer-done", "officer", "admin")
# The pages also measured at 360 px, in Chinese and in English: one or more of each journey,
# and the widest of each role's (forms of figures, the queue, the ranked list, the editor).
KEY_PAGES = {
    "public-home",
    "public-programme",
    "public-register-error",
    "public-verify-found",
    "public-publicity",
    "firm-home",
    "firm-profile",
    "firm-figures-error",
    "firm-project-figures",
    "firm-check",
    "firm-awarded",
    "officer-queue",
    "officer-formal-check",
    "officer-assignment",
    "officer-ranked-decide",
    "officer-programme-letters",
    "officer-dashboard",
    "reviewer-queue",
    "reviewer-score-error",
    "admin-accounts",
    "admin-audit",
    "admin-programme-editor",
}


def test_key_pages_are_listed():
    assert {check.name for check in CHECKS} >= KEY_PAGES


# --- one seeded portal for the whole module (see test_accessibility.py) ------------------------


@pytest.fixture(scope="module")
def portal_app(migrated_database, tmp_path_factory) -> Iterator[Any]:
    tmp = tmp_path_factory.mktemp("phone")
    if TEST_DATABASE_URL:
        pytest.skip("the page widths do not depend on the database; measured on SQLite only")
    shutil.copyfile(migrated_database, tmp / "portal.db")
    app = create_app(
        {
            **TEST_CONFIG,
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp / 'portal.db'}",
            "FILES_DIR": str(tmp / "files"),
            "WTF_CSRF_ENABLED": True,
        }
    )
    yield app
    close_connections(app)


@pytest.fixture(scope="module")
def seeded(portal_app) -> dict[str, int]:
    return seed_journeys(portal_app)


@pytest.fixture(scope="module")
def base_url(portal_app, seeded) -> Iterator[str]:
    with serve(portal_app, "phone-server") as url:
        yield url


@pytest.fixture(scope="module")
def people(browser: Browser, base_url: str) -> Iterator[Callable[[str], Page]]:
    """Return person(who): that person's page on a phone, signed in once."""
    pages: dict[str, Page] = {}
    contexts = []

    def person(who: str) -> Page:
        if who not in pages:
            context = browser.new_context(
                base_url=base_url,
                locale="zh-CN",
                # Not is_mobile: a mobile viewport zooms out to show a page too wide, and
                # innerWidth then grows with the page, hiding the very fault measured here.
                viewport=PHONE,
            )
            context.set_default_timeout(EXPECT_TIMEOUT_MS)
            contexts.append(context)
            page = context.new_page()
            if who != "public":
                page.goto("/login")
                page.locator("#email").fill(ACCOUNTS[who])
                page.locator("#password").fill(DEMO_PASSWORD)
                page.locator("main form button[type=submit]").click()
                expect(page.locator("form[action$='/logout'] button")).to_be_visible()
            pages[who] = page
        return pages[who]

    yield person
    for context in contexts:
        context.close()


def use_language(page: Page, locale: str) -> None:
    """Switch with the masthead's button (which a signed-in account remembers too); on a phone
    only the other language's button shows."""
    lang = "en" if locale == "en" else "zh-CN"
    page.goto("/")
    if page.locator("html").get_attribute("lang") != lang:
        page.locator(f"button[name=locale][value={locale}]").click()
    expect(page.locator("html")).to_have_attribute("lang", lang)


def measure_pages(
    page: Page, checks: list[Check], seeded: dict, label: str, screenshot
) -> list[str]:
    """Open each page (and bring it into its state); describe each one wider than the
    viewport, or answering with an unexpected status (the others are still measured)."""
    problems = []
    for check in checks:
        response = page.goto(check.path.format(**seeded))
        status = response.status if response is not None else None
        if status != check.status:
            problems.append(f"{check.path}: answered {status}, not {check.status}")
            continue
        if check.then is not None:
            check.then(page, seeded)
        screenshot(page, f"phone-{label}-{check.name}")
        fit = measure(page)
        if not fit.fits:
            problems.append(f"[{check.name}] {fit.describe()}")
    return problems


@pytest.mark.parametrize("who", PEOPLE)
def test_every_page_fits_a_390px_phone(who: str, people, seeded, screenshot):
    page = people(who)
    page.set_viewport_size(PHONE)
    use_language(page, "zh_CN")
    checks = [check for check in CHECKS if check.who == who]
    problems = measure_pages(page, checks, seeded, "390-zh", screenshot)
    assert not problems, report(problems)


@pytest.mark.parametrize("locale", ["zh_CN", "en"])
def test_key_pages_fit_a_360px_phone(locale: str, people, seeded, screenshot):
    problems = []
    for who in PEOPLE:
        checks = [check for check in CHECKS if check.who == who and check.name in KEY_PAGES]
        if not checks:
            continue
        page = people(who)
        page.set_viewport_size(SMALL_PHONE)
        use_language(page, locale)
        label = f"360-{'zh' if locale == 'zh_CN' else 'en'}"
        problems += measure_pages(page, checks, seeded, label, screenshot)
    assert not problems, report(problems)


def test_a_page_too_wide_is_reported_with_its_culprit(people):
    """The measure would catch a real fault: a wide block planted into a page is named."""
    page = people("public")
    page.set_viewport_size(PHONE)
    page.goto("/")
    assert measure(page).fits
    page.evaluate(
        """() => {
            const wide = document.createElement('div');
            wide.id = 'planted';
            wide.style.width = '600px';
            wide.textContent = 'wide';
            document.querySelector('main').appendChild(wide);
        }"""
    )
    fit = measure(page)
    assert not fit.fits and fit.scroll_width > PHONE["width"]
    assert "div#planted" in fit.widest
    assert any("div#planted" in offender for offender in fit.outermost)
    assert "div#planted" in report([fit.describe()])


def test_the_navigation_folds_behind_a_menu_button_on_a_phone(people, portal_app):
    """On a phone the officer's nine links wait behind "Menu", so the page starts near the top;
    the button opens and closes them. On a desktop there is no button, the links show."""
    page = people("officer")
    page.set_viewport_size(PHONE)
    use_language(page, "zh_CN")
    page.goto("/staff/applications")
    toggle = page.locator("[data-nav-toggle]")
    links = page.locator("#site-nav-list")
    expect(toggle).to_be_visible()
    with portal_app.test_request_context(), force_locale("zh_CN"):
        expect(toggle).to_have_text(gettext("Menu"))
    expect(toggle).to_have_attribute("aria-expanded", "false")
    expect(links).to_be_hidden()
    header_height = page.locator("header.masthead").bounding_box()["height"]
    assert header_height < 130, f"the header is {header_height} px tall on a phone"
    toggle.click()
    expect(toggle).to_have_attribute("aria-expanded", "true")
    expect(links).to_be_visible()
    links.get_by_role("link", name="审定").click()
    expect(page).to_have_url(re.compile(r"/staff/decisions$"))
    expect(page.locator("#site-nav-list")).to_be_hidden()
    page.set_viewport_size({"width": 1280, "height": 900})
    expect(toggle).to_be_hidden()
    expect(links).to_be_visible()
