"""After a full `seed-demo` (applications, the post-award stage and the wall map): the
supervisor sees the twelve key tasks on the wall, keeps the departments and goal tiles in the
settings (which fit a phone), and the admin adds a department member with a department."""

from __future__ import annotations

import pytest
from playwright.sync_api import Browser, Page, expect

from portal.demo_tasks.tasks import SPECS
from tests.demo_snapshot import WALL_MAP
from tests.e2e.conftest import save_screenshot
from tests.e2e.phone import measure


@pytest.fixture
def seeded(app, demo_snapshots) -> None:
    """The whole `seed-demo` (seeded once a worker, then copied: tests/demo_snapshot.py)."""
    demo_snapshots.fill(app, WALL_MAP)


def _shot(page: Page, name: str) -> None:
    save_screenshot(page, f"wall-demo/{name}")


def _fits_phone(browser: Browser, live_server: str, storage, url: str, name: str) -> None:
    for width in (390, 360):
        context = browser.new_context(
            base_url=live_server, storage_state=storage, viewport={"width": width, "height": 800}
        )
        phone = context.new_page()
        phone.goto(url)
        fit = measure(phone)
        _shot(phone, f"{name}-{width}")
        context.close()
        assert fit.fits, fit.describe()


def test_supervisor_sees_the_wall_and_keeps_the_settings(
    seeded, page, sign_in, browser, live_server
):
    sign_in(page, "supervisor@example.com")
    page.goto("/tasks/settings/?lang=en")
    main = page.locator("main")
    expect(main.locator("table.settings-departments tbody tr")).to_have_count(6)
    expect(main.locator("table.settings-tiles tbody tr")).to_have_count(4)
    expect(main).to_contain_text("Technology-based SMEs")
    _shot(page, "settings-1280")
    storage = page.context.storage_state()
    _fits_phone(browser, live_server, storage, "/tasks/settings/?lang=en", "settings")

    page.get_by_role("link", name="Add a department").click()
    page.locator("#name").fill("高新技术科")  # taken
    page.locator("#name_en").fill("Legal Department")
    page.locator("main form button[type=submit]").click()
    expect(page.locator("#name-error")).to_be_visible()
    expect(page.locator("#name_en")).to_have_value("Legal Department")
    _shot(page, "department-error")
    page.locator("#name").fill("法规科")
    page.locator("#position").fill("7")
    page.locator("main form button[type=submit]").click()
    expect(page.locator("table.settings-departments tbody tr")).to_have_count(7)

    page.locator("table.settings-tiles").get_by_role("link", name="Edit").first.click()
    expect(page.locator("#target")).to_have_value("1000")
    page.locator("#target").fill("1200")
    _fits_phone(browser, live_server, storage, page.url, "goal-tile")
    page.locator("main form button[type=submit]").click()
    expect(page.locator("table.settings-tiles")).to_contain_text("1,200")

    # The wall: the twelve key tasks of the year.
    page.goto("/tasks/?lang=zh")
    for spec in SPECS:
        expect(page.locator("main")).to_contain_text(spec.title)
    _shot(page, "wall-1280")


def test_admin_adds_a_department_member(seeded, page, sign_in):
    sign_in(page, "admin@example.com")
    page.goto("/admin/staff/new?lang=en")
    page.locator("#email").fill("member@example.com")
    page.locator("#display_name").fill("新成员")
    page.locator("#role").select_option("department")
    page.locator("#password").fill("a long new demo passphrase")
    page.locator("#password_confirm").fill("a long new demo passphrase")
    page.locator("main form button[type=submit]").click()
    expect(page.locator("#department-error")).to_be_visible()
    page.locator("#department").select_option(label="Talent Department")
    page.locator("#password").fill("a long new demo passphrase")
    page.locator("#password_confirm").fill("a long new demo passphrase")
    page.locator("main form button[type=submit]").click()
    expect(page.locator("main")).to_contain_text("member@example.com")
    row = page.locator("tr", has_text="member@example.com")
    expect(row).to_contain_text("Talent Department")
    _shot(page, "accounts")
