"""One set of words for where an award stands: proposed, in publicity, final (and paid, for
the payments to come). The statuses map onto them, and the firm reads the publicity end day as
people write it."""

from __future__ import annotations

from datetime import date

import pytest
from flask import Flask
from flask_babel import Babel, force_locale

from portal.applications.award_terms import AwardTerm, award_term, proposed_until, short_day
from portal.applications.models import Status


@pytest.fixture(scope="module")
def babel_app():
    app = Flask(__name__)
    Babel(app)
    with app.app_context():
        yield app


@pytest.mark.parametrize(
    ("status", "decision", "term"),
    [
        (Status.DECIDED, "approve", AwardTerm.PROPOSED),
        (Status.DECIDED, "reject", None),
        (Status.DECIDED, None, None),
        (Status.PUBLICITY, "approve", AwardTerm.IN_PUBLICITY),
        (Status.ON_HOLD, "approve", AwardTerm.IN_PUBLICITY),  # paused, not final
        (Status.AWARDED, "approve", AwardTerm.FINAL),
        (Status.REJECTED, "reject", None),
        (Status.EXPERT_REVIEW, None, None),
    ],
)
def test_each_status_has_its_award_term(status, decision, term):
    assert award_term(status, decision) is term


def test_the_terms_are_the_four_stages_and_final_is_the_awarded_status_word():
    assert [t.value for t in AwardTerm] == ["proposed", "in_publicity", "final", "paid"]
    assert str(Status.AWARDED.label) == str(AwardTerm.FINAL.label) == "Final"
    assert str(Status.PUBLICITY.label) == str(AwardTerm.IN_PUBLICITY.label)


def test_the_publicity_end_day_as_people_write_it(babel_app):
    day = date(2026, 12, 9)
    with force_locale("zh_CN"):
        assert short_day(day) == "12月9日"
    with force_locale("en"):
        assert short_day(day) == "9 December"
        assert proposed_until(day) == "Proposed award (in publicity until 9 December)"
