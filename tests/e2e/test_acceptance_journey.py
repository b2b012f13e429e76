"""Acceptance (验收) as the bureau does it in the browser: the officer forms a panel of three
experts from the pool, an expert gives a conclusion on a 390-px phone (the others too), the
officer concludes the round and issues the notice, and the firm finds it on its application
page. Every page fits the phone, has no serious axe finding and no duplicate id."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import Browser, Page, expect
from sqlalchemy import select

from portal.accounts.models import User
from portal.core.extensions import db
from portal.payments import acceptance
from portal.payments.acceptance_models import AcceptanceAssignment, AcceptanceOutcome
from tests.acceptance_helpers import add_experts, award_ready_for_acceptance, user_id
from tests.e2e import axe
from tests.e2e.phone import measure
from tests.e2e.test_review_journey import expect_signed_in, flash_success, use_english

OFFICER = "officer@example.com"


def fits(page: Page) -> None:
    fit = measure(page)
    assert fit.fits, fit.describe()
    axe.assert_accessible(page, page.url)
    axe.assert_unique_ids(page, page.url)


@pytest.fixture
def phones(browser: Browser, live_server: str) -> Iterator[Callable[[], Page]]:
    contexts = []

    def _phone() -> Page:
        context = browser.new_context(
            base_url=live_server,
            locale="zh-CN",
            viewport={"width": 390, "height": 844},
            is_mobile=True,
            has_touch=True,
        )
        context.set_default_timeout(45_000)  # issuing the notice renders two PDFs
        contexts.append(context)
        return context.new_page()

    yield _phone
    for context in contexts:
        context.close()


def _others_conclude(app, emails: list[str]) -> None:
    """The other experts conclude (through the service, as their pages were shown above)."""
    ids = [user_id(app, email) for email in emails]
    with app.app_context():
        for expert_id in ids:
            assignment = db.session.scalar(
                select(AcceptanceAssignment)
                .where(AcceptanceAssignment.expert_id == expert_id)
                .order_by(AcceptanceAssignment.id.desc())
                .limit(1)
            )
            acceptance.submit_conclusion(
                assignment,
                conclusion=AcceptanceOutcome.PASSED,
                score=88,
                comments="设备联网平台运行稳定，资料齐全。",
                actor=db.session.get(User, expert_id),
            )
        db.session.commit()


def test_officer_forms_a_panel_an_expert_concludes_the_officer_issues_the_notice(
    app, demo, page: Page, phones, sign_in, screenshot
):
    add_experts(app)
    application_id = award_ready_for_acceptance(app)

    # The officer finds the award from the desk and forms a panel of the three demo experts.
    page.set_default_timeout(45_000)
    sign_in(page, OFFICER)
    expect_signed_in(page)
    use_english(page)
    page.get_by_role("link", name="Acceptance of projects").click()
    expect(page.locator("h1")).to_have_text("Acceptance of projects")
    page.get_by_role("link", name="Form a panel").first.click()
    for name in ("Expert Li", "Expert Zhao", "Expert Chen"):
        page.locator("label.checkbox", has_text=name).locator("input").check()
    screenshot(page, "acceptance-panel")
    page.get_by_role("button", name="Form the panel with the chosen experts").click()
    expect(flash_success(page)).to_contain_text("Panel formed for round 1")
    round_url = page.url

    # An expert on a phone: from the review queue to the panel, a conclusion with comments.
    expert = phones()
    sign_in(expert, "reviewer1@example.com")
    expect_signed_in(expert)
    use_english(expert)
    expert.goto("/review")
    expert.get_by_role("link", name="My acceptance panels").click()
    expect(expert.locator("table.ac-list a").first).to_be_visible()  # the new page, not the old
    fits(expert)
    expert.locator("table.ac-list a").first.click()
    expect(expert.locator("h1")).to_contain_text("Acceptance")
    expert.get_by_role("radio", name="Passed", exact=True).check()
    expert.get_by_label("Score (optional)").fill("86")
    expert.get_by_label("Comments").fill("生产执行系统已上线，设备联网率达到任务书要求。")
    fits(expert)
    screenshot(expert, "acceptance-expert-phone")
    expert.get_by_role("button", name="Give my conclusion").click()
    expect(flash_success(expert)).to_contain_text("Your conclusion is recorded")
    expect(expert.locator("table.ac-list")).to_contain_text("Passed")

    _others_conclude(app, ["reviewer2@example.com", "reviewer3@example.com"])

    # The officer concludes with the panel's view preselected, then issues the notice.
    page.goto(round_url)
    expect(page.locator(".ac-panel")).to_contain_text("生产执行系统已上线")
    expect(page.get_by_role("radio", name="Passed", exact=True)).to_be_checked()
    page.get_by_role("textbox", name="The panel's conclusion").fill(
        "项目完成任务书约定的建设内容，同意通过验收。"
    )
    page.get_by_role("button", name="Conclude the round").click()
    expect(flash_success(page)).to_contain_text("Round concluded")
    page.get_by_role("button", name="Issue the acceptance notice").click()
    expect(flash_success(page)).to_contain_text("阜科验")
    expect(page.get_by_role("link", name="Download (Chinese)")).to_be_visible()
    screenshot(page, "acceptance-round")

    # The officer's pages on a phone.
    officer_phone = phones()
    sign_in(officer_phone, OFFICER)  # in English: the officer chose it above
    for url in ("/staff/acceptance?state=done", urlsplit(round_url).path):
        officer_phone.goto(url)
        fits(officer_phone)
    screenshot(officer_phone, "acceptance-round-phone")

    # The firm sees the outcome and the notice on its application page.
    firm = phones()
    sign_in(firm, "ent1@example.com")
    firm.goto(f"/applications/{application_id}?lang=en")
    expect(firm.locator("#acceptance")).to_contain_text("Passed")
    expect(firm.locator("#acceptance")).to_contain_text("阜科验")
    fits(firm)
    screenshot(firm, "acceptance-firm-phone")
