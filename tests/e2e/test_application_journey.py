"""An enterprise applies for a programme it qualifies for: it sees why it qualifies, starts an
application, leaves it half done, comes back after signing in again, completes every section,
uploads real PDFs and submits. A firm that does not qualify sees which conditions fail and with
which figures, and cannot start. A text file renamed to .pdf is refused beside its slot.

Selectors are ids, names and form actions; visible texts are asserted in English (the page is
switched to English first), because Chinese translations may still be in progress.
"""

from __future__ import annotations

import re
from pathlib import Path

from playwright.sync_api import Locator, Page, expect

from tests.helpers import make_pdf

PROGRAMME_CODE = "rd-post-subsidy-2026"
PROGRAMME_PATH = f"/programmes/{PROGRAMME_CODE}"
PROGRAMME_NAME = "R&D investment post-subsidy"
ELIGIBLE_FIRM = "ent2@example.com"
INELIGIBLE_FIRM = "ent4@example.com"
AMOUNT = "14,000.00"  # 10 % of the 140,000 yuan increase in R&D spend

PROJECT_TITLE = "Servo press line: in-house motion controller"
PROJECT_SUMMARY = (
    "We developed our own motion controller for the servo press line and moved two\n"
    "suppliers' modules in-house. R&D spend rose from 480,000 to 620,000 yuan."
)
DECLARANT_NAME = "刘洋"
DECLARANT_TITLE = "Chief financial officer"
A107012_FILE = "A107012-two-years.pdf"
TAX_RETURN_FILE = "企业所得税年度纳税申报表.pdf"

APPLICATION_URL = re.compile(r"/applications/(\d+)$")
APPLICATIONS_LIST_URL = re.compile(r"/applications$")
REFERENCE = re.compile(r"^\d{4}-\d{2}-\d{6}$")


# --- helpers ----------------------------------------------------------------------------------


def use_english(page: Page) -> None:
    page.locator("button[name=locale][value=en]").click()
    expect(page.locator("html")).to_have_attribute("lang", "en")


def expect_signed_in(page: Page) -> None:
    """Signed in, whatever the language: the header has the sign-out form."""
    expect(page.locator("form[action$='/logout'] button[type=submit]")).to_be_visible()


def nav_link(page: Page, name: str) -> Locator:
    return page.get_by_role("navigation", name="Main navigation").get_by_role("link", name=name)


def task(page: Page, section: str) -> Locator:
    """The task-list row of a section, found by the address it links to."""
    return page.locator(f".task-list__item:has(a[href$='/{section}'])")


def expect_section_done(page: Page, section: str) -> None:
    expect(page).to_have_url(APPLICATION_URL)
    expect(task(page, section).locator(".tag")).to_have_text("Completed")


# "Save and continue" goes on to the next section; the last one to "Check your answers".
NEXT_STEP = {
    "summary": "figures",
    "figures": "amount",
    "amount": "documents",
    "declaration": "check",
}


def save_and_continue(page: Page) -> None:
    """Save, land on the next step, then go back to the task list the test reads."""
    section_url = re.search(r"(/applications/\d+)/(\w+)$", page.url)
    assert section_url, page.url
    base, section = section_url.groups()
    page.locator("button[name=then][value=continue]").click()
    expect(page).to_have_url(re.compile(f"{base}/{NEXT_STEP[section]}$"))
    expect(page.locator(".flash--success")).to_have_text("Saved.")
    page.goto(base)


def document_slot(page: Page, key: str) -> Locator:
    return page.locator(f"section.document[aria-labelledby=doc-{key}]")


def upload(page: Page, key: str, path: Path) -> None:
    """Choose a file in a slot's own form and press that form's Upload button."""
    form = page.locator(f"form[action$='/documents/{key}']")
    form.locator(f"input[type=file]#file-{key}").set_input_files(path)
    form.locator("button[type=submit]").click()


