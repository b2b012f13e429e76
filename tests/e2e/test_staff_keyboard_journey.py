"""Staff work with the keyboard only, as the firm's journey does (test_keyboard_journey.py):
an officer passes an application's formal check and assigns an expert reviewer, and the
reviewer scores it, with Tab, Shift+Tab, arrow keys, Enter and typing, never the mouse.

Every element passed on the way must show its focus; a step refused with an error puts the
focus on the error summary, whose link leads to the field. The firm's application is sent
through its pages by the test client: the firm's own keyboard journey is the other test's.
"""

from __future__ import annotations

import re
from datetime import timedelta

from playwright.sync_api import Page, expect
from sqlalchemy import select

from portal.accounts.models import User
from portal.applications import lifecycle
from portal.applications.models import Application
from portal.core.extensions import db
from portal.core.timeutil import utcnow
from portal.review.models import Assignment
from tests.e2e.keyboard import (
    assert_focus_visible,
    choose_radio,
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
from tests.helpers import DEMO_PASSWORD, submit_application
from tests.helpers import KEY_RUBRIC as CRITERIA

PROGRAMME = "key-above-size-2026"
FIRM = "ent1@example.com"
OFFICER = "officer@example.com"
REVIEWER = ("reviewer1@example.com", "李专家 Expert Li")


def user_id(app, email: str) -> int:
    with app.app_context():
        return db.session.scalar(select(User.id).where(User.email == email))


def submitted_application(app) -> tuple[int, str]:
    """ent1's application to the key above-size programme, submitted; its id and reference."""
    app.config["WTF_CSRF_ENABLED"] = False  # the test client sends no CSRF token
    try:
        application_id = submit_application(app, FIRM, PROGRAMME)
    finally:
        app.config["WTF_CSRF_ENABLED"] = True
    with app.app_context():
        return application_id, db.session.get(Application, application_id).reference


def open_queue(page: Page, email: str, path: str, heading: str) -> None:
    """Sign in, switch to English, and follow the main navigation's link to ``path``."""
    sign_in(page, email, DEMO_PASSWORD)
    switch_to_english(page)
    tab_to(page, f"nav a[href$='{path}']")
    press_and_load(page)
    expect(page.locator("h1")).to_have_text(heading)


def choose_reviewer(page, value: str) -> None:
    """Tick the reviewer (checkboxes while several are missing) or choose them (a radio)."""
    if page.locator("input[type=checkbox][name=reviewer_id]").count():
        tab_to(page, f"input[type=checkbox][name=reviewer_id][value='{value}']")
        page.keyboard.press("Space")
        expect(page.locator(f"input[name=reviewer_id][value='{value}']")).to_be_checked()
    else:
        choose_radio(page, "reviewer_id", value)


def test_officer_passes_the_check_and_assigns_a_reviewer_with_the_keyboard(
    page: Page, app, demo, screenshot
):
    application_id, reference = submitted_application(app)
    reviewer_id = user_id(app, REVIEWER[0])

    # The queue, then the application by its reference.
    open_queue(page, OFFICER, "/staff/applications", "Applications")
    open_link(page, f"main a[href$='/staff/applications/{application_id}']")
    expect(page.locator(".app-header .status")).to_have_text("Submitted")

    # Pass the formal check.
    skip_to_main(page)
    tab_to(page, f"form[action$='/staff/applications/{application_id}/pass-check'] button")
    press_and_load(page)
    expect(page.locator(".flash--success")).to_contain_text("passed the formal check")
    expect(page.locator(".app-header .status")).to_have_text("Expert review")

    # The reviewers page; "Assign" with nobody chosen is refused, with the focus on the
    # errors; then the arrow keys choose the reviewer and Enter assigns.
    open_link(page, f"main a[href$='/staff/review/applications/{application_id}']")
    expect(page.locator("section#assign h2")).to_have_text(
        re.compile(r"^Assign (a reviewer|reviewers)$")
    )
    assign_button = "form[action$='/assign'] button[type=submit]:not([formaction])"
    skip_to_main(page)
    tab_to(page, assign_button)
    press_and_load(page)
    expect(page.locator(".error-summary")).to_be_visible()
    expect_focus_on_error(page)
    choose_reviewer(page, str(reviewer_id))
    screenshot(page, "keyboard-officer-assigns")
    tab_to(page, assign_button)
    press_and_load(page)
    expect(page.locator(".flash--success")).to_have_text(f"{REVIEWER[1]} is assigned.")
    expect(page.locator("main")).to_contain_text(reference)


def test_reviewer_scores_an_application_with_the_keyboard(page: Page, app, demo, screenshot):
    application_id, reference = submitted_application(app)
    reviewer_id = user_id(app, REVIEWER[0])
    with app.app_context():
        officer = db.session.scalar(select(User).where(User.email == OFFICER))
        application = db.session.get(Application, application_id)
        lifecycle.transition(application, "start_formal_check", actor=officer)
        lifecycle.transition(application, "send_to_expert_review", actor=officer)
        assignment = Assignment(
            application_id=application_id,
            reviewer_id=reviewer_id,
            assigned_by_id=officer.id,
            due_at=utcnow() + timedelta(days=10),
        )
        db.session.add(assignment)
        db.session.commit()
        assignment_id = assignment.id

    # The queue, then the assignment by its reference.
    open_queue(page, REVIEWER[0], "/review", "My review queue")
    open_link(page, f"main a[href$='/review/{assignment_id}']")
    expect(page.locator(".app-header .rv-state")).to_have_text("Not started")

    # "Go to the scoring form" skips the application's answers: the next Tab is in the form.
    skip_to_main(page)
    tab_to(page, "main a[href='#scoring']")
    page.keyboard.press("Enter")
    page.keyboard.press("Tab")
    first = focused(page, f"#score__{CRITERIA[0]}")
    assert first and first["matches"], f"Tab after the jump link went to {first}"

    # Every criterion but the last comment, then "Submit": refused, nothing lost.
    for key in CRITERIA:
        type_into(page, f"#score__{key}", "8")
        if key != CRITERIA[-1]:
            type_into(page, f"#comment__{key}", f"8 of 10: {key.replace('_', ' ')} is sound.")
    submit = "button[name=action][value=submit]"
    tab_to(page, submit)
    press_and_load(page)
    expect_focus_on_error(page)
    expect(page.locator(f"#score__{CRITERIA[-1]}")).to_have_value("8")
    expect(page.locator(f"#comment__{CRITERIA[0]}")).to_have_value("8 of 10: innovation is sound.")

    # The summary's link leads to the empty comment; type it and submit.
    tab_to(page, f".error-summary a[href='#comment__{CRITERIA[-1]}']")
    page.keyboard.press("Enter")
    expect(page.locator(f"#comment__{CRITERIA[-1]}")).to_be_focused()
    assert_focus_visible(focused(page))
    page.keyboard.type("8 of 10: a clear place in the fluorine chain.")
    screenshot(page, "keyboard-reviewer-scores")
    tab_to(page, submit)
    press_and_load(page)
    # The confirmation states the total; its first button locks the scores.
    expect(page.locator("main")).to_contain_text("Once submitted you cannot change them.")
    tab_to(page, "main button[name=action][value=submit]")
    press_and_load(page)

    expect(page).to_have_url(re.compile(rf"/review/{assignment_id}(#[\w-]*)?$"))
    expect(page.locator(".flash--success")).to_have_text("Your review has been submitted.")
    expect(page.locator(".app-header .rv-state")).to_have_text("Submitted")
    expect(page.locator("section.rv-scoring")).to_contain_text("80.00")
    expect(page.locator("main")).to_contain_text(reference)
