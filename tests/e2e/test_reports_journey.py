"""Progress reports in the browser: the firm (on a 390-px phone) finds its report on its home
page, submits it; the officer returns it with a reason; the firm reads the reason, changes the
report and submits again; the officer accepts it. An overdue report shows in red, and the
programme page explains why the firm cannot apply. Every firm page fits the phone."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import pytest
from playwright.sync_api import Browser, Page, expect

from portal.core.extensions import db
from portal.core.timeutil import bureau_today
from portal.payments.report_models import ProgressReport, ReportStatus
from tests.e2e.phone import measure
from tests.e2e.test_review_journey import expect_signed_in, flash_success, use_english
from tests.integration.test_reports import FIRM, FLUORINE, OFFICER, RD, accepted_award


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


@pytest.fixture
def reports(app, demo) -> list[int]:
    return accepted_award(app, code=FLUORINE)["report_ids"]


def fits(page: Page) -> None:
    fit = measure(page)
    assert fit.fits, fit.describe()


def status_of(app, report_id: int) -> ReportStatus:
    with app.app_context():
        return db.session.get(ProgressReport, report_id).status


def fill_report(page: Page, revenue: str) -> None:
    page.get_by_label("Actual R&D spend (yuan)").fill("1,250,000")
    page.get_by_label("Revenue (yuan)").fill(revenue)
    page.get_by_label("Patents filed").fill("3")
    page.get_by_label("Patents granted").fill("1")
    page.get_by_label("Jobs created").fill("12")
    page.get_by_label("Progress").fill("生产执行系统一期上线，设备联网率85%。")


def test_firm_submits_officer_returns_firm_resubmits_officer_accepts(
    app, reports, phone: Page, page: Page, sign_in, screenshot
):
    report_id = reports[0]
    sign_in(phone, FIRM)
    expect_signed_in(phone)
    use_english(phone)
    phone.goto("/home")
    owed = phone.locator(".notice", has_text="Reports to submit")
    expect(owed).to_be_visible()
    owed.get_by_role("link", name="Progress report").first.click()
    expect(phone.get_by_role("heading", level=1)).to_contain_text("Progress report")
    fits(phone)
    screenshot(phone, "report-firm-form-390")
    fill_report(phone, "8,000,000")
    phone.get_by_role("button", name="Submit the report").click()
    expect(flash_success(phone)).to_contain_text("Report submitted")
    assert status_of(app, report_id) is ReportStatus.SUBMITTED
    fits(phone)
    screenshot(phone, "report-firm-submitted-390")

    # The officer, at the desk: the report is waiting to be checked.
    sign_in(page, OFFICER)
    expect_signed_in(page)
    use_english(page)
    page.goto("/staff/reports?view=submitted")
    page.get_by_role("link", name="Progress report").first.click()
    expect(page.locator("main")).to_contain_text("8,000,000.00")
    # A return needs a reason: without one the officer is told beside the field.
    page.get_by_role("button", name="Return to the firm").click()
    expect(page.locator(".field__error")).to_contain_text("Say why the report is returned")
    assert status_of(app, report_id) is ReportStatus.SUBMITTED
    page.get_by_label("Why the report is returned").fill("请补充研发费用明细。")
    page.get_by_role("button", name="Return to the firm").click()
    expect(flash_success(page)).to_contain_text("Report returned")
    screenshot(page, "report-officer-returned")

    # The firm reads the reason, changes the report and submits it again.
    phone.goto(f"/reports/{report_id}")
    expect(phone.locator(".notice")).to_contain_text("请补充研发费用明细。")
    expect(phone.get_by_label("Revenue (yuan)")).to_have_value("8000000.00")
    phone.get_by_label("Revenue (yuan)").fill("8,200,000")
    phone.get_by_role("button", name="Submit the report").click()
    expect(flash_success(phone)).to_contain_text("Report submitted")
    assert status_of(app, report_id) is ReportStatus.SUBMITTED

    page.goto(f"/staff/reports/{report_id}")
    expect(page.locator("main")).to_contain_text("8,200,000.00")
    page.get_by_role("button", name="Accept the report").click()
    expect(flash_success(page)).to_contain_text("Report accepted")
    assert status_of(app, report_id) is ReportStatus.ACCEPTED

    phone.goto(f"/reports/{report_id}")
    expect(phone.locator(".notice")).to_contain_text("Accepted by the bureau")
    expect(phone.get_by_role("button", name="Submit the report")).to_have_count(0)
    fits(phone)
    screenshot(phone, "report-firm-accepted-390")


def test_an_overdue_report_is_red_and_the_programme_page_explains_the_block(
    app, reports, phone: Page, page: Page, sign_in, screenshot
):
    due = bureau_today() - timedelta(days=12)
    with app.app_context():
        db.session.get(ProgressReport, reports[0]).due_on = due
        db.session.commit()
    sign_in(phone, FIRM)
    expect_signed_in(phone)
    use_english(phone)
    phone.goto("/reports")
    row = phone.locator("tr.rp-row--overdue")
    expect(row).to_have_count(1)
    tag = row.locator(".rp-status--overdue")
    expect(tag).to_have_text("Overdue")
    expect(row.locator("td.rp-overdue")).to_have_text(due.isoformat())
    expect(tag).to_have_css("color", "rgb(138, 28, 33)")
    fits(phone)
    screenshot(phone, "report-firm-overdue-390")

    phone.goto(f"/programmes/{RD}")
    condition = phone.locator("tr", has_text="No report overdue on earlier awards")
    expect(condition).to_contain_text(f"was due on {due.isoformat()}")
    expect(condition).to_contain_text("Progress report (")
    fits(phone)
    screenshot(phone, "report-programme-blocked-390")

    # The officer sees it in red, oldest first.
    sign_in(page, OFFICER)
    expect_signed_in(page)
    use_english(page)
    page.goto("/staff/reports")
    expect(page.locator("tr.rp-row--overdue")).to_have_count(1)
    expect(page.locator("td.rp-overdue")).to_have_css("color", "rgb(192, 38, 45)")
    screenshot(page, "report-officer-overdue")