def start_application(page: Page) -> int:
    """On the programme page: press "Start an application"; return the new application's id."""
    page.locator(f"form[action$='{PROGRAMME_PATH}/apply'] button[type=submit]").click()
    expect(page).to_have_url(APPLICATION_URL)
    match = APPLICATION_URL.search(page.url)
    assert match
    return int(match.group(1))


def reference_on(page: Page) -> str:
    """The reference shown in the application header's breadcrumb."""
    link = page.locator("main > p.caption a[href*='/applications/']").last
    reference = link.inner_text().strip()
    assert REFERENCE.match(reference), reference
    return reference


# --- tests ------------------------------------------------------------------------------------


def test_eligible_firm_applies_leaves_returns_and_submits(
    page: Page, demo, sign_in, screenshot, tmp_path: Path
):
    sign_in(page, ELIGIBLE_FIRM)
    expect_signed_in(page)
    use_english(page)

    # Programmes for me: the R&D programme is marked as one this firm qualifies for.
    nav_link(page, "Programmes for me").click()
    expect(page).to_have_url(re.compile(r"/programmes$"))
    expect(page.locator("h1")).to_have_text("Programmes for me")
    card = page.locator("article.card").filter(has=page.locator(f"a[href$='{PROGRAMME_PATH}']"))
    expect(card.locator(".verdict")).to_have_text("You qualify")
    expect(card).to_contain_text(f"Estimated amount: {AMOUNT} yuan")
    card.locator(f"a[href$='{PROGRAMME_PATH}']").click()

    # The programme page: every condition met, the amount and how it is computed.
    expect(page).to_have_url(re.compile(f"{PROGRAMME_PATH}$"))
    expect(page.locator("h1")).to_have_text(PROGRAMME_NAME)
    eligibility = page.locator("section[aria-labelledby=eligibility-heading]")
    expect(eligibility.locator(".verdict")).to_have_text("You qualify")
    expect(eligibility.locator(".check--fail")).to_have_count(0)
    expect(eligibility.locator(".check--missing")).to_have_count(0)
    expect(eligibility.locator(".check--pass").first).to_have_text("Met")
    expect(eligibility.locator("ol.computation-sentences")).to_contain_text(AMOUNT)
    start_button = eligibility.get_by_role("button", name="Start an application")
    expect(start_button).to_be_visible()
    screenshot(page, "application-eligibility")
    application_id = start_application(page)

    # A fresh draft: nothing completed yet.
    expect(page.locator(".app-header .status")).to_have_text("Draft")
    reference = reference_on(page)
    for section in ("summary", "figures", "amount", "documents", "declaration"):
        expect(task(page, section).locator(".tag")).to_have_text("Not completed")

    # The summary, then "Save and come back later": back on the list of applications.
    task(page, "summary").locator("a").click()
    expect(page).to_have_url(re.compile(rf"/applications/{application_id}/summary$"))
    page.locator("#project_title").fill(PROJECT_TITLE)
    page.locator("#project_summary").fill(PROJECT_SUMMARY)
    page.locator("button[name=then][value=leave]").click()
    expect(page).to_have_url(APPLICATIONS_LIST_URL)
    expect(page.locator(".flash--success")).to_have_text("Saved.")
    row = page.locator("table tbody tr").filter(has_text=reference)
    expect(row).to_have_count(1)
    expect(row).to_contain_text(PROGRAMME_NAME)
    expect(row).to_contain_text(PROJECT_TITLE)
    expect(row.locator(".status")).to_have_text("Draft")

    # Sign out, sign in again: the account's language is kept, the draft is still there.
    page.get_by_role("button", name="Sign out").click()
    expect(page.locator("form[action$='/logout']")).to_have_count(0)
    sign_in(page, ELIGIBLE_FIRM)
    expect(page.locator("html")).to_have_attribute("lang", "en")
    nav_link(page, "My applications").click()
    expect(page).to_have_url(APPLICATIONS_LIST_URL)
    page.get_by_role("link", name=reference, exact=True).click()
    expect(page).to_have_url(re.compile(rf"/applications/{application_id}$"))
    expect(task(page, "summary").locator(".tag")).to_have_text("Completed")
    expect(task(page, "figures").locator(".tag")).to_have_text("Not completed")
    expect(page.locator("main")).to_contain_text("You have completed 1 of 5 sections.")

    # Figures: copied from the profile; confirm them.
    task(page, "figures").locator("a").click()
    expect(page).to_have_url(re.compile(rf"/applications/{application_id}/figures$"))
    expect(page.locator("#confirm_figures")).not_to_be_checked()
    page.locator("#confirm_figures").check()
    save_and_continue(page)
    expect_section_done(page, "figures")

    # Amount: the formula's amount is shown; keep it.
    task(page, "amount").locator("a").click()
    expect(page).to_have_url(re.compile(rf"/applications/{application_id}/amount$"))
    expect(page.locator(".amount-line")).to_contain_text(f"{AMOUNT} yuan")
    save_and_continue(page)
    expect_section_done(page, "amount")

    # Documents: one real PDF in each required slot.
    a107012_pdf = tmp_path / A107012_FILE
    a107012_pdf.write_bytes(make_pdf(2, "A107012"))
    tax_return_pdf = tmp_path / TAX_RETURN_FILE
    tax_return_pdf.write_bytes(make_pdf(3, "Tax return"))
    task(page, "documents").locator("a").click()
    expect(page).to_have_url(re.compile(rf"/applications/{application_id}/documents$"))
    for key, path, pages in (("a107012", a107012_pdf, 2), ("tax_return", tax_return_pdf, 3)):
        expect(document_slot(page, key).locator(".tag")).to_have_text("Required")
        upload(page, key, path)
        expect(page).to_have_url(re.compile(rf"/applications/{application_id}/documents$"))
        expect(page.locator(".flash--success")).to_have_text("Uploaded.")
        slot = document_slot(page, key)
        expect(slot.locator(".tag")).to_have_text("Uploaded")
        expect(slot.get_by_role("link", name=path.name)).to_be_visible()
        expect(slot).to_contain_text(f"{pages} pages")
        expect(slot.locator(".field__error")).to_have_count(0)
    page.locator(f"main a.button[href$='/applications/{application_id}']").click()
    expect(page).to_have_url(re.compile(rf"/applications/{application_id}$"))
    expect(task(page, "documents").locator(".tag")).to_have_text("Completed")

    # Declaration.
    task(page, "declaration").locator("a").click()
    expect(page).to_have_url(re.compile(rf"/applications/{application_id}/declaration$"))
    page.locator("#declaration_name").fill(DECLARANT_NAME)
    page.locator("#declaration_title").fill(DECLARANT_TITLE)
    page.locator("#agree").check()
    save_and_continue(page)
    expect_section_done(page, "declaration")
    expect(page.locator("main")).to_contain_text("You have completed 5 of 5 sections.")

    # Check your answers: everything given is shown, nothing blocks submission.
    page.locator(f"main a.button[href$='/applications/{application_id}/check']").click()
    expect(page).to_have_url(re.compile(rf"/applications/{application_id}/check$"))
    expect(page.locator("h1")).to_have_text("Check your answers")
    main = page.locator("main")
    expect(main).to_contain_text(PROJECT_TITLE)
    expect(main.get_by_role("link", name=A107012_FILE)).to_be_visible()
    expect(main.get_by_role("link", name=TAX_RETURN_FILE)).to_be_visible()
    expect(main).to_contain_text(AMOUNT)
    expect(main).to_contain_text(f"{DECLARANT_NAME}, {DECLARANT_TITLE}")
    expect(main.locator(".tag", has_text="Missing")).to_have_count(0)
    expect(main).not_to_contain_text("Before you can submit")
    screenshot(page, "application-check-answers")

    page.locator("#confirm").check()
    page.locator(f"form[action$='/applications/{application_id}/submit'] button").click()

    # Submitted: the header says so, with a message naming the reference.
    expect(page).to_have_url(re.compile(rf"/applications/{application_id}$"))
    expect(page.locator(".app-header .status")).to_have_text("Submitted")
    expect(page.locator(".flash--success")).to_contain_text(reference)
    expect(page.locator(".flash--success")).to_contain_text("has been submitted")
    # Nothing can be edited any more: the sections are no longer links (documents stay
    # viewable) and the summary form sends the firm back.
    expect(task(page, "summary").locator("a")).to_have_count(0)
    screenshot(page, "application-submitted")

    page.goto(f"/applications/{application_id}/summary")
    expect(page).to_have_url(re.compile(rf"/applications/{application_id}$"))
    expect(page.locator(".flash--error")).to_have_text("This section cannot be changed now.")
    nav_link(page, "My applications").click()
    row = page.locator("table tbody tr").filter(has_text=reference)
    expect(row.locator(".status")).to_have_text("Submitted")


