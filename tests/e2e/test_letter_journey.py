"""Decision letters in Chromium: the firm downloads its approval notice in Chinese and
English from its application page, a stranger verifies it by code and by file, a forged copy
fails, and an officer exports the programme's letters with visible progress.

The export runs on a real Huey queue (a SQLite file) worked by a consumer in this process, as
`make run` does with `flask jobs worker`: the page polls while letters are issued and packed.
"""

from __future__ import annotations

import csv
import io
import re
import subprocess
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import select

from portal.core.extensions import db
from portal.letters.models import Letter
from tests.helpers import add_final_decision, make_award_final, submit_application

RD = "rd-post-subsidy-2026"
FIRM = "ent1@example.com"
OFFICER = "officer@example.com"
AMOUNT = "180,000.00"
CAPITALS = "壹拾捌万元整"


@pytest.fixture
def app_config(app_config, tmp_path) -> dict:
    """Jobs go through a real queue file instead of running inline."""
    return {**app_config, "JOBS_IMMEDIATE": False, "JOBS_SQLITE_PATH": str(tmp_path / "jobs.db")}


@pytest.fixture
def consumer(app) -> Iterator[None]:
    """A Huey consumer with one worker thread, stopped after the test."""
    from huey.consumer import Consumer

    worker = Consumer(
        app.extensions["portal_jobs"].huey,
        workers=1,
        periodic=False,
        max_delay=0.2,
        check_worker_health=False,
    )
    worker._set_signal_handlers = lambda: None  # pytest keeps its own Ctrl-C
    worker.start()
    yield
    worker.stop(graceful=True)


def use_english(page: Page) -> None:
    page.locator("button[name=locale][value=en]").click()
    expect(page.locator("html")).to_have_attribute("lang", "en")


def pdf_text(path: Path) -> str:
    text = subprocess.run(["pdftotext", str(path), "-"], capture_output=True, check=True).stdout
    return re.sub(r"\s+", "", text.decode("utf-8"))


def award_after_publicity(app) -> int:
    """ent1 applies through its pages; the award of 180,000 yuan ends its publicity and the
    daily command makes it final, which queues its letter."""
    # The application journey has its own browser test; here the firm's pages are driven by
    # the test client, which sends no CSRF token.
    app.config["WTF_CSRF_ENABLED"] = False
    try:
        application_id = submit_application(app, FIRM, RD)
    finally:
        app.config["WTF_CSRF_ENABLED"] = True
    make_award_final(app, application_id)
    return application_id


def wait_for_letter(app, application_id: int, page: Page) -> Letter:
    for _ in range(100):
        with app.app_context():
            letter = db.session.scalar(
                select(Letter).where(Letter.application_id == application_id)
            )
            if letter is not None:
                db.session.expunge(letter)
                return letter
        page.wait_for_timeout(100)
    raise AssertionError("the letter was never issued")


