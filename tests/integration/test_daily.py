"""Small things met every day: one countdown rule on every page, "Save and continue" going to
the next section, file inputs named after their documents, no duplicate ids on the firm's
section pages."""

from __future__ import annotations

import html
import re
from collections import Counter
from datetime import UTC, datetime, timedelta

import pytest

from portal.core.timeutil import BUREAU_ZONE, stopped_clock
from portal.programs import calendar
from tests.helpers import sign_in, use_english
from tests.integration.test_applications import _complete, _start
from tests.integration.test_decisions import set_program

RD = "rd-post-subsidy-2026"

# 18:00 in Shanghai on 2 December; the programme closes at 17:00 in Shanghai on 31 January:
# 59 days and 23 hours away, 60 calendar days.
NOW = datetime(2026, 12, 2, 18, 0, tzinfo=BUREAU_ZONE)
CLOSES = datetime(2027, 1, 31, 17, 0, tzinfo=BUREAU_ZONE)


def text_of(page: str) -> str:
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", page)).split())


def duplicate_ids(page: str) -> list[str]:
    counts = Counter(re.findall(r'\sid="([^"]+)"', page))
    return [name for name, count in counts.items() if count > 1]


# --- the countdown ----------------------------------------------------------------------------


def test_days_left_are_calendar_days_in_shanghai():
    assert calendar.days_left(CLOSES, NOW) == 60
    # A second before midnight and at midnight in Shanghai: the count moves at midnight only.
    before_midnight = datetime(2026, 12, 2, 23, 59, 59, tzinfo=BUREAU_ZONE)
    assert calendar.days_left(CLOSES, before_midnight) == 60
    assert calendar.days_left(CLOSES, before_midnight + timedelta(seconds=1)) == 59
    # The closing day: "closes today" (0) until the moment; 0 after it too, and closed.
    closing_day = datetime(2027, 1, 31, 8, 0, tzinfo=BUREAU_ZONE)
    assert calendar.days_left(CLOSES, closing_day) == 0
    assert calendar.window(NOW, CLOSES, closing_day) == {"state": "open", "days": 0, "soon": True}
    assert calendar.window(NOW, CLOSES, CLOSES) == {"state": "closed", "days": 0}
    # Closing at 00:30 in Shanghai tomorrow is one day away, though only an hour.
    late = datetime(2026, 12, 2, 23, 30, tzinfo=BUREAU_ZONE)
    assert calendar.days_left(datetime(2026, 12, 3, 0, 30, tzinfo=BUREAU_ZONE), late) == 1
    # Counted on Shanghai dates, not UTC ones: 07:00 in Shanghai is still yesterday in UTC.
    early = datetime(2026, 12, 2, 23, 0, tzinfo=UTC)  # 07:00 on 3 December in Shanghai
    assert calendar.days_left(CLOSES, early) == 59


def test_every_page_counts_the_same_days_at_the_boundary(app, demo):
    set_program(
        app,
        RD,
        opens_at=NOW - timedelta(days=7),
        closes_at=CLOSES.astimezone(UTC),
    )
    officer = app.test_client()
    sign_in(officer, "officer@example.com")
    use_english(officer)
    firm = app.test_client()
    sign_in(firm, "ent2@example.com")
    use_english(firm)
    visitor = use_english(app.test_client())
    with stopped_clock(NOW):
        pages = {
            "programmes (firm)": firm.get("/programmes"),
            "programmes (public)": visitor.get("/programmes"),
            "programme": firm.get(f"/programmes/{RD}"),
            "dashboard": officer.get("/staff/dashboard"),
        }
    for name, response in pages.items():
        assert response.status_code == 200, name
        text = text_of(response.get_data(as_text=True))
        assert "60 days left" in text, f"{name}: {text[:400]}"
        assert "59 days left" not in text, name


