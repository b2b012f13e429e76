"""The wall map's prints in Chromium, as a supervisor prepares the week's meeting: the weekly
dispatch reports page (sending this week's report to the leaders), the year-end accountability
page with its XLSX download, and the A3 wall PDF (one A3 landscape page, read back). The pages
fit a 390-px phone. Screenshots go to test-artifacts/ with PORTAL_SCREENSHOTS=1."""

from __future__ import annotations

import re
import subprocess

from openpyxl import load_workbook
from playwright.sync_api import Page, expect

from tests.e2e.phone import measure
from tests.integration.test_wall_pdf import YEAR, build_print_world, page_size_mm, pdf_info

SUPERVISOR = "supervisor@example.com"


def use_english(page: Page) -> None:
    page.locator("button[name=locale][value=en]").click()
    expect(page.locator("html")).to_have_attribute("lang", "en")


def fits_phone(page: Page, width: int) -> None:
    page.set_viewport_size({"width": width, "height": 844})
    fit = measure(page)
    assert fit.fits, fit.describe()
    page.set_viewport_size({"width": 1280, "height": 900})


def test_a_supervisor_sends_the_report_and_downloads_the_export_and_the_a3_wall(
    app, demo, new_page, sign_in, tmp_path, screenshot
):
    build_print_world(app)
    page = new_page()
    sign_in(page, SUPERVISOR)
    page.goto("/tasks/dispatch")
    use_english(page)
    expect(page.locator("h1")).to_have_text("Weekly dispatch reports")
    screenshot(page, "wall-prints-dispatch")
    for width in (390, 360):
        fits_phone(page, width)
    page.get_by_role("button", name="Send this week's report now").click()
    expect(page.locator(".flash")).to_contain_text("report was sent to")
    expect(page.get_by_role("button", name="Send this week's report now")).to_have_count(0)
    expect(page.locator("table.pr-weeks tbody tr").first).not_to_contain_text("Not sent")

    page.goto(f"/tasks/accountability?year={YEAR}")
    expect(page.locator("h1")).to_have_text(f"Year-end accountability {YEAR}")
    expect(page.locator("table.pr-account")).to_contain_text("R&D investment subsidies")
    screenshot(page, "wall-prints-accountability")
    for width in (390, 360):
        fits_phone(page, width)

    with page.expect_download() as xlsx_download:
        page.get_by_role("link", name="Download XLSX").click()
    assert re.fullmatch(r"accountability-2026-\d{8}\.xlsx", xlsx_download.value.suggested_filename)
    xlsx_path = tmp_path / "accountability.xlsx"
    xlsx_download.value.save_as(xlsx_path)
    rows = list(load_workbook(xlsx_path).active.iter_rows(values_only=True))
    assert rows[0][:2] == ("Level", "Lead department")
    assert sum(1 for row in rows if row[0] == "Task") == 12

    with page.expect_download() as pdf_download:
        page.get_by_role("link", name="The wall on one A3 page (PDF)").click()
    assert re.fullmatch(r"wall-2026-\d{8}-en\.pdf", pdf_download.value.suggested_filename)
    pdf_path = tmp_path / "wall.pdf"
    pdf_download.value.save_as(pdf_path)
    data = pdf_path.read_bytes()
    info = pdf_info(data)
    assert info["Pages"] == "1" and page_size_mm(info) == (420, 297)
    text = subprocess.run(
        ["pdftotext", str(pdf_path), "-"], capture_output=True, text=True, check=True
    ).stdout
    assert "Key tasks of 2026: the wall map" in " ".join(text.split())
