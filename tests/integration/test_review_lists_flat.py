"""The review overview and the reviewers page page by a cursor (keyset) and read a fixed
number of statements, whatever the number of applications and reviewers (issue 14 item 9)."""

from __future__ import annotations

import re
from decimal import Decimal

import pytest
from sqlalchemy import event, select

from portal.accounts.models import Role, User
from portal.applications.models import Status
from portal.core.extensions import db
from portal.review import scoring_math
from portal.review.models import AssignmentStatus
from tests.helpers import add_bare_applications
from tests.integration.test_assignment import (
    KEY,
    R1,
    R2,
    R3,
    add_assignment,
    officer,  # noqa: F401  (fixture)
    page_text,
    program_id,
    uniform_scores,
)

BAD_CURSORS = ("abc", "|", "x|1", "2026-01-01|abc", "2026-01-01T00:00:00|1", "9" * 400, "|-1")


def overview_url(app) -> str:
    return f"/staff/review/programmes/{program_id(app)}"


def statements_of(app, client, url: str) -> tuple[int, str]:
    statements: list[str] = []
    with app.app_context():
        engine = db.engine

    def capture(_conn, _cursor, statement, *_args):
        statements.append(statement)

    event.listen(engine, "before_cursor_execute", capture)
    try:
        response = client.get(url)
        assert response.status_code == 200
    finally:
        event.remove(engine, "before_cursor_execute", capture)
    return len(statements), page_text(response)


def next_link(page: str, name: str = "Next") -> str | None:
    match = re.search(rf'<a href="([^"]+)"( rel="next")?>{name}</a>', page)
    return match.group(1) if match else None


def add_reviewers(app, count: int) -> None:
    with app.app_context():
        for number in range(count):
            db.session.add(
                User(
                    email=f"pool{number:03d}@example.com",
                    password_hash="x",
                    role=Role.REVIEWER,
                    display_name=f"Pool expert {number:03d}",
                )
            )
        db.session.commit()


def test_overview_pages_by_cursor_without_repeating_a_row(app, demo, officer):  # noqa: F811
    add_bare_applications(app, KEY, 120, status=Status.EXPERT_REVIEW, prefix="T-KS")
    seen: list[str] = []
    url: str | None = overview_url(app)
    pages = 0
    while url:
        page = page_text(officer.get(url))
        seen += re.findall(r">(T-KS-\d{4})</a>", page)
        url = next_link(page)
        pages += 1
    assert pages == 3
    assert len(seen) == 120 and len(set(seen)) == 120
    assert seen == sorted(seen)  # submitted at the same moment: by id


def test_overview_keeps_the_cursor_for_select_all_and_the_bulk_form(app, demo, officer):  # noqa: F811
    add_bare_applications(app, KEY, 60, status=Status.EXPERT_REVIEW, prefix="T-KS")
    first = page_text(officer.get(overview_url(app)))
    second_url = next_link(first)
    assert second_url and "after=" in second_url
    second = page_text(officer.get(f"{second_url}&select=all"))
    ticked = re.findall(r'name="application_id" value="(\d+)" form="bulk-assign" checked', second)
    assert len(ticked) == 10  # 60 in review, 50 on the first page
    assert "First page" in second and next_link(second) is None


@pytest.mark.parametrize("cursor", BAD_CURSORS)
def test_a_bad_cursor_shows_the_first_page(app, demo, officer, cursor):  # noqa: F811
    add_bare_applications(app, KEY, 55, status=Status.EXPERT_REVIEW, prefix="T-KS")
    response = officer.get(
        overview_url(app), query_string={"after": cursor, "reviewers_after": cursor}
    )
    assert response.status_code == 200
    assert "First page" not in page_text(response)
    # Any "<name>|<id>" is a place in the list of names; the rest starts it over.
    response = officer.get("/staff/review/reviewers", query_string={"after": cursor})
    assert response.status_code == 200
    assert "T-KS-" in page_text(officer.get(overview_url(app), query_string={"after": cursor}))


def test_overview_reads_the_same_statements_at_any_size(app, demo, officer):  # noqa: F811
    add_bare_applications(app, KEY, 5, status=Status.EXPERT_REVIEW, prefix="T-KS")
    few, _page = statements_of(app, officer, overview_url(app))
    ids = add_bare_applications(app, KEY, 130, status=Status.EXPERT_REVIEW, prefix="T-KS")
    for index, application_id in enumerate(ids[:40]):
        add_assignment(app, application_id, R1, AssignmentStatus.SUBMITTED, uniform_scores("8"))
        if index % 2:
            add_assignment(app, application_id, R2, AssignmentStatus.SUBMITTED, uniform_scores("5"))
        else:
            add_assignment(app, application_id, R3)
    add_reviewers(app, 70)
    many, page = statements_of(app, officer, overview_url(app))
    assert few == many
    deep, _page = statements_of(app, officer, next_link(page) or "")
    assert deep == many
    assert "Next reviewers" in page  # the reviewers' panel is paged too


def test_overview_z_scores_match_the_programme_calibration(app, demo, officer):  # noqa: F811
    ids = add_bare_applications(app, KEY, 4, status=Status.EXPERT_REVIEW, prefix="T-KS")
    marks = {R1: ["8", "7", "9"], R2: ["5", "6"], R3: ["7.5"]}
    for email, values in marks.items():
        for application_id, value in zip(ids, values, strict=False):
            add_assignment(
                app, application_id, email, AssignmentStatus.SUBMITTED, uniform_scores(value)
            )
    totals = {email: [Decimal(v) * 10 for v in values] for email, values in marks.items()}
    expected = scoring_math.z_scores(totals)
    page = page_text(officer.get(overview_url(app)))
    for email in marks:
        assert f"{expected[email]:+.2f}" in page


def test_reviewers_page_pages_by_name_and_counts_no_further_than_a_cap(app, demo, officer):  # noqa: F811
    few, _page = statements_of(app, officer, "/staff/review/reviewers")
    add_reviewers(app, 75)
    many, page = statements_of(app, officer, "/staff/review/reviewers")
    assert few == many
    with app.app_context():
        active = len(
            db.session.scalars(
                select(User.id).where(User.role == Role.REVIEWER, User.disabled_at.is_(None))
            ).all()
        )
    assert f"{active} active reviewers" in page
    names = re.findall(r"<strong>([^<]+)</strong>", page)
    second_url = next_link(page)
    assert second_url
    deep, second = statements_of(app, officer, second_url)
    assert deep == many
    names += re.findall(r"<strong>([^<]+)</strong>", second)
    assert len(names) == active and len(set(names)) == active
    assert "First page" in second and next_link(second) is None
