"""The funding agreement in the browser: the firm (on a 390-px phone) finds the agreement
waiting on its home page, first types an account name that is not its registered name and is
told so beside the field, enters its account, accepts with its declaration and downloads the
PDF; the officer confirms the account from the desk. Every page fits the phone."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect
from sqlalchemy import select

from portal.accounts.models import Enterprise, User
from portal.applications.models import Status
from portal.core.extensions import db
from portal.payments import agreements
from portal.payments.models import AgreementStatus, BankAccountStatus
from tests.e2e import axe
from tests.e2e.phone import measure
from tests.e2e.test_review_journey import expect_signed_in, flash_success, use_english
from tests.helpers import make_award_final
from tests.integration.test_decisions import RD, make_application

FIRM = "ent1@example.com"
OFFICER = "officer@example.com"
HOME = "/home"


@pytest.fixture
def phone(browser: Browser, live_server: str) -> Iterator[Page]:
    context = browser.new_context(
        base_url=live_server,
        locale="zh-CN",
        viewport={"width": 390, "height": 844},
        is_mobile=True,
        has_touch=True,
        accept_downloads=True,
    )
    context.set_default_timeout(45_000)  # accepting renders the agreement's PDFs
    try:
        yield context.new_page()
    finally:
        context.close()


@pytest.fixture
def offered(app, demo) -> int:
    """ent1's R&D application in publicity (written straight into the database: the e2e
    server checks CSRF), made final by the daily publicity step, which offers the agreement."""
    with app.app_context():
        firm_id = db.session.scalar(select(User.enterprise_id).where(User.email == FIRM))
    application_id = make_application(app, RD, firm_id, status=Status.PUBLICITY)
    make_award_final(app, application_id)
    with app.app_context():
        return agreements.agreement_of_application(application_id).id


def fits(page: Page) -> None:
    """The page fits the phone, has no serious or critical axe finding and no duplicate id."""
    fit = measure(page)
    assert fit.fits, fit.describe()
    axe.assert_accessible(page, page.url)
    axe.assert_unique_ids(page, page.url)


def test_firm_enters_account_accepts_and_downloads_officer_confirms(
    app, offered, phone: Page, page: Page, sign_in, screenshot
):
    with app.app_context():
        name = db.session.scalar(
            select(Enterprise.name)
            .join(User, User.enterprise_id == Enterprise.id)
            .where(User.email == FIRM)
        )

    # The firm, on its phone.
    sign_in(phone, FIRM)
    expect_signed_in(phone)
    use_english(phone)
    phone.goto(HOME)
    waiting = phone.locator(".notice", has_text="Agreements waiting for you")
    expect(waiting).to_be_visible()
    waiting.get_by_role("link").first.click()
    expect(phone.get_by_role("heading", name="Funding agreement", exact=True)).to_be_visible()
    expect(phone.locator(".ag-doc")).to_contain_text("180,000.00")
    fits(phone)
    screenshot(phone, "agreement-firm-offered-390")

    phone.get_by_role("link", name="Enter the bank account").click()
    phone.get_by_label("Account name").fill("某某贸易有限公司")
    phone.get_by_label("Bank", exact=True).fill("中国工商银行")
    phone.get_by_label("Branch").fill("阜新分行营业部")
    phone.get_by_label("Account number").fill("6222 0212 3456 7890")
    phone.get_by_role("button", name="Save the bank account").click()
    expect(phone.locator("#account_name-error")).to_contain_text(name)
    expect(phone.get_by_label("Account number")).to_have_value("6222 0212 3456 7890")
    fits(phone)
    screenshot(phone, "agreement-firm-account-error-390")

    phone.get_by_label("Account name").fill(name)
    phone.get_by_role("button", name="Save the bank account").click()
    expect(flash_success(phone)).to_be_visible()
    expect(phone.locator(".ag-account").first).to_contain_text("6222 0212 3456 7890")

    phone.get_by_role("button", name="Accept the agreement").click()
    expect(phone.locator("#declaration-error")).to_be_visible()
    phone.get_by_label("I make this declaration").check()
    phone.get_by_role("button", name="Accept the agreement").click()
    expect(flash_success(phone)).to_contain_text("阜科协")
    fits(phone)
    screenshot(phone, "agreement-firm-accepted-390")
    with phone.expect_download() as download:
        phone.get_by_role("link", name="Download the agreement (PDF, Chinese)").click()
    assert download.value.suggested_filename.startswith("阜科协")
    assert Path(download.value.path()).read_bytes()[:5] == b"%PDF-"

    # The officer confirms the account from the desk.
    sign_in(page, OFFICER)
    expect_signed_in(page)
    use_english(page)
    page.goto(HOME)
    page.get_by_role("link", name="Agreements and bank accounts").click()
    pending = page.locator(
        "section", has=page.get_by_role("heading", name="Bank accounts to confirm")
    )
    expect(pending).to_contain_text(name)
    fits(page)
    screenshot(page, "agreement-desk-index")
    pending.get_by_role("link", name="Check and confirm").first.click()
    expect(page.locator(".ag-compare").first).to_contain_text(
        "The account name is the registered name."
    )
    fits(page)
    screenshot(page, "agreement-desk-account")
    page.get_by_role("button", name="Confirm the bank account").click()
    expect(flash_success(page)).to_be_visible()
    expect(page.get_by_text("No bank account is waiting for confirmation.")).to_be_visible()

    with app.app_context():
        agreement = agreements.agreement_of_application(
            agreements.tranches_of(offered)[0].application_id
        )
        assert agreement.status is AgreementStatus.ACCEPTED
        assert agreements.current_bank_account(agreement.id).status is BankAccountStatus.CONFIRMED
        assert agreements.ready_for_payment(agreement)
