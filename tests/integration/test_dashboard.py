"""The officers' dashboard: the figures of every programme of the year, the geometry of its
bars, the days left, who may see it, and a query count that does not grow with the data."""

from __future__ import annotations

import html
import itertools
import re
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import event, select

from portal.accounts.models import User
from portal.applications.models import Status
from portal.core.extensions import db
from portal.core.timeutil import bureau_today, utcnow
from portal.programs.models import Program
from portal.reporting import charts
from portal.reporting import dashboard as services
from portal.review.models import Assignment, AssignmentStatus
from tests.helpers import add_bare_applications, sign_in, sql_statements
from tests.integration.test_decisions import (
    make_application,
    make_firm,
    officer_client,
    set_program,
)

KEY = "key-above-size-2026"  # budget 9,000,000, two reviewers per application
RD = "rd-post-subsidy-2026"  # budget 5,000,000, no expert review
EAGLE = "young-eagle-gazelle-2026"  # budget 3,000,000, no expert review
FLUORINE = "fluorine-digital-2026"  # budget 6,000,000, two reviewers per application
URL = "/staff/dashboard"

# The key programme's applications: (status, requested, decision, decided amount).
KEY_APPLICATIONS = [
    ("draft", Status.DRAFT, "100000", None, None),
    ("draft2", Status.DRAFT, "100000", None, None),
    ("withdrawn", Status.WITHDRAWN, "50000", None, None),
    ("submitted", Status.SUBMITTED, "200000", None, None),
    ("submitted2", Status.SUBMITTED, "200000", None, None),
    ("submitted3", Status.SUBMITTED, "200000", None, None),
    ("returned", Status.RETURNED, "10000.50", None, None),
    ("review_a", Status.EXPERT_REVIEW, "300000", None, None),
    ("review_b", Status.EXPERT_REVIEW, "300000", None, None),
    ("proposed", Status.DECIDED, "400000", "approve", "500000"),
    ("refused", Status.DECIDED, "100000", "reject", None),
    ("awaiting", Status.DECIDED, "100000", None, None),
    ("publicity", Status.PUBLICITY, "450000", "approve", "500000"),
    ("awarded", Status.AWARDED, "250000", "approve", "200000"),
    ("on_hold", Status.ON_HOLD, "200000.25", "approve", "200000.25"),
    ("rejected", Status.REJECTED, "100000", "reject", None),
]
# Worked out by hand from the list above.
KEY_COUNTS = {
    "draft": 2,
    "submitted": 3,
    "returned_for_changes": 1,
    "expert_review": 2,
    "decided": 3,
    "publicity": 1,
    "on_hold": 1,
    "awarded": 1,
    "rejected": 1,
    "withdrawn": 1,
}
KEY_RECEIVED = 13  # not draft, not withdrawn
KEY_REQUESTED = "2,810,000.75"  # 600,000 + 10,000.50 + 600,000 + 600,000 + 450,000 + ...
KEY_PROPOSED = "500,000.00"  # the pending approval only
KEY_PUBLICITY = "700,000.25"  # in publicity 500,000 + on hold 200,000.25: not final yet
KEY_FINAL = "200,000.00"  # awarded: the publicity period ended
KEY_REMAINING = "7,599,999.75"  # 9,000,000 - 900,000.25 - 500,000


# --- building data ------------------------------------------------------------------------------


def reviewer_ids(app) -> dict[int, int]:
    with app.app_context():
        rows = db.session.execute(
            select(User.email, User.id).where(User.email.like("reviewer%@example.com"))
        ).all()
    return {int(email[len("reviewer")]): user_id for email, user_id in rows}


def add_assignments(app, rows) -> None:
    """rows: (application id, reviewer id, AssignmentStatus, due in days or None)."""
    now = utcnow()
    with app.app_context():
        for application_id, reviewer_id, status, due_in in rows:
            db.session.add(
                Assignment(
                    application_id=application_id,
                    reviewer_id=reviewer_id,
                    status=status,
                    due_at=None if due_in is None else now + timedelta(days=due_in),
                    submitted_at=now if status is AssignmentStatus.SUBMITTED else None,
                )
            )
        db.session.commit()


