"""Exports in Chromium: an officer opens the exports page, chooses a programme, and downloads
its applications as CSV and as XLSX; both files open with the Chinese names intact, and only
the chosen programme's applications are in them.

The downloads are real form posts with their CSRF tokens (CSRF is on in e2e tests). The
browser context accepts downloads explicitly rather than relying on Playwright's default.
"""

from __future__ import annotations

import csv
import io
import re

from openpyxl import load_workbook
from playwright.sync_api import Page, expect

from tests.helpers import add_final_decision

OFFICER = "officer@example.com"
RD = "rd-post-subsidy-2026"
KEY = "key-above-size-2026"
RD_NAME = "R&D investment post-subsidy"
FIRMS = ("阜新氟科新材料有限公司", "阜新市细河区智能装备制造有限公司")
OTHER_FIRM = "辽宁阜新数字经济股份有限公司"  # an award in another programme


def use_english(page: Page) -> None:
    page.locator("button[name=locale][value=en]").click()
    expect(page.locator("html")).to_have_attribute("lang", "en")


def test_officer_downloads_a_programmes_applications_as_csv_and_xlsx(
    app, demo, new_page, sign_in, tmp_path, screenshot
):
    add_final_decision(app, RD, firm_name=FIRMS[0], amount="180000.00")
    add_final_decision(app, RD, firm_name=FIRMS[1], approved=False)
    add_final_decision(app, KEY, firm_name=OTHER_FIRM, amount="500000.00")
    page = new_page()
    sign_in(page, OFFICER)
    page.goto("/staff/exports")
    expect(page.locator("#count-applications")).to_have_text("3")
    screenshot(page, "exports-page-zh")
    use_english(page)
    expect(page.locator("h1")).to_have_text("Exports")
    expect(page.locator("#scope")).to_have_text("All programmes")
    expect(page.locator("#count-applications")).to_have_text("3")
    expect(page.locator("#count-awards")).to_have_text("2")

    page.get_by_label("Programme", exact=True).select_option(label=RD_NAME)
    page.get_by_role("button", name="Choose").click()
    expect(page).to_have_url(re.compile(r"/staff/exports\?program=\d+$"))
    expect(page.locator("#scope")).to_contain_text(RD_NAME)
    expect(page.locator("#count-applications")).to_have_text("2")
    expect(page.locator("#count-awards")).to_have_text("1")
    expect(page.get_by_role("heading", name="Open data of awards")).to_be_visible()
    screenshot(page, "exports-page")

    with page.expect_download() as csv_download:
        page.get_by_role("button", name="Download CSV").click()
    assert re.fullmatch(rf"applications-{RD}-\d{{8}}\.csv", csv_download.value.suggested_filename)
    csv_path = tmp_path / "applications.csv"
    csv_download.value.save_as(csv_path)
    raw = csv_path.read_bytes()
    assert raw[:3] == b"\xef\xbb\xbf"
    rows = list(csv.DictReader(io.StringIO(raw.decode("utf-8-sig"), newline="")))
    assert sorted(r["Enterprise"] for r in rows) == sorted(FIRMS)
    assert {r["Programme code"] for r in rows} == {RD}
    assert {r["Programme"] for r in rows} == {"企业研发投入后补助"}
    awarded = next(r for r in rows if r["Enterprise"] == FIRMS[0])
    assert awarded["Status"] == "Final" and awarded["Decided amount (yuan)"] == "180000.00"

    with page.expect_download() as xlsx_download:
        page.get_by_role("button", name="Download Excel (XLSX)").click()
    assert xlsx_download.value.suggested_filename.endswith(".xlsx")
    xlsx_path = tmp_path / "applications.xlsx"
    xlsx_download.value.save_as(xlsx_path)
    sheet = load_workbook(xlsx_path).active
    header = [cell.value for cell in sheet[1]]
    enterprise = header.index("Enterprise")
    amount = header.index("Decided amount (yuan)")
    values = [[cell.value for cell in row] for row in sheet.iter_rows(min_row=2)]
    assert sorted(v[enterprise] for v in values) == sorted(FIRMS)
    assert next(v[amount] for v in values if v[enterprise] == FIRMS[0]) == 180000

    # Still on the exports page after both downloads; nothing else was exported.
    expect(page).to_have_url(re.compile(r"/staff/exports\?program=\d+$"))
    assert OTHER_FIRM not in raw.decode("utf-8-sig")
