"""From a submitted application to an award on hold: the officer passes the formal check and
assigns two reviewers by hand, both reviewers score every criterion, the officer approves the
application at the top of the ranked list and releases the decision, a member of the public
objects to the award in publicity (an unsigned objection is refused first), and the officer
finds the objection with the award on hold. A reviewer linked to the applicant is never offered.

Each person works in their own browser context, as on separate computers. The firm submits its
application through its own pages too. Selectors are ids, names and form actions; visible texts
are asserted in English (every account switches to English first).
"""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from playwright.sync_api import Locator, Page, expect

from tests.helpers import KEY_RUBRIC, make_pdf

PROGRAMME_CODE = "key-above-size-2026"
PROGRAMME_PATH = f"/programmes/{PROGRAMME_CODE}"
PROGRAMME_NAME = "Key above-size enterprise selection"
BUDGET = "9,000,000.00"
AWARD = "500,000.00"  # the top tier: ranks 1 to 10

FIRM = "ent1@example.com"
FIRM_NAME = "阜新氟科新材料有限公司"
FIRM_USCC = "91210900MA0QF2N1XY"
OFFICER = "officer@example.com"
REVIEWER_1 = ("reviewer1@example.com", "李专家 Expert Li")
REVIEWER_2 = ("reviewer2@example.com", "赵专家 Expert Zhao")
REVIEWER_3 = ("reviewer3@example.com", "陈专家 Expert Chen")

DOCUMENTS = ("statistics_filing", "audit_report", "ip_certificates", "development_plan")
CRITERIA = KEY_RUBRIC
PROJECT_TITLE = "Fluoropolymer membrane line: second phase"
PROJECT_SUMMARY = (
    "A second extrusion line for PTFE membranes, with our own sintering control.\n"
    "R&D spend rose from 1.40 to 1.85 million yuan."
)

OBJECTOR_NAME = "周明"
OBJECTOR_CONTACT = "zhouming@example.com"
OBJECTION = (
    "The firm's second membrane line was built in 2023 with a provincial grant; "
    "I worked on its acceptance."
)

REFERENCE = re.compile(r"^\d{4}-\d{2}-\d{6}$")
APPLICATION_URL = re.compile(r"/applications/(\d+)$")


# --- helpers ----------------------------------------------------------------------------------


def use_english(page: Page) -> None:
    page.locator("button[name=locale][value=en]").click()
    expect(page.locator("html")).to_have_attribute("lang", "en")


def expect_signed_in(page: Page) -> None:
    expect(page.locator("form[action$='/logout'] button[type=submit]")).to_be_visible()


def nav_link(page: Page, name: str) -> Locator:
    return page.get_by_role("navigation", name="Main navigation").get_by_role(
        "link", name=name, exact=True
    )


def flash_success(page: Page) -> Locator:
    return page.locator(".flash--success")


def stat(page: Page, label: str) -> Locator:
    """The value of a figure in a page's row of statistics, found by its label."""
    return (
        page.locator(".stat")
        .filter(has=page.locator(".stat__label", has_text=re.compile(f"^{re.escape(label)}$")))
        .locator(".stat__value")
    )


def summary_value(area: Locator, term: str) -> Locator:
    """The <dd> beside a <dt> of a summary list."""
    return (
        area.locator(".summary-list > div")
        .filter(has=area.page.locator("dt", has_text=re.compile(f"^{re.escape(term)}$")))
        .locator("dd")
    )


def task(page: Page, section: str) -> Locator:
    return page.locator(f".task-list__item:has(a[href$='/{section}'])")


# "Save and continue" goes on to the next section; the last one to "Check your answers".
NEXT_STEP = {
    "summary": "figures",
    "figures": "amount",
    "amount": "documents",
    "declaration": "check",
}