def build_key_programme(app, first_firm: int = 1) -> dict[str, int]:
    """The key programme's applications of KEY_APPLICATIONS and their reviews; return the
    application ids by name."""
    ids = {}
    for number, (name, status, requested, decision, amount) in enumerate(KEY_APPLICATIONS):
        firm = make_firm(app, first_firm + number)
        ids[name] = make_application(
            app,
            KEY,
            firm,
            status=status,
            requested=requested,
            decision=decision,
            decided_amount=None if amount is None else Decimal(amount),
        )
    r = reviewer_ids(app)
    add_assignments(
        app,
        [
            (ids["review_a"], r[1], AssignmentStatus.SUBMITTED, -3),
            (ids["review_a"], r[2], AssignmentStatus.ASSIGNED, -1),  # overdue
            (ids["review_b"], r[1], AssignmentStatus.ASSIGNED, 3),
            (ids["review_b"], r[3], AssignmentStatus.DECLINED, 3),  # does not count
            (ids["review_b"], r[2], AssignmentStatus.ASSIGNED, None),  # no due date: not late
            (ids["proposed"], r[1], AssignmentStatus.SUBMITTED, -10),
            (ids["proposed"], r[2], AssignmentStatus.SUBMITTED, -10),
            (ids["awaiting"], r[3], AssignmentStatus.ASSIGNED, -2),  # overdue
            (ids["withdrawn"], r[1], AssignmentStatus.ASSIGNED, -5),  # withdrawn: ignored
        ],
    )
    return ids


def build_year(app) -> dict[str, int]:
    """The key programme as above, and two applications in the R&D programme."""
    ids = build_key_programme(app)
    ids["rd_awarded"] = make_application(
        app,
        RD,
        make_firm(app, 40),
        status=Status.AWARDED,
        requested="1000000",
        decision="approve",
        decided_amount=Decimal("1000000"),
    )
    ids["rd_submitted"] = make_application(
        app, RD, make_firm(app, 41), status=Status.SUBMITTED, requested="123.45"
    )
    return ids


# --- reading the page -----------------------------------------------------------------------


def page_text(client, url: str = URL) -> str:
    response = client.get(url)
    assert response.status_code == 200
    return response.get_data(as_text=True)


def card(page: str, code: str) -> str:
    match = re.search(
        rf'<article class="db-card" id="programme-{re.escape(code)}".*?</article>', page, re.S
    )
    assert match, f"no card for {code}"
    return match.group(0)


def text_of(fragment: str) -> str:
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", fragment)).split())


def figure(fragment: str, name: str) -> str:
    match = re.search(
        rf'<tr data-figure="{name}"[^>]*>.*?<td class="num">([^<]*)</td>', fragment, re.S
    )
    assert match, f"no figure {name}"
    return match.group(1).strip()


def legend(fragment: str) -> dict[str, int]:
    return {
        status: int(count)
        for status, count in re.findall(
            r'<li class="db-legend__item" data-status="(\w+)">.*?'
            r'<span class="db-legend__value">(\d+)</span>',
            fragment,
            re.S,
        )
    }


def svg(fragment: str, kind: str) -> str:
    match = re.search(rf'<svg class="db-bar" id="bar-{kind}-\d+".*?</svg>', fragment, re.S)
    assert match, f"no {kind} bar"
    return match.group(0)


def shapes(chart: str) -> list[dict]:
    """Segments and markers of a bar as drawn: key, value, x, width (markers: width 0)."""
    found = []
    for tag, attrs in re.findall(r"<(rect|line) ([^>]*data-key[^>]*)>", chart):
        values = dict(re.findall(r'([\w-]+)="([^"]*)"', attrs))
        found.append(
            {
                "tag": tag,
                "key": values["data-key"],
                "value": values["data-value"],
                "x": int(values.get("x", values.get("x1"))),
                "width": int(values.get("width", 0)),
            }
        )
    return found


def stat(page: str, label: str) -> str:
    match = re.search(
        r'<span class="stat__value">([^<]*)</span><span class="stat__label">'
        + re.escape(label)
        + "</span>",
        page,
    )
    assert match, f"no stat {label}"
    return match.group(1)


# --- the figures --------------------------------------------------------------------------------


