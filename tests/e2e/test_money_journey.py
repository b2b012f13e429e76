"""Money at a glance, in the browser: the admin opens a programme's post-award plan from the
programme list, enters shares that do not add up to 100 (refused, the input kept, the message
beside the tranches), fixes them and saves; the officer then reads the money after the award
on the dashboard. The plan and the dashboard fit a 390-px phone."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date

import pytest
from playwright.sync_api import Browser, Page, expect
from sqlalchemy import select

from portal.core.extensions import db
from portal.payments.models import PostAwardPlan
from portal.programs.models import Program
from tests.e2e import axe
from tests.e2e.phone import measure
from tests.e2e.test_review_journey import use_english
from tests.integration.test_money_reporting import _make_due, _pay
from tests.integration.test_money_tallies import RD, _award

ADMIN = "admin@example.com"
OFFICER = "officer@example.com"
PROJECT = "fluorine-digital-2026"


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
    yield context.new_page()
    context.close()


def _fits(page: Page) -> None:
    fit = measure(page)
    assert fit.fits, fit.describe()
    axe.assert_accessible(page, page.url)
    axe.assert_unique_ids(page, page.url)


def test_admin_edits_a_plan_and_the_officer_reads_the_money(
    app, demo, page, phone, sign_in, screenshot
):
    with app.app_context():
        program_id = db.session.scalar(select(Program.id).where(Program.code == PROJECT))
    _rd, (first, second) = _award(app, ["60000.00", "40000.00"])
    _pay(app, first, date(2026, 4, 15))  # 14 days after the award (1 April, Shanghai)
    _make_due(app, second)

    # The admin finds the plan from the programme list.
    sign_in(page, ADMIN)
    page.goto("/staff/programmes")
    use_english(page)
    page.locator(f"a[href='/staff/post-award-plans/{program_id}']").click()
    expect(page.locator("h1")).to_contain_text("Post-award plan")
    expect(page.locator("[data-note=agreements]")).to_contain_text("keep the terms")
    expect(page.locator("#tranches-0-share")).to_have_value("60")

    # Shares adding up to 90: refused, everything typed kept, the message beside them.
    page.locator("#tranches-0-share").fill("50")
    page.locator("#tranches-1-share").fill("40")
    page.locator("#ban_years").fill("5")
    page.get_by_role("button", name="Save the plan").click()
    expect(page.locator("[data-group-error=tranches]")).to_contain_text(
        "The shares add up to 90 %; they must add up to exactly 100 %."
    )
    expect(page.locator("#tranches-0-share")).to_have_value("50")
    expect(page.locator("#tranches-1-share")).to_have_value("40")
    expect(page.locator("#ban_years")).to_have_value("5")
    axe.assert_accessible(page, page.url)
    screenshot(page, "money-plan-refused")
    with app.app_context():
        assert db.session.get(PostAwardPlan, program_id) is None

    # Fixed: saved, and shown again as saved.
    page.locator("#tranches-1-share").fill("50")
    page.get_by_role("button", name="Save the plan").click()
    expect(page.locator(".flash").first).to_contain_text("The post-award plan is saved.")
    expect(page.locator("#tranches-1-share")).to_have_value("50")
    with app.app_context():
        saved = db.session.get(PostAwardPlan, program_id)
        assert [t["share_percent"] for t in saved.tranches] == ["50", "50"]
        assert saved.ban_years == 5
    page.set_viewport_size({"width": 390, "height": 844})
    _fits(page)
    screenshot(page, "money-plan-form-phone")

    # The officer reads the money on the dashboard.
    sign_in(phone, OFFICER)
    phone.goto("/staff/dashboard?year=2026")
    use_english(phone)
    money = phone.locator(f"[data-money='{RD}']")
    expect(money.locator("[data-figure=paid] dd")).to_have_text("60,000.00")
    expect(money.locator("[data-figure=due] dd")).to_have_text("40,000.00")
    expect(money.locator("[data-figure=awarded] dd")).to_have_text("100,000.00")
    expect(money.locator("[data-figure=days] dd")).to_contain_text("median 14, worst 14")
    expect(phone.locator("[data-stat=paid] .stat__value")).to_have_text("60,000.00")
    _fits(phone)
    screenshot(phone, "money-dashboard-phone")

    # The officer reads the plan, on the phone too, and cannot change it.
    phone.goto(f"/staff/post-award-plans/{program_id}")
    expect(phone.get_by_text("Only an administrator can change the plan.")).to_be_visible()
    expect(phone.get_by_role("button", name="Save the plan")).to_have_count(0)
    _fits(phone)
    screenshot(phone, "money-plan-phone")
