"""Two staff edit one programme at once, each in their own browser: the admin saves first;
the officer's save, from the page opened before, is refused with who saved and when, keeping
everything the officer typed; the officer checks, presses Save again and saves knowingly.
Visible texts are asserted in English (both switch to English first)."""

from __future__ import annotations

import re

from playwright.sync_api import Page, expect
from sqlalchemy import select

from portal.core.extensions import db
from portal.programs.models import Program

PROGRAMME = "key-above-size-2026"
OFFICER = "officer@example.com"
ADMIN = "admin@example.com"
NEW_NAME = "Key enterprise selection (revised)"


def open_editor(page: Page, sign_in, email: str, program_id: int) -> None:
    sign_in(page, email)
    page.locator("button[name=locale][value=en]").click()
    expect(page.locator("html")).to_have_attribute("lang", "en")
    page.get_by_role("navigation", name="Main navigation").get_by_role(
        "link", name="Programmes", exact=True
    ).click()
    page.locator(f"a[href$='/staff/programmes/{program_id}/edit']").click()
    expect(page.locator("h1")).to_have_text("Edit programme")


def save(page: Page) -> None:
    page.locator("button[name=action][value=save]").click()


def test_a_save_over_an_edit_made_meanwhile_is_refused_then_made_knowingly(
    page: Page, new_page, demo, sign_in, app, screenshot
):
    with app.app_context():
        program_id = db.session.scalar(select(Program.id).where(Program.code == PROGRAMME))
    officer = page
    admin = new_page()
    open_editor(officer, sign_in, OFFICER, program_id)
    open_editor(admin, sign_in, ADMIN, program_id)

    admin.locator("#budget").fill("12000000")
    save(admin)
    expect(admin.locator(".flash--success")).to_have_text("Programme saved.")

    officer.locator("#name_en").fill(NEW_NAME)
    save(officer)
    summary = officer.locator(".error-summary")
    expect(summary).to_be_visible()
    expect(summary).to_contain_text(re.compile(r"saved this programme at \d{4}-\d{2}-\d{2} "))
    expect(summary).to_contain_text("Nothing of yours has been saved")
    expect(officer.locator("#name_en")).to_have_value(NEW_NAME)
    screenshot(officer, "programme-edited-meanwhile")
    with app.app_context():
        program = db.session.get(Program, program_id)
        assert program.name_en != NEW_NAME and program.budget == 12_000_000

    # The officer looks at the admin's change, keeps the budget the admin set, saves again.
    officer.locator("#budget").fill("12000000")
    save(officer)
    expect(officer.locator(".flash--success")).to_have_text("Programme saved.")
    expect(officer.locator("main")).to_contain_text(NEW_NAME)
    with app.app_context():
        program = db.session.get(Program, program_id)
        assert (program.name_en, program.budget, program.lock_version) == (NEW_NAME, 12_000_000, 3)
