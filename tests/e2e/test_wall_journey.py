"""The wall map as the supervisor sees it in the browser: the wall shows its cards in three
colours (with words, not colour alone); an indicator moves when an award becomes final (the
end of publicity, through the real service) and when a payment is recorded (a batch made,
approved and confirmed through the real services); the meeting-room screen has no site
navigation and refreshes itself; the wall, the timeline and the responsibility view fit a
390-px phone. Screenshots go to test-artifacts/ with PORTAL_SCREENSHOTS=1."""

from __future__ import annotations

import re
from datetime import timedelta
from decimal import Decimal

from playwright.sync_api import Page, expect
from sqlalchemy import select

from portal.accounts.models import User
from portal.applications.models import Application, Status
from portal.core.extensions import db
from portal.core.timeutil import bureau_today
from portal.payments import batches, confirmations
from portal.payments.models import Tranche
from portal.review import publicity
from portal.tasks.models import Direction, KeyTask, Milestone, TaskIndicator
from tests.e2e.phone import measure
from tests.helpers import add_bare_applications
from tests.payments_world import award
from tests.wall_world import PROGRAMME, build_wall_world

SUPERVISOR = "supervisor@example.com"
RD = "rd-post-subsidy-2026"


def add_yellow_task(app, world) -> int:
    """A third task, yellow: a milestone due in three days, and money paid under the R&D
    programme this year (target 1,000 万元, so it is behind its expected value)."""
    with app.app_context():
        today = bureau_today()
        task = KeyTask(
            year=world.year,
            number=3,
            title="研发投入后补助",
            title_en="R&D investment subsidies",
            leader_id=world.leader_id,
            department_id=world.departments["资源配置与管理科"],
            owner_id=world.funds_id,
        )
        db.session.add(task)
        db.session.flush()
        db.session.add(
            TaskIndicator(
                task_id=task.id,
                position=0,
                name="拨付资金",
                name_en="Money paid",
                kind="money_paid",
                params={"programs": [RD]},
                unit="万元",
                direction=Direction.UP,
                target=Decimal(1000),
            )
        )
        db.session.add(
            Milestone(
                task_id=task.id,
                due_on=min(today + timedelta(days=3), today.replace(month=12, day=31)),
                title="完成首批拨付",
                title_en="First payments made",
            )
        )
        db.session.commit()
        return task.id


def gauge_value(page: Page, task_id: int, name: str) -> str:
    gauge = page.locator(f"article[aria-labelledby='task-{task_id}'] .wall-gauge").filter(
        has_text=name
    )
    return gauge.locator(".wall-gauge__value strong").inner_text()


def make_award_final(app) -> None:
    """An approved application in publicity whose period has ended: the end of publicity
    (``publicity.advance_publicity``, as the daily job runs it) makes the award final."""
    (application_id,) = add_bare_applications(
        app, PROGRAMME, 1, status=Status.PUBLICITY, prefix="E"
    )
    with app.app_context():
        application = db.session.get(Application, application_id)
        application.decision = "approve"
        application.decided_amount = Decimal("50000.00")
        application.publicity_ends_on = bureau_today() - timedelta(days=1)
        db.session.commit()
        assert publicity.advance_publicity() == 1
        db.session.commit()


def record_payment(app) -> None:
    """An officer batches a due tranche, the leader approves, finance's payment is recorded."""
    made = award(app, code=RD, amount="1200000.00")
    with app.app_context():
        officer = db.session.scalar(select(User).where(User.email == "officer@example.com"))
        leader = db.session.scalar(select(User).where(User.email == "leader@example.com"))
        batch = batches.create_batch(made["tranche_ids"], actor=officer)
        db.session.commit()
        batches.approve_batch(
            batch, approver=leader, seen_count=batch.tranche_count, seen_total=batch.total
        )
        db.session.commit()
        tranche = db.session.get(Tranche, made["tranche_ids"][0])
        confirmations.confirm_payment(
            tranche, paid_on=bureau_today(), bank_reference="WALL-E2E-0001", actor=officer
        )
        db.session.commit()


def test_supervisor_watches_the_wall_move(
    app, demo, page, browser, live_server, sign_in, screenshot
):
    with app.app_context():
        world = build_wall_world()
    yellow_id = add_yellow_task(app, world)

    sign_in(page, SUPERVISOR)
    page.goto("/tasks/?lang=en")
    expect(page.locator(".wall-card")).to_have_count(3)
    for colour, word in (
        ("red", "Overdue"),
        ("yellow", "Behind or due soon"),
        ("green", "On schedule"),
    ):
        card = page.locator(f".wall-card--{colour}")
        expect(card).to_have_count(1)
        expect(card.locator(".wall-status")).to_contain_text(word)
    screenshot(page, "wall-1280")

    # An award made final moves the red task's "firms finally awarded".
    before = int(gauge_value(page, world.red_task_id, "Firms finally awarded"))
    make_award_final(app)
    page.reload()
    assert int(gauge_value(page, world.red_task_id, "Firms finally awarded")) == before + 1

    # A payment recorded moves the yellow task's "money paid" (120 万元 of 1,200,000 yuan).
    assert Decimal(gauge_value(page, yellow_id, "Money paid").replace(",", "")) == 0
    record_payment(app)
    page.reload()
    assert Decimal(gauge_value(page, yellow_id, "Money paid").replace(",", "")) == Decimal(120)

    # The meeting room's screen: no navigation, a meta refresh, the time of the data.
    page.set_viewport_size({"width": 1920, "height": 1080})
    page.goto("/tasks/?screen=1")
    assert page.locator("nav, .site-nav, .masthead").count() == 0
    refresh = page.locator("meta[http-equiv='refresh']")
    expect(refresh).to_have_attribute("content", "300")
    expect(page.locator(".wall-screen__time")).to_contain_text("Data as of")
    expect(page.locator(".wall-card")).to_have_count(3)
    screenshot(page, "wall-screen-1920")

    # The views on a phone: nothing sticks out sideways.
    context = browser.new_context(
        base_url=live_server,
        locale="zh-CN",
        viewport={"width": 390, "height": 844},
        is_mobile=True,
        has_touch=True,
    )
    try:
        phone = context.new_page()
        sign_in(phone, SUPERVISOR)
        for path, name in (
            ("/tasks/", "wall-390"),
            ("/tasks/timeline", "timeline-390"),
            ("/tasks/responsibility", "responsibility-390"),
            ("/home", "supervision-desk-390"),
        ):
            phone.goto(path)
            fit = measure(phone)
            assert fit.fits, (path, fit.describe())
            screenshot(phone, name)
        phone.goto("/tasks/")
        widths = phone.locator(".wall-card").evaluate_all("cards => cards.map(c => c.offsetLeft)")
        assert len(set(widths)) == 1  # one column
    finally:
        context.close()

    page.set_viewport_size({"width": 1280, "height": 900})
    for path, name in (
        ("/tasks/timeline", "timeline-1280"),
        ("/tasks/responsibility", "responsibility-1280"),
        ("/home", "supervision-desk-1280"),
    ):
        page.goto(path)
        assert re.search(r"Timeline|Responsibility|Supervision desk", page.content())
        screenshot(page, name)
