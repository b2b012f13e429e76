"""A red supervision slip's closed loop, as the department and the supervisor do it in their
browsers: the status rules raised a red slip on a task whose milestone is overdue; the
department member finds it in their list, signs for it (签收) and answers with an evidence PDF
(反馈); the supervisor sends it back once with a note (退回); the member answers again and the
supervisor closes it (办结). The history shows every step with its time and person; the list
and the slip fit a 390-px and a 360-px phone. Screenshots go to test-artifacts/ with
PORTAL_SCREENSHOTS=1."""

from __future__ import annotations

from datetime import timedelta

from playwright.sync_api import Page, expect

from portal.core.extensions import db
from portal.core.timeutil import bureau_today
from portal.tasks import slip_issue
from portal.tasks.models import KeyTask, Milestone, SlipColour
from tests.e2e import axe
from tests.e2e.phone import measure
from tests.e2e.test_review_journey import expect_signed_in, flash_success, use_english
from tests.helpers import make_pdf
from tests.wall_world import build_wall_world

SUPERVISOR = "supervisor@example.com"
MEMBER = "hightech@example.com"


def raise_red_slip(app) -> tuple[int, str]:
    """What the daily evaluation does for an overdue milestone (in the test's app context)."""
    with app.app_context():
        world = build_wall_world()
        task = db.session.get(KeyTask, world.red_task_id)
        milestone = db.session.get(Milestone, world.red_overdue_milestone_id)
        slip = slip_issue.issue_slip(
            task,
            SlipColour.RED,
            f"里程碑“{milestone.title}”已于 {milestone.due_on.isoformat()} 逾期。",
            bureau_today() + timedelta(days=5),
            requirements="五个工作日内报送整改进展及佐证材料。",
            cause_key=f"milestone:{milestone.id}",
            milestone=milestone,
        )
        db.session.commit()
        return slip.id, slip.code


def fits_phone(page: Page) -> None:
    for width in (390, 360):
        page.set_viewport_size({"width": width, "height": 844})
        fit = measure(page)
        assert fit.fits, f"{page.url} at {width}: {fit.describe()}"


def accessible(page: Page) -> None:
    axe.assert_accessible(page, page.url)
    axe.assert_unique_ids(page, page.url)


def answer(page: Page, text: str, evidence) -> None:
    page.locator("#progress").fill(text)
    page.locator("#files").set_input_files(str(evidence))
    page.get_by_role("button", name="Send the answer").click()
    expect(flash_success(page)).to_contain_text("The supervisor reviews it next")


def test_a_red_slip_signed_answered_sent_back_and_closed(
    app, demo, page, new_page, sign_in, screenshot, tmp_path
):
    slip_id, code = raise_red_slip(app)
    evidence = tmp_path / "整改进展.pdf"
    evidence.write_bytes(make_pdf())

    # The department member finds the slip in their list and opens it.
    sign_in(page, MEMBER)
    expect_signed_in(page)
    use_english(page)
    page.goto("/tasks/slips/")
    row = page.locator("table.slip-list tbody tr").filter(has_text=code)
    expect(row).to_contain_text("Red")
    expect(row).to_contain_text("Issued: waiting to be signed for")
    accessible(page)
    screenshot(page, "slips-list-1280")
    row.get_by_role("link", name=code).click()
    expect(page.locator("h1")).to_contain_text(code)
    expect(page.locator(".slip-doc")).to_contain_text("Red slip: overdue")
    expect(page.locator(".slip-doc")).to_contain_text("Raised by the status rules")
    accessible(page)

    # Signs for it, then answers with the progress and an evidence PDF.
    page.get_by_role("button", name="Sign for the slip").click()
    expect(flash_success(page)).to_contain_text("Signed for")
    answer(page, "已完成申报受理 18 家，受理清单见附件。", evidence)
    expect(page.locator(".slip-history")).to_contain_text("整改进展.pdf")

    # The supervisor sends it back once, with a note.
    boss = new_page()
    sign_in(boss, SUPERVISOR)
    expect_signed_in(boss)
    use_english(boss)
    boss.goto(f"/tasks/slips/{slip_id}")
    accessible(boss)
    screenshot(boss, "slips-review-1280")
    boss.get_by_label("Send it back").check()
    boss.get_by_role("button", name="Save the review").click()
    expect(boss.locator(".error-summary")).to_contain_text("Say what is missing")
    boss.get_by_label("Send it back").check()
    boss.locator("#note").fill("请补充受理企业名单及受理回执。")
    boss.get_by_role("button", name="Save the review").click()
    expect(flash_success(boss)).to_contain_text("Slip sent back")

    # The member answers again; the supervisor closes the slip.
    page.reload()
    expect(page.locator(".slip-history")).to_contain_text("请补充受理企业名单及受理回执。")
    answer(page, "已补充受理企业名单及回执。", evidence)
    boss.reload()
    boss.get_by_label("Close the slip").check()
    boss.get_by_role("button", name="Save the review").click()
    expect(flash_success(boss)).to_contain_text("Slip closed")

    # The history shows every step with its time and person.
    page.reload()
    steps = page.locator(".slip-history > li")
    expect(steps).to_have_count(6)
    for index, (label, person) in enumerate(
        (
            ("Slip issued", "the status rules"),
            ("Signed for", "Sun Gaoxin"),
            ("Answered", "Sun Gaoxin"),
            ("Sent back", "Supervisor"),
            ("Answered", "Sun Gaoxin"),
            ("Slip closed", "Supervisor"),
        )
    ):
        head = steps.nth(index).locator(".slip-history__head")
        expect(head).to_contain_text(label)
        expect(head).to_contain_text(person)
        expect(head).to_contain_text(str(bureau_today().year))
    expect(page.locator(".slip-doc")).to_contain_text("Closed")
    expect(page.locator("#answer, #sign, #review")).to_have_count(0)
    screenshot(page, "slips-closed-1280")
    download = page.locator(".slip-files a").first
    with page.expect_download() as caught:
        download.click()
    assert caught.value.suggested_filename == "整改进展.pdf"

    # The list and the slip fit a phone.
    fits_phone(page)
    page.set_viewport_size({"width": 390, "height": 844})
    screenshot(page, "slips-closed-390")
    page.goto("/tasks/slips/?state=all")
    fits_phone(page)
    page.set_viewport_size({"width": 390, "height": 844})
    screenshot(page, "slips-list-390")
    boss.goto("/tasks/slips/new")
    fits_phone(boss)
    boss.set_viewport_size({"width": 390, "height": 844})
    screenshot(boss, "slips-issue-390")
