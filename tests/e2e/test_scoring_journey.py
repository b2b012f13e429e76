"""A reviewer scores with the document open beside the form: the PDF renders in the frame
(Chromium's own viewer, under the file's sandboxing policy), another document replaces it in
place without losing what is typed, the weighted total follows the scores, and "Submit" asks
for confirmation with the total before the review locks. The same confirmation works without
JavaScript. The officer reads the documents beside the formal check. Every page passes axe and
fits a 390 px phone.
"""

from __future__ import annotations

import os

from playwright.sync_api import Browser, Page, expect

from tests.e2e import axe, phone
from tests.e2e.conftest import ARTIFACTS_DIR
from tests.helpers import DEMO_PASSWORD, submit_application
from tests.integration.test_reviewer_scoring import MIXED, _assign, _to_expert_review

KEY = "key-above-size-2026"
PDF_VIEWER = "chrome-extension://"


def _setup(app) -> tuple[int, int, int, int]:
    """ent1's application in expert review (assigned to reviewer1 and reviewer2), and ent2's
    application waiting for its formal check. The firms' pages are driven without CSRF."""
    app.config["WTF_CSRF_ENABLED"] = False
    try:
        first_app = submit_application(app, "ent1@example.com", KEY)
        second_app = submit_application(app, "ent2@example.com", KEY)
    finally:
        app.config["WTF_CSRF_ENABLED"] = True
    _to_expert_review(app, first_app)
    first, second = _assign(app, first_app, "reviewer1@example.com", "reviewer2@example.com")
    return first_app, second_app, first, second


def _sign_in_english(page: Page, email: str) -> None:
    page.goto("/login")
    page.locator("#email").fill(email)
    page.locator("#password").fill(DEMO_PASSWORD)
    page.locator("main form button[type=submit]").click()
    expect(page.locator("form[action$='/logout']")).to_have_count(1)
    if page.locator("html").get_attribute("lang") != "en":
        # On a phone the switch hides behind the Menu button: switch at desktop width.
        size = page.viewport_size
        page.set_viewport_size({"width": 1366, "height": 900})
        page.locator("button[name=locale][value=en]").click()
        expect(page.locator("html")).to_have_attribute("lang", "en")
        if size:
            page.set_viewport_size(size)


def _pdf_rendered(page: Page) -> bool:
    """Whether Chromium's PDF viewer runs in the page's document frame (it is a frame of its
    own, inside the file's frame); a blocked frame shows an error page instead."""
    for _ in range(100):
        if any(frame.url.startswith(PDF_VIEWER) for frame in page.frames):
            return True
        if any(frame.url.startswith("chrome-error://") for frame in page.frames):
            return False
        page.wait_for_timeout(100)
    return False


def _shot(page: Page, name: str, *, full_page: bool = True) -> None:
    """A PNG in test-artifacts/ when PORTAL_SCREENSHOTS=1 (as the `screenshot` fixture)."""
    if os.environ.get("PORTAL_SCREENSHOTS") != "1":
        return
    ARTIFACTS_DIR.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS_DIR / f"reading-{name}.png"), full_page=full_page)


def _fits(page: Page) -> None:
    fit = phone.measure(page)
    assert fit.fits, phone.report([fit.describe()])


def _context(browser: Browser, live_server: str, *, width: int = 1366, js: bool = True):
    context = browser.new_context(
        base_url=live_server,
        locale="zh-CN",
        viewport={"width": width, "height": 900},
        java_script_enabled=js,
    )
    context.set_default_timeout(10_000)
    return context


def _fill(page: Page, scores: dict[str, str]) -> None:
    for key, value in scores.items():
        page.locator(f"#score__{key}").fill(value)
        page.locator(f"#comment__{key}").fill(f"Why {key} earns {value}.")


