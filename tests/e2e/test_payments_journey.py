"""Payments in the browser: the officer batches two due payments, the leader approves the
batch on a 390-px phone after its confirmation page and downloads the payment order (XLSX,
totals checked), the officer imports the bank's confirmation file and sees the
reconciliation, and the firm sees the payment on its application page and in its
notifications. Every page fits the phone."""

from __future__ import annotations

import io
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import openpyxl
import pytest
from playwright.sync_api import Browser, Page, expect

from portal.core.timeutil import bureau_today
from tests.e2e import axe
from tests.e2e.phone import measure
from tests.e2e.test_review_journey import expect_signed_in, flash_success, use_english
from tests.payments_world import APPROVER, FIRM, OFFICER, award, confirmation_csv

PHONE = {"width": 390, "height": 844}


@pytest.fixture
def phone(browser: Browser, live_server: str) -> Iterator[Page]:
    context = browser.new_context(
        base_url=live_server,
        locale="zh-CN",
        viewport=PHONE,
        is_mobile=True,
        has_touch=True,
        accept_downloads=True,
    )
    context.set_default_timeout(30_000)
    try:
        yield context.new_page()
    finally:
        context.close()


def fits(page: Page) -> None:
    """The page fits its width, has no serious or critical axe finding and no duplicate id."""
    fit = measure(page)
    assert fit.fits, fit.describe()
    axe.assert_accessible(page, page.url)
    axe.assert_unique_ids(page, page.url)


def fits_phone(page: Page) -> None:
    """The page as it is now, measured again at 390 px, then back to the desktop width."""
    size = page.viewport_size
    page.set_viewport_size(PHONE)
    try:
        fits(page)
    finally:
        page.set_viewport_size(size)


def test_officer_batches_leader_approves_finance_confirms_firm_sees(
    app, demo, page: Page, phone: Page, new_page, sign_in, screenshot
):
    own = award(app, email=FIRM, amount="38100.00")
    other = award(app, amount="12000.50")
    with app.app_context():
        today = bureau_today().isoformat()

    # The officer batches both due payments.
    sign_in(page, OFFICER)
    expect_signed_in(page)
    use_english(page)
    page.goto("/home")
    page.get_by_role("link", name="Payments and payment batches").click()
    expect(page.get_by_role("heading", name="Due payments")).to_be_visible()
    expect(page.locator("main")).to_contain_text(own["reference"])
    fits(page)
    fits_phone(page)
    screenshot(page, "payments-due")
    for data in (own, other):
        page.locator(f"input[name=tranche_ids][value='{data['tranche_ids'][0]}']").check()
    page.get_by_role("button", name="Prepare a batch of the chosen payments").click()
    expect(flash_success(page)).to_contain_text("2 payments, 50,100.50 yuan")
    number = page.locator("h1").inner_text().rsplit(" ", 1)[1]
    assert number.startswith("PB-")
    expect(page.locator("main")).to_contain_text("Waiting for an approver")
    fits(page)
    fits_phone(page)

    # The leader approves on a phone, after the confirmation page.
    sign_in(phone, APPROVER)
    expect_signed_in(phone)
    use_english(phone)
    phone.goto("/home")
    expect(phone.locator(".stat", has_text="Payment batches awaiting approval")).to_contain_text(
        "1"
    )
    phone.goto("/staff/payments/batches?status=draft")
    fits(phone)
    phone.get_by_role("link", name=number).click()
    expect(phone.get_by_role("link", name="Check and approve")).to_be_visible()
    fits(phone)
    phone.get_by_role("link", name="Check and approve").click()
    expect(phone.locator(".pay-confirm")).to_contain_text(
        "You approve 2 payments of 50,100.50 yuan in all."
    )
    fits(phone)
    screenshot(phone, "payments-approve-390")
    phone.get_by_role("button", name="Approve 2 payments, 50,100.50 yuan").click()
    expect(flash_success(phone)).to_contain_text(f"Batch {number} approved")
    fits(phone)
    screenshot(phone, "payments-batch-approved-390")
    with phone.expect_download() as download:
        phone.get_by_role("link", name="Payment order (XLSX)").click()
    assert download.value.suggested_filename == f"{number}.xlsx"
    sheet = openpyxl.load_workbook(io.BytesIO(Path(download.value.path()).read_bytes())).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][1] == "收款单位" and rows[-1][0] == "合计"
    assert Decimal(str(rows[-1][4])) == Decimal("50100.50")
    assert {r[2] for r in rows[1:-1]} == {own["account"], other["account"]}
    phone.goto(phone.url.replace("/approve", ""))
    phone.get_by_role("link", name="Printable batch sheet").click()
    expect(phone.locator(".pay-sheet")).to_contain_text("Prepared by (officer)")
    fits(phone)

    page.goto(phone.url)
    page.emulate_media(media="print")
    expect(page.locator(".masthead")).to_be_hidden()
    screenshot(page, "payments-print-sheet")
    page.emulate_media(media="screen")

    # The officer imports the bank's confirmation file; one row matches no payment.
    bank_file = confirmation_csv(
        [
            [number, own["account"], "38100.00", today, "ICBC-E2E-1"],
            [number, other["account"], "12000.50", today, "ICBC-E2E-2"],
            [number, other["account"], "99.00", today, "ICBC-E2E-3"],
        ]
    )
    page.goto("/staff/payments/import")
    fits(page)
    page.set_input_files(
        "#file", files=[{"name": "bank.csv", "mimeType": "text/csv", "buffer": bank_file}]
    )
    page.get_by_role("button", name="Import and reconcile").click()
    expect(page.get_by_role("status").filter(has_text="Matched and recorded: 2")).to_be_visible()
    expect(page.locator("#result-mismatched")).to_be_visible()
    expect(page.locator("main")).to_contain_text("The amount differs")
    fits(page)
    fits_phone(page)
    screenshot(page, "payments-reconciliation")

    # The firm sees the payment on its phone.
    firm = new_page()
    firm.set_viewport_size(PHONE)
    sign_in(firm, FIRM)
    expect_signed_in(firm)
    use_english(firm)
    firm.goto(f"/applications/{own['application_id']}")
    payments = firm.locator("section", has=firm.get_by_role("heading", name="Payments"))
    expect(payments).to_contain_text(f"Paid 38,100.00 yuan, {today}")
    fits(firm)
    screenshot(firm, "payments-firm-390")
    firm.goto("/notifications")
    expect(firm.locator("main")).to_contain_text(f"Paid 38,100.00 yuan, {today}")