def test_ineligible_firm_sees_why(page: Page, demo, sign_in):
    sign_in(page, INELIGIBLE_FIRM)
    expect_signed_in(page)
    use_english(page)
    page.goto(PROGRAMME_PATH)

    expect(page.locator("h1")).to_have_text(PROGRAMME_NAME)
    eligibility = page.locator("section[aria-labelledby=eligibility-heading]")
    expect(eligibility.locator(".verdict")).to_have_text("You do not qualify")

    # The failing conditions, each with the figure it was checked against.
    failing = eligibility.locator("tr.eligibility__row").filter(has=page.locator(".check--fail"))
    expect(failing).to_have_count(2)
    expect(failing.locator(".check--fail")).to_have_text(["Not met", "Not met"])
    spend = failing.filter(has_text="500,000")
    expect(spend).to_have_count(1)
    expect(spend).to_contain_text("300,000")
    expect(spend).to_contain_text("<")
    expect(failing.filter(has_text="350,000")).to_contain_text("≤")  # R&D fell from 350,000

    # No way to start; the page says why.
    expect(page.get_by_role("button", name="Start an application")).to_have_count(0)
    expect(page.locator(f"form[action$='{PROGRAMME_PATH}/apply']")).to_have_count(0)
    expect(eligibility).to_contain_text(
        "You cannot apply while a condition is not met or data is missing."
    )

    # The list of programmes says the same.
    nav_link(page, "Programmes for me").click()
    card = page.locator("article.card").filter(has=page.locator(f"a[href$='{PROGRAMME_PATH}']"))
    expect(card.locator(".verdict")).to_have_text("You do not qualify")