def test_a_reviewer_scores_with_the_document_beside_the_form(app, demo, browser, live_server):
    _first_app, second_app, first, second = _setup(app)

    # --- desktop, with JavaScript ------------------------------------------------------------
    context = _context(browser, live_server)
    page = context.new_page()
    _sign_in_english(page, "reviewer1@example.com")
    page.goto(f"/review/{first}")
    frame = page.locator("#document-viewer")
    expect(frame).to_be_visible()
    assert _pdf_rendered(page), [f.url for f in page.frames]
    # Beside the form: the frame and the scoring form share the screen.
    frame_box, form_box = frame.bounding_box(), page.locator("#scoring").bounding_box()
    assert frame_box and form_box and frame_box["x"] + frame_box["width"] <= form_box["x"]
    assert form_box["y"] < 900  # the rubric is in view at once, not below the application
    axe.assert_accessible(page, "scoring page")

    # Typing updates the total; another document replaces the frame in place.
    total = page.locator("[data-total-value]")
    expect(total).to_have_text("0.00")
    page.locator("#score__innovation").fill("8")
    expect(total).to_have_text("20.00")
    expect(page.locator("[data-total-count]")).to_have_text("1 of 6 criteria scored")
    url = page.url
    show_links = page.locator("a[data-viewer-src]")
    second_src = show_links.nth(1).get_attribute("data-viewer-src")
    show_links.nth(1).click()
    expect(frame).to_have_attribute("src", second_src or "")
    assert page.url == url and page.locator("#score__innovation").input_value() == "8"
    _fill(page, MIXED)
    expect(total).to_have_text("75.50")
    expect(page.locator("[data-total-count]")).to_have_text("6 of 6 criteria scored")
    _shot(page, "scoring-desktop", full_page=False)

    # Submit asks first, with the total; confirming locks the review.
    page.locator("form.rv-form button[name=action][value=submit]").click()
    expect(page.get_by_text("Once submitted you cannot change them. Total 75.50.")).to_be_visible()
    axe.assert_accessible(page, "confirmation")
    _shot(page, "confirm-desktop")
    page.locator("button[name=action][value=submit]").click()
    expect(page.locator(".flash--success")).to_contain_text("Your review has been submitted.")
    expect(page.locator(".rv-notice--done")).to_be_visible()
    expect(page.locator(".rv-readonly tfoot")).to_contain_text("75.50")
    context.close()

    # --- a 390 px phone without JavaScript: stacked, total on save, the same confirmation ----
    context = _context(browser, live_server, width=390, js=False)
    page = context.new_page()
    _sign_in_english(page, "reviewer2@example.com")
    page.goto(f"/review/{second}")
    expect(page.locator("nav.reading-tabs")).to_be_visible()
    _fits(page)
    _shot(page, "scoring-phone")
    _fill(page, {"innovation": "8", "market_benefit": "6"})
    page.locator("form.rv-form button[name=action][value=draft]").click()
    expect(page.locator("[data-total-value]")).to_have_text("32.00")  # computed on save
    _fill(page, MIXED)
    page.locator("form.rv-form button[name=action][value=submit]").click()
    expect(page.get_by_text("Once submitted you cannot change them. Total 75.50.")).to_be_visible()
    _fits(page)
    _shot(page, "confirm-phone")
    page.locator("button[name=action][value=edit]").click()  # back: everything still typed
    expect(page.locator("#score__technology_ip")).to_have_value("7.5")
    page.locator("form.rv-form button[name=action][value=submit]").click()
    page.locator("button[name=action][value=submit]").click()
    expect(page.locator(".flash--success")).to_contain_text("Your review has been submitted.")
    context.close()

    # --- the officer reads the documents beside the formal check -----------------------------
    for width in (1366, 390):
        context = _context(browser, live_server, width=width)
        page = context.new_page()
        _sign_in_english(page, "officer@example.com")
        page.goto(f"/staff/applications/{second_app}")
        expect(page.locator(".reading-split #document-viewer")).to_be_visible()
        assert _pdf_rendered(page), [f.url for f in page.frames]
        expect(page.locator("label[for=reject-reason]")).to_have_count(1)
        expect(page.locator("label[for=return-reason]")).to_have_count(1)
        axe.assert_accessible(page, f"formal check at {width}px")
        if width == 390:
            _fits(page)
        _shot(page, f"formal-check-{width}", full_page=width == 390)
        context.close()
