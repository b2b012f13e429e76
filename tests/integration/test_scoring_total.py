"""Scoring that is quick to do well: the weighted total shown as scores are saved (the page's
script keeps it current while typing), and a confirmation with the total before a review
locks; nothing is written until the reviewer confirms."""

from __future__ import annotations

import html
from decimal import Decimal

from sqlalchemy import func, select

from portal.core.audit import AuditEvent
from portal.core.extensions import db
from portal.review import scoring_math
from portal.review.models import AssignmentStatus
from portal.review.score_sheet import running_total
from tests.integration.test_reviewer_scoring import (  # noqa: F401 (fixture)
    CRITERIA,
    MIXED,
    MIXED_TOTAL,
    _assignment,
    _form,
    round_,
)


def _unconfirmed(data: dict[str, str]) -> dict[str, str]:
    """The form as the scoring page sends it, before the confirmation page."""
    return {name: value for name, value in data.items() if name != "confirmed"}


def _events(app) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count(AuditEvent.id)))


def _text(response) -> str:
    return html.unescape(response.get_data(as_text=True))


def test_submit_asks_for_confirmation_with_the_total_and_saves_nothing(app, round_):  # noqa: F811
    before = _events(app)
    response = round_.reviewer1.post(f"/review/{round_.first}", data=_unconfirmed(_form(MIXED)))
    assert response.status_code == 200
    page = _text(response)
    assert "Once submitted you cannot change them. Total 75.50." in page
    assert 'name="confirmed" value="1"' in page
    assert 'name="score__technology_ip" value="7.5"' in page
    assignment = _assignment(app, round_.first)
    assert assignment.status is AssignmentStatus.ASSIGNED and not assignment.scores
    assert _events(app) == before


def test_confirming_submits_and_locks_with_that_total(app, round_):  # noqa: F811
    data = {**_form(MIXED), "confirmed": "1"}
    response = round_.reviewer1.post(f"/review/{round_.first}", data=data)
    assert response.status_code == 302
    assignment = _assignment(app, round_.first)
    assert assignment.status is AssignmentStatus.SUBMITTED
    assert assignment.total == MIXED_TOTAL


def test_going_back_keeps_everything_typed_and_saves_nothing(app, round_):  # noqa: F811
    data = {**_form(MIXED, action="edit"), "confirmed": "1"}
    response = round_.reviewer1.post(f"/review/{round_.first}", data=data)
    assert response.status_code == 200
    page = _text(response)
    assert 'value="7.5"' in page and "Comment on rd_team." in page
    assert "75.50" in page  # the running total of what is typed
    assert _assignment(app, round_.first).status is AssignmentStatus.ASSIGNED


def test_an_incomplete_submission_shows_the_problems_not_the_confirmation(app, round_):  # noqa: F811
    response = round_.reviewer1.post(
        f"/review/{round_.first}", data=_unconfirmed(_form({**MIXED, "rd_team": ""}))
    )
    assert response.status_code == 422
    page = _text(response)
    assert "Once submitted" not in page
    assert "Enter a score." in page
    assert 'value="7.5"' in page  # what was typed stays


def test_a_saved_draft_shows_its_running_total_without_javascript(app, round_):  # noqa: F811
    data = _form({"innovation": "8", "market_benefit": "6"}, action="draft")
    assert round_.reviewer1.post(f"/review/{round_.first}", data=data).status_code == 302
    page = _text(round_.reviewer1.get(f"/review/{round_.first}"))
    # innovation 25 × 8/10 + market 20 × 6/10 = 20 + 12
    assert 'data-total-value aria-live="polite">32.00</output>' in page
    assert f"2 of {len(CRITERIA)} criteria scored" in page
    assert 'data-weight="25"' in page and 'data-max="10"' in page


def test_the_running_total_is_the_weighted_total_once_complete(app, round_):  # noqa: F811
    from portal.review.score_sheet import criteria_of

    with app.app_context():
        from portal.applications.models import Application

        criteria = criteria_of(db.session.get(Application, round_.application_id))
        scores = {key: (Decimal(value), "") for key, value in MIXED.items()}
        result = running_total(criteria, scores)
        assert result["complete"] and result["scored"] == len(criteria)
        values = {key: score for key, (score, _comment) in scores.items()}
        assert result["total"] == scoring_math.weighted_total(criteria, values) == MIXED_TOTAL
        # An out-of-range score counts as unscored, as the page's script does.
        result = running_total(criteria, {**scores, "innovation": (Decimal("11"), "")})
        assert result["scored"] == len(criteria) - 1 and not result["complete"]