def test_each_programme_shows_its_counts_money_and_reviews(app, demo):
    build_year(app)
    page = page_text(officer_client(app))
    key = card(page, KEY)

    assert "Key above-size enterprise selection" in key
    assert legend(key) == KEY_COUNTS
    assert f"<strong>{KEY_RECEIVED}</strong> received" in key
    assert "2 drafts" in text_of(key)
    assert figure(key, "requested") == KEY_REQUESTED
    assert figure(key, "proposed") == KEY_PROPOSED
    assert figure(key, "publicity") == KEY_PUBLICITY
    assert figure(key, "final") == KEY_FINAL
    assert 'data-figure="approved"' not in key
    assert figure(key, "remaining") == KEY_REMAINING
    assert figure(key, "budget") == "9,000,000.00"
    assert 'data-figure="over"' not in key
    # 1,400,000.25 of 9,000,000 committed: 15.56 %.
    assert "<strong>16%</strong> of the budget committed: final, in publicity or proposed" in key

    # Reviews: 3 submitted; 4 assigned (one without a due date), 2 of them late; 1 declined;
    # the withdrawn application's late review is not counted at all.
    assert "<strong>3 / 7</strong> reviews submitted" in key
    assert figure(key, "submitted") == "3"
    assert figure(key, "open") == "2"
    assert figure(key, "overdue") == "2"
    assert figure(key, "declined") == "1"

    rd = card(page, RD)
    assert legend(rd) == {"submitted": 1, "awarded": 1}
    assert figure(rd, "requested") == "1,000,123.45"
    assert figure(rd, "final") == "1,000,000.00"
    assert figure(rd, "publicity") == "0.00"
    assert figure(rd, "proposed") == "0.00"
    assert figure(rd, "remaining") == "4,000,000.00"
    assert "No expert review" in rd and 'id="bar-reviews-' not in rd

    eagle = card(page, EAGLE)
    assert "No applications yet." in eagle and 'id="bar-statuses-' not in eagle
    assert figure(eagle, "remaining") == "3,000,000.00"


def test_summary_row_totals_every_programme(app, demo):
    build_year(app)
    page = page_text(officer_client(app))
    assert stat(page, "Programmes") == "4"
    assert stat(page, "Applications received") == str(KEY_RECEIVED + 2)
    assert stat(page, "Budget (yuan)") == "23,000,000.00"  # 9 + 5 + 3 + 6 million
    assert stat(page, "Final awards (yuan)") == "1,200,000.00"  # 200,000 + 1,000,000
    assert stat(page, "Overdue reviews") == "2"
    assert "and 700,000.25 yuan in publicity" in page
    assert "and 500,000.00 yuan proposed" in page
    assert "5 of 7 reviews submitted" not in page and "3 of 7 reviews submitted" in page
    assert "and 2 drafts in progress" in page

    table = re.search(r'<tr data-programme="total">.*?</tr>', page, re.S).group(0)
    cells = re.findall(r'<td class="num"[^>]*>([^<]*)</td>', table)
    assert cells == [
        "15",
        "3",
        "3,810,124.20",  # 2,810,000.75 + 1,000,123.45
        "500,000.00",
        "700,000.25",
        "1,200,000.00",
        "23,000,000.00",
        "0.00",  # paid
        "0.00",  # due for payment
        "3 / 7",
        "2",
    ]
    key_row = re.search(rf'<tr data-programme="{KEY}">.*?</tr>', page, re.S).group(0)
    assert re.findall(r'<td class="num[^"]*"[^>]*>([^<]*)</td>', key_row) == [
        "13",
        "3",
        KEY_REQUESTED,
        KEY_PROPOSED,
        KEY_PUBLICITY,
        KEY_FINAL,
        "9,000,000.00",
        "0.00",  # paid
        "0.00",  # due for payment
        "3 / 7",
        "2",
    ]


def test_sums_are_exact_to_the_cent(app, demo):
    """SQLite adds NUMERIC columns as floating point: a thousand 0.10s are still 100.00."""
    add_bare_applications(app, RD, 30, status=Status.SUBMITTED)
    with app.app_context():
        from portal.applications.models import Application

        pid = db.session.scalar(select(Program.id).where(Program.code == RD))
        for application in db.session.scalars(
            select(Application).where(Application.program_id == pid)
        ):
            application.requested_amount = Decimal("0.10")
        db.session.commit()
    page = page_text(officer_client(app))
    assert figure(card(page, RD), "requested") == "3.00"


# --- the charts ---------------------------------------------------------------------------------


