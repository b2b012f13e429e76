"""Lists that page by key (issue 14 item 9): the open objections, a programme's letters and the
firm accounts read the same statements on every page, follow one another both ways, and show
the first page for a cursor that is malformed or names nothing (never a 500)."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import select

from portal.accounts.models import Role, User
from portal.core.extensions import db
from portal.core.timeutil import utcnow
from portal.programs.models import Program
from portal.review import publicity
from portal.review.models import ObjectionStatus
from tests.helpers import add_final_decision, new_firm, statements_for
from tests.integration.test_decisions import KEY, RD, officer_client, text_of
from tests.integration.test_letters import issue
from tests.integration.test_publicity import add_objection, in_publicity

ADMIN = "admin@example.com"
BAD_CURSORS = ("abc", "-1", "0", "99999999", "99999999999999999999999", "1e3", "")


def _next_link(html: str, rel: str) -> str | None:
    found = re.search(rf'<a href="([^"]+)" rel="{rel}">', html)
    return found.group(1).replace("&amp;", "&") if found else None


# --- firm accounts ----------------------------------------------------------------------------


def _add_firm_accounts(app, count: int) -> list[str]:
    """``count`` firm accounts, one second apart (the newest last); their emails."""
    emails = []
    with app.app_context():
        start = utcnow() - timedelta(days=1)
        for number in range(count):
            firm = new_firm(f"分页测试企业{number:03d}有限公司", f"91210900MP{number:07d}")
            email = f"page{number:03d}@example.com"
            db.session.add(
                User(
                    email=email,
                    password_hash="x",
                    role=Role.ENTERPRISE,
                    display_name=f"分页{number}",
                    enterprise_id=firm.id,
                    created_at=start + timedelta(seconds=number),
                )
            )
            emails.append(email)
        db.session.commit()
    return emails


def _emails_on(html: str) -> list[str]:
    # each row names its email twice (the cell and the hidden name of its button)
    return list(dict.fromkeys(re.findall(r"page\d{3}@example\.com", html)))


def test_firm_accounts_page_by_key_both_ways_at_fixed_cost(app, demo):
    emails = _add_firm_accounts(app, 60)
    client = officer_client(app, ADMIN)
    first = client.get("/admin/accounts?kind=enterprise").get_data(as_text=True)
    assert _emails_on(first)[:3] == [emails[59], emails[58], emails[57]]  # newest first
    assert _next_link(first, "prev") is None
    seen, url, pages = [], "/admin/accounts?kind=enterprise", []
    while url:
        html = client.get(url).get_data(as_text=True)
        pages.append(url)
        seen += _emails_on(html)
        url = _next_link(html, "next")
    assert seen == list(reversed(emails))  # every firm once, in order, over three pages
    assert len(pages) == 3
    # "Previous" from the last page gives the page before it
    last = client.get(pages[-1]).get_data(as_text=True)
    back = client.get(_next_link(last, "prev")).get_data(as_text=True)
    assert _emails_on(back) == _emails_on(client.get(pages[1]).get_data(as_text=True))
    # the same statements on the first page and the deepest
    assert statements_for(app, client, pages[-1]) <= statements_for(app, client, pages[0]) + 1


def test_firm_accounts_caption_counts_up_to_a_bound(app, demo, monkeypatch):
    from portal.web.admin import routes

    _add_firm_accounts(app, 4)
    client = officer_client(app, ADMIN)
    monkeypatch.setattr(routes, "COUNT_UP_TO", 3)
    assert "More than 3 accounts" in text_of(client.get("/admin/accounts?kind=enterprise"))


@pytest.mark.parametrize("cursor", BAD_CURSORS)
def test_a_bad_accounts_cursor_shows_the_first_page(app, demo, cursor):
    _add_firm_accounts(app, 30)
    client = officer_client(app, ADMIN)
    first = _emails_on(client.get("/admin/accounts?kind=enterprise").get_data(as_text=True))
    for name in ("after", "before"):
        response = client.get(f"/admin/accounts?kind=enterprise&{name}={cursor}")
        assert response.status_code == 200
        assert _emails_on(response.get_data(as_text=True)) == first
    assert client.get(f"/admin/accounts?after={cursor}").status_code == 200  # staff tab


def test_staff_accounts_still_list_by_role(app, demo):
    client = officer_client(app, ADMIN)
    page = text_of(client.get("/admin/accounts"))
    assert "officer@example.com" in page and "admin@example.com" in page


# --- open objections --------------------------------------------------------------------------


def _open_objections(app, count: int) -> list[int]:
    ids = []
    for number in range(count):
        application_id = in_publicity(app, KEY, 60 + number, status=publicity.Status.ON_HOLD)
        ids.append(add_objection(app, application_id))
    return ids


def test_open_objections_page_by_key_both_ways(app, demo):
    ids = _open_objections(app, 5)
    add_objection(app, in_publicity(app, KEY, 90), ObjectionStatus.DISMISSED)
    with app.app_context():
        first, rows = publicity.open_objections("en", per_page=2, after=0)
        assert [row["id"] for row in rows] == ids[:2] and first.first
        second, rows = publicity.open_objections("en", per_page=2, after=first.next_after)
        assert [row["id"] for row in rows] == ids[2:4] and not second.first
        third, rows = publicity.open_objections("en", per_page=2, after=second.next_after)
        assert [row["id"] for row in rows] == ids[4:] and third.next_after is None
        _back, rows = publicity.open_objections("en", per_page=2, before=third.prev_before)
        assert [row["id"] for row in rows] == ids[2:4]
        start, rows = publicity.open_objections("en", per_page=2, before=second.prev_before)
        assert [row["id"] for row in rows] == ids[:2] and start.first


@pytest.mark.parametrize("cursor", BAD_CURSORS)
def test_a_bad_objections_cursor_shows_the_first_page(app, demo, cursor):
    _open_objections(app, 2)
    client = officer_client(app)
    shown = re.compile(r'id="objection-(\d+)"')
    first = shown.findall(text_of(client.get("/staff/decisions/objections")))
    assert len(first) == 2
    for name in ("after", "before"):
        response = client.get(f"/staff/decisions/objections?{name}={cursor}")
        assert response.status_code == 200
        assert shown.findall(text_of(response)) == first


def test_objections_page_costs_the_same_deep(app, demo):
    ids = _open_objections(app, 4)
    client = officer_client(app)
    shallow = statements_for(app, client, "/staff/decisions/objections")
    deep = statements_for(app, client, f"/staff/decisions/objections?after={ids[1]}")
    assert deep <= shallow + 1  # + the cursor's key


# --- a programme's letters --------------------------------------------------------------------


def test_programme_letters_page_by_id_both_ways(app, demo):
    from portal.web.desk import letters as letter_pages

    issued = issue(app, *(add_final_decision(app, RD) for _ in range(5)))
    newest_first = sorted((letter.id for letter in issued), reverse=True)
    with app.app_context():
        program_id = db.session.scalar(select(Program.id).where(Program.code == RD))
        url = f"/staff/letters/programmes/{program_id}"

        def page(query: str = "") -> letter_pages.LetterPage:
            with app.test_request_context(f"{url}?{query}"):
                return letter_pages._letter_page(program_id, per_page=2)

        first = page()
        assert [row.id for row in first.rows] == newest_first[:2] and first.first
        second = page(f"before={first.older}")
        assert [row.id for row in second.rows] == newest_first[2:4]
        third = page(f"before={second.older}")
        assert [row.id for row in third.rows] == newest_first[4:] and third.older is None
        assert [row.id for row in page(f"after={third.newer}").rows] == newest_first[2:4]
        assert page(f"after={second.newer}").first
        for cursor in BAD_CURSORS:
            assert [row.id for row in page(f"before={cursor}").rows][:2] == newest_first[:2]
    client = officer_client(app)
    for cursor in BAD_CURSORS:
        assert client.get(f"{url}?before={cursor}").status_code == 200
        assert client.get(f"{url}?after={cursor}").status_code == 200
    assert statements_for(app, client, f"{url}?before={newest_first[1]}") <= statements_for(
        app, client, url
    )
