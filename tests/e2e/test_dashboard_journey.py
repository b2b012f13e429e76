"""The officer opens the dashboard and reads where each programme of the year stands: its
applications by status, its awards against the budget, its expert reviews, and the days left,
as bars and as figures. Visible texts are asserted in English (the officer switches first)."""

from __future__ import annotations

import json
import re
from decimal import Decimal

import jsonschema
from playwright.sync_api import Locator, Page, expect

from portal.applications.models import Status
from portal.core.paths import PROJECT_ROOT
from tests.helpers import add_bare_applications
from tests.integration.test_dashboard import (
    KEY,
    KEY_COUNTS,
    KEY_FINAL,
    KEY_PROPOSED,
    KEY_PUBLICITY,
    KEY_REQUESTED,
    build_year,
)
from tests.integration.test_decisions import make_application, make_firm

OFFICER = "officer@example.com"
PROGRAMMES = {
    "young-eagle-gazelle-2026": "Young-eagle and gazelle supplementary support",
    "rd-post-subsidy-2026": "R&D investment post-subsidy",
    KEY: "Key above-size enterprise selection",
    "fluorine-digital-2026": "Fluorine park digital-transformation post-subsidy",
}


def use_english(page: Page) -> None:
    page.locator("button[name=locale][value=en]").click()
    expect(page.locator("html")).to_have_attribute("lang", "en")


def stat(page: Page, label: str) -> Locator:
    return (
        page.locator(".stat")
        .filter(has=page.locator(".stat__label", has_text=re.compile(f"^{re.escape(label)}$")))
        .locator(".stat__value")
    )


def figure(card: Locator, name: str) -> Locator:
    return card.locator(f"tr[data-figure={name}] td")


def add_more(app) -> None:
    """A few applications in the two other programmes, so that every card has some."""
    add_bare_applications(app, "young-eagle-gazelle-2026", 4, status=Status.SUBMITTED)
    add_bare_applications(app, "fluorine-digital-2026", 3, status=Status.FORMAL_CHECK)
    make_application(
        app,
        "young-eagle-gazelle-2026",
        make_firm(app, 60),
        status=Status.DECIDED,
        requested="300000",
        decision="approve",
        decided_amount=Decimal("300000"),
    )


def test_officer_reads_the_dashboard(page: Page, demo, sign_in, screenshot, tmp_path):
    build_year(demo)
    add_more(demo)
    sign_in(page, OFFICER)
    expect(page.locator("form[action$='/logout'] button[type=submit]")).to_be_visible()
    use_english(page)

    page.goto("/staff/dashboard")
    expect(page.locator("h1")).to_have_text("Programme dashboard")
    expect(stat(page, "Programmes")).to_have_text("4")
    expect(stat(page, "Applications received")).to_have_text("23")  # 13 + 2 + 5 + 3
    expect(stat(page, "Budget (yuan)")).to_have_text("23,000,000.00")
    expect(stat(page, "Final awards (yuan)")).to_have_text("1,200,000.00")
    expect(stat(page, "Overdue reviews")).to_have_text("2")

    cards = page.locator("article.db-card")
    expect(cards).to_have_count(4)
    for code, name in PROGRAMMES.items():
        card = page.locator(f"article#programme-{code}")
        expect(card.locator("h2")).to_have_text(name)
        # Demo programmes close 60 days after they are seeded.
        expect(card.locator(".db-when")).to_have_text("60 days left")
        expect(card.locator("svg.db-bar[id^=bar-budget-]")).to_be_visible()
        expect(card.locator("svg.db-bar[id^=bar-statuses-]")).to_be_visible()

    key = page.locator(f"article#programme-{KEY}")
    expect(key.locator(".db-legend__item")).to_have_count(len(KEY_COUNTS))
    expect(key.locator(".db-legend__item[data-status=submitted]")).to_contain_text("Submitted")
    expect(key.locator(".db-legend__item[data-status=submitted] .db-legend__value")).to_have_text(
        "3"
    )
    expect(figure(key, "requested")).to_have_text(KEY_REQUESTED)
    expect(figure(key, "proposed")).to_have_text(KEY_PROPOSED)
    expect(figure(key, "publicity")).to_have_text(KEY_PUBLICITY)
    expect(figure(key, "final")).to_have_text(KEY_FINAL)
    expect(key.locator(".db-part__figure").nth(2)).to_have_text("3 / 7 reviews submitted")
    expect(figure(key, "overdue")).to_have_text("2")
    statuses = key.locator("svg[id^=bar-statuses-]")
    expect(statuses).to_have_attribute("role", "img")
    expect(statuses).to_have_attribute(
        "aria-label", "Applications by status: Key above-size enterprise selection"
    )
    expect(statuses.locator("rect.db-seg")).to_have_count(len(KEY_COUNTS))
    # The bar really is drawn: the awarded part is green and has width on the page.
    awarded = statuses.locator("rect.db-seg--awarded")
    assert awarded.evaluate("e => getComputedStyle(e).fill") == "rgb(30, 122, 60)"
    assert awarded.bounding_box()["width"] > 10
    expect(key.locator("svg[id^=bar-reviews-] rect.db-seg--review-overdue")).to_have_count(1)

    rd = page.locator("article#programme-rd-post-subsidy-2026")
    expect(rd.locator(".db-part").nth(2)).to_contain_text("No expert review")

    # The table of every programme, with its totals.
    total = page.locator("tr[data-programme=total]")
    expect(total.locator("td").nth(1)).to_have_text("23")
    expect(total.locator("td").nth(5)).to_have_text("700,000.25")  # in publicity
    expect(total.locator("td").nth(6)).to_have_text("1,200,000.00")  # final
    screenshot(page, "dashboard-officer")

    # The programme's name leads to its ranked list of decisions.
    key.locator("h2 a").click()
    expect(page).to_have_url(re.compile(r"/staff/decisions/programmes/\d+$"))
    expect(page.locator("h1")).to_contain_text("Key above-size enterprise selection")

    # From the dashboard to the exports: the open data of final awards, as published.
    page.get_by_role("navigation", name="Main navigation").get_by_role(
        "link", name="Exports", exact=True
    ).click()
    expect(page.locator("h1")).to_have_text("Exports")
    with page.expect_download() as download:
        page.get_by_role("button", name="Download open data (JSON)").click()
    path = tmp_path / "awards.json"
    download.value.save_as(path)
    grants = json.loads(path.read_text("utf-8"))["grants"]
    schema = json.loads((PROJECT_ROOT / "tests/schemas/open_data_grants.json").read_text("utf-8"))
    jsonschema.validate({"grants": grants}, schema)
    assert all(grant["currency"] == "CNY" for grant in grants)
