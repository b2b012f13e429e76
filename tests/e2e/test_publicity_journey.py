"""A citizen on a 390-px phone reads the publicity page (what a 公示 shows, the bureau's
contact), downloads the printable notice, objects with a name and an email address confirmed
by a code (read from the test SMTP server), and follows the handling of the objection until
an officer resolves it. Every page fits the phone; screenshots go to test-artifacts/ with
PORTAL_SCREENSHOTS=1."""

from __future__ import annotations

import re
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect
from sqlalchemy import select

from portal.core.extensions import db
from tests.e2e.phone import measure
from tests.integration.test_decisions import KEY
from tests.integration.test_publicity import in_publicity

OBJECTOR = "citizen@example.com"
REASON = "该企业上年度研发费用数据与统计报表不符，附统计报表截图。"


@pytest.fixture
def app_config(app_config, smtp) -> dict:
    _inbox, port = smtp
    return {**app_config, "SMTP_HOST": "127.0.0.1", "SMTP_PORT": port}


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
def awards(app, demo) -> dict[str, int]:
    """Two awards of one release in publicity, with the release's printed notice."""
    ids = {
        "first": in_publicity(
            app, KEY, 1, amount="500000", name="阜新氟化工新材料科技股份有限公司"
        ),
        "second": in_publicity(app, KEY, 2, amount="200000", name="阜新市德尔汽车部件股份有限公司"),
    }
    from portal.core.jobs import commit
    from portal.letters.publicity_notice import issue_notice
    from tests.integration.test_decisions import load

    starts_on = load(app, ids["first"]).publicity_starts_on
    with app.app_context():
        from portal.programs.models import Program

        program_id = db.session.scalar(select(Program.id).where(Program.code == KEY))
        assert issue_notice(program_id, starts_on) is not None
        commit()
    return ids


def fits(page: Page) -> None:
    fit = measure(page)
    assert fit.fits, fit.describe()


def pdf_text(path: Path) -> str:
    return subprocess.run(
        ["pdftotext", str(path), "-"], capture_output=True, text=True, check=True
    ).stdout


def test_a_citizen_reads_downloads_objects_and_follows_the_handling(
    app, phone: Page, awards, smtp, screenshot, tmp_path
):
    inbox, _port = smtp
    page = phone
    page.goto("/publicity")
    page.locator("button[name=locale][value=en]").click()
    expect(page.locator("html")).to_have_attribute("lang", "en")
    # What a publicity notice shows, and where to object.
    expect(page.locator("h1")).to_have_text("Publicity of awards")
    table = page.locator("table.stack").first
    expect(table).to_contain_text("阜新氟化工新材料科技股份有限公司")
    expect(table).to_contain_text("500,000.00")
    expect(table).to_contain_text("测试项目")
    expect(page.locator(".pub-release").first).to_contain_text("Publicity ends")
    expect(page.locator(".pub-contact")).to_contain_text("0418-2822601")
    fits(page)
    screenshot(page, "publicity-phone")

    # The printable notice.
    with page.expect_download() as download:
        page.get_by_role("link", name="Download the notice (PDF, Chinese)").first.click()
    saved = tmp_path / "notice.pdf"
    download.value.save_as(saved)
    text = pdf_text(saved)
    assert "公示" in text and "阜新氟化工新材料科技股份有限公司" in text and "500,000.00" in text

    # Objecting: who the citizen is, confirmed with a code from the mail.
    page.get_by_role("link", name=re.compile("Object to this award.*德尔")).click()
    expect(page.locator("h1")).to_have_text("Object to an award")
    expect(page.locator("main")).to_contain_text("by email only")
    fits(page)
    screenshot(page, "publicity-identify-phone")
    page.locator("#name").fill("张三")
    page.locator("#address").fill(OBJECTOR)
    page.get_by_role("button", name="Send me a code").click()
    expect(page.locator("h1")).to_have_text("Enter your code")
    fits(page)
    body = inbox.messages(OBJECTOR)[-1].get_body(preferencelist=("plain",)).get_content()
    code = re.search(r"\b(\d{6})\b", body).group(1)
    page.locator("#code").fill("000000" if code != "000000" else "111111")
    page.get_by_role("button", name="Confirm").click()
    expect(page.locator(".field__error")).to_contain_text("not right")
    page.locator("#code").fill(code)
    page.get_by_role("button", name="Confirm").click()

    expect(page.locator(".pub-signer")).to_contain_text("张三")
    page.locator("#reason").fill(REASON)
    fits(page)
    screenshot(page, "publicity-object-phone")
    page.get_by_role("button", name="Send the objection").click()
    expect(page.locator("h1")).to_have_text("Objection received")
    fits(page)

    page.get_by_role("link", name="Follow the handling of your objection").click()
    expect(page.locator(".pub-handling")).to_contain_text("Under investigation")
    expect(page.locator("main")).to_contain_text(REASON)
    fits(page)
    screenshot(page, "publicity-status-open-phone")
    status_url = page.url

    # An officer dismisses it; the citizen sees the outcome and the findings.
    from portal.core.jobs import commit
    from portal.review import publicity
    from portal.review.models import Objection

    with app.app_context():
        objection = db.session.scalar(select(Objection))
        publicity.resolve_objection(objection, "dismissed", "经核实，数据一致。", actor=None)
        commit()
    page.goto(status_url)
    expect(page.locator(".pub-handling")).to_contain_text("Dismissed: the award stands")
    expect(page.locator(".pub-handling")).to_contain_text("经核实，数据一致。")
    fits(page)
    screenshot(page, "publicity-status-resolved-phone")
    assert "resolved" in inbox.messages(OBJECTOR)[-1]["Subject"]


def test_the_publicity_page_on_a_desktop(page: Page, awards, screenshot):
    page.goto("/publicity")
    expect(page.locator("table.stack").first).to_contain_text("阜新市德尔汽车部件股份有限公司")
    screenshot(page, "publicity-desktop")
