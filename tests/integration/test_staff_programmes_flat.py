"""The officers' list of programmes counts each programme's applications (drafts excepted)
from the tallies: the same statements, and the right numbers, however many there are."""

from __future__ import annotations

import re

from sqlalchemy import func, select

from portal.applications.models import Application, Status
from portal.core.extensions import db
from portal.programs.models import Program
from tests.helpers import add_bare_applications, statements_for
from tests.integration.test_decisions import KEY, RD, officer_client, text_of


def counted(app) -> dict[str, int]:
    with app.app_context():
        return dict(
            db.session.execute(
                select(Program.code, func.count(Application.id))
                .join(Application, Application.program_id == Program.id)
                .where(Application.status != Status.DRAFT)
                .group_by(Program.code)
            ).all()
        )


def test_programme_list_counts_from_the_tallies_in_fixed_statements(app, demo):
    client = officer_client(app)
    few = statements_for(app, client, "/staff/programmes")
    add_bare_applications(app, KEY, 7, status=Status.SUBMITTED, prefix="T-SP")
    add_bare_applications(app, RD, 4, status=Status.DRAFT, prefix="T-SD")
    add_bare_applications(app, RD, 3, status=Status.AWARDED, prefix="T-SA")
    assert statements_for(app, client, "/staff/programmes") == few
    page = text_of(client.get("/staff/programmes"))
    with app.app_context():
        ids = dict(db.session.execute(select(Program.code, Program.id)).all())
    rows = {
        code: next(row for row in page.split("<tr") if f"/staff/programmes/{ids[code]}/edit" in row)
        for code in ids
    }
    numbers = counted(app)
    assert numbers[KEY] >= 7 and numbers[RD] >= 3
    for code, row in rows.items():
        shown = re.search(r'data-label="Applications">\s*(\d+)\s*<', row)
        assert shown and int(shown.group(1)) == numbers.get(code, 0), code
