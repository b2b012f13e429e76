"""A programme's letters page says how many final decisions still lack a letter, counted no
further than a cap (issue 14 item 9): the page reads the same statements, and no more rows than
the cap, however many decisions a large programme has."""

from __future__ import annotations

from sqlalchemy import select

from portal.core.extensions import db
from portal.programs.models import Program
from portal.web.desk import letters as letter_pages
from tests.helpers import add_final_decision, statements_for
from tests.integration.test_decisions import RD, officer_client, text_of
from tests.integration.test_letters import issue


def _url(app) -> str:
    with app.app_context():
        program_id = db.session.scalar(select(Program.id).where(Program.code == RD))
    return f"/staff/letters/programmes/{program_id}"


def test_the_due_count_is_exact_below_the_cap_and_capped_above_it(app, demo, monkeypatch):
    monkeypatch.setattr(letter_pages, "DUE_COUNT_CAP", 4)
    decided = [add_final_decision(app, RD, approved=index % 2 == 0) for index in range(3)]
    issue(app, decided[0])  # one has its letter: it is not due
    client = officer_client(app)
    url = _url(app)
    page = text_of(client.get(url))
    assert "2 final decisions have no letter yet" in page
    few = statements_for(app, client, url)
    for _ in range(6):
        add_final_decision(app, RD)
    page = text_of(client.get(url))
    assert "More than 4 final decisions have no letter yet" in page
    assert "8 final decisions" not in page
    assert statements_for(app, client, url) == few