def save_and_continue(page: Page, application_id: int, section: str) -> None:
    page.locator("button[name=then][value=continue]").click()
    expect(page).to_have_url(re.compile(rf"/applications/{application_id}/{NEXT_STEP[section]}$"))
    expect(flash_success(page)).to_have_text("Saved.")
    page.goto(f"/applications/{application_id}")
    expect(task(page, section).locator(".tag")).to_have_text("Completed")


def default_due_date() -> str:
    """The assignment form's default: 14 days from today in the bureau's calendar."""
    return (datetime.now(ZoneInfo("Asia/Shanghai")).date() + timedelta(days=14)).isoformat()


def sign_in_as(new_page, sign_in, email: str) -> Page:
    """Another person's browser, signed in and in English."""
    page = new_page()
    sign_in(page, email)
    expect_signed_in(page)
    use_english(page)
    return page


def firm_submits(page: Page, sign_in, tmp_path: Path) -> tuple[int, str]:
    """ent1 applies for the key above-size programme through its pages and submits; return
    the application's id and reference."""
    sign_in(page, FIRM)
    expect_signed_in(page)
    use_english(page)
    page.goto(PROGRAMME_PATH)
    expect(page.locator("h1")).to_have_text(PROGRAMME_NAME)
    eligibility = page.locator("section[aria-labelledby=eligibility-heading]")
    expect(eligibility.locator(".verdict")).to_have_text("You qualify")
    page.locator(f"form[action$='{PROGRAMME_PATH}/apply'] button[type=submit]").click()
    expect(page).to_have_url(APPLICATION_URL)
    match = APPLICATION_URL.search(page.url)
    assert match
    application_id = int(match.group(1))
    reference = page.locator("main > p.caption a[href*='/applications/']").last.inner_text()
    reference = reference.strip()
    assert REFERENCE.match(reference), reference

    task(page, "summary").locator("a").click()
    page.locator("#project_title").fill(PROJECT_TITLE)
    page.locator("#project_summary").fill(PROJECT_SUMMARY)
    save_and_continue(page, application_id, "summary")

    task(page, "figures").locator("a").click()
    page.locator("#confirm_figures").check()
    save_and_continue(page, application_id, "figures")

    # A ranked programme: no amount to ask for, the ranking sets it.
    task(page, "amount").locator("a").click()
    expect(page.locator("main")).to_contain_text("Set by ranking after expert review")
    save_and_continue(page, application_id, "amount")

    task(page, "documents").locator("a").click()
    expect(page).to_have_url(re.compile(rf"/applications/{application_id}/documents$"))
    for key in DOCUMENTS:
        path = tmp_path / f"{key}.pdf"
        path.write_bytes(make_pdf(1, key))
        form = page.locator(f"form[action$='/documents/{key}']")
        form.locator(f"input[type=file]#file-{key}").set_input_files(path)
        form.locator("button[type=submit]").click()
        expect(flash_success(page)).to_have_text("Uploaded.")
        slot = page.locator(f"section.document[aria-labelledby=doc-{key}]")
        expect(slot.locator(".tag")).to_have_text("Uploaded")
    page.locator(f"main a.button[href$='/applications/{application_id}']").click()
    expect(task(page, "documents").locator(".tag")).to_have_text("Completed")

    task(page, "declaration").locator("a").click()
    page.locator("#declaration_name").fill("张伟")
    page.locator("#declaration_title").fill("General manager")
    page.locator("#agree").check()
    save_and_continue(page, application_id, "declaration")

    page.locator(f"main a.button[href$='/applications/{application_id}/check']").click()
    expect(page.locator("main")).not_to_contain_text("Before you can submit")
    page.locator("#confirm").check()
    page.locator(f"form[action$='/applications/{application_id}/submit'] button").click()
    expect(page.locator(".app-header .status")).to_have_text("Submitted")
    expect(flash_success(page)).to_contain_text("has been submitted")
    return application_id, reference


