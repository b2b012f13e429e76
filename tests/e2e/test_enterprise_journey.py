"""An enterprise registers, finishes by the emailed link, works in both languages, signs out
and back in; a mistyped code is refused with a reason the user can act on."""

from __future__ import annotations

import email
import re
from email.policy import default as default_policy

import pytest
from playwright.sync_api import Page, expect

COMPANY = "阜新星河光电科技有限公司"
USCC = "914403001922038216"
USCC_WRONG_CHECK = "914403001922038217"  # the check character should be 6
EMAIL = "xinghe@example.com"
PASSWORD = "Xinghe-Portal-2026"

HOME_URL = re.compile(r"/home$")
LOGIN_URL = re.compile(r"/login$")


def fill_registration(page: Page, *, uscc: str) -> None:
    page.goto("/register")
    page.locator("#company_name").fill(COMPANY)
    page.locator("#uscc").fill(uscc)
    page.locator("#contact_person").fill("周明")
    page.locator("#mobile").fill("138 0418 0099")
    page.locator("#email").fill(EMAIL)
    page.locator("#password").fill(PASSWORD)
    page.locator("#password_confirm").fill(PASSWORD)
    page.get_by_role("button", name="创建账号").click()


@pytest.fixture
def app_config(app_config, smtp) -> dict:
    return {**app_config, "SMTP_HOST": "127.0.0.1", "SMTP_PORT": smtp[1]}


def test_register_sign_in_and_switch_language(page: Page, smtp, sign_in, screenshot):
    fill_registration(page, uscc=USCC)

    # Registered, in Chinese: the account works once the link mailed to the address is followed.
    expect(page.locator("h1")).to_have_text("请查收邮件以完成注册")
    expect(page.locator("html")).to_have_attribute("lang", "zh-CN")
    (envelope,) = smtp[0].envelopes
    message = email.message_from_bytes(envelope.original_content, policy=default_policy)
    body = message.get_body(preferencelist=("plain",)).get_content()
    link = re.search(r"http://127\.0\.0\.1:5000(/register/confirm/\S+)", body).group(1)
    page.goto(link)
    page.get_by_role("button", name="完成注册").click()
    expect(page).to_have_url(LOGIN_URL)
    expect(page.get_by_role("status")).to_contain_text("注册已完成")
    sign_in(page, EMAIL, PASSWORD)

    # Signed in, in Chinese: the firm's own home page.
    expect(page).to_have_url(HOME_URL)
    expect(page.locator("html")).to_have_attribute("lang", "zh-CN")
    expect(page.locator("h1")).to_have_text(COMPANY)
    expect(page.locator("main")).to_contain_text(USCC)
    expect(page.locator("main")).to_contain_text("13804180099")  # normalised mobile number
    expect(page.get_by_role("button", name="退出登录")).to_be_visible()
    screenshot(page, "enterprise-home")

    # English: the same page, English navigation and lang attribute.
    page.locator("button[name=locale][value=en]").click()
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page).to_have_url(HOME_URL)
    expect(page.get_by_role("button", name="Sign out")).to_be_visible()
    expect(page.get_by_role("navigation", name="Main navigation")).to_contain_text("My enterprise")
    expect(page.locator("h1")).to_have_text(COMPANY)
    expect(page.locator("main")).to_contain_text("Unified social credit code")

    # Sign out: back on the landing page, still in English.
    page.get_by_role("button", name="Sign out").click()
    expect(page.get_by_role("status")).to_have_text("You have signed out.")
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.get_by_role("button", name="Sign out")).to_have_count(0)

    # A browser that knows nothing of the earlier visit starts in Chinese ...
    page.context.clear_cookies()
    page.goto("/login")
    expect(page.locator("html")).to_have_attribute("lang", "zh-CN")

    # ... and signing in brings back the language this account chose.
    sign_in(page, EMAIL, PASSWORD)
    expect(page).to_have_url(HOME_URL)
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.locator("h1")).to_have_text(COMPANY)
    expect(page.locator("main")).to_contain_text(USCC)
    expect(page.get_by_role("button", name="Sign out")).to_be_visible()

    # Back to Chinese.
    page.locator("button[name=locale][value=zh_CN]").click()
    expect(page.locator("html")).to_have_attribute("lang", "zh-CN")
    expect(page).to_have_url(HOME_URL)
    expect(page.get_by_role("button", name="退出登录")).to_be_visible()
    expect(page.locator("main")).to_contain_text("统一社会信用代码")


def test_wrong_uscc_is_refused_with_a_reason(page: Page, sign_in, screenshot):
    fill_registration(page, uscc=USCC_WRONG_CHECK)

    # Still on the form, with the reason beside the field and the typed values kept.
    error = page.locator("#uscc-error")
    expect(error).to_be_visible()
    expect(error).to_contain_text("“6”")
    expect(error).to_contain_text("校验码")
    expect(page).to_have_url(re.compile(r"/register$"))
    expect(page.locator("#uscc")).to_have_attribute("aria-invalid", "true")
    expect(page.locator("#uscc")).to_have_attribute("aria-describedby", re.compile("uscc-error"))
    expect(page.locator("#uscc")).to_have_value(USCC_WRONG_CHECK)
    expect(page.locator("#company_name")).to_have_value(COMPANY)
    expect(page.locator("#email")).to_have_value(EMAIL)
    expect(page.locator("#company_name")).not_to_have_attribute("aria-invalid", "true")
    summary = page.get_by_role("alert")
    expect(summary).to_contain_text("请修正以下问题")
    expect(summary.get_by_role("link", name=re.compile("统一社会信用代码"))).to_be_visible()
    screenshot(page, "register-uscc-error")

    # Nothing was registered: that email and password do not sign in.
    sign_in(page, EMAIL, PASSWORD)
    expect(page.get_by_role("alert")).to_contain_text("电子邮箱或密码不正确")
    expect(page).to_have_url(LOGIN_URL)
    page.goto("/home")
    expect(page).to_have_url(re.compile(r"/login\?next=%2Fhome$"))