def test_status_bar_tiles_the_width_in_life_cycle_order(app, demo):
    build_year(app)
    key = card(page_text(officer_client(app)), KEY)
    chart = svg(key, "statuses")
    assert 'role="img"' in chart and "<title>Applications by status:" in chart
    assert 'aria-label="Applications by status: Key above-size enterprise selection"' in chart
    assert "<desc" in chart and "Submitted 3" in chart
    segments = [s for s in shapes(chart) if s["tag"] == "rect"]
    assert [s["key"] for s in segments] == [
        "draft",
        "submitted",
        "returned_for_changes",
        "expert_review",
        "decided",
        "publicity",
        "on_hold",
        "awarded",
        "rejected",
        "withdrawn",
    ]
    assert [int(s["value"]) for s in segments] == [2, 3, 1, 2, 3, 1, 1, 1, 1, 1]
    # Adjacent, from 0 to 1000, each in proportion to its count out of 16.
    assert segments[0]["x"] == 0
    for before, after in itertools.pairwise(segments):
        assert after["x"] == before["x"] + before["width"]
    assert segments[-1]["x"] + segments[-1]["width"] == 1000
    for segment in segments:
        assert abs(segment["width"] - int(segment["value"]) * 1000 / 16) <= 1


def test_budget_bar_shows_awards_and_the_request(app, demo):
    build_year(app)
    key = card(page_text(officer_client(app)), KEY)
    chart = svg(key, "budget")
    assert "Final 200,000.00 yuan, in publicity 700,000.25 yuan, proposed 500,000.00 yuan" in chart
    drawn = {s["key"]: s for s in shapes(chart)}
    # Scale: the budget, 9,000,000 (larger than the awards and the request).
    assert drawn["award-final"]["x"] == 0
    assert drawn["award-final"]["width"] == 22  # 200,000 / 9,000,000 = 22.2
    assert drawn["award-publicity"]["x"] == 22
    assert drawn["award-publicity"]["width"] == 78  # 700,000.25 / 9,000,000 = 77.8
    assert drawn["award-proposed"]["x"] == 100
    assert drawn["award-proposed"]["width"] == 56  # 500,000 / 9,000,000 = 55.6
    assert drawn["award-remaining"]["x"] == 156
    assert drawn["award-remaining"]["width"] == 844
    assert drawn["award-requested"]["tag"] == "line"
    assert drawn["award-requested"]["x"] == 312  # 2,810,000.75 / 9,000,000
    assert "award-budget" not in drawn and "over" not in drawn


def test_budget_bar_marks_a_programme_over_its_budget(app, demo):
    """Pro rata, the R&D programme's approvals may exceed its budget until the release."""
    set_program(app, RD, budget=Decimal("1500000"))
    make_application(
        app,
        RD,
        make_firm(app, 1),
        status=Status.AWARDED,
        requested="1000000",
        decision="approve",
        decided_amount=Decimal("1000000"),
    )
    make_application(
        app,
        RD,
        make_firm(app, 2),
        status=Status.DECIDED,
        requested="900000",
        decision="approve",
        decided_amount=Decimal("800000"),
    )
    rd = card(page_text(officer_client(app)), RD)
    assert figure(rd, "over") == "300,000.00"
    assert 'data-figure="remaining"' not in rd
    assert "<strong>120%</strong>" in rd
    drawn = {s["key"]: s for s in shapes(svg(rd, "budget"))}
    # Scale: the request, 1,900,000; the budget line at 1,500,000 / 1,900,000.
    assert drawn["award-final"]["width"] == 526
    assert drawn["award-proposed"]["width"] == 421
    assert "award-remaining" not in drawn
    assert drawn["award-budget"]["x"] == 789
    assert drawn["over"]["x"] == 789 and drawn["over"]["width"] == 947 - 789
    assert drawn["award-requested"]["x"] == 999  # the right end, kept inside the box


def test_review_bar_splits_submitted_open_and_overdue(app, demo):
    build_year(app)
    key = card(page_text(officer_client(app)), KEY)
    chart = svg(key, "reviews")
    assert "3 of 7 reviews submitted, 2 overdue." in chart
    drawn = [(s["key"], int(s["value"]), s["x"], s["width"]) for s in shapes(chart)]
    assert drawn == [
        ("review-submitted", 3, 0, 428),
        ("review-open", 2, 428, 286),
        ("review-overdue", 2, 714, 286),
    ]


def test_allocate_adds_up_and_keeps_small_segments_visible():
    assert charts.allocate([1, 1, 1]) == [334, 333, 333]
    assert sum(charts.allocate([7, 0, 13, 2])) == 1000
    assert charts.allocate([0, 0]) == [0, 0]
    tiny = charts.allocate([1, 999])
    assert tiny == [6, 994]  # 1 in 1000 is still 6 units wide
    assert charts.allocate([Decimal("0.01"), Decimal("99.99")], minimum=0) == [0, 1000]
    with pytest.raises(ValueError):
        charts.allocate([1, -1])


