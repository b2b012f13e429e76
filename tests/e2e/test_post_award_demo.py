"""After a fresh `seed-demo` (applications and the post-award stage): ent5's overdue report and
ent4's recovery ban are explained on a programme page, while ent1, the main demo firm, is
blocked by neither."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from portal.core.extensions import db
from portal.demo_applications import KEY, seed_demo
from portal.demo_post_award import seed_post_award


@pytest.fixture
def seeded(app) -> None:
    with app.app_context():
        seed_demo(log=lambda _line: None)
        db.session.commit()
        seed_post_award(log=lambda _line: None)
        db.session.commit()


def test_blocks_are_explained_on_the_blocked_firms_pages_only(seeded, page, sign_in, screenshot):
    sign_in(page, "ent5@example.com")
    page.goto(f"/programmes/{KEY}")
    main = page.locator("main")
    expect(main).to_contain_text("应于 2026-07-16 前提交")  # the overdue progress report
    expect(main.locator("button", has_text="开始申报")).to_have_count(0)
    screenshot(page, "demo-ent5-overdue-report")

    page.context.clear_cookies()
    sign_in(page, "ent4@example.com")
    page.goto(f"/programmes/{KEY}")
    expect(page.locator("main")).to_contain_text("阜科追〔")  # the ban, with its notice
    screenshot(page, "demo-ent4-ban")

    page.context.clear_cookies()
    sign_in(page, "ent1@example.com")
    page.goto(f"/programmes/{KEY}")
    expect(page.locator("main")).not_to_contain_text("前提交")
    expect(page.locator("main")).not_to_contain_text("阜科追〔")
