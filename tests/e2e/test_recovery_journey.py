"""Recovery with due process, as the bureau and the firm do it in their browsers: the officer
opens a case on a paid award with evidence; the firm (on a 390-px phone) reads the grounds and
states its case with a file; the approver decides, confirming the amount and the ban; the
officer issues the notice; the firm's programme page explains the ban. Every page fits the
phone. Screenshots go to test-artifacts/ with PORTAL_SCREENSHOTS=1."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, Page, expect
from sqlalchemy import select

from portal.core.extensions import db
from portal.payments.models import PostAwardDocument
from portal.payments.recovery_models import CreditRecord
from tests.e2e import axe
from tests.e2e.phone import measure
from tests.e2e.test_review_journey import expect_signed_in, flash_success, use_english
from tests.helpers import make_pdf
from tests.integration.test_recovery import EAGLE, make_paid_award

OFFICER = "officer@example.com"
LEADER = "leader@example.com"
FIRM = "ent1@example.com"


@pytest.fixture
def phone(browser: Browser, live_server: str) -> Iterator[Page]:
    context = browser.new_context(
        base_url=live_server,
        locale="zh-CN",
        viewport={"width": 390, "height": 844},
        is_mobile=True,
        has_touch=True,
    )
    context.set_default_timeout(30_000)
    try:
        yield context.new_page()
    finally:
        context.close()


def fits(page: Page) -> None:
    """The page fits the phone, has no serious or critical axe finding and no duplicate id."""
    fit = measure(page)
    assert fit.fits, fit.describe()
    axe.assert_accessible(page, page.url)
    axe.assert_unique_ids(page, page.url)


def sign_out(page: Page) -> None:
    page.locator("form[action$='/logout'] button[type=submit]").click()


def test_a_case_from_opening_to_a_ban_the_firm_sees_explained(
    app, demo, page, phone, sign_in, screenshot, tmp_path
):
    award = make_paid_award(app)
    page.set_default_timeout(45_000)  # issuing the notice renders two PDFs

    # The officer opens the case from the award's page, with evidence.
    sign_in(page, OFFICER)
    expect_signed_in(page)
    use_english(page)
    page.goto(f"/staff/applications/{award}")
    page.get_by_role("link", name="Open a recovery case").click()
    page.locator("#grounds").select_option("false_materials")
    page.locator("#description").fill("申报材料中的研发费用辅助账系伪造，与审计报告不符。")
    evidence = tmp_path / "evidence.pdf"
    evidence.write_bytes(make_pdf())
    page.locator("#files").set_input_files(str(evidence))
    page.get_by_role("button", name="Open the case and tell the enterprise").click()
    expect(flash_success(page)).to_contain_text("may state its case until")
    case_url = page.url
    case_id = int(case_url.rstrip("/").rsplit("/", 1)[1])
    axe.assert_accessible(page, page.url)
    axe.assert_unique_ids(page, page.url)
    screenshot(page, "recovery-staff-case-opened")
    sign_out(page)

    # The firm, on its phone, reads the grounds and states its case with a file.
    sign_in(phone, FIRM)
    expect_signed_in(phone)
    use_english(phone)
    phone.goto("/notifications")
    phone.get_by_role("button", name="opened a recovery case").first.click()
    expect(phone.locator("h1")).to_contain_text("Recovery case on your award")
    expect(phone.get_by_text("False materials")).to_be_visible()
    expect(phone.get_by_role("link", name="evidence.pdf")).to_be_visible()
    fits(phone)
    statement = tmp_path / "statement.pdf"
    statement.write_bytes(make_pdf())
    phone.locator("#statement").fill("我单位对上述事实有异议：辅助账系会计人员笔误，已更正。")
    phone.locator("#files").set_input_files(str(statement))
    phone.get_by_role("button", name="Send my statement").click()
    expect(flash_success(phone)).to_be_visible()
    expect(phone.get_by_role("link", name="statement.pdf")).to_be_visible()
    fits(phone)
    screenshot(phone, "recovery-firm-statement-390")

    # The approver decides: more than was paid is refused, then 60,000 confirmed with the ban.
    sign_in(page, LEADER)
    expect_signed_in(page)
    page.goto(case_url)
    expect(page.get_by_text("我单位对上述事实有异议")).to_be_visible()
    page.locator("input[name=decision][value=recover]").check()
    page.locator("#amount").fill("100000")
    page.locator("#reason").fill("经核查，辅助账与审计报告不符，情况属实。")
    page.get_by_role("button", name="Continue to confirm").click()
    expect(page.locator("#amount-error")).to_contain_text("At most 90,000.00 yuan")
    expect(page.locator("#amount")).to_have_value("100000")
    page.locator("#amount").fill("60000")
    page.get_by_role("button", name="Continue to confirm").click()
    expect(page.get_by_text("must repay 60,000.00 yuan")).to_be_visible()
    expect(page.get_by_text("A ban of 3 years")).to_be_visible()
    axe.assert_accessible(page, page.url)
    screenshot(page, "recovery-confirm")
    page.get_by_role("button", name="Confirm the decision").click()
    expect(flash_success(page)).to_contain_text("60,000.00")
    sign_out(page)

    # The officer issues the notice.
    sign_in(page, OFFICER)
    expect_signed_in(page)
    page.goto(case_url)
    page.get_by_role("button", name="Issue the recovery notice").click()
    expect(flash_success(page)).to_contain_text("阜科追")
    screenshot(page, "recovery-staff-notice-issued")
    page.goto("/staff/recovery")
    expect(page.get_by_role("link", name=f"Case {case_id}")).to_be_visible()
    axe.assert_accessible(page, page.url)
    screenshot(page, "recovery-staff-list")
    with app.app_context():
        number = db.session.scalar(select(PostAwardDocument.number))
        until = db.session.scalar(
            select(CreditRecord.ban_until).where(CreditRecord.case_id == case_id)
        )

    # The firm downloads the notice and its programme page explains the ban.
    phone.goto(f"/recovery/{case_id}")
    expect(phone.get_by_text(f"Recovery notice {number}")).to_be_visible()
    fits(phone)
    with phone.expect_download() as download:
        phone.get_by_role("link", name="Download the notice (Chinese)").click()
    assert download.value.suggested_filename.endswith(".pdf")
    phone.goto(f"/programmes/{EAGLE}")
    expect(
        phone.get_by_text(f"Barred until {until.isoformat()}: recovery notice {number}")
    ).to_be_visible()
    fits(phone)
    screenshot(phone, "recovery-firm-eligibility-390")
