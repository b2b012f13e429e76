"""Staff accounts sign in to their own home pages; repeated wrong passwords lock an account."""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import Page, expect

BUREAU_ZONE = ZoneInfo("Asia/Shanghai")
HOME_URL = re.compile(r"/home$")
LOGIN_URL = re.compile(r"/login$")


@pytest.mark.parametrize(
    ("email", "heading"),
    [
        ("officer@example.com", "审核工作台"),
        ("reviewer1@example.com", "我的评审"),
        ("admin@example.com", "系统管理"),
    ],
    ids=["officer", "reviewer", "admin"],
)
def test_each_demo_staff_account_signs_in_to_its_own_home(
    page: Page, demo, sign_in, email, heading
):
    sign_in(page, email)
    expect(page).to_have_url(HOME_URL)
    expect(page.locator("h1")).to_have_text(heading)
    expect(page.get_by_role("button", name="退出登录")).to_be_visible()
    expect(page.get_by_role("link", name="账号管理")).to_have_count(
        1 if email == "admin@example.com" else 0
    )

    if email == "admin@example.com":
        page.get_by_role("link", name="账号管理").click()
        expect(page).to_have_url(re.compile(r"/admin/accounts$"))
        expect(page.locator("h1")).to_have_text("账号管理")
        expect(page.get_by_role("cell", name="reviewer2@example.com", exact=True)).to_be_visible()
        expect(page.get_by_role("cell", name="赵专家 Expert Zhao", exact=True)).to_be_visible()
    else:
        # Staff other than admins are refused the admin pages.
        page.goto("/admin/accounts")
        expect(page.locator("h1")).to_have_text("无权操作")


def test_lockout_message(page: Page, demo, sign_in):
    max_failures = demo.config["LOGIN_MAX_FAILURES"]
    lockout = timedelta(minutes=demo.config["LOGIN_LOCKOUT_MINUTES"])
    assert max_failures == 5

    for _ in range(max_failures - 1):
        sign_in(page, "ent2@example.com", "not-the-password")
        # The password field comes back empty once the refusal page has loaded.
        expect(page.locator("#password")).to_have_value("")
        expect(page.get_by_role("alert")).to_contain_text("电子邮箱或密码不正确")
        expect(page.get_by_role("alert")).not_to_contain_text("锁定")

    before = datetime.now(BUREAU_ZONE).replace(tzinfo=None)
    sign_in(page, "ent2@example.com", "not-the-password")
    expect(page.locator("#password")).to_have_value("")
    after = datetime.now(BUREAU_ZONE).replace(tzinfo=None)
    alert = page.get_by_role("alert")
    expect(alert).to_contain_text("登录失败次数过多，该账号已被锁定")
    expect(alert).to_contain_text(re.compile(r"请于 \d{4}-\d{2}-\d{2} \d{2}:\d{2} 后重试"))
    expect(page).to_have_url(LOGIN_URL)

    # The time shown is the bureau's local time, a lockout period from now.
    shown = re.search(r"\d{4}-\d{2}-\d{2} \d{2}:\d{2}", alert.inner_text()).group(0)
    until = datetime.strptime(shown, "%Y-%m-%d %H:%M")
    assert before + lockout - timedelta(minutes=1) < until <= after + lockout, (shown, before)

    # While locked, even the right password is refused with the same message.
    sign_in(page, "ent2@example.com")
    expect(page.locator("#password")).to_have_value("")
    expect(page.get_by_role("alert")).to_contain_text(f"请于 {shown} 后重试")
    expect(page).to_have_url(LOGIN_URL)
