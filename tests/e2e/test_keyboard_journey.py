"""A firm applies with the keyboard only: it signs in, opens a programme, starts an
application, fills every section, attaches its PDFs, saves, submits and confirms, using Tab,
Shift+Tab, Enter, Space and typing, never the mouse.

On the way, every element that takes the focus must show it (an outline or a box shadow), the
skip link must lead to the main content, and a step sent with an error must put the focus on
the error summary (or the first field in error), from where a link leads to the field.

Only the first page is opened by its address; everything after is reached by keys. Visible
texts are asserted in English (the firm switches language with the keyboard too).
"""

from __future__ import annotations

import re
from pathlib import Path

from playwright.sync_api import Page, expect

from tests.e2e.keyboard import (
    assert_focus_visible,
    expect_focus_on_error,
    focused,
    open_link,
    press_and_load,
    sign_in,
    skip_to_main,
    switch_to_english,
    tab_to,
    type_into,
)
from tests.helpers import DEMO_PASSWORD, make_pdf

FIRM = "ent2@example.com"
PROGRAMME = "rd-post-subsidy-2026"
DOCUMENTS = ("a107012", "tax_return")  # the programme's required documents
PROJECT_TITLE = "Servo press line: in-house motion controller"
PROJECT_SUMMARY = "伺服压力机生产线：自主研发运动控制器。"
# A redirect keeps the fragment of the page the form was sent from (#project_title after
# following an error summary's link), as browsers do.
APPLICATION_URL = re.compile(r"/applications/(\d+)(#[\w-]*)?$")
NEXT_STEP_URL = re.compile(r"/applications/\d+/(figures|amount|documents|check)(#[\w-]*)?$")


def save_and_continue(page: Page) -> None:
    """Save with the keyboard: the next step opens ("Save and continue" goes on to the next
    section, the last one to "Check your answers"); then back to the task list."""
    tab_to(page, "button[name=then][value=continue]")
    press_and_load(page)
    expect(page).to_have_url(NEXT_STEP_URL)
    expect(page.locator(".flash--success")).to_have_text("Saved.")
    page.goto(re.sub(r"/\w+(#[\w-]*)?$", "", page.url))
    expect(page).to_have_url(APPLICATION_URL)


def task(page: Page, section: str):
    return page.locator(f".task-list__item:has(a[href$='/{section}'])")


