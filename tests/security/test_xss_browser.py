"""In Chromium: the pages that show the hostile world's payloads (tests/security/xss_world.py)
open without a single script dialog, and the Content-Security-Policy stops an inline script
that did get into a page. Controls show that the dialog listener hears an alert and that the
pages do carry the payloads."""

from __future__ import annotations

import pytest
from playwright.sync_api import Browser

from tests.security.test_xss import ACCOUNTS, walk
from tests.security.world import restore
from tests.security.xss_world import tags

pytestmark = pytest.mark.e2e

PAGES_PER_TAG = 2  # a tag's first pages for each role: enough to see each field rendered


@pytest.fixture
def app_config(app_config):
    return {**app_config, "WTF_CSRF_ENABLED": True}


@pytest.fixture
def hostile(app, xss_snapshot) -> dict:
    return restore(app, xss_snapshot)


def pages_with_payloads(app, world) -> dict[str, list[str]]:
    """For each role, pages that show some field's payload (found with the test client)."""
    chosen: dict[str, list[str]] = {}
    for role in ACCOUNTS:
        counts = dict.fromkeys(tags(), 0)
        chosen[role] = []
        for url, response in walk(app, world, role, "zh"):
            page = response.get_data(as_text=True)
            wanted = [tag for tag in tags() if tag in page and counts[tag] < PAGES_PER_TAG]
            if wanted:
                chosen[role].append(url)
                for tag in wanted:
                    counts[tag] += 1
    return chosen


def _context(browser: Browser, live_server: str):
    context = browser.new_context(base_url=live_server, locale="zh-CN")
    context.set_default_timeout(10_000)
    return context


def _watch(page) -> list[str]:
    heard: list[str] = []

    def on_dialog(dialog):
        heard.append(f"{dialog.type}: {dialog.message} on {page.url}")
        dialog.dismiss()

    page.on("dialog", on_dialog)
    return heard


def test_no_dialog_fires_on_any_page_that_shows_the_payloads(app, hostile, browser, live_server):
    chosen = pages_with_payloads(app, hostile)
    assert sum(len(urls) for urls in chosen.values()) >= 15
    heard: list[str] = []
    visited = 0
    for role, urls in chosen.items():
        context = _context(browser, live_server)
        try:
            page = context.new_page()
            heard_here = _watch(page)
            if ACCOUNTS[role]:
                email, password = ACCOUNTS[role]
                page.goto("/login")
                page.locator("#email").fill(email)
                page.locator("#password").fill(password)
                page.locator("main form button[type=submit]").click()
                page.wait_for_url("**/home")
            for url in urls:
                response = page.goto(url)
                assert response is not None and response.status < 500, url
                page.wait_for_load_state("load")
                visited += 1
            heard += heard_here
        finally:
            context.close()
    assert visited >= 15
    assert heard == []


def test_the_listener_hears_an_alert(browser, live_server):
    context = _context(browser, live_server)
    try:
        page = context.new_page()
        heard = _watch(page)
        page.set_content('<img src="x" onerror="alert(1)">')  # a page without our policy
        page.wait_for_timeout(100)
        assert heard and heard[0].startswith("alert: 1")
    finally:
        context.close()


def test_the_policy_stops_an_inline_script_in_a_portal_page(app, hostile, browser, live_server):
    context = _context(browser, live_server)
    try:
        page = context.new_page()
        heard = _watch(page)
        violations = []
        page.on("console", lambda message: violations.append(message.text))
        page.goto("/programmes")
        assert "P01" in page.content()  # the hostile programme name is on the page
        ran = page.evaluate(
            """() => {
                window.__ran = false;
                const script = document.createElement('script');
                script.textContent = 'window.__ran = true; alert("inline")';
                document.body.appendChild(script);
                const img = document.createElement('img');
                img.setAttribute('onerror', 'window.__ran = true; alert("handler")');
                img.src = 'data:,x';
                document.body.appendChild(img);
                return new Promise(resolve => setTimeout(() => resolve(window.__ran), 200));
            }"""
        )
        assert ran is False
        assert heard == []
        assert any("Content Security Policy" in text for text in violations), violations
    finally:
        context.close()
