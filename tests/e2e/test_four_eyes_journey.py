"""Four eyes, as the officer and the bureau's leadership do it in their browsers: the officer
checks what a release does and proposes it; the approver (on a 390-px phone) reads the same
figures, sends one proposal back with a reason and signs the next off; an upheld objection
goes the same way. Every new page fits the phone. Screenshots go to test-artifacts/four-eyes/
with PORTAL_SCREENSHOTS=1."""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal

import pytest
from playwright.sync_api import Browser, Page, expect
from sqlalchemy import select

from portal.applications.models import Application, Status
from portal.core.audit import AuditEvent
from portal.core.extensions import db
from portal.core.timeutil import utcnow
from tests.e2e import axe
from tests.e2e.conftest import save_screenshot
from tests.e2e.phone import measure
from tests.e2e.test_review_journey import expect_signed_in, flash_success, use_english
from tests.integration.test_decisions import KEY, RD, make_application, make_firm, set_program
from tests.integration.test_letters import issue, letters_of
from tests.integration.test_publicity import add_objection, in_publicity

OFFICER = "officer@example.com"
LEADER = "leader@example.com"


def shot(page: Page, name: str) -> None:
    save_screenshot(page, f"four-eyes/{name}")


def fits(page: Page) -> None:
    """The page fits the phone, has no serious or critical axe finding and no duplicate id."""
    fit = measure(page)
    assert fit.fits, fit.describe()
    axe.assert_accessible(page, page.url)
    axe.assert_unique_ids(page, page.url)


@pytest.fixture
def phone(browser: Browser, live_server: str) -> Iterator[Page]:
    context = browser.new_context(
        base_url=live_server,
        locale="zh-CN",
        viewport={"width": 390, "height": 844},
        is_mobile=True,
        has_touch=True,
    )
    # Signing a release off issues its rejection letters (PDFs) before the page answers.
    context.set_default_timeout(45_000)
    try:
        yield context.new_page()
    finally:
        context.close()


@pytest.fixture
def pending(app, demo) -> dict[str, int]:
    """Two decisions of the key programme pending release: one approval, one rejection."""
    set_program(app, KEY, budget=Decimal("1300000"))
    return {
        "approved": make_application(
            app,
            KEY,
            make_firm(app, 1, "阜新氟化工新材料科技股份有限公司"),
            score="92",
            decision="approve",
            decided_amount=Decimal("500000"),
        ),
        "rejected": make_application(
            app,
            KEY,
            make_firm(app, 2, "阜新市德尔汽车部件股份有限公司"),
            score="55",
            decision="reject",
            decision_reason_code="score_too_low",
            decision_reason="综合评分低于60分。",
        ),
    }


def _status(app, application_id: int) -> Status:
    with app.app_context():
        return db.session.get(Application, application_id).status


def _sign_in(page: Page, sign_in, email: str) -> None:
    page.set_default_timeout(45_000)
    sign_in(page, email)
    expect_signed_in(page)
    use_english(page)


def test_a_release_needs_an_officer_and_an_approver(app, page: Page, phone: Page, pending, sign_in):
    # 1. The officer checks what the release does, at a desk and on a phone, and proposes it.
    _sign_in(page, sign_in, OFFICER)
    with app.app_context():
        program_id = db.session.get(Application, pending["approved"]).program_id
    page.goto(f"/staff/decisions/programmes/{program_id}")
    page.get_by_role("link", name="Check and propose the release of 2 decisions").click()
    expect(page.locator("h1")).to_have_text("Propose the release")
    effect = page.locator(".so-effect")
    expect(effect).to_contain_text("1 firm is approved: 500,000.00 yuan in total go into publicity")
    expect(effect).to_contain_text("1 firm is rejected")
    expect(effect).to_contain_text("阜新氟化工新材料科技股份有限公司")
    expect(effect).to_contain_text("综合评分低于60分。")
    shot(page, "officer-confirm-release-desktop")
    axe.assert_accessible(page, "confirm release")
    page.get_by_role("button", name="Propose this release for sign-off").click()
    expect(flash_success(page).first).to_contain_text("Release proposed.")
    expect(page.locator(".dc-release-proposal")).to_contain_text("awaits an approver")
    assert _status(app, pending["approved"]) is Status.DECIDED

    # 2. The approver, on a phone, sees it waiting, reads it and sends it back with a reason.
    _sign_in(phone, sign_in, LEADER)
    phone.goto("/home")
    expect(phone.locator("h1")).to_have_text("Leadership desk")
    expect(phone.locator(".so-home")).to_contain_text("Release: 1 approval, 1 rejection")
    fits(phone)
    shot(phone, "approver-home-390")
    phone.goto("/staff/sign-off")
    fits(phone)
    shot(phone, "approver-list-390")
    phone.locator("main table a[href*='/staff/sign-off/']").first.click()
    expect(phone.locator(".so-effect")).to_contain_text("500,000.00 yuan in total")
    expect(phone.locator("main")).to_contain_text("王审核 Officer Wang")
    fits(phone)
    shot(phone, "approver-proposal-390")
    phone.get_by_role("button", name="Send back to the officer").click()
    expect(phone.locator("#reason-error")).to_contain_text("Say why you send it back")
    phone.locator("#reason").fill("请补充预算说明后重新提交。")
    phone.get_by_role("button", name="Send back to the officer").click()
    expect(flash_success(phone).first).to_contain_text("Sent back to the officer")
    assert _status(app, pending["approved"]) is Status.DECIDED

    # 3. The officer reads why, proposes again; the approver signs it off.
    page.reload()
    expect(page.locator(".dc-release-proposal")).to_contain_text("请补充预算说明后重新提交。")
    page.get_by_role("link", name="Check and propose the release of 2 decisions").click()
    # measure the confirmation page, not the page the click leaves mid-navigation
    expect(page.get_by_role("button", name="Propose this release for sign-off")).to_be_visible()
    page.set_viewport_size({"width": 390, "height": 844})
    fits(page)
    shot(page, "officer-confirm-release-390")
    page.set_viewport_size({"width": 1280, "height": 900})
    page.get_by_role("button", name="Propose this release for sign-off").click()
    phone.goto("/staff/sign-off")
    phone.locator("main table a[href*='/staff/sign-off/']").first.click()
    phone.get_by_role("button", name="Sign off: it happens now").click()
    expect(flash_success(phone).first).to_contain_text("Signed off: 2 decisions released")
    assert _status(app, pending["approved"]) is Status.PUBLICITY
    assert _status(app, pending["rejected"]) is Status.REJECTED
    with app.app_context():
        released = db.session.scalars(
            select(AuditEvent).where(AuditEvent.action == "decision.released")
        ).one()
        assert released.summary["proposed_by_name"] == "王审核 Officer Wang"
        assert released.summary["approved_by_name"] == "周领导 Leader Zhou"
    # the list dealt with shows both
    phone.goto("/staff/sign-off")
    expect(phone.locator("main")).to_contain_text("Dealt with recently")
    fits(phone)


