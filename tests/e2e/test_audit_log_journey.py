"""The admin changes a programme's budget and reads it in the audit log: the event is named,
the programme is a link, the budget shows old → new; the admin filters by event and date,
pages back, downloads the CSV; a mistyped date is refused beside the field and kept. The log
fits a desktop and a 390/360 px phone without sideways scrolling."""

from __future__ import annotations

import re
from pathlib import Path

from playwright.sync_api import expect
from sqlalchemy import select

from portal.core import audit
from portal.core.audit import Action
from portal.core.extensions import db
from portal.programs.models import Program
from tests.e2e.phone import measure

ADMIN = "admin@example.com"
PROGRAMME = "key-above-size-2026"


def test_the_admin_reads_a_budget_change_as_old_and_new(app, demo, new_page, sign_in, screenshot):
    with app.app_context():
        program = db.session.scalar(select(Program).where(Program.code == PROGRAMME))
        program_id, old_budget = program.id, program.budget
        for index in range(60):  # enough for a second page
            audit.record(Action.FILES_SWEPT, object_type="system", orphans=index)
        db.session.commit()
    page = new_page()
    sign_in(page, ADMIN)
    page.locator("button[name=locale][value=en]").click()
    expect(page.locator("html")).to_have_attribute("lang", "en")

    page.goto(f"/staff/programmes/{program_id}/edit")
    page.locator("#budget").fill("50000")
    page.locator("button[name=action][value=save]").click()
    expect(page.locator(".flash--success")).to_have_text("Programme saved.")

    page.goto("/admin/audit")
    page.locator("#action").select_option(label="Programme changed")
    page.locator("main form[role=search] button[type=submit]").click()
    row = page.locator("tbody tr").first
    expect(row).to_contain_text("Programme changed")
    expect(row).to_contain_text("admin@example.com")
    expect(row.locator(f"a[href$='/staff/programmes/{program_id}/edit']")).to_be_visible()
    expect(row).to_contain_text(re.compile(rf"Budget:\s*{old_budget:,.2f}\s*→\s*(to\s*)?50,000.00"))
    screenshot(page, "audit-budget-desktop")

    # The job's events are the system's; the second page comes by "Older".
    page.goto("/admin/audit?actor_kind=system")
    expect(page.locator("tbody tr").first).to_contain_text("system (job)")
    page.get_by_role("link", name="Older").click()
    expect(page).to_have_url(re.compile(r"before=\d+"))
    expect(page.get_by_role("link", name="Newer")).to_be_visible()

    # A date that is not one: the message beside the field, the text kept, nothing filtered.
    page.goto("/admin/audit")
    page.locator("#date_from").fill("2026-13-45")
    page.locator("main form[role=search] button[type=submit]").click()
    expect(page.locator("#date_from-error")).to_contain_text("Enter a date like 2026-12-01.")
    expect(page.locator("#date_from")).to_have_value("2026-13-45")

    page.goto("/admin/audit?action=program.updated")
    with page.expect_download() as info:
        page.get_by_role("link", name="Download CSV").click()
    text = Path(info.value.path()).read_text(encoding="utf-8-sig")
    assert "Programme changed" in text and "50,000.00" in text

    for width in (390, 360):
        page.set_viewport_size({"width": width, "height": 800})
        page.goto("/admin/audit")
        fit = measure(page)
        assert fit.fits, fit.describe()
        screenshot(page, f"audit-{width}")
    page.set_viewport_size({"width": 1280, "height": 900})
    page.goto("/admin/audit")
    assert measure(page).fits
    screenshot(page, "audit-desktop")
