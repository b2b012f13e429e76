"""The officers' queue: filters, sorts, pagination that keeps them, and a fixed query count."""

from __future__ import annotations

import html
import re
from datetime import timedelta
from decimal import Decimal

import pytest
from sqlalchemy import insert, select

from portal.accounts.models import Enterprise, User
from portal.applications.models import Application, Status
from portal.core.extensions import db
from portal.core.timeutil import utcnow
from portal.programs.models import Program, ProgramVersion
from portal.review.models import Assignment, AssignmentStatus
from tests.helpers import english_client, sign_in, statements_for

KEY = "key-above-size-2026"
RD = "rd-post-subsidy-2026"
SORTS = ("newest", "oldest", "score", "spread")


@pytest.fixture
def officer(app, demo):
    return english_client(app, "officer@example.com")


def _program(code: str) -> tuple[int, int]:
    program = db.session.scalar(select(Program).where(Program.code == code))
    version = db.session.scalar(
        select(ProgramVersion.id).where(ProgramVersion.program_id == program.id)
    )
    return program.id, version


def make_applications(app, count: int, *, start: int = 0, rows=None) -> list[int]:
    """Insert ``count`` applications in bulk, alternating the two expert and non-expert
    programmes, each for its own firm; every third key-programme one has two reviewers (one
    review submitted). ``rows`` overrides columns per index."""
    rows = rows or {}
    with app.app_context():
        programs = [_program(KEY), _program(RD)]
        reviewers = db.session.scalars(
            select(User.id).where(User.email.like("reviewer%@example.com")).order_by(User.id)
        ).all()
        firms = db.session.scalars(
            insert(Enterprise).returning(Enterprise.id, sort_by_parameter_order=True),
            [
                {
                    "name": f"测试企业{start + i:04d}有限公司",
                    "uscc": f"912109{start + i:012d}",
                    "contact_person": "王五",
                    "mobile": "13800000000",
                }
                for i in range(count)
            ],
        ).all()
        base = utcnow() - timedelta(days=30)
        values = []
        for i, firm_id in enumerate(firms):
            n = start + i
            program_id, version_id = programs[n % 2]
            values.append(
                {
                    "reference": f"2026-T-{n:06d}",
                    "enterprise_id": firm_id,
                    "program_id": program_id,
                    "program_version_id": version_id,
                    "status": Status.SUBMITTED,
                    "project_title": f"项目{n}",
                    "requested_amount": Decimal(10000 + n),
                    "submission_count": 1,
                    "first_submitted_at": base + timedelta(minutes=n),
                    "last_submitted_at": base + timedelta(minutes=n),
                    **rows.get(n, {}),
                }
            )
        ids = db.session.scalars(
            insert(Application).returning(Application.id, sort_by_parameter_order=True), values
        ).all()
        assignments = []
        for n, application_id in zip(range(start, start + count), ids, strict=True):
            if n % 2 == 0 and n % 3 == 0:
                assignments.append(
                    {
                        "application_id": application_id,
                        "reviewer_id": reviewers[0],
                        "status": AssignmentStatus.SUBMITTED,
                        "total": Decimal("80"),
                    }
                )
                assignments.append(
                    {
                        "application_id": application_id,
                        "reviewer_id": reviewers[1],
                        "status": AssignmentStatus.ASSIGNED,
                    }
                )
        if assignments:
            db.session.execute(insert(Assignment), assignments)
        db.session.commit()
        return list(ids)


def _references(page: str) -> list[str]:
    return re.findall(r">(2026-T-\d{6})</a>", page)


def test_queue_shows_each_column_and_leaves_out_drafts(app, officer):
    make_applications(
        app,
        4,
        rows={
            0: {
                "status": Status.EXPERT_REVIEW,
                "review_mean": Decimal("81.50"),
                "review_spread": Decimal("23.00"),
                "review_flagged": True,
                "final_score": Decimal("81.50"),
            },
            3: {"status": Status.DRAFT, "last_submitted_at": None},
        },
    )
    page = html.unescape(officer.get("/staff/applications").get_data(as_text=True))
    assert _references(page) == ["2026-T-000002", "2026-T-000001", "2026-T-000000"]
    assert "2026-T-000003" not in page  # a draft is the firm's business
    assert "3 applications" in page
    assert "测试企业0000有限公司" in page and "912109000000000000" in page
    assert "Key above-size enterprise selection" in page
    assert "R&D investment post-subsidy" in page
    assert "10,000.00" in page
    row = page[page.index("2026-T-000000") :]
    row = row[: row.index("</tr>")]
    assert "Expert review" in row
    assert "1 / 2" in row  # one review submitted of two reviewers assigned
    assert "81.50" in row and "23.00" in row and "Flagged" in row
    rd_row = page[page.index("2026-T-000001") :]
    rd_row = rd_row[: rd_row.index("</tr>")]
    assert " / " not in rd_row  # no expert review in the R&D programme
    assert "Flagged" not in rd_row


