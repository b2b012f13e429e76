"""Searching the officers' queue: by part of a firm's name, a USCC, a reference or a project
title; combined with the filters and sorts; at a fixed statement count; typed syntax is data,
never an error; the queue's pages stop before offsets grow with the table."""

from __future__ import annotations

import html
import re

import pytest
from sqlalchemy import select, update

from portal.accounts.models import Enterprise
from portal.applications.models import Application, Status
from portal.applications.search import SearchTerm, escape_like, fts5_phrase
from portal.core.extensions import db
from portal.web.desk import queue as staff_queue
from tests.helpers import english_client, sign_in, statements_for
from tests.integration.test_officer_queue import make_applications

URL = "/staff/applications"


@pytest.fixture
def officer(app, demo):
    return english_client(app, "officer@example.com")


def _references(page: str) -> list[str]:
    return re.findall(r">(2026-T-\d{6})</a>", page)


def _search(client, **args) -> str:
    response = client.get(URL, query_string=args)
    assert response.status_code == 200, args
    return html.unescape(response.get_data(as_text=True))


def test_finds_by_part_of_firm_name_uscc_reference_and_title(app, officer):
    ids = make_applications(app, 12)
    with app.app_context():
        # A firm renamed after it applied is found under its new name (the firms' trigger).
        firm_id = db.session.get(Application, ids[7]).enterprise_id
        db.session.execute(
            update(Enterprise).where(Enterprise.id == firm_id).values(name="Acme Robotics Ltd")
        )
        db.session.execute(
            update(Application).where(Application.id == ids[4]).values(project_title="氟化工新材料")
        )
        db.session.commit()
    assert _references(_search(officer, q="企业0003有限")) == ["2026-T-000003"]  # Chinese name
    assert _references(_search(officer, q="acme robot")) == ["2026-T-000007"]  # any case
    assert _references(_search(officer, q="000000000005")) == ["2026-T-000005"]  # USCC part
    assert _references(_search(officer, q="T-000011")) == ["2026-T-000011"]  # reference part
    assert _references(_search(officer, q="新材料")) == ["2026-T-000004"]  # project title
    page = _search(officer, q="有限公司")
    assert len(_references(page)) == 11 and "11 applications" in page  # renamed one is not
    assert 'value="有限公司"' in page  # the box keeps what was typed


def test_search_combines_with_filters_and_sorts_and_pages_keep_it(app, officer):
    make_applications(app, 60, rows={n: {"status": Status.FORMAL_CHECK} for n in range(0, 60, 3)})
    formal = _search(officer, q="有限公司", status="formal_check", sort="oldest")
    assert _references(formal)[:3] == ["2026-T-000000", "2026-T-000003", "2026-T-000006"]
    assert "20 applications" in formal
    first = _search(officer, q="有限公司")
    assert "60 applications" in first
    link = re.search(r'href="([^"]+)" rel="next"', first).group(1)
    assert "q=" in link and "page=2" in link
    second = _search(officer, q="有限公司", page="2")
    assert len(_references(second)) == 25
    assert not set(_references(second)) & set(_references(first))


def test_short_search_matches_start_of_reference_or_uscc_and_says_so(app, officer):
    make_applications(app, 3)
    page = _search(officer, q="20")  # every reference starts so
    assert len(_references(page)) == 3
    assert "shorter than 3 characters" in page
    assert _references(_search(officer, q="91")) == _references(page)  # USCCs start "91"
    assert _references(_search(officer, q="企业")) == []  # names need three characters


@pytest.mark.parametrize(
    "typed",
    [
        '"',
        '""',
        "%",
        "_",
        "%%%",
        "___",
        "\\",
        "*",
        "a OR b",
        "NEAR(x y)",
        "x:y",
        "^abc",
        "'; --",
        "企业\x00有限",
        "(((",
        "a" * 500,
        "  ",
    ],
)
def test_typed_syntax_is_searched_literally_never_an_error(app, officer, typed):
    make_applications(app, 3)
    page = _search(officer, q=typed)
    if typed.strip():
        assert _references(page) == [] or typed == "企业\x00有限"


def test_wildcards_and_quotes_are_data():
    assert escape_like("50%_a\\b") == "50\\%\\_a\\\\b"
    assert fts5_phrase('say "hi" OR *') == '"say ""hi"" OR *"'
    assert SearchTerm.parse(" a\x00b \t c ").text == "ab c"
    assert len(SearchTerm.parse("x" * 500).text) == 100


def test_literal_percent_in_a_title_is_found_and_does_not_match_everything(app, officer):
    ids = make_applications(app, 3)
    with app.app_context():
        db.session.execute(
            update(Application).where(Application.id == ids[1]).values(project_title="节能50%_改造")
        )
        db.session.commit()
    assert _references(_search(officer, q="50%_改")) == ["2026-T-000001"]


def test_search_statement_count_is_fixed(app, officer):
    urls = [
        f"{URL}?q=有限公司",
        f"{URL}?q=有限公司&status=submitted&sort=score",
        f"{URL}?q=20",
        f"{URL}?q=nothing-like-it",
        f"{URL}?page=41",
    ]
    make_applications(app, 10)
    officer.get(URL)  # warm-up
    small = {url: statements_for(app, officer, url) for url in urls}
    make_applications(app, 90, start=10)
    assert {url: statements_for(app, officer, url) for url in urls} == small


def test_pages_stop_at_the_bound_and_a_count_past_it_says_more(app, officer, monkeypatch):
    monkeypatch.setattr(staff_queue, "MAX_PAGES", 2)
    monkeypatch.setattr(staff_queue, "MAX_ROWS", 50)
    make_applications(app, 80)
    second = _search(officer, page="2")
    assert "Page 2 of 2" in second and 'rel="next"' not in second
    assert "80 applications; the first 50 are listed" in second
    beyond = _search(officer, page="3")
    assert _references(beyond) == [] and "lists its first 50 applications" in beyond
    assert "page=2" in beyond
    assert officer.get(URL, query_string={"page": "99999999999999"}).status_code == 200
    searched = _search(officer, q="有限公司")
    assert "More than 50 applications match" in searched
    # A broad term (more matches than the index step returns) walks the queue in its order:
    # the same rows, in the same order, as the unsearched queue and the sorted few.
    assert _references(searched) == _references(_search(officer))
    monkeypatch.setattr(staff_queue, "MAX_ROWS", 5)
    by_score = _search(officer, q="有限公司", sort="oldest", status="submitted")
    assert _references(by_score) == _references(_search(officer, sort="oldest"))
    assert _references(_search(officer, q="企业0003有限")) == ["2026-T-000003"]
    assert _references(_search(officer, q="2026-T-00007")) == [
        f"2026-T-{n:06d}" for n in range(79, 69, -1)
    ]


def test_search_index_follows_new_and_deleted_applications(app, officer):
    ids = make_applications(app, 2)
    with app.app_context():
        db.session.delete(db.session.get(Application, ids[0]))
        db.session.commit()
        remaining = db.session.scalars(select(Application.reference)).all()
    assert _references(_search(officer, q="有限公司")) == remaining


def test_search_is_for_officers_and_admins_only(app, demo):
    make_applications(app, 1)
    for email, status in (
        ("reviewer1@example.com", 403),
        ("ent1@example.com", 403),
        ("admin@example.com", 200),
    ):
        visitor = app.test_client()
        sign_in(visitor, email)
        assert visitor.get(URL, query_string={"q": "有限公司"}).status_code == status, email
    anonymous = app.test_client().get(URL, query_string={"q": "有限公司"})
    assert anonymous.status_code in (302, 401)