def test_budget_bar_of_an_empty_programme():
    chart = charts.budget_bar(*[Decimal("0")] * 5)
    assert chart["empty"] and chart["segments"] == [] and chart["markers"] == []
    chart = charts.budget_bar(Decimal("100"), *[Decimal("0")] * 4)
    assert chart["segments"] == [
        {"key": "award-remaining", "value": Decimal("100"), "x": 0, "width": 1000}
    ]
    assert chart["committed_percent"] == 0


# --- the days -----------------------------------------------------------------------------------


def test_days_left_to_close_or_open_in_bureau_days(app, demo):
    now = utcnow()
    set_program(app, KEY, opens_at=now - timedelta(days=5), closes_at=now + timedelta(days=10))
    set_program(app, RD, opens_at=now - timedelta(days=40), closes_at=now - timedelta(days=3))
    set_program(app, EAGLE, opens_at=now + timedelta(days=5), closes_at=now + timedelta(days=30))
    set_program(app, FLUORINE, opens_at=now - timedelta(days=5), closes_at=now + timedelta(days=1))
    page = page_text(officer_client(app))
    assert '<span class="tag db-when db-when--open">10 days left</span>' in card(page, KEY)
    assert '<span class="tag db-when db-when--closed">Closed 3 days ago</span>' in card(page, RD)
    assert '<span class="tag db-when db-when--upcoming">Opens in 5 days</span>' in card(page, EAGLE)
    assert '<span class="tag db-when db-when--soon">1 day left</span>' in card(page, FLUORINE)


def test_days_are_counted_in_shanghai_dates():
    # 23:30 in Shanghai on 1 March (15:30 UTC).
    now = datetime(2026, 3, 1, 15, 30, tzinfo=UTC)
    opens = datetime(2026, 2, 1, tzinfo=UTC)
    # Closing at 00:30 on 2 March in Shanghai: only an hour away, but tomorrow.
    assert services.schedule(opens, datetime(2026, 3, 1, 16, 30, tzinfo=UTC), now) == {
        "state": "open",
        "days": 1,
        "soon": True,
    }
    # Closing at 23:45 on 1 March in Shanghai: today.
    assert services.schedule(opens, datetime(2026, 3, 1, 15, 45, tzinfo=UTC), now)["days"] == 0
    # Closed at 08:00 on 1 March in Shanghai: today, though it is still 28 February in UTC.
    closed = services.schedule(opens, datetime(2026, 3, 1, 0, 0, tzinfo=UTC), now)
    assert closed == {"state": "closed", "days": 0}
    assert services.schedule(
        datetime(2026, 3, 2, 16, 0, tzinfo=UTC), datetime(2026, 4, 1, tzinfo=UTC), now
    ) == {"state": "upcoming", "days": 2}  # opens at 00:00 on 3 March in Shanghai
    assert services.schedule(opens, datetime(2026, 3, 20, tzinfo=UTC), now)["soon"] is False


def test_today_and_zero_days_texts(app, demo):
    """A programme that closed a moment ago closed today; one opening in a moment opens today
    (unless the moment crosses midnight in Shanghai, which the dates would then show)."""
    now = utcnow()
    set_program(app, KEY, opens_at=now - timedelta(days=5), closes_at=now - timedelta(seconds=1))
    page = page_text(officer_client(app))
    expected = services.schedule(now - timedelta(days=5), now - timedelta(seconds=1), utcnow())
    assert expected["state"] == "closed"
    text = "Closed today" if expected["days"] == 0 else "Closed 1 day ago"
    assert f'<span class="tag db-when db-when--closed">{text}</span>' in card(page, KEY)


# --- years --------------------------------------------------------------------------------------


def test_the_year_chooses_the_programmes(app, demo):
    year = bureau_today().year
    last_year = datetime(year - 1, 6, 1, tzinfo=UTC)
    set_program(app, RD, opens_at=last_year, closes_at=last_year + timedelta(days=30))
    client = officer_client(app)
    page = page_text(client)
    assert 'id="programme-rd-post-subsidy-2026"' not in page
    assert f'href="/staff/dashboard?year={year - 1}"' in page
    assert f'aria-current="page">{year}</a>' in page
    assert stat(page, "Programmes") == "3"

    earlier = page_text(client, f"{URL}?year={year - 1}")
    assert 'id="programme-rd-post-subsidy-2026"' in earlier
    assert stat(earlier, "Programmes") == "1"
    assert stat(earlier, "Budget (yuan)") == "5,000,000.00"
    # A year outside the programmes' span shows this year.
    assert stat(page_text(client, f"{URL}?year=1999"), "Programmes") == "3"