def officer_passes_formal_check(officer: Page, application_id: int, reference: str) -> None:
    """From the queue: open the application, pass it, land on its reviewers page."""
    nav_link(officer, "Applications").click()
    expect(officer.locator("h1")).to_have_text("Applications")
    row = officer.locator("table.desk-queue tbody tr").filter(has_text=reference)
    expect(row).to_have_count(1)
    expect(row.locator(".desk-firm")).to_contain_text(FIRM_NAME)
    expect(row.locator(".desk-program")).to_have_text(PROGRAMME_NAME)
    expect(row.locator(".status")).to_have_text("Submitted")
    row.get_by_role("link", name=reference, exact=True).click()

    expect(officer).to_have_url(re.compile(rf"/staff/applications/{application_id}$"))
    expect(officer.locator("h1")).to_have_text(FIRM_NAME)
    expect(officer.locator(".app-header .status")).to_have_text("Submitted")
    check = officer.locator("section.desk-check")
    expect(check.locator("#formal-check-title")).to_have_text("Formal check")
    expect(check.locator(".desk-action--pass")).to_contain_text(
        "Goes to expert review: 2 reviewers to assign."
    )
    pass_button = check.locator(
        f"form[action$='/staff/applications/{application_id}/pass-check'] button[type=submit]"
    )
    expect(pass_button).to_have_text("Pass: send to expert review")
    pass_button.click()

    expect(officer).to_have_url(re.compile(rf"/staff/applications/{application_id}$"))
    expect(flash_success(officer)).to_have_text(
        "The application passed the formal check and goes to expert review: assign 2 reviewers."
    )
    expect(officer.locator(".app-header .status")).to_have_text("Expert review")
    expect(officer.locator("section.desk-check")).to_have_count(0)
    review = officer.locator("section.desk-review")
    expect(review).to_contain_text("0 of 2 reviews submitted")
    review.locator(f"a[href$='/staff/review/applications/{application_id}']").click()
    expect(officer).to_have_url(re.compile(rf"/staff/review/applications/{application_id}$"))
    expect(officer.locator("h1")).to_have_text(f"Expert review: {FIRM_NAME}")


def candidate(page: Page, name: str) -> Locator:
    return page.locator("section#assign tr.ra-candidate").filter(has_text=name)


def assign_by_hand(officer: Page, name: str) -> None:
    assign = officer.locator("section#assign")
    candidate(officer, name).locator("input[name=reviewer_id]").check()
    expect(assign.locator("#due_on")).to_have_value(default_due_date())
    assign.locator("form[action$='/assign'] button[type=submit]:not([formaction])").click()
    expect(flash_success(officer)).to_have_text(f"{name} is assigned.")


def reviewer_scores(page: Page, reference: str, score: str, screenshot=None) -> tuple[int, Locator]:
    """From the reviewer's queue: open the assignment, score every criterion with a comment,
    submit. Return the assignment id and the read-only review that replaces the form."""
    nav_link(page, "Review queue").click()
    expect(page.locator("h1")).to_have_text("My review queue")
    row = page.locator("table.rv-queue tbody tr").filter(has_text=reference)
    expect(row).to_have_count(1)
    expect(row).to_contain_text(FIRM_NAME)
    expect(row).to_contain_text(PROGRAMME_NAME)
    expect(row.locator(".rv-state")).to_have_text("Not started")
    row.get_by_role("link", name=reference, exact=True).click()

    expect(page).to_have_url(re.compile(r"/review/(\d+)$"))
    match = re.search(r"/review/(\d+)$", page.url)
    assert match
    assignment_id = int(match.group(1))
    expect(page.locator("h1")).to_have_text(FIRM_NAME)
    expect(page.locator(".app-header .rv-state")).to_have_text("Not started")
    main = page.locator("main")
    expect(main).to_contain_text(PROJECT_TITLE)  # the application is there to read
    form = page.locator(f"form[action$='/review/{assignment_id}']")
    expect(form.locator("fieldset.rv-criterion")).to_have_count(len(CRITERIA))
    expect(form.locator("fieldset.rv-criterion legend").first).to_have_text("1. Innovation")
    for key in CRITERIA:
        form.locator(f"#score__{key}").fill(score)
        form.locator(f"#comment__{key}").fill(f"{score} of 10: {key.replace('_', ' ')} is sound.")
    if screenshot is not None:
        screenshot(page, "review-scoring-form")
    form.locator("button[name=action][value=submit]").click()
    # One more step before the scores lock: the confirmation states the total.
    expect(page.locator("main")).to_contain_text("Once submitted you cannot change them.")
    page.locator("main button[name=action][value=submit]").click()

    expect(page).to_have_url(re.compile(rf"/review/{assignment_id}$"))
    expect(flash_success(page)).to_have_text("Your review has been submitted.")
    expect(page.locator(".rv-notice--done")).to_contain_text("You submitted this review on")
    expect(page.locator(".app-header .rv-state")).to_have_text("Submitted")
    expect(page.locator(f"form[action$='/review/{assignment_id}']")).to_have_count(0)
    return assignment_id, page.locator("section.rv-scoring")


