"""The small things a firm and the bureau meet every day.

- The staff navigation keeps to one line on a 1,366-px laptop screen, for every role, in both
  languages (it used to wrap in English, and for the administrator in Chinese).
- A firm filling in an application goes from section to section with "Save and continue",
  and from the last section to "Check your answers".
- Each file input on the documents page is named after its document.

Screenshots go to test-artifacts/daily/ with PORTAL_SCREENSHOTS=1.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect
from sqlalchemy import select

from portal.accounts.models import Role, User
from portal.core.extensions import db
from tests.e2e import axe
from tests.e2e.conftest import EXPECT_TIMEOUT_MS, save_screenshot
from tests.e2e.phone import measure
from tests.helpers import DEMO_PASSWORD, make_pdf

LAPTOP = {"width": 1366, "height": 768}
PHONE = {"width": 390, "height": 844}

# The role's links keep to one row, and so do the account's links (name, notifications,
# password, sign out): each element's vertical centre within this many pixels of its row's first.
SAME_ROW_PX = 4

ROWS_JS = """
() => {
  const centre = (el) => {
    const box = el.getBoundingClientRect();
    return {text: el.innerText.trim(), centre: Math.round(box.top + box.height / 2),
            height: Math.round(box.height)};
  };
  const shown = (selector) => Array.from(document.querySelectorAll(selector))
    .filter((el) => el.getClientRects().length > 0).map(centre);
  return {
    links: shown('.site-nav__list > li > a'),
    account: shown('.site-nav__account > a, .site-nav__account button, .site-nav__who'),
    band: Math.round(document.querySelector('nav.site-nav').getBoundingClientRect().height),
  };
}
"""


def off_the_row(items: list[dict]) -> list[str]:
    first = items[0]["centre"]
    return [item["text"] for item in items if abs(item["centre"] - first) > SAME_ROW_PX]


def save_shot(page: Page, name: str, *, full_page: bool = False) -> None:
    save_screenshot(page, f"daily/{name}", full_page=full_page)


def first_user_of(app, role: Role) -> str | None:
    with app.app_context():
        return db.session.scalar(
            select(User.email).where(User.role == role).order_by(User.id).limit(1)
        )


def signed_in_page(browser: Browser, live_server: str, email: str, viewport) -> Page:
    context = browser.new_context(base_url=live_server, locale="zh-CN", viewport=viewport)
    context.set_default_timeout(EXPECT_TIMEOUT_MS)
    page = context.new_page()
    page.goto("/login")
    page.locator("#email").fill(email)
    page.locator("#password").fill(DEMO_PASSWORD)
    page.locator("main form button[type=submit]").click()
    expect(page.locator("form[action$='/logout'] button")).to_be_visible()
    return page


def choose_language(page: Page, locale: str) -> None:
    button = page.locator(f"button[name=locale][value={locale}]")
    if button.get_attribute("aria-current") != "true":
        button.click()
    expect(page.locator("html")).to_have_attribute("lang", "en" if locale == "en" else "zh-CN")


# --- the navigation on a laptop ---------------------------------------------------------------


@pytest.mark.parametrize("role", list(Role), ids=lambda role: role.value)
def test_navigation_keeps_to_one_line_at_1366_px(browser: Browser, live_server, demo, role):
    email = first_user_of(demo, role)
    assert email is not None, f"the demo has no {role.value} account"
    page = signed_in_page(browser, live_server, email, LAPTOP)
    try:
        for locale in ("en", "zh_CN"):
            choose_language(page, locale)
            page.goto("/home")
            rows = page.evaluate(ROWS_JS)
            save_shot(page, f"nav-1366-{role.value}-{'zh' if locale == 'zh_CN' else 'en'}")
            where = f"{role.value} ({locale}) at 1366 px"
            assert rows["links"] and rows["account"], rows
            assert not off_the_row(rows["links"]), f"{where}: links wrap: {rows['links']}"
            assert not off_the_row(rows["account"]), f"{where}: account wraps: {rows['account']}"
            # The band is one link high: nothing of the navigation takes a second line.
            assert rows["band"] <= rows["links"][0]["height"] + SAME_ROW_PX, (where, rows)
    finally:
        page.context.close()


# --- the firm's sections, one after the other -------------------------------------------------

FIRM = "ent2@example.com"  # qualifies for the R&D post-subsidy
PROGRAMME = "rd-post-subsidy-2026"
DOCUMENTS = {
    "a107012": "Form A107012 for the last two years",
    "tax_return": "Annual corporate income-tax return",
}


def expect_fits(page: Page) -> None:
    fit = measure(page)
    assert fit.fits, fit.describe()


def test_save_and_continue_walks_the_sections_to_check_your_answers(
    browser: Browser, live_server, demo, tmp_path: Path
):
    page = signed_in_page(browser, live_server, FIRM, LAPTOP)
    try:
        choose_language(page, "en")
        page.goto(f"/programmes/{PROGRAMME}")
        # The programme page counts the days left by the same rule as the list of programmes.
        countdown = page.locator("main .countdown").inner_text()
        assert re.fullmatch(r"\d+ days? left|Closes today", countdown), countdown
        page.goto("/programmes")
        card = page.locator("article.card").filter(
            has=page.locator(f"a[href$='/programmes/{PROGRAMME}']")
        )
        expect(card.locator(".countdown")).to_have_text(countdown)
        page.goto(f"/programmes/{PROGRAMME}")
        page.locator(f"form[action$='/programmes/{PROGRAMME}/apply'] button").click()
        expect(page).to_have_url(re.compile(r"/applications/\d+$"))
        base = re.search(r"/applications/\d+", page.url).group(0)

        page.locator(f"main a[href$='{base}/summary']").click()
        page.locator("#project_title").fill("Servo press line")
        page.locator("#project_summary").fill("An in-house motion controller.")
        page.locator("button[name=then][value=continue]").click()
        expect(page).to_have_url(re.compile(f"{base}/figures$"))
        expect(page.locator(".flash--success")).to_have_text("Saved.")

        page.locator("#confirm_figures").check()
        page.locator("button[name=then][value=continue]").click()
        expect(page).to_have_url(re.compile(f"{base}/amount$"))

        page.locator("button[name=then][value=continue]").click()
        expect(page).to_have_url(re.compile(f"{base}/documents$"))

        # Each file input is named after its document, not "Choose a file".
        for key, name in DOCUMENTS.items():
            field = page.get_by_label(f"Choose the file for {name}", exact=False)
            expect(field).to_have_attribute("id", f"file-{key}")
            pdf = tmp_path / f"{key}.pdf"
            pdf.write_bytes(make_pdf(1, key))
            field.set_input_files(pdf)
            # The file is checked in a sandboxed process: allow a busy machine its time.
            page.locator(f"form[action$='/documents/{key}'] button[type=submit]").click(
                no_wait_after=True
            )
            expect(page.locator(".flash--success")).to_have_text("Uploaded.", timeout=60_000)
        expect(page.get_by_label(re.compile(r"^Choose a file$"))).to_have_count(0)
        expect(page.get_by_label(f"Replace the file for {DOCUMENTS['tax_return']}")).to_be_visible()
        save_shot(page, "documents-named-inputs-1366", full_page=True)
        assert page.evaluate(axe.DUPLICATE_IDS_JS) == []
        page.get_by_role("link", name="Continue", exact=True).click()
        expect(page).to_have_url(re.compile(f"{base}/declaration$"))

        page.locator("#declaration_name").fill("刘洋")
        page.locator("#declaration_title").fill("Chief financial officer")
        page.locator("#agree").check()
        page.locator("button[name=then][value=continue]").click()
        # The last section goes on to "Check your answers".
        expect(page).to_have_url(re.compile(f"{base}/check$"))
        expect(page.locator("h1")).to_have_text("Check your answers")
        save_shot(page, "check-after-last-section-1366")

        # On a phone the documents page and the programmes' countdown fit the width.
        page.set_viewport_size(PHONE)
        for path in (f"{base}/documents", "/programmes", f"/programmes/{PROGRAMME}"):
            page.goto(path)
            expect_fits(page)
        page.goto(f"{base}/documents")
        save_shot(page, "documents-named-inputs-390", full_page=True)
        page.goto("/programmes")
        save_shot(page, "programmes-countdown-390", full_page=True)
    finally:
        page.context.close()
