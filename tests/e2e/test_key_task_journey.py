"""A key task, as the supervisor and a department member do it in their browsers: the
supervisor creates a task in English with a hand-reported indicator and two milestones (adding
the second milestone's row without JavaScript) and sees it; the department member reports a
value with an evidence PDF and marks the first milestone done; the task's page shows the new
value and its status moves on. Looked at on 1280 and on a 390-px phone, where it fits."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import pytest
from playwright.sync_api import Browser, Page, expect
from sqlalchemy import select

from portal.accounts.models import Department, User
from portal.core.extensions import db
from portal.core.timeutil import bureau_today
from tests.e2e.phone import measure
from tests.e2e.test_review_journey import expect_signed_in, flash_success, use_english
from tests.helpers import make_pdf
from tests.wall_world import build_wall_world


@pytest.fixture
def phone(browser: Browser, live_server: str) -> Iterator[Page]:
    context = browser.new_context(
        base_url=live_server,
        locale="zh-CN",
        viewport={"width": 390, "height": 844},
        is_mobile=True,
        has_touch=True,
    )
    context.set_default_timeout(30_000)
    try:
        yield context.new_page()
    finally:
        context.close()


def fits(page: Page) -> None:
    fit = measure(page)
    assert fit.fits, fit.describe()


def test_a_task_from_creation_to_a_reported_value(
    app, demo, page, phone, sign_in, screenshot, tmp_path
):
    with app.app_context():
        build_wall_world()  # the departments and people, whether the demo has them or not
        leader = db.session.scalar(select(User.id).where(User.email == "leader@example.com"))
        owner = db.session.scalar(select(User.id).where(User.email == "hightech@example.com"))
        department = db.session.scalar(select(Department.id).where(Department.name == "高新技术科"))
    today = bureau_today()
    later = today.replace(month=12, day=31)

    # The supervisor creates the task.
    sign_in(page, "supervisor@example.com")
    expect_signed_in(page)
    use_english(page)
    page.goto("/tasks/new")
    page.locator("#title").fill("科技成果转化")
    page.locator("#title_en").fill("Technology transfer")
    page.locator("#number").fill("77")
    page.locator("#leader").select_option(str(leader))
    page.locator("#department").select_option(str(department))
    page.locator("#owner").select_option(str(owner))
    page.locator("#requirements").fill("全年转化成果100项。")
    page.locator("#requirements_en").fill("Transfer 100 results in the year.")
    page.locator("#indicators-0-name").fill("转化成果")
    page.locator("#indicators-0-name_en").fill("Results transferred")
    page.locator("#indicators-0-kind").select_option("manual")
    page.locator("#indicators-0-unit").fill("项")
    page.locator("#indicators-0-target").fill("100")
    page.locator("#milestones-0-due_on").fill(today.isoformat())
    page.locator("#milestones-0-title").fill("签订首批合同")
    page.locator("#milestones-0-title_en").fill("First contracts signed")
    page.get_by_role("button", name="Add a milestone").click()
    expect(page.locator("#milestones-1-title")).to_be_visible()
    expect(page.locator("#milestones-0-title")).to_have_value("签订首批合同")
    page.locator("#milestones-1-due_on").fill(later.isoformat())
    page.locator("#milestones-1-title").fill("年度总结")
    page.locator("#milestones-1-title_en").fill("Year's report")
    screenshot(page, "key-task-form-1280")
    page.get_by_role("button", name="Save the task").click()
    expect(flash_success(page)).to_contain_text("Key task created")
    expect(page.locator("h1")).to_have_text("Technology transfer")
    expect(page.locator(".tk-light").first).to_contain_text("Behind or due soon")
    expect(page.locator("#indicators")).to_contain_text("Not reported yet")
    task_url = page.url

    # The department member, on a phone, reports a value with evidence and marks a milestone.
    sign_in(phone, "hightech@example.com")
    expect_signed_in(phone)
    use_english(phone)
    phone.goto(task_url)
    fits(phone)
    phone.get_by_role("link", name="Report a value").click()
    phone.locator("#value").fill("100")
    evidence = tmp_path / "contracts.pdf"
    evidence.write_bytes(make_pdf())
    phone.locator("#files").set_input_files(str(evidence))
    fits(phone)
    phone.get_by_role("button", name="Report the value").click()
    expect(flash_success(phone)).to_contain_text("Value reported")
    expect(phone.locator("#reports")).to_contain_text("contracts.pdf")
    expect(phone.locator("#indicators .tk-value")).to_contain_text("100")
    phone.locator("#milestones tr", has_text="First contracts signed").get_by_role(
        "link", name="Mark done"
    ).click()
    expect(phone.get_by_role("button", name="Mark done")).to_be_visible()
    fits(phone)
    phone.get_by_role("button", name="Mark done").click()
    expect(flash_success(phone)).to_contain_text("Milestone marked done")
    expect(phone.locator("#milestones")).to_contain_text(f"Done on {today.isoformat()}")
    fits(phone)
    screenshot(phone, "key-task-page-390")

    # The supervisor's page follows.
    page.goto(task_url)
    expect(page.locator("#indicators .tk-value")).to_contain_text("100")
    expect(page.locator("#indicators")).to_contain_text("of the expected value")
    expect(page.locator("#indicators")).not_to_contain_text("Behind")
    if (later - today) > timedelta(days=7):
        expect(page.locator(".tk-light").first).to_contain_text("On schedule")
    screenshot(page, "key-task-page-1280")
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(task_url + "/edit")
    fits(page)
    screenshot(page, "key-task-form-390")