def test_no_programmes(app, demo):
    with app.app_context():
        for program in db.session.scalars(select(Program)):
            db.session.delete(program.versions[0])
            db.session.delete(program)
        db.session.commit()
    page = page_text(officer_client(app))
    assert f"No programme is open for applications in {bureau_today().year}." in page
    assert stat(page, "Programmes") == "0"
    assert stat(page, "Budget (yuan)") == "0.00"


def test_page_renders_in_chinese(app, demo):
    build_year(app)
    client = app.test_client()
    assert sign_in(client, "officer@example.com").status_code == 302
    page = page_text(client)
    assert '<html lang="zh-CN">' in page
    assert "规上重点企业遴选支持" in card(page, KEY)


# --- access and queries -------------------------------------------------------------------------


def test_only_officers_and_admins_see_it(app, demo):
    for email, status in (
        ("officer@example.com", 200),
        ("admin@example.com", 200),
        ("reviewer1@example.com", 403),
        ("ent1@example.com", 403),
    ):
        visitor = app.test_client()
        assert sign_in(visitor, email).status_code == 302
        assert visitor.get(URL).status_code == status, email
    anonymous = app.test_client().get(URL)
    assert anonymous.status_code == 302 and "/login" in anonymous.headers["Location"]


def _service_statements(app) -> int:
    with app.test_request_context():
        engine = db.engine
        statements: list[str] = []

        def count(_conn, _cursor, statement, *_args):
            if statement.lstrip().upper().startswith("SELECT"):
                statements.append(statement)

        event.listen(engine, "before_cursor_execute", count)
        try:
            board = services.dashboard(None, "en")
        finally:
            event.remove(engine, "before_cursor_execute", count)
        assert board["programmes"]
        return len(statements)


def _add_programmes(app, count: int) -> None:
    """Copies of the key programme under new codes (no applications of their own)."""
    with app.app_context():
        model = db.session.scalar(select(Program).where(Program.code == KEY))
        for number in range(count):
            db.session.add(
                Program(
                    code=f"extra-{number:02d}",
                    name_zh=f"测试专项{number:02d}",
                    name_en=f"Extra programme {number:02d}",
                    kind=model.kind,
                    issuer_code=model.issuer_code,
                    opens_at=model.opens_at,
                    closes_at=model.closes_at,
                    budget=Decimal("1000000"),
                    reviewers_per_application=2,
                )
            )
        db.session.commit()


def _add_reviews(app, application_ids: list[int]) -> None:
    r = reviewer_ids(app)
    rows = []
    for index, application_id in enumerate(application_ids):
        rows.append((application_id, r[1], AssignmentStatus.SUBMITTED, -1))
        rows.append((application_id, r[2], AssignmentStatus.ASSIGNED, -1 if index % 2 else 5))
        if index % 3 == 0:
            rows.append((application_id, r[3], AssignmentStatus.DECLINED, 5))
    add_assignments(app, rows)


def test_query_count_is_fixed(app, demo):
    client = officer_client(app)
    build_key_programme(app)
    client.get(URL)  # warm-up: first-request work is not the page's
    small = sql_statements(app, client, URL)
    assert _service_statements(app) == 9

    _add_programmes(app, 6)
    for code, status in (
        (KEY, Status.EXPERT_REVIEW),
        (FLUORINE, Status.EXPERT_REVIEW),
        (RD, Status.AWARDED),
        (EAGLE, Status.SUBMITTED),
        (KEY, Status.DRAFT),
        (RD, Status.DECIDED),
    ):
        ids = add_bare_applications(app, code, 25, status=status, prefix=f"Q{code[:3]}{status}")
        if status is Status.EXPERT_REVIEW:
            _add_reviews(app, ids)
    large = sql_statements(app, client, URL)

    assert len(large) == len(small)
    # Of them, the dashboard's own: the span of years, the programmes, the application
    # tallies, the review tallies, the overdue reviews (by day, and from earlier today), the
    # money tallies, the days to payment and the overdue reports.
    assert _service_statements(app) == 9
    page = page_text(client)
    assert stat(page, "Programmes") == "10"
    assert stat(page, "Applications received") == str(KEY_RECEIVED + 125)
    assert stat(page, "Overdue reviews") == str(2 + 12 + 12)  # every other one of 25, twice