def test_the_closing_day_says_closes_today_on_the_programme_pages(app, demo):
    set_program(app, RD, opens_at=NOW - timedelta(days=7), closes_at=CLOSES.astimezone(UTC))
    firm = app.test_client()
    sign_in(firm, "ent2@example.com")
    use_english(firm)
    with stopped_clock(datetime(2027, 1, 31, 9, 0, tzinfo=BUREAU_ZONE)):
        for url in ("/programmes", f"/programmes/{RD}"):
            text = text_of(firm.get(url).get_data(as_text=True))
            assert "Closes today" in text, url
            assert "0 days left" not in text, url


# --- "Save and continue" ----------------------------------------------------------------------


@pytest.fixture
def firm(client, demo):
    sign_in(client, "ent2@example.com")
    return client


def test_save_and_continue_goes_to_the_next_section_and_the_last_to_check(app, firm):
    application_id = _start(firm)
    base = f"/applications/{application_id}"
    steps = [
        ("summary", {"project_title": "智能产线", "project_summary": "研发投入。"}, "/figures"),
        ("figures", {"confirm_figures": "y"}, "/amount"),
        ("amount", {}, "/documents"),
        (
            "declaration",
            {"declaration_name": "刘洋", "declaration_title": "财务总监", "agree": "y"},
            "/check",
        ),
    ]
    for section, data, then in steps:
        response = firm.post(f"{base}/{section}", data={**data, "then": "continue"})
        assert response.status_code == 302, section
        assert response.headers["Location"] == f"{base}{then}", section
    # The documents page has no form of its own to save: its "Continue" goes on likewise.
    page = firm.get(f"{base}/documents").get_data(as_text=True)
    assert f'<a class="button" href="{base}/declaration">' in page


def test_save_and_come_back_later_goes_to_the_list(app, firm):
    application_id = _start(firm)
    response = firm.post(
        f"/applications/{application_id}/summary",
        data={"project_title": "智能产线", "project_summary": "研发投入。", "then": "leave"},
    )
    assert response.headers["Location"] == "/applications"


def test_a_returned_application_continues_to_the_next_returned_section(app, firm):
    application_id = _start(firm)
    _complete(firm, application_id)
    assert firm.post(f"/applications/{application_id}/submit", data={"confirm": "y"}).status_code
    officer = app.test_client()
    sign_in(officer, "officer@example.com")
    response = officer.post(
        f"/staff/applications/{application_id}/return",
        data={"sections": ["summary", "declaration"], "reason": "请补充项目的预期效益。"},
    )
    assert response.status_code == 302
    base = f"/applications/{application_id}"
    summary = {"project_title": "智能产线（修订）", "project_summary": "补充了效益。"}
    response = firm.post(f"{base}/summary", data={**summary, "then": "continue"})
    assert response.headers["Location"] == f"{base}/declaration"
    declaration = {"declaration_name": "刘洋", "declaration_title": "财务总监", "agree": "y"}
    response = firm.post(f"{base}/declaration", data={**declaration, "then": "continue"})
    assert response.headers["Location"] == f"{base}/check"


# --- the documents page -----------------------------------------------------------------------


def test_each_file_input_is_named_after_its_document(app, firm):
    use_english(firm)
    application_id = _start(firm)
    page = firm.get(f"/applications/{application_id}/documents").get_data(as_text=True)
    labels = re.findall(r'<label class="field__label" for="file-([\w-]+)">([^<]+)</label>', page)
    assert labels, page[:500]
    for key, label in labels:
        name = re.search(rf'<h2 id="doc-{key}">([^<]+)</h2>', page).group(1)
        assert html.unescape(label) == f"Choose the file for {html.unescape(name)}", label
    assert "Choose a file<" not in page
    assert not duplicate_ids(page)


def test_the_firms_section_pages_have_no_duplicate_ids(app, firm):
    application_id = _start(firm)
    for section in ("", "/summary", "/figures", "/amount", "/documents", "/declaration", "/check"):
        page = firm.get(f"/applications/{application_id}{section}").get_data(as_text=True)
        assert not duplicate_ids(page), (section, duplicate_ids(page))
