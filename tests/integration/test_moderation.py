"""Moderation of flagged applications: the moderator's score, or a further reviewer."""

from __future__ import annotations

from decimal import Decimal

import pytest
from sqlalchemy import select

from portal.applications.models import Application, Status
from portal.core.extensions import db
from portal.review.aggregates import refresh_aggregates
from portal.review.models import AssignmentStatus
from tests.integration.test_assignment import (
    ENT1_USCC,
    R1,
    R2,
    R3,
    add_assignment,
    assign,
    assignments_of,
    audit_events,
    declare_conflict,
    expert_review_applications,
    link,
    page_text,
    radio_values,
    staff_client,
    uniform_scores,
    user_id,
)


@pytest.fixture
def apps(app, demo) -> tuple[int, int]:
    return expert_review_applications(app)


@pytest.fixture
def officer(app, demo):
    return staff_client(app)


def application(app, application_id: int) -> Application:
    with app.app_context():
        row = db.session.get(Application, application_id)
        db.session.expunge(row)
        return row


@pytest.fixture
def flagged(app, apps) -> int:
    """ent1's application reviewed 90 and 50 (spread 40 above the threshold 20): in moderation."""
    add_assignment(app, apps[0], R1, AssignmentStatus.SUBMITTED, uniform_scores("9"))
    add_assignment(app, apps[0], R2, AssignmentStatus.SUBMITTED, uniform_scores("5"))
    with app.app_context():
        row = db.session.get(Application, apps[0])
        assert refresh_aggregates(row).flagged
        row.status = Status.MODERATION
        db.session.commit()
    return apps[0]


def moderate(client, application_id: int, score: str, reason: str):
    return client.post(
        f"/staff/review/applications/{application_id}/moderate",
        data={"score": score, "reason": reason},
    )


def test_flagged_application_shows_both_moderation_options(app, flagged, officer):
    page = page_text(officer.get(f"/staff/review/applications/{flagged}"))
    assert "The reviewers' totals are further apart than the programme allows" in page
    assert "40.00" in page and "70.00" in page
    assert "Record the moderator's score" in page
    assert "Add as moderation reviewer" in page
    assert radio_values(page) == {user_id(app, R3)}


def test_moderator_score_becomes_the_final_score(app, flagged, officer):
    reason = "两位专家对创新能力的判断差异较大；经复核材料，取中间偏上。"
    response = moderate(officer, flagged, "72.5", reason)
    assert response.status_code == 302
    row = application(app, flagged)
    assert row.status is Status.DECIDED
    assert row.moderated_total == Decimal("72.50")
    assert row.moderation_reason == reason
    assert row.final_score == Decimal("72.50")
    assert row.review_mean == Decimal("70.00")
    assert row.review_flagged is False
    (event_row,) = audit_events(app, "review.moderated")
    assert event_row.object_id == str(flagged)
    assert event_row.summary["score"] == "72.50"
    assert event_row.summary["reason"] == reason
    assert event_row.summary["flag_reasons"] == ["spread"]
    (moved,) = audit_events(app, "application.moderate")
    assert moved.summary["old"] == "moderation" and moved.summary["new"] == "decided"
    page = page_text(officer.get(f"/staff/review/applications/{flagged}"))
    assert "Moderator's score" in page and reason in page
    assert "Was flagged; moderated" in page
    assert "Record the moderator's score" not in page


@pytest.mark.parametrize(
    ("score", "reason", "message"),
    [
        ("72.5", "  ", "Explain the moderator's score in writing."),
        ("", "理由", "Enter the moderator's score."),
        ("101", "理由", "Enter a number from 0 to 100"),
        ("-1", "理由", "Enter a number from 0 to 100"),
        ("七十", "理由", "Enter a number from 0 to 100"),
        ("72.555", "理由", "Give the score with at most two decimals."),
    ],
)
def test_moderator_score_is_checked_and_nothing_is_written(
    app, flagged, officer, score, reason, message
):
    response = moderate(officer, flagged, score, reason)
    assert response.status_code == 422
    page = page_text(response)
    assert message in page
    if score:
        assert f'value="{score}"' in page  # what was typed is kept
    row = application(app, flagged)
    assert row.status is Status.MODERATION and row.moderated_total is None
    assert audit_events(app, "review.moderated") == []


def test_moderator_score_is_refused_outside_moderation(app, apps, officer):
    add_assignment(app, apps[0], R1, AssignmentStatus.SUBMITTED, uniform_scores("9"))
    response = moderate(officer, apps[0], "80", "理由")
    assert response.status_code == 422
    assert "This cannot be done while the application is “Expert review”." in page_text(response)
    row = application(app, apps[0])
    assert row.status is Status.EXPERT_REVIEW and row.moderated_total is None


def test_moderation_reviewer_is_added_and_review_resumes(app, flagged, officer):
    response = assign(officer, flagged, user_id(app, R3))
    assert response.status_code == 302
    added = assignments_of(app, flagged)[R3]
    assert added.for_moderation and added.status is AssignmentStatus.ASSIGNED
    assert application(app, flagged).status is Status.EXPERT_REVIEW
    (assigned,) = audit_events(app, "review.assigned")
    assert assigned.summary["for_moderation"] is True
    (moved,) = audit_events(app, "application.add_moderation_reviewer")
    assert moved.summary["reviewer_id"] == user_id(app, R3)
    page = page_text(officer.get(f"/staff/review/applications/{flagged}"))
    assert "Moderation" in page and "Pending" in page
    assert "Record the moderator's score" not in page


def test_moderation_reviewer_must_be_free_of_conflicts(app, flagged, officer):
    link(app, R3, ENT1_USCC)
    page = page_text(officer.get(f"/staff/review/applications/{flagged}"))
    assert radio_values(page) == set()
    assert "Add as moderation reviewer" not in page  # nobody can be chosen
    response = assign(officer, flagged, user_id(app, R3))
    assert response.status_code == 422
    assert "must never review its application" in page_text(response)
    assert R3 not in assignments_of(app, flagged)
    assert application(app, flagged).status is Status.MODERATION
    assert audit_events(app, "application.add_moderation_reviewer") == []


def test_declared_conflict_also_blocks_the_moderation_reviewer(app, flagged, officer):
    declare_conflict(app, R3, ENT1_USCC)
    response = assign(officer, flagged, user_id(app, R3))
    assert response.status_code == 422
    assert "declared a conflict of interest" in page_text(response)
    assert application(app, flagged).status is Status.MODERATION


def test_reopening_a_review_in_moderation_returns_to_expert_review(app, flagged, officer):
    with app.app_context():
        assignment_id = next(a.id for e, a in assignments_of(app, flagged).items() if e == R2)
    response = officer.post(
        f"/staff/review/assignments/{assignment_id}/reopen",
        data={"reason": "评分明显偏低，请核对财务状况一项。"},
    )
    assert response.status_code == 302
    row = application(app, flagged)
    assert row.status is Status.EXPERT_REVIEW
    assert row.review_count == 1


def test_moderation_page_and_actions_refused_to_reviewers_and_firms(app, flagged):
    for email in ("reviewer1@example.com", "ent1@example.com"):
        client = staff_client(app, email)
        assert client.get(f"/staff/review/applications/{flagged}").status_code == 403
        assert moderate(client, flagged, "80", "理由").status_code == 403
    assert application(app, flagged).status is Status.MODERATION
    with app.app_context():
        assert db.session.scalar(select(Application.moderated_total)) is None