def test_filters_by_programme_status_and_flag(app, officer):
    make_applications(
        app,
        6,
        rows={
            0: {"status": Status.EXPERT_REVIEW, "review_flagged": True},
            2: {"status": Status.EXPERT_REVIEW},
            5: {"status": Status.FORMAL_CHECK},
        },
    )
    with app.app_context():
        key_id = db.session.scalar(select(Program.id).where(Program.code == KEY))
    page = officer.get(f"/staff/applications?program={key_id}").get_data(as_text=True)
    assert _references(page) == ["2026-T-000004", "2026-T-000002", "2026-T-000000"]
    page = officer.get("/staff/applications?status=expert_review").get_data(as_text=True)
    assert _references(page) == ["2026-T-000002", "2026-T-000000"]
    page = officer.get("/staff/applications?flagged=1").get_data(as_text=True)
    assert _references(page) == ["2026-T-000000"]
    page = officer.get(f"/staff/applications?program={key_id}&status=submitted&flagged=").get_data(
        as_text=True
    )
    assert _references(page) == ["2026-T-000004"]
    page = officer.get("/staff/applications?status=formal_check").get_data(as_text=True)
    assert _references(page) == ["2026-T-000005"]
    assert 'value="formal_check" selected' in page  # the filter form shows what was chosen


def test_unknown_filter_values_are_ignored(app, officer):
    make_applications(app, 2)
    response = officer.get("/staff/applications?program=abc&status=draft&sort=evil&page=-3")
    assert response.status_code == 200
    assert _references(response.get_data(as_text=True)) == ["2026-T-000001", "2026-T-000000"]


def test_sorts_by_submit_time_score_and_spread_with_empty_values_last(app, officer):
    make_applications(
        app,
        4,
        rows={
            0: {"final_score": Decimal("70.00"), "review_spread": Decimal("5.00")},
            1: {"final_score": Decimal("90.00"), "review_spread": None},
            3: {"final_score": None, "review_spread": Decimal("30.00")},
        },
    )
    get = lambda sort: _references(  # noqa: E731
        officer.get(f"/staff/applications?sort={sort}").get_data(as_text=True)
    )
    assert get("newest") == ["2026-T-000003", "2026-T-000002", "2026-T-000001", "2026-T-000000"]
    assert get("oldest") == ["2026-T-000000", "2026-T-000001", "2026-T-000002", "2026-T-000003"]
    # Without a score, newest first among themselves (id descending).
    assert get("score") == ["2026-T-000001", "2026-T-000000", "2026-T-000003", "2026-T-000002"]
    assert get("spread") == ["2026-T-000003", "2026-T-000000", "2026-T-000002", "2026-T-000001"]


def test_pages_of_25_and_page_links_keep_the_filters(app, officer):
    make_applications(app, 60)
    with app.app_context():
        rd_id = db.session.scalar(select(Program.id).where(Program.code == RD))
    first = html.unescape(
        officer.get(f"/staff/applications?program={rd_id}&status=submitted&sort=oldest").get_data(
            as_text=True
        )
    )
    assert len(_references(first)) == 25
    assert "Page 1 of 2" in first
    next_link = re.search(r'href="([^"]+)" rel="next"', first).group(1)
    for part in (f"program={rd_id}", "status=submitted", "sort=oldest", "page=2"):
        assert part in next_link
    second = html.unescape(officer.get(next_link).get_data(as_text=True))
    assert len(_references(second)) == 5  # 30 R&D applications in all
    assert set(_references(first)).isdisjoint(_references(second))
    prev_link = re.search(r'href="([^"]+)" rel="prev"', second).group(1)
    assert f"program={rd_id}" in prev_link and "sort=oldest" in prev_link
    flagged = officer.get("/staff/applications?flagged=1&sort=spread").get_data(as_text=True)
    assert 'rel="next"' not in flagged  # none flagged: one page, no links
    default = html.unescape(officer.get("/staff/applications").get_data(as_text=True))
    link = re.search(r'href="([^"]+)" rel="next"', default).group(1)
    assert link == "/staff/applications?page=2"  # no empty filters in the links


def test_queue_query_count_is_fixed(app, officer):
    with app.app_context():
        key_id = db.session.scalar(select(Program.id).where(Program.code == KEY))
    urls = [f"/staff/applications?sort={sort}" for sort in SORTS] + [
        f"/staff/applications?program={key_id}&status=submitted",
        "/staff/applications?flagged=1",
    ]
    make_applications(app, 10)
    officer.get("/staff/applications")  # warm-up: first-request work is not the page's
    small = {url: statements_for(app, officer, url) for url in urls}
    make_applications(app, 190, start=10)
    large = {url: statements_for(app, officer, url) for url in urls}
    assert large == small
    page = officer.get("/staff/applications").get_data(as_text=True)
    assert len(_references(page)) == 25 and "200 applications" in page


def test_queue_is_for_officers_and_admins_only(app, demo, client):
    make_applications(app, 1)
    for email, status in (
        ("reviewer1@example.com", 403),
        ("ent1@example.com", 403),
        ("admin@example.com", 200),
    ):
        visitor = app.test_client()
        sign_in(visitor, email)
        assert visitor.get("/staff/applications").status_code == status, email
