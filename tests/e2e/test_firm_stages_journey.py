"""The firm follows its application stage by stage in Chromium: formal check, expert review,
the bureau's decision (scaled pro rata and explained), publicity and the letter. At each step
its page marks the current stage (aria-current="step") and says what comes next; at the end
the status page is photographed at desktop width and at 390 px (it must fit the phone).

The officer's steps are taken through the officer's pages in a second browser where they are
simple buttons (the formal check); the expert scores, the decisions and the end of publicity
go through the services, which have browser tests of their own.
"""

from __future__ import annotations

import os
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

from playwright.sync_api import Page, expect
from sqlalchemy import select

from portal.accounts.models import User
from portal.applications import lifecycle
from portal.applications.models import Application, Status
from portal.core.extensions import db
from portal.core.jobs import commit
from portal.core.timeutil import bureau_today
from portal.review import decisions
from portal.review.publicity import advance_publicity
from portal.review.ranking import snapshot_of
from tests.e2e.conftest import ARTIFACTS_DIR
from tests.helpers import submit_application
from tests.integration.test_decisions import KEY, make_application, make_firm, set_program

FIRM = "ent1@example.com"
OFFICER = "officer@example.com"
# Screenshots (PORTAL_SCREENSHOTS=1) go to test-artifacts/firm/, or to $PORTAL_SHOTS_DIR/firm/.
SHOTS = Path(os.environ.get("PORTAL_SHOTS_DIR") or ARTIFACTS_DIR) / "firm"


def use_english(page: Page) -> None:
    page.locator("button[name=locale][value=en]").click()
    expect(page.locator("html")).to_have_attribute("lang", "en")


def shoot(page: Page, name: str) -> None:
    """The page at desktop width and at 390 px, which it must fit (and full-page screenshots
    of both when PORTAL_SCREENSHOTS=1)."""
    keep = os.environ.get("PORTAL_SCREENSHOTS") == "1"
    if keep:
        SHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SHOTS / f"{name}-desktop.png"), full_page=True)
    page.set_viewport_size({"width": 390, "height": 844})
    page.reload()
    width = page.evaluate("document.documentElement.scrollWidth")
    if keep:
        page.screenshot(path=str(SHOTS / f"{name}-390.png"), full_page=True)
    page.set_viewport_size({"width": 1280, "height": 900})
    assert width <= 390, f"{name}: the page is {width} px wide at 390 px"


def expect_current(page: Page, stage: str) -> None:
    current = page.locator('.stages__list [aria-current="step"]')
    expect(current).to_have_count(1)
    expect(current).to_have_attribute("data-stage", stage)


def as_officer(app):
    with app.app_context():
        return db.session.scalar(select(User).where(User.email == OFFICER))


def decide_and_release(app, application_id: int) -> None:
    """Approve this application and another firm's at 500,000 yuan each in a programme whose
    budget of 800,000 covers 80 % of them; release both (each scaled to 400,000)."""
    set_program(app, KEY, pro_rata=True, budget=Decimal("800000"))
    other = make_application(app, KEY, make_firm(app, 7), score="75", formula=None)
    with app.test_request_context():
        officer = as_officer(app)
        for target in (application_id, other):
            application = db.session.get(Application, target)
            decisions.record_decision(
                application,
                decisions.Choice(decisions.APPROVE, Decimal("500000")),
                actor=officer,
                seen_lock_version=application.lock_version,
                seen_decision=application.decision,
            )
        program = db.session.get(Application, application_id).program
        pending = db.session.scalars(
            select(Application)
            .where(Application.program_id == program.id, Application.status == Status.DECIDED)
            .order_by(Application.id)
        ).all()
        decisions.release_decisions(program, actor=officer, snapshot=snapshot_of(list(pending)))
        commit()


def test_a_firm_follows_its_application_to_its_letter(app, demo, page: Page, new_page, sign_in):
    app.config["WTF_CSRF_ENABLED"] = False  # the firm's filling-in has its own browser test
    try:
        application_id = submit_application(app, FIRM, KEY)
    finally:
        app.config["WTF_CSRF_ENABLED"] = True
    url = f"/applications/{application_id}"

    sign_in(page, FIRM)
    use_english(page)
    page.goto(url)
    stages = page.locator(".stages__list > li")
    expect(stages).to_have_count(7)
    expect(page.locator(".stages h2")).to_have_text("Where your application is")
    expect_current(page, "formal_check")
    expect(page.locator('[data-stage="submitted"]')).to_contain_text(bureau_today().isoformat())
    expect(page.locator(".stages__next")).to_contain_text("formal check")

    # The officer passes the formal check on the officer's page.
    officer = new_page()
    sign_in(officer, OFFICER)
    officer.goto(f"/staff/applications/{application_id}")
    officer.locator(f'form[action$="/{application_id}/pass-check"] button').click()
    expect(officer.locator(".flash, .notice, [role=status]").first).to_be_visible()

    page.reload()
    expect_current(page, "expert_review")
    expect(page.locator('[data-stage="formal_check"]')).to_contain_text("Passed")
    expect(page.locator(".timeline")).to_contain_text("Formal check passed: expert review next")

    # The experts finish (scores stay with the bureau).
    with app.app_context():
        application = db.session.get(Application, application_id)
        application.final_score = Decimal("88.00")
        lifecycle.transition(application, "reviews_complete", actor=None)
        db.session.commit()
    page.reload()
    expect_current(page, "decision")
    expect(page.locator(".timeline")).to_contain_text("Expert review finished")
    expect(page.locator("main")).not_to_contain_text("88")
    expect(page.locator(".amount-explained")).to_have_count(0)

    decide_and_release(app, application_id)
    page.reload()
    expect_current(page, "publicity")
    expect(page.locator('[data-stage="decision"]')).to_contain_text("Proposed for support")
    explained = page.locator(".amount-explained")
    expect(explained).to_contain_text("0.8")
    expect(explained).to_contain_text("80.00 %")
    expect(explained).to_contain_text("400,000.00")
    expect(explained).to_contain_text("rounded down to the nearest 100 yuan")
    expect(page.locator(".stages__next")).to_contain_text("publicity ends on")
    shoot(page, "status-publicity")

    with app.app_context():
        assert advance_publicity(bureau_today() + timedelta(days=30)) == 2
        commit()
    page.reload()
    # the letter is issued; the money comes next, after the funding agreement
    expect(page.locator('.stages__list [aria-current="step"]')).to_have_attribute(
        "data-stage", "payment"
    )
    expect(page.locator('[data-stage="letter"]')).to_contain_text("Letter issued")
    expect(page.locator(".stages__next")).to_contain_text("accept the funding agreement")
    expect(page.locator(".timeline")).to_contain_text("Publicity ended: the award is final")
    shoot(page, "status-final")

    # And in Chinese: the stage names the bureau uses.
    page.locator("button[name=locale][value=zh_CN]").click()
    expect(page.locator("html")).to_have_attribute("lang", "zh-CN")
    expect(page.locator('[data-stage="formal_check"] .stage__name')).to_have_text("形式审查")
    shoot(page, "status-final-zh")

    # Its answers, read back, fit the phone too.
    page.goto(f"{url}/check")
    expect(page.locator("h1")).to_be_visible()
    shoot(page, "answers-zh")
