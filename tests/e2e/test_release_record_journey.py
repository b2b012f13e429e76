"""After a release the ranked list empties, and the officer reads what was released from the
minutes: the programme's earlier releases, one release's ranked list as it stood (ranks,
scores, amounts decided and released, the budget line, who proposed and who approved), its
PDF (评审结果汇总表) and XLSX downloads; a stranger verifies the PDF by the code printed on it.
Every page fits a 390-px phone. Screenshots in test-artifacts/release-record/ with
PORTAL_SCREENSHOTS=1."""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from decimal import Decimal

import pytest
from playwright.sync_api import Browser, Page, expect
from sqlalchemy import select

from portal.accounts.models import User
from portal.applications.models import Application, Status
from portal.core.extensions import db
from portal.core.jobs import commit
from portal.core.timeutil import utcnow
from portal.programs.models import Program
from portal.review import decisions
from portal.review.ranking import snapshot_of
from portal.review.release_record_models import ReleaseRecord
from tests.e2e.conftest import save_screenshot
from tests.e2e.phone import measure
from tests.integration.test_decisions import (
    KEY,
    make_application,
    make_firm,
    set_program,
    set_tiers,
)

OFFICER = "officer@example.com"
APPROVER = "leader@example.com"


def shot(page: Page, name: str) -> None:
    save_screenshot(page, f"release-record/{name}")


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
    context.set_default_timeout(15_000)
    try:
        yield context.new_page()
    finally:
        context.close()


@pytest.fixture
def released(app, demo) -> int:
    """A release signed off by the approver: three approvals past the budget (pro rata) and
    one rejection, released through the real service; returns the programme's id."""
    set_tiers(app, KEY, [[2, "500000"], [3, "200000"]])
    set_program(app, KEY, budget=Decimal("1000000"), pro_rata=True)
    names = [
        "阜新氟化工新材料科技股份有限公司",
        "阜新市德尔汽车部件股份有限公司",
        "阜新乙企业",
        "阜新丁企业",
    ]
    with app.app_context():
        officer = db.session.scalar(select(User).where(User.email == OFFICER))
        officer_id = officer.id
    plan = [("95", "approve", "500000"), ("90", "approve", "500000"), ("85", "approve", "200000")]
    plan.append(("50", "reject", None))
    for index, (name, (score, decision, amount)) in enumerate(
        zip(names, plan, strict=True), start=1
    ):
        make_application(
            app,
            KEY,
            make_firm(app, index, name),
            score=score,
            decision=decision,
            decided_amount=None if amount is None else Decimal(amount),
            decision_reason_code="" if amount else "score_too_low",
            decision_reason="" if amount else "评分低于最低分。",
            decided_by_id=officer_id,
            decided_at=utcnow(),
        )
    with app.app_context():
        program = db.session.scalar(select(Program).where(Program.code == KEY))
        officer = db.session.get(User, officer_id)
        approver = db.session.scalar(select(User).where(User.email == APPROVER))
        pending = list(
            db.session.scalars(
                select(Application)
                .where(Application.program_id == program.id, Application.status == Status.DECIDED)
                .order_by(Application.id)
            )
        )
        decisions.release_decisions(
            program,
            actor=approver or officer,
            snapshot=snapshot_of(pending),
            four_eyes={"proposed_by": officer.id, "approved_by": (approver or officer).id},
        )
        commit()  # the record's PDFs are rendered by the job queued at this commit (inline)
        return program.id


def test_the_officer_reads_and_downloads_a_release_and_anyone_verifies_it(
    app, released, page, phone, sign_in, tmp_path
):
    sign_in(page, OFFICER)
    page.goto(f"/staff/release-records/programmes/{released}?lang=en")
    expect(page.get_by_role("heading", name="Earlier releases")).to_be_visible()
    shot(page, "index-desktop")
    page.locator("table a").first.click()
    expect(page.locator("h1")).to_contain_text("Release of")
    table = page.locator("main table")
    expect(table).to_contain_text("阜新氟化工新材料科技股份有限公司")
    expect(table).to_contain_text("The budget of 1,000,000.00 yuan runs out here")
    expect(page.locator("main")).to_contain_text("scaled pro rata")
    expect(page.locator("main")).to_contain_text("Score too low")
    shot(page, "record-desktop")
    code = page.locator(".rrw-code").inner_text().strip()
    record_url = page.url

    with page.expect_download() as pdf_download:
        page.get_by_role("link", name="Download the PDF (Chinese)").click()
    pdf_path = tmp_path / "record.pdf"
    pdf_download.value.save_as(pdf_path)
    text = subprocess.run(
        ["pdftotext", "-layout", str(pdf_path), "-"], capture_output=True, text=True, check=True
    ).stdout
    assert "评审结果汇总表" in text and code in text
    with page.expect_download() as xlsx_download:
        page.get_by_role("link", name="Download as a spreadsheet (XLSX)").click()
    assert xlsx_download.value.suggested_filename.endswith(".xlsx")

    # on a phone: both pages fit 390 px, the table becomes cards
    sign_in(phone, OFFICER)
    for url, name in (
        (f"/staff/release-records/programmes/{released}?lang=en", "index-390"),
        (record_url, "record-390"),
    ):
        phone.goto(url)
        fit = measure(phone)
        assert fit.fits, fit.describe()
        shot(phone, name)

    # a stranger verifies the PDF by its code
    stranger = page.context.browser.new_context(base_url=page.url.split("/staff")[0])
    try:
        visitor = stranger.new_page()
        visitor.goto("/verify?lang=en")
        visitor.locator("#code").fill(code)
        visitor.get_by_role("button", name="Check the code").click()
        expect(visitor.locator("h1")).to_have_text("Authentic summary of the review results")
        expect(visitor.locator("main")).to_contain_text("4 (3 approved, 1 rejected)")
        expect(visitor.locator("main")).not_to_contain_text("阜新丁企业")
        shot(visitor, "verify-desktop")
    finally:
        stranger.close()
    with app.app_context():
        record = db.session.scalar(select(ReleaseRecord))
        assert record.pdf_key and record.approved_count == 3