def _mailed_code(app, address: str) -> str:
    """The one-time code in the newest mail to ``address`` (the outbox: no SMTP server here)."""
    import email
    from email.policy import default as default_policy

    outbox = Path(app.config["OUTBOX_DIR"])
    for path in sorted(outbox.glob("*.eml"), key=lambda p: p.stat().st_mtime, reverse=True):
        message = email.message_from_bytes(path.read_bytes(), policy=default_policy)
        if message["To"] == address:
            body = message.get_body(preferencelist=("plain",)).get_content()
            return re.search(r"\b(\d{6})\b", body).group(1)
    raise AssertionError(f"no mail to {address} in {outbox}")


def public_award_row(page: Page) -> Locator:
    group = page.locator("section.pub-group").filter(
        has=page.locator("h2", has_text=PROGRAMME_NAME)
    )
    return group.locator("tbody tr").filter(has_text=FIRM_NAME)


# --- tests ------------------------------------------------------------------------------------


def test_officer_reviewers_decision_publicity_objection(
    app, page: Page, new_page, demo, sign_in, screenshot, tmp_path: Path
):
    # 1. The firm applies and submits.
    application_id, reference = firm_submits(page, sign_in, tmp_path)

    # 2. The officer passes the formal check and assigns reviewer1 and reviewer2 by hand.
    officer = sign_in_as(new_page, sign_in, OFFICER)
    officer_passes_formal_check(officer, application_id, reference)
    expect(stat(officer, "Reviewers needed")).to_have_text("2")
    expect(stat(officer, "Still to assign")).to_have_text("2")
    expect(officer.locator("section#assign h2")).to_have_text(
        re.compile(r"^Assign (a reviewer|reviewers)$")
    )
    for _email, name in (REVIEWER_1, REVIEWER_2):
        assign_by_hand(officer, name)
    expect(stat(officer, "Assigned")).to_have_text("2")
    expect(stat(officer, "Still to assign")).to_have_text("0")
    assigned = officer.locator("table.ra-assignments tbody tr.ra-row")
    expect(assigned).to_have_count(2)
    for _email, name in (REVIEWER_1, REVIEWER_2):
        row = assigned.filter(has_text=name)
        expect(row.locator(".ra-state")).to_have_text("Pending")
        expect(row).to_contain_text(default_due_date())
    # Both assigned: neither is offered again, only the third reviewer is.
    expect(officer.locator("section#assign h2")).to_have_text("Assign a further reviewer")
    expect(officer.locator("section#assign tr.ra-candidate")).to_have_count(1)
    expect(candidate(officer, REVIEWER_3[1])).to_have_count(1)

    # 3. Each reviewer scores all six criteria and submits: 80.00 and 70.00.
    reviewer1 = sign_in_as(new_page, sign_in, REVIEWER_1[0])
    _, review1 = reviewer_scores(reviewer1, reference, "8", screenshot)
    expect(review1.locator(".rv-total")).to_have_text("Weighted total 80.00")
    # The others' scores are shown only after one's own submission; the second is not in.
    panel = reviewer1.locator("section.rv-panel")
    expect(panel.locator("tfoot")).to_contain_text("Not submitted yet")

    reviewer2 = sign_in_as(new_page, sign_in, REVIEWER_2[0])
    _, review2 = reviewer_scores(reviewer2, reference, "7")
    expect(review2.locator(".rv-total")).to_have_text("Weighted total 70.00")
    panel = reviewer2.locator("section.rv-panel")
    expect(panel).to_contain_text("Mean of the submitted totals: 75.00; spread: 10.00.")

    # The round is complete and not flagged (spread 10 under the threshold of 20).
    officer.reload()
    expect(officer.locator(".app-header .status")).to_have_text("Awaiting decision")
    expect(stat(officer, "Reviews submitted")).to_have_text("2")
    for _email, name in (REVIEWER_1, REVIEWER_2):
        row = assigned.filter(has_text=name)
        expect(row.locator(".ra-state")).to_have_text("Submitted")
    scores = officer.locator("section.panel").filter(
        has=officer.locator("h2", has_text=re.compile("^Scores$"))
    )
    expect(summary_value(scores, "Reviews counted")).to_have_text("2")
    expect(summary_value(scores, "Mean of the totals")).to_have_text("75.00")
    expect(summary_value(scores, "Spread (highest − lowest)")).to_have_text(
        "10.00 (threshold 20.00)"
    )
    expect(summary_value(scores, "Flagged for moderation")).to_have_text("No")
    expect(summary_value(scores, "Final score")).to_have_text("75.00")

    # 4. Decisions: the officer (English remembered for the account) approves and releases.
    officer = new_page()
    sign_in(officer, OFFICER)
    expect_signed_in(officer)
    expect(officer.locator("html")).to_have_attribute("lang", "en")
    nav_link(officer, "Decisions").click()
    expect(officer.locator("h1")).to_have_text("Decisions")
    programme_row = officer.locator("table.dc-index tbody tr").filter(has_text=PROGRAMME_NAME)
    expect(programme_row).to_contain_text("Ranked by expert score")
    expect(programme_row.locator("td").nth(1)).to_have_text(BUDGET)
    expect(programme_row.locator("td").nth(2)).to_have_text("1")  # awaiting a decision
    programme_row.get_by_role("link", name=PROGRAMME_NAME).click()

    expect(officer.locator("h1")).to_have_text(PROGRAMME_NAME)
    expect(officer.locator("main")).to_contain_text("Ranked by final expert score, best first.")
    expect(stat(officer, "Budget (yuan)")).to_have_text(BUDGET)
    expect(stat(officer, "Awaiting decision")).to_have_text("1")
    row = officer.locator(f"tr#row-{application_id}")
    cells = row.locator("> td")
    expect(cells.nth(1)).to_have_text("1")  # rank
    expect(cells.nth(2)).to_contain_text(FIRM_NAME)
    expect(cells.nth(2)).to_contain_text(reference)
    expect(cells.nth(3)).to_have_text("75.00")  # final score
    expect(cells.nth(6)).to_have_text(AWARD)  # proposed: the top tier
    expect(cells.nth(7)).to_contain_text("Not decided")
    expect(cells.nth(8)).to_have_text(AWARD)  # running total
    expect(row).not_to_have_class(re.compile(r"dc-row--over"))
    expect(officer.locator("tr.dc-budget-line")).to_have_count(0)
    expect(cells.nth(8).locator(".dc-over-tag")).to_have_count(0)
    screenshot(officer, "review-ranked-list")

    decide_row = officer.locator(f"tr#decide-{application_id}")
    expect(decide_row).to_be_hidden()
    row.locator(f"a[href='#decide-{application_id}']").click()
    expect(decide_row).to_be_visible()
    decide = decide_row.locator(
        f"form[action$='/staff/decisions/applications/{application_id}/decide']"
    )
    expect(decide.locator("h3")).to_have_text(f"Decision on {FIRM_NAME}")
    decide.locator(f"input[name=a{application_id}-decision][value=approve]").check()
    expect(decide.locator(f"#a{application_id}-amount")).to_have_value("500000.00")
    decide.locator("button[type=submit]").click()

    expect(flash_success(officer)).to_have_text(
        f"Approval of {reference} recorded (pending until the release)."
    )
    expect(row.locator(".dc-decision--approve")).to_have_text("Approve")
    expect(stat(officer, "Pending approvals (yuan)")).to_have_text(AWARD)
    expect(stat(officer, "Left after pending approvals (yuan)")).to_have_text("8,500,000.00")
    # Until the release, the firm sees no decision.
    page.goto(f"/applications/{application_id}")
    expect(page.locator(".app-header .status")).to_have_text("Under review")
    expect(page.locator("main .decision")).to_have_count(0)
    expect(officer.locator("main")).to_contain_text(f"1 pending approval, {AWARD} yuan")
    # Four eyes: the officer checks what the release does and proposes it; an approver
    # signs it off (tests/e2e/test_four_eyes_journey.py walks through the pages in detail).
    officer.get_by_role("link", name="Check and propose the release of 1 decision").click()
    expect(officer.locator("main")).to_contain_text(f"{AWARD} yuan in total go into publicity")
    officer.get_by_role("button", name="Propose this release for sign-off").click()
    expect(flash_success(officer).first).to_contain_text("Release proposed.")
    leader = sign_in_as(new_page, sign_in, "leader@example.com")
    leader.goto("/staff/sign-off")
    leader.locator("main table a[href*='/staff/sign-off/']").first.click()
    leader.get_by_role("button", name="Sign off: it happens now").click()
    expect(flash_success(leader).first).to_contain_text("Signed off: 1 decision released")
    officer.reload()
    expect(officer.locator("main")).to_contain_text(
        "No application of this programme is awaiting a decision."
    )
    expect(stat(officer, "Released earlier (yuan)")).to_have_text(AWARD)
    expect(officer.locator("main")).to_contain_text("There are no pending decisions to release.")

    # The firm sees the approval, in publicity.
    page.goto(f"/applications/{application_id}")
    expect(page.locator(".app-header .status")).to_have_text("In publicity")
    decision = page.locator("main .decision--approved")
    # Proposed, not "approved", while the public may still object.
    expect(decision.locator("h2")).to_have_text(
        re.compile(rf"^Proposed award \(in publicity until \d+ \w+\): {AWARD} yuan$")
    )
    expect(decision).to_contain_text("The award is in its publicity period until")

    # 5. A member of the public, not signed in, objects: unsigned first, then signed.
    public = new_page()
    public.goto("/")
    use_english(public)
    nav_link(public, "Publicity").click()
    expect(public).to_have_url(re.compile(r"/publicity$"))
    expect(public.locator("h1")).to_have_text("Publicity of awards")
    award = public_award_row(public)
    expect(award).to_have_count(1)
    expect(award.locator("td.num")).to_have_text(AWARD)
    object_link = award.locator(f"a[href$='/publicity/{application_id}/object']")
    expect(object_link).to_contain_text("Object to this award")
    release = public.locator("section.pub-group").filter(has_text=FIRM_NAME).locator("dl")
    period = release.locator("div").filter(has_text="Publicity ends").locator("dd").inner_text()
    publicity_ends_on = date.fromisoformat(period.strip())
    screenshot(public, "review-publicity")
    object_link.click()

    expect(public).to_have_url(re.compile(rf"/publicity/{application_id}/object$"))
    expect(public.locator("h1")).to_have_text("Object to an award")
    details = public.locator("dl.dc-award")
    expect(details).to_contain_text(FIRM_NAME)
    expect(details).to_contain_text(PROGRAMME_NAME)
    expect(details).to_contain_text(AWARD)
    # Unsigned, no code is sent; signed, the address is confirmed with a mailed code.
    public.locator("#address").fill(OBJECTOR_CONTACT)
    public.get_by_role("button", name="Send me a code").click()
    anonymous = "Give your full name: anonymous objections are not accepted."
    expect(public.locator("#name-error")).to_contain_text(anonymous)
    expect(public.locator("#name")).to_have_attribute("aria-invalid", "true")
    expect(public.locator(".error-summary")).to_contain_text(anonymous)
    expect(public.locator("#address")).to_have_value(OBJECTOR_CONTACT)  # nothing typed is lost
    expect(public.locator(".field__error")).to_have_count(1)

    public.locator("#name").fill(OBJECTOR_NAME)
    public.get_by_role("button", name="Send me a code").click()
    expect(public.locator("h1")).to_have_text("Enter your code")
    public.locator("#code").fill(_mailed_code(app, OBJECTOR_CONTACT))
    public.get_by_role("button", name="Confirm").click()
    expect(public.locator(".pub-signer")).to_contain_text(OBJECTOR_NAME)
    public.locator("#reason").fill(OBJECTION)
    public.get_by_role("button", name="Send the objection").click()
    received = public.locator(".dc-received")
    expect(received.locator("h1")).to_have_text("Objection received")
    expect(received).to_contain_text(f"Your objection to the award to {FIRM_NAME}")
    expect(received).to_contain_text("The award is on hold while the bureau investigates")

    # The public list now shows the award on hold, with no way to object again.
    public.get_by_role("link", name="Back to the publicity list").click()
    award = public_award_row(public)
    expect(award.locator(".status--on_hold")).to_have_text("On hold: objection under review")
    expect(award.locator("a")).to_have_count(0)
    response = public.goto(f"/publicity/{application_id}/object")
    assert response is not None and response.status == 404

    # 6. The officer finds the objection; the application is on hold.
    officer.locator("main p.caption a[href$='/staff/decisions']").click()
    expect(officer.locator("h1")).to_have_text("Decisions")
    programme_row = officer.locator("table.dc-index tbody tr").filter(has_text=PROGRAMME_NAME)
    expect(programme_row.locator("td").nth(4)).to_have_text("0")  # in publicity
    expect(programme_row.locator("td").nth(5)).to_have_text("1")  # on hold
    objections_link = officer.locator("a.stat--link[href$='/staff/decisions/objections']")
    expect(objections_link.locator(".stat__value")).to_have_text("1")
    objections_link.click()

    expect(officer.locator("h1")).to_have_text("Open objections")
    objection = officer.locator("section.dc-objection").filter(has_text=FIRM_NAME)
    expect(objection).to_have_count(1)
    expect(objection.locator(".status--on_hold")).to_have_text("On hold")
    expect(summary_value(objection, "Objection by")).to_have_text(
        f"{OBJECTOR_NAME} · {OBJECTOR_CONTACT}"
    )
    expect(summary_value(objection, "Objection")).to_have_text(OBJECTION)
    expect(summary_value(objection, "Amount (yuan)")).to_have_text(AWARD)
    expect(summary_value(objection, "Programme")).to_have_text(PROGRAMME_NAME)
    objection.get_by_role("link", name=reference).click()
    expect(officer).to_have_url(re.compile(rf"/staff/applications/{application_id}$"))
    expect(officer.locator(".app-header .status")).to_have_text("On hold: objection under review")

    # The firm sees its application on hold too.
    page.reload()
    expect(page.locator(".app-header .status")).to_have_text("On hold: objection under review")

    # The daily run after the period has ended leaves an award with an open objection alone.
    day_after = (publicity_ends_on + timedelta(days=1)).isoformat()
    result = demo.test_cli_runner().invoke(args=["publicity", "advance", "--today", day_after])
    assert result.exit_code == 0, result.output
    assert "Nothing to do" in result.output, result.output
    officer.reload()
    expect(officer.locator(".app-header .status")).to_have_text("On hold: objection under review")


