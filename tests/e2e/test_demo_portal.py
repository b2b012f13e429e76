"""A freshly seeded demo portal is alive: the officer's queue has work in it, and a firm finds
its application with its decision letter (`flask seed-demo`, as `make run` does)."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from portal.accounts.models import Enterprise
from portal.applications.models import Application, Status
from portal.core.extensions import db
from portal.demo_applications import RD
from portal.programs.models import Program
from tests.demo_snapshot import APPLICATIONS


@pytest.fixture
def seeded(app, demo_snapshots) -> dict[str, int]:
    """The demo seeded on this test's database (once a worker, then copied:
    tests/demo_snapshot.py); the ids of the applications looked at."""
    demo_snapshots.fill(app, APPLICATIONS)
    with app.app_context():
        rd_of_ent1 = db.session.scalar(
            select(Application.id)
            .join(Enterprise, Enterprise.id == Application.enterprise_id)
            .join(Program, Program.id == Application.program_id)
            .where(Program.code == RD, Enterprise.contact_person == "张伟")
        )
        waiting = db.session.scalar(
            select(Application.id).where(Application.status == Status.SUBMITTED).limit(1)
        )
    return {"award": rd_of_ent1, "waiting": waiting}


def test_the_officer_finds_work_in_the_queue(seeded, page, sign_in, screenshot):
    sign_in(page, "officer@example.com")
    page.goto("/staff/applications")
    queue = page.locator("table.desk-queue tbody")
    expect(queue).to_contain_text("阜新智造装备股份有限公司")
    expect(queue).to_contain_text("阜新云数软件科技有限公司")
    assert queue.locator("tr").count() >= 5
    screenshot(page, "demo-officer-queue")
    page.goto(f"/staff/applications/{seeded['waiting']}")
    expect(page.locator("main")).to_contain_text("阜新")


def test_a_firm_sees_its_award_with_the_letter(seeded, page, sign_in, screenshot):
    sign_in(page, "ent1@example.com")
    page.goto("/applications")
    expect(page.locator("main")).to_contain_text("企业研发投入后补助")
    page.goto(f"/applications/{seeded['award']}")
    letters = page.locator("#letters")
    expect(letters).to_contain_text("阜科发")
    link = letters.locator("a[download]").first
    expect(link).to_be_visible()
    response = page.request.get(link.get_attribute("href"))
    assert response.ok and response.body().startswith(b"%PDF")
    screenshot(page, "demo-firm-award")
    page.set_viewport_size({"width": 390, "height": 844})
    page.reload()
    expect(page.locator("#letters")).to_contain_text("阜科发")
    screenshot(page, "demo-firm-award-390")