def test_an_upheld_objection_needs_an_approver(app, page: Page, phone: Page, demo, sign_in):
    application_id = in_publicity(
        app, KEY, 1, status=Status.ON_HOLD, amount="200000", name="阜新异议测试有限公司"
    )
    add_objection(app, application_id)
    _sign_in(page, sign_in, OFFICER)
    page.goto("/staff/decisions/objections")
    objection = page.locator("section.dc-objection").first
    objection.get_by_label("Upheld: the award is withdrawn").check()
    objection.locator("textarea").fill("经核实，研发费用数据不实。")
    objection.get_by_role("button", name="Resolve the objection").click()
    expect(page.locator("h1")).to_have_text("Propose upholding the objection")
    expect(page.locator(".so-effect")).to_contain_text(
        "The award of 200,000.00 yuan to 阜新异议测试有限公司"
    )
    shot(page, "officer-confirm-uphold-desktop")
    axe.assert_accessible(page, "confirm uphold")
    axe.assert_unique_ids(page, "confirm uphold")
    page.get_by_role("button", name="Propose upholding for sign-off").click()
    expect(flash_success(page).first).to_contain_text("Upholding proposed.")
    assert _status(app, application_id) is Status.ON_HOLD

    _sign_in(phone, sign_in, LEADER)
    phone.goto("/staff/sign-off")
    phone.locator("main table a[href*='/staff/sign-off/']").first.click()
    expect(phone.locator(".so-effect")).to_contain_text("经核实，研发费用数据不实。")
    fits(phone)
    shot(phone, "approver-uphold-390")
    phone.get_by_role("button", name="Sign off: it happens now").click()
    expect(flash_success(phone).first).to_contain_text("the objection is upheld")
    assert _status(app, application_id) is Status.REJECTED


def test_a_changed_amount_on_a_letter_needs_an_approver(
    app, page: Page, phone: Page, demo, sign_in
):
    awarded = make_application(
        app,
        RD,
        make_firm(app, 3, "阜新市金属材料有限公司"),
        status=Status.AWARDED,
        decision="approve",
        formula="300000",
        decided_amount=Decimal("150000"),
        released_at=utcnow(),
        # the officer's application page (where the proposal returns to) reads these
        figures={"uscc": "91210900MA0000003X"},
    )
    (letter,) = issue(app, awarded)
    _sign_in(page, sign_in, OFFICER)
    page.goto(f"/staff/letters/{letter.id}/reissue")
    page.locator("#reason").fill("审计后金额更正。")
    page.locator("#amount").fill("120,000")
    page.get_by_role("button", name="Reissue the letter").click()
    effect = page.locator(".so-effect")
    expect(effect).to_contain_text("changes from 150,000.00 yuan to 120,000.00 yuan")
    shot(page, "officer-confirm-reissue-desktop")
    page.set_viewport_size({"width": 390, "height": 844})
    fits(page)
    shot(page, "officer-confirm-reissue-390")
    page.set_viewport_size({"width": 1280, "height": 900})
    page.get_by_role("button", name="Propose the reissue for sign-off").click()
    expect(flash_success(page).first).to_contain_text("Reissue with 120,000.00 yuan proposed.")
    assert [row.amount for row in letters_of(app, awarded)] == [Decimal("150000.00")]

    _sign_in(phone, sign_in, LEADER)
    phone.goto("/staff/sign-off")
    phone.locator("main table a[href*='/staff/sign-off/']").first.click()
    expect(phone.locator(".so-effect")).to_contain_text("审计后金额更正。")
    fits(phone)
    shot(phone, "approver-reissue-390")
    phone.get_by_role("button", name="Sign off: it happens now").click()
    expect(flash_success(phone).first).to_contain_text("is reissued with 120,000.00 yuan")
    old, new = letters_of(app, awarded)
    assert new.amount == Decimal("120000.00") and old.superseded_at is not None