def test_conflicted_reviewer_is_never_offered(page: Page, new_page, demo, sign_in, tmp_path: Path):
    application_id, reference = firm_submits(page, sign_in, tmp_path)
    officer = sign_in_as(new_page, sign_in, OFFICER)

    # reviewer3 is linked to ent1 on the reviewer's profile.
    nav_link(officer, "Expert reviewers").click()
    expect(officer.locator("h1")).to_have_text("Expert reviewers")
    reviewer_row = officer.locator("table.ra-table tbody tr").filter(has_text=REVIEWER_3[1])
    edit = reviewer_row.locator("a[href*='/staff/review/reviewers/']")
    href = edit.get_attribute("href")
    assert href is not None
    reviewer3_id = int(href.rsplit("/", 1)[1])
    edit.click()
    expect(officer.locator("h1")).to_have_text(REVIEWER_3[1])
    officer.locator("#linked_usccs").fill(FIRM_USCC)
    officer.locator("main form button[type=submit]").click()
    expect(flash_success(officer)).to_have_text(f"The profile of {REVIEWER_3[1]} is saved.")
    reviewer_row = officer.locator("table.ra-table tbody tr").filter(has_text=REVIEWER_3[1])
    expect(reviewer_row).to_contain_text(FIRM_USCC)
    expect(reviewer_row).to_contain_text(FIRM_NAME)

    officer_passes_formal_check(officer, application_id, reference)
    assign = officer.locator("section#assign")
    expect(assign).to_contain_text(
        "1 reviewer has a conflict with this enterprise and cannot be chosen."
    )
    conflicted = candidate(officer, REVIEWER_3[1])
    expect(conflicted).to_have_class(re.compile(r"ra-candidate--conflict"))
    expect(conflicted.locator("input[name=reviewer_id], input[disabled]")).to_be_disabled()
    expect(conflicted.locator(".ra-conflict")).to_have_text("Conflict: Linked to this enterprise")
    choices = assign.locator("input[name=reviewer_id]")
    expect(choices).to_have_count(2)
    expect(assign.locator(f"input[name=reviewer_id][value='{reviewer3_id}']")).to_have_count(0)

    # Forced into the form by hand, the choice is still refused by the server.
    conflicted.locator("input[name=reviewer_id], input[disabled]").evaluate(
        "(radio, id) => { radio.disabled = false; radio.name = 'reviewer_id';"
        " radio.value = String(id); radio.checked = true; }",
        reviewer3_id,
    )
    assign.locator("form[action$='/assign'] button[type=submit]:not([formaction])").click()
    expect(officer.locator("#reviewer_id .field__error")).to_contain_text(
        f"{REVIEWER_3[1]} is linked to {FIRM_NAME} and must never review its application"
    )
    expect(stat(officer, "Assigned")).to_have_text("0")

    # Automatic assignment picks the two reviewers without a conflict.
    assign.locator("button[formaction$=auto-assign]").click()
    expect(flash_success(officer)).to_have_text("2 reviewers assigned automatically.")
    assigned = officer.locator("table.ra-assignments tbody tr.ra-row")
    expect(assigned).to_have_count(2)
    expect(assigned.filter(has_text=REVIEWER_1[1])).to_have_count(1)
    expect(assigned.filter(has_text=REVIEWER_2[1])).to_have_count(1)
    expect(assigned.filter(has_text=REVIEWER_3[1])).to_have_count(0)