def test_firm_downloads_stranger_verifies_forgery_fails(
    app, demo, consumer, new_page, sign_in, tmp_path, screenshot
):
    application_id = award_after_publicity(app)
    firm = new_page()
    letter = wait_for_letter(app, application_id, firm)

    # The firm, in Chinese: its application page lists the letter.
    sign_in(firm, FIRM)
    firm.goto(f"/applications/{application_id}")
    panel = firm.locator("#letters")
    expect(panel).to_contain_text(letter.number)
    expect(panel.locator(".tag--green")).to_have_text("有效")
    with firm.expect_download() as download_zh:
        panel.locator(f"a[href='/letters/{letter.id}/zh.pdf']").click()
    zh_path = tmp_path / download_zh.value.suggested_filename
    download_zh.value.save_as(zh_path)
    assert download_zh.value.suggested_filename == f"{letter.number}.pdf"
    text = pdf_text(zh_path)
    for expected in (letter.number, "阜新氟科新材料有限公司", AMOUNT, CAPITALS, "特此通知"):
        assert expected in text
    with firm.expect_download() as download_en:
        panel.locator(f"a[href='/letters/{letter.id}/en.pdf']").click()
    en_path = tmp_path / "letter-en.pdf"
    download_en.value.save_as(en_path)
    assert "Noticeofapproval" in pdf_text(en_path) and "CNY180,000.00" in pdf_text(en_path)
    screenshot(firm, "letters-firm-application")

    # A stranger types the code as printed, with dashes and in lower case.
    stranger = new_page()
    stranger.goto("/")
    use_english(stranger)
    stranger.get_by_role("link", name="Verify a letter").click()
    printed = "-".join(re.findall(".{4}", letter.verification_code)).lower()
    stranger.locator("#code").fill(printed)
    stranger.get_by_role("button", name="Check the code").click()
    expect(stranger).to_have_url(re.compile(f"/verify/{letter.verification_code}$"))
    expect(stranger.locator("h1")).to_have_text("Authentic and current")
    expect(stranger.locator(".summary-list")).to_contain_text(letter.number)
    expect(stranger.locator(".summary-list")).to_contain_text(AMOUNT)
    screenshot(stranger, "letters-verify-code")

    # ... then uploads the file: genuine, then a copy changed by one byte.
    stranger.goto("/verify")
    stranger.locator("#file").set_input_files(str(zh_path))
    stranger.get_by_role("button", name="Check the file").click()
    expect(stranger.locator("h1")).to_have_text("Authentic and current")
    forged = bytearray(zh_path.read_bytes())
    forged[len(forged) // 3] ^= 0x20
    forged_path = tmp_path / "forged.pdf"
    forged_path.write_bytes(bytes(forged))
    stranger.goto("/verify")
    stranger.locator("#file").set_input_files(str(forged_path))
    stranger.get_by_role("button", name="Check the file").click()
    expect(stranger.locator("h1")).to_have_text("Not a letter we issued")
    expect(stranger.locator("main")).not_to_contain_text(letter.number)
    screenshot(stranger, "letters-verify-forged")

    # A wrong code is a plain "not found".
    stranger.goto("/verify/ABCD-EFGH-JKMN")
    expect(stranger.locator("h1")).to_have_text("Not found")


def test_officer_exports_letters_with_progress(
    app, demo, consumer, new_page, sign_in, tmp_path, screenshot
):
    # Final decisions whose letters are not issued yet: the export issues them, then packs.
    ids = [add_final_decision(app, RD, approved=i % 3 != 0, amount="95000") for i in range(8)]
    officer = new_page()
    sign_in(officer, OFFICER)
    use_english(officer)
    officer.get_by_role("navigation", name="Main navigation").get_by_role(
        "link", name="Letters", exact=True
    ).click()
    officer.get_by_role("link", name="R&D investment post-subsidy").click()
    expect(officer.locator("main")).to_contain_text("8 final decisions have no letter yet")
    officer.get_by_role("button", name="Export all letters (ZIP)").click()
    expect(officer).to_have_url(re.compile(r"/staff/letters/exports/\d+$"))

    # The bar moves while the job runs, and the download appears when it is done.
    bar = officer.locator("[data-export-bar]")
    seen = set()
    link = officer.locator("[data-export-link]")
    for _ in range(300):
        seen.add(int(bar.get_attribute("value") or 0))
        if link.is_visible():
            break
        officer.wait_for_timeout(50)
    expect(link).to_be_visible(timeout=60_000)
    assert any(0 < value < 100 for value in seen), f"no progress seen between 0 and 100: {seen}"
    expect(officer.locator("[data-export-label]")).to_have_text("Ready")
    expect(bar).to_have_attribute("value", "100")
    screenshot(officer, "letters-export-done")
    with officer.expect_download() as download:
        link.click()
    path = tmp_path / "letters.zip"
    download.value.save_as(path)
    archive = zipfile.ZipFile(path)
    rows = list(csv.DictReader(io.StringIO(archive.read("manifest.csv").decode("utf-8-sig"))))
    assert len(rows) == 8 and len(archive.namelist()) == 17
    with app.app_context():
        numbers = set(
            db.session.scalars(select(Letter.number).where(Letter.application_id.in_(ids)))
        )
    assert {row["number"] for row in rows} == numbers


def test_officer_reissues_with_a_corrected_amount(
    app, demo, consumer, new_page, sign_in, screenshot
):
    application_id = award_after_publicity(app)
    officer = new_page()
    old = wait_for_letter(app, application_id, officer)
    sign_in(officer, OFFICER)
    use_english(officer)
    officer.goto(f"/staff/applications/{application_id}")
    panel = officer.locator("#letters")
    expect(panel).to_contain_text(old.number)
    panel.get_by_role("link", name="Reissue").click()
    expect(officer.locator("#amount")).to_have_value("180000.00")

    # Nothing typed as the reason: refused beside the field, the amount typed is kept.
    officer.locator("#amount").fill("160,000")
    officer.get_by_role("button", name="Reissue the letter").click()
    expect(officer.locator("#reason-error")).to_contain_text("Say why the letter is reissued")
    expect(officer.locator("#amount")).to_have_value("160,000")
    screenshot(officer, "letters-reissue-error")

    officer.locator("#reason").fill("审计后更正支持金额。")
    officer.get_by_role("button", name="Reissue the letter").click()
    # A changed amount needs a second person: the officer proposes, the approver signs off.
    officer.get_by_role("button", name="Propose the reissue for sign-off").click()
    expect(officer.locator(".flash--success")).to_be_visible()
    leader = new_page()
    sign_in(leader, "leader@example.com")
    use_english(leader)
    leader.goto("/staff/sign-off")
    leader.locator("main a[href*='/staff/sign-off/']").first.click()
    leader.get_by_role("button", name="Sign off: it happens now").click()
    expect(leader.locator(".flash--success")).to_be_visible()
    officer.goto(f"/staff/applications/{application_id}")
    rows = officer.locator("#letters tbody tr")
    expect(rows).to_have_count(2)
    expect(rows.nth(0)).to_contain_text("Current")
    expect(rows.nth(0)).to_contain_text("160,000.00")
    expect(rows.nth(1)).to_contain_text("Superseded")
    expect(rows.nth(1)).to_contain_text(old.number)
    screenshot(officer, "letters-staff-application")

    stranger = new_page()
    stranger.goto(f"/verify/{old.verification_code}")
    use_english(stranger)
    expect(stranger.locator("h1")).to_have_text("Authentic but superseded")