def test_firm_applies_with_the_keyboard_only(page: Page, demo, tmp_path: Path, screenshot):
    # Sign in: the skip link first, then the form's fields and its button.
    sign_in(page, FIRM, DEMO_PASSWORD)

    # The language switch, backwards from the main content with Shift+Tab.
    switch_to_english(page)

    # Programmes for me, then the programme, then "Start an application".
    tab_to(page, "nav a[href$='/programmes']")
    press_and_load(page)
    expect(page.locator("h1")).to_have_text("Programmes for me")
    skip_to_main(page)
    screenshot(page, "keyboard-skip-link-target")
    tab_to(page, f"main article.card a[href$='/programmes/{PROGRAMME}']")
    press_and_load(page)
    expect(page.locator("section[aria-labelledby=eligibility-heading] .verdict")).to_have_text(
        "You qualify"
    )
    skip_to_main(page)
    tab_to(page, f"form[action$='/programmes/{PROGRAMME}/apply'] button[type=submit]")
    screenshot(page, "keyboard-focus-start-button")
    press_and_load(page, "Space")
    expect(page).to_have_url(APPLICATION_URL)
    application_id = int(APPLICATION_URL.search(page.url).group(1))
    expect(page.locator(".app-header .status")).to_have_text("Draft")

    # The summary, sent without its title first: the focus goes to the error summary, whose
    # link leads to the field; nothing typed is lost.
    open_link(page, f"main a[href$='/applications/{application_id}/summary']")
    type_into(page, "#project_summary", PROJECT_SUMMARY)
    tab_to(page, "button[name=then][value=continue]")
    press_and_load(page)
    expect(page.locator(".error-summary")).to_be_visible()
    expect_focus_on_error(page)
    screenshot(page, "keyboard-error-summary-focused")
    expect(page.locator("#project_summary")).to_have_value(PROJECT_SUMMARY)
    tab_to(page, ".error-summary a[href='#project_title']")
    page.keyboard.press("Enter")
    expect(page.locator("#project_title")).to_be_focused()
    assert_focus_visible(focused(page))
    page.keyboard.type(PROJECT_TITLE)
    save_and_continue(page)
    expect(task(page, "summary").locator(".tag")).to_have_text("Completed")

    # The figures: confirm them with Space.
    open_link(page, f"main a[href$='/applications/{application_id}/figures']")
    tab_to(page, "#confirm_figures")
    page.keyboard.press("Space")
    expect(page.locator("#confirm_figures")).to_be_checked()
    save_and_continue(page)
    expect(task(page, "figures").locator(".tag")).to_have_text("Completed")

    # The amount: keep the formula's.
    open_link(page, f"main a[href$='/applications/{application_id}/amount']")
    save_and_continue(page)
    expect(task(page, "amount").locator(".tag")).to_have_text("Completed")

    # The documents: Space on a file input opens the file chooser; Enter on Upload sends it.
    open_link(page, f"main a[href$='/applications/{application_id}/documents']")
    # Playwright intercepts file choosers only while a listener is registered, and switches
    # that on without waiting: a listener for the whole step keeps it on, so that a Space
    # pressed right after ``expect_file_chooser`` starts is never met by the real dialog.
    page.on("filechooser", lambda _chooser: None)
    for key in DOCUMENTS:
        path = tmp_path / f"{key}.pdf"
        path.write_bytes(make_pdf(1, key))
        skip_to_main(page)
        tab_to(page, f"#file-{key}")
        with page.expect_file_chooser() as chooser:
            page.keyboard.press("Space")
        chooser.value.set_files(path)
        tab_to(page, f"form[action$='/documents/{key}'] button[type=submit]")
        press_and_load(page)
        expect(page.locator(".flash--success")).to_have_text("Uploaded.")
        slot = page.locator(f"section.document[aria-labelledby=doc-{key}]")
        expect(slot.locator(".tag")).to_have_text("Uploaded")
    open_link(page, f"main a.button[href$='/applications/{application_id}']")
    expect(task(page, "documents").locator(".tag")).to_have_text("Completed")

    # The declaration.
    open_link(page, f"main a[href$='/applications/{application_id}/declaration']")
    type_into(page, "#declaration_name", "刘洋")
    type_into(page, "#declaration_title", "Chief financial officer")
    tab_to(page, "#agree")
    page.keyboard.press("Space")
    save_and_continue(page)
    expect(page.locator("main")).to_contain_text("You have completed 5 of 5 sections.")

    # Check the answers; submitting without the confirmation is refused, with the focus on
    # the errors; its link leads to the box, Space ticks it, Enter submits.
    open_link(page, f"main a.button[href$='/applications/{application_id}/check']")
    expect(page.locator("h1")).to_have_text("Check your answers")
    skip_to_main(page)
    tab_to(page, f"form[action$='/applications/{application_id}/submit'] button[type=submit]")
    press_and_load(page)
    expect_focus_on_error(page)
    tab_to(page, ".error-summary a[href='#confirm']")
    page.keyboard.press("Enter")
    expect(page.locator("#confirm")).to_be_focused()
    page.keyboard.press("Space")
    expect(page.locator("#confirm")).to_be_checked()
    tab_to(page, f"form[action$='/applications/{application_id}/submit'] button[type=submit]")
    press_and_load(page)

    expect(page).to_have_url(re.compile(rf"/applications/{application_id}(#[\w-]*)?$"))
    expect(page.locator(".app-header .status")).to_have_text("Submitted")
    expect(page.locator(".flash--success")).to_contain_text("has been submitted")
    screenshot(page, "keyboard-submitted")


def test_every_focusable_element_of_the_home_page_shows_its_focus(page: Page, demo):
    """A full round of Tab through the public home page and back with Shift+Tab."""
    page.goto("/")
    count = page.evaluate(
        "() => [...document.querySelectorAll('a[href], button, input, select, textarea,"
        ' summary, [tabindex]:not([tabindex="-1"])\')].filter(e => !e.disabled'
        " && e.getClientRects().length).length"
    )
    assert count > 5
    seen = set()
    for _ in range(count):
        page.keyboard.press("Tab")
        info = focused(page)
        assert_focus_visible(info)
        seen.add(info["html"])
    assert len(seen) == count, "Tab did not visit every focusable element once"
    for _ in range(count - 1):
        page.keyboard.press("Shift+Tab")
        assert_focus_visible(focused(page))
