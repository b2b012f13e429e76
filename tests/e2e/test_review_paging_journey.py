"""An officer pages through a programme's applications in review and back: "Next" twice, then
"Previous" twice lands on the first page again, each page showing the rows it showed going
forward; the pages fit a 390 px phone."""

from __future__ import annotations

import re

from playwright.sync_api import Page, expect
from sqlalchemy import select

from portal.applications.models import Status
from portal.core.extensions import db
from portal.programs.models import Program
from tests.e2e.phone import measure
from tests.helpers import add_bare_applications

KEY = "key-above-size-2026"
OFFICER = "officer@example.com"


def references(page: Page) -> list[str]:
    # each row names its reference twice (the link and its tick box's label)
    found = re.findall(r"PG-\d{4}", page.locator("table").first.inner_text())
    return list(dict.fromkeys(found))


def test_officer_pages_forward_and_back_through_the_review_overview(app, demo, page: Page, sign_in):
    add_bare_applications(app, KEY, 120, status=Status.EXPERT_REVIEW, prefix="PG")
    with app.app_context():
        program_id = db.session.scalar(select(Program.id).where(Program.code == KEY))
    sign_in(page, OFFICER)
    page.goto(f"/staff/review/programmes/{program_id}")
    pagination = page.get_by_role("navigation", name=re.compile("Pages of applications|申报分页"))
    first = references(page)
    assert len(first) == 50
    pagination.get_by_role("link", name=re.compile("^(Next|下一页)$")).click()
    second = references(page)
    pagination.get_by_role("link", name=re.compile("^(Next|下一页)$")).click()
    assert len(references(page)) == 20
    pagination.get_by_role("link", name=re.compile("^(Previous|上一页)$")).click()
    assert references(page) == second
    page.set_viewport_size({"width": 390, "height": 844})
    page.reload()
    fit = measure(page)
    assert fit.fits, fit.describe()
    page.set_viewport_size({"width": 1280, "height": 900})
    pagination.get_by_role("link", name=re.compile("^(Previous|上一页)$")).click()
    assert references(page) == first
    expect(pagination.get_by_role("link", name=re.compile("^(Previous|上一页)$"))).to_have_count(0)
