"""Assignment in one go, as an officer does it: on one application's review page two reviewers
are ticked (each shown with expertise and open reviews) and assigned in one submit; on the
programme's review page a submit with nothing ticked is refused beside the list, then "select
all on this page" and "assign automatically" give every ticked application its reviewers,
load-balanced. Both pages fit a 390 px phone."""

from __future__ import annotations

from playwright.sync_api import Page, expect
from sqlalchemy import func, select

from portal.applications.models import Application, Status
from portal.core.extensions import db
from portal.programs.models import Program
from portal.review.models import Assignment, AssignmentStatus
from tests.e2e.conftest import save_screenshot
from tests.e2e.phone import measure
from tests.helpers import add_bare_applications

KEY = "key-above-size-2026"
OFFICER = "officer@example.com"


def shoot(page: Page, name: str) -> None:
    save_screenshot(page, f"assign-{name}")


def fits_a_phone(page: Page, name: str) -> None:
    size = page.viewport_size
    page.set_viewport_size({"width": 390, "height": 844})
    page.reload()
    fit = measure(page)
    shoot(page, f"{name}-390")
    assert fit.fits, fit.describe()
    page.set_viewport_size(size or {"width": 1280, "height": 900})
    page.reload()


def reviewers_of(app, application_id: int) -> int:
    with app.app_context():
        return db.session.scalar(
            select(func.count()).where(
                Assignment.application_id == application_id,
                Assignment.status == AssignmentStatus.ASSIGNED,
            )
        )


def test_officer_assigns_several_reviewers_and_applications_in_one_go(
    app, demo, page: Page, sign_in
):
    ids = add_bare_applications(app, KEY, 4, status=Status.EXPERT_REVIEW, prefix="BULK")
    with app.app_context():
        program_id = db.session.scalar(select(Program.id).where(Program.code == KEY))
    sign_in(page, OFFICER)
    page.goto(f"/staff/review/applications/{ids[0]}")
    page.locator("button[name=locale][value=en]").click()

    # One application: two reviewers ticked, each with expertise and load, assigned at once.
    assign = page.locator("section#assign")
    expect(assign.locator("legend")).to_have_text("Reviewers")
    li = assign.locator("tr.ra-candidate").filter(has_text="Expert Li")
    expect(li).to_contain_text("氟化工 Fluorochemicals")
    expect(li.locator("td[data-label='Open reviews']")).to_have_text("0")
    li.locator("input[type=checkbox]").check()
    assign.locator("tr.ra-candidate").filter(has_text="Expert Zhao").locator("input").check()
    shoot(page, "application-ticked-1280")
    assign.locator("button", has_text="Assign the chosen reviewers").click()
    expect(page.locator(".flash--success")).to_contain_text("2 reviewers are assigned")
    assert reviewers_of(app, ids[0]) == 2
    shoot(page, "application-assigned-1280")
    fits_a_phone(page, "application")

    # The programme: nothing ticked is refused beside the list, nothing written.
    page.goto(f"/staff/review/programmes/{program_id}")
    page.locator("button", has_text="Assign automatically to the ticked applications").click()
    expect(page.locator("#application_id .field__error")).to_contain_text(
        "Choose at least one application."
    )
    shoot(page, "programme-refused-1280")

    # Select all on this page, then assign automatically.
    page.get_by_role("link", name="Select all 3 on this page that lack reviewers").click()
    ticks = page.locator("input[name=application_id]")
    expect(ticks).to_have_count(3)
    for index in range(3):
        expect(ticks.nth(index)).to_be_checked()
    shoot(page, "programme-selected-1280")
    fits_a_phone(page, "programme")
    page.locator("button", has_text="Assign automatically to the ticked applications").click()
    expect(page.locator(".flash--success")).to_contain_text("6 reviewers assigned automatically")
    assert all(reviewers_of(app, i) == 2 for i in ids)
    with app.app_context():
        loads = dict(
            db.session.execute(
                select(Assignment.reviewer_id, func.count())
                .join(Application, Application.id == Assignment.application_id)
                .where(Application.id.in_(ids))
                .group_by(Assignment.reviewer_id)
            ).all()
        )
    assert max(loads.values()) - min(loads.values()) <= 1  # 8 reviews over 3 reviewers
    expect(page.locator("input[name=application_id]")).to_have_count(0)
    shoot(page, "programme-assigned-1280")
