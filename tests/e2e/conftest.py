"""End-to-end fixtures: the app served on a real port, driven by Debian's Chromium.

One browser per test session; every test gets its own browser context (fresh cookies) and page,
and its own live server bound to that test's database (see tests/conftest.py). CSRF protection
is ON here, as in production: the browser submits the real forms with their tokens.

Set PORTAL_SCREENSHOTS=1 to save screenshots of key pages to test-artifacts/.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect, sync_playwright
from werkzeug.serving import make_server

from portal.core.paths import PROJECT_ROOT
from tests.helpers import DEMO_PASSWORD

CHROMIUM = os.environ.get("PORTAL_E2E_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
ARTIFACTS_DIR = PROJECT_ROOT / "test-artifacts"
# Playwright's auto-waiting assertions give up after this many milliseconds.
EXPECT_TIMEOUT_MS = 10_000

expect.set_options(timeout=EXPECT_TIMEOUT_MS)


@pytest.fixture
def app_config(app_config) -> dict:
    """The parent settings, with CSRF protection switched back on."""
    return {**app_config, "WTF_CSRF_ENABLED": True}


@contextmanager
def serve(app, name: str = "e2e-server") -> Iterator[str]:
    """Serve ``app`` on a free local port in a thread; yield its base URL."""
    server = make_server("127.0.0.1", 0, app, threaded=True)
    # A short poll interval so that shutdown() returns quickly after each test.
    thread = threading.Thread(
        target=server.serve_forever, kwargs={"poll_interval": 0.05}, name=name, daemon=True
    )
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        thread.join(timeout=10)
        server.server_close()


@pytest.fixture
def live_server(app) -> Iterator[str]:
    """Serve this test's app on a free local port; yield its base URL."""
    assert app.config["WTF_CSRF_ENABLED"], "e2e tests run with CSRF protection on"
    with serve(app) as url:
        yield url


# The running browser. Other folders re-export the `browser` fixture (tests/security), which
# makes another session fixture of it; Playwright's sync API runs once per thread, so every
# such fixture shares the first one's browser.
_RUNNING: list[Browser] = []


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    if _RUNNING:
        yield _RUNNING[0]
        return
    if not Path(CHROMIUM).exists():
        pytest.fail(f"no Chromium at {CHROMIUM}: install the Debian package (make setup-test)")
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True
        )
        _RUNNING.append(chromium)
        try:
            yield chromium
        finally:
            _RUNNING.clear()
            chromium.close()


@pytest.fixture
def page(browser: Browser, live_server: str) -> Iterator[Page]:
    """A page in a fresh browser context whose relative URLs go to the live server."""
    context = browser.new_context(
        base_url=live_server,
        locale="zh-CN",
        viewport={"width": 1280, "height": 900},
    )
    context.set_default_timeout(EXPECT_TIMEOUT_MS)
    page = context.new_page()
    try:
        yield page
    finally:
        context.close()


@pytest.fixture
def new_page(browser: Browser, live_server: str) -> Iterator[Callable[[], Page]]:
    """Return new_page(): a page in another fresh browser context (another person's computer),
    set up like the `page` fixture's, that accepts downloads."""
    contexts = []

    def _new_page() -> Page:
        context = browser.new_context(
            base_url=live_server,
            locale="zh-CN",
            viewport={"width": 1280, "height": 900},
            accept_downloads=True,
        )
        context.set_default_timeout(EXPECT_TIMEOUT_MS)
        contexts.append(context)
        return context.new_page()

    yield _new_page
    for context in contexts:
        context.close()


def save_screenshot(page: Page, name: str, *, full_page: bool = True) -> Path | None:
    """A PNG in test-artifacts/ (``name`` may hold a folder) when PORTAL_SCREENSHOTS=1, to look
    at; else nothing. Every e2e test keeps its screenshots this way."""
    if os.environ.get("PORTAL_SCREENSHOTS") != "1":
        return None
    path = ARTIFACTS_DIR / f"{name}.png"
    path.parent.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(path), full_page=full_page)
    return path


@pytest.fixture
def screenshot():
    """Return save(page, name): ``save_screenshot``."""
    return save_screenshot


@pytest.fixture
def sign_in():
    """Return sign_in(page, email, password): open /login, type the credentials, submit."""

    def _sign_in(page: Page, email: str, password: str = DEMO_PASSWORD) -> None:
        page.goto("/login")
        page.locator("#email").fill(email)
        page.locator("#password").fill(password)
        page.locator("main form button[type=submit]").click()

    return _sign_in