def test_bad_upload_is_refused_with_a_message(page: Page, demo, sign_in, tmp_path: Path):
    sign_in(page, ELIGIBLE_FIRM)
    expect_signed_in(page)
    use_english(page)
    page.goto(PROGRAMME_PATH)
    application_id = start_application(page)
    page.goto(f"/applications/{application_id}/documents")

    fake = tmp_path / "fake.pdf"
    fake.write_text("This is a plain text file, not a PDF.\n", encoding="utf-8")
    upload(page, "a107012", fake)

    # Refused beside the slot, with a reason the user can act on.
    error = page.locator("#error-a107012")
    expect(error).to_be_visible()
    expect(error).to_contain_text("This file is not of an accepted type (PDF)")
    expect(error).to_contain_text("judged by its content")
    slot = document_slot(page, "a107012")
    expect(slot.locator("#error-a107012")).to_have_count(1)
    expect(slot.locator("#file-a107012")).to_have_attribute("aria-invalid", "true")
    expect(slot.locator("#file-a107012")).to_have_attribute("aria-describedby", "error-a107012")
    expect(page.locator(".field__error")).to_have_count(1)  # no other slot is blamed
    expect(page.locator(".flash--success")).to_have_count(0)

    # The slot still has no file, also after reloading the documents page.
    for _ in range(2):
        slot = document_slot(page, "a107012")
        expect(slot.locator(".tag")).to_have_text("Required")
        expect(slot.locator("a[href*='/files/']")).to_have_count(0)
        expect(slot).not_to_contain_text("fake.pdf")
        page.goto(f"/applications/{application_id}/documents")
    page.goto(f"/applications/{application_id}")
    expect(task(page, "documents").locator(".tag")).to_have_text("Not completed")
