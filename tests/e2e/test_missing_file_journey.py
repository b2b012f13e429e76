"""A stored file gone missing (the shared storage not mounted on this host, a file lost), as an
officer on a phone meets it: the letter's link answers the portal's 410 page in Chinese and in
English, not a server error, the other language's file still downloads, and the health check
names the file store."""

from __future__ import annotations

from pathlib import Path

from playwright.sync_api import Browser, expect

from portal.core.extensions import db
from portal.core.jobs import commit
from portal.letters.issuing import issue_due_letters
from tests.helpers import add_final_decision

RD = "rd-post-subsidy-2026"
OFFICER = "officer@example.com"


def test_officer_on_a_phone_meets_a_missing_letter_file(
    app, demo, browser: Browser, live_server, sign_in, screenshot
):
    application_id = add_final_decision(app, RD)
    with app.app_context():
        (letter,) = issue_due_letters([application_id])
        commit()
        letter_id, zh_key = letter.id, letter.pdf_key
        db.session.remove()
    (Path(app.config["FILES_DIR"]) / zh_key).unlink()

    context = browser.new_context(
        base_url=live_server, locale="zh-CN", viewport={"width": 390, "height": 844}
    )
    try:
        page = context.new_page()
        sign_in(page, OFFICER)
        expect(page.locator("main")).to_be_visible()

        answer = page.goto(f"/letters/{letter_id}/zh.pdf")
        assert answer is not None and answer.status == 410
        expect(page.locator("main h1")).to_have_text("文件暂不可用")
        expect(page.locator("main")).to_contain_text("已通知我局处理")
        fits = page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
        assert fits, "the page fits the phone's width"
        screenshot(page, "missing-file-zh")

        page.locator("button[name=locale][value=en]").first.click()
        expect(page.locator("html")).to_have_attribute("lang", "en")
        answer = page.goto(f"/letters/{letter_id}/zh.pdf")
        assert answer is not None and answer.status == 410
        expect(page.locator("main h1")).to_have_text("File not available")

        # The English file is still there, and comes as a download.
        with page.expect_download() as download:
            page.evaluate(f"location.href = '/letters/{letter_id}/en.pdf'")
        assert download.value.suggested_filename.endswith(".pdf")

        health = page.request.get("/healthz")
        assert health.status == 503
        assert health.json()["files"] == "unavailable"
        assert health.json()["database"] == "ok"
    finally:
        context.close()
