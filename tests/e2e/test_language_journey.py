"""A visitor whose browser asks for English reads English at once; a shared ``?lang=`` link
opens in its language; the language buttons still win and are remembered."""

from __future__ import annotations

from playwright.sync_api import Browser, expect

from tests.e2e.conftest import EXPECT_TIMEOUT_MS


def visitor(browser: Browser, live_server: str, locale: str):
    context = browser.new_context(base_url=live_server, locale=locale)
    context.set_default_timeout(EXPECT_TIMEOUT_MS)
    return context, context.new_page()


def test_an_english_browser_reads_english_until_it_chooses_chinese(browser, live_server, demo):
    context, page = visitor(browser, live_server, "en-US")
    try:
        page.goto("/")
        expect(page.locator("html")).to_have_attribute("lang", "en")
        expect(page.get_by_role("link", name="Programmes").first).to_be_visible()
        page.get_by_role("button", name="中文").click()
        expect(page.locator("html")).to_have_attribute("lang", "zh-CN")
        page.goto("/programs")  # remembered, whatever the browser asks for
        expect(page.locator("html")).to_have_attribute("lang", "zh-CN")
    finally:
        context.close()


def test_a_lang_link_opens_in_its_language_and_is_remembered(browser, live_server, demo):
    context, page = visitor(browser, live_server, "zh-CN")
    try:
        page.goto("/publicity?lang=en")
        expect(page.locator("html")).to_have_attribute("lang", "en")
        page.get_by_role("link", name="Programmes").first.click()
        expect(page.locator("html")).to_have_attribute("lang", "en")
        page.goto("/publicity?lang=en&page=1")
        page.get_by_role("button", name="中文").click()  # the button beats the link's lang
        expect(page.locator("html")).to_have_attribute("lang", "zh-CN")
        assert page.url.endswith("/publicity?page=1")
    finally:
        context.close()
