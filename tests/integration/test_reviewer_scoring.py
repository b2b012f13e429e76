"""The expert reviewer's side: the queue, scoring, the others' scores, declining, reopening."""

from __future__ import annotations

import html
import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from flask.testing import FlaskClient
from sqlalchemy import event, func, select

from portal.accounts.models import Enterprise, User
from portal.applications import lifecycle
from portal.applications.models import Application, Attachment, Status
from portal.core.audit import AuditEvent
from portal.core.domain import DomainError
from portal.core.extensions import db
from portal.review.models import Assignment, AssignmentStatus, ConflictDeclaration, DeclineReason
from portal.review.scoring import reopen_review
from tests.helpers import (
    KEY_RUBRIC,
    add_bare_applications,
    english_client,
    submit_application,
)

KEY = "key-above-size-2026"
CRITERIA = KEY_RUBRIC
# 16:00 UTC is midnight of the next day in Asia/Shanghai.
DUE = datetime(2027, 1, 15, 16, 0, tzinfo=UTC)
DUE_SHOWN = "2027-01-16 00:00"
# innovation 25, technology and IP 20, market 20, R&D team 15, financial 10, fluorine 10 (of 10):
# 25×0.8 + 20×0.75 + 20×0.6 + 15×0.9 + 10×0.5 + 10×1.0 = 20 + 15 + 12 + 13.5 + 5 + 10 = 75.5
MIXED = {
    "innovation": "8",
    "technology_ip": "7.5",
    "market_benefit": "6",
    "rd_team": "9",
    "financial_health": "5",
    "fluorine_chain": "10",
}
MIXED_TOTAL = Decimal("75.50")


# --- set-up ----------------------------------------------------------------------------------


def _user_id(app, email: str) -> int:
    with app.app_context():
        return db.session.scalar(select(User.id).where(User.email == email))


def _client(app, email: str) -> FlaskClient:
    return english_client(app, email)


def _submitted_application(app, email: str = "ent1@example.com") -> int:
    """Drive the firm's pages to a submitted application for the key above-size programme."""
    return submit_application(app, email, KEY)


def _to_expert_review(app, application_id: int) -> None:
    with app.app_context():
        officer = db.session.scalar(select(User).where(User.email == "officer@example.com"))
        application = db.session.get(Application, application_id)
        lifecycle.transition(application, "start_formal_check", actor=officer)
        lifecycle.transition(application, "send_to_expert_review", actor=officer)
        db.session.commit()


def _assign(app, application_id: int, *emails: str, due=DUE) -> list[int]:
    with app.app_context():
        officer_id = db.session.scalar(select(User.id).where(User.email == "officer@example.com"))
        ids = []
        for email in emails:
            reviewer_id = db.session.scalar(select(User.id).where(User.email == email))
            assignment = Assignment(
                application_id=application_id,
                reviewer_id=reviewer_id,
                status=AssignmentStatus.ASSIGNED,
                assigned_by_id=officer_id,
                due_at=due,
            )
            db.session.add(assignment)
            db.session.flush()
            ids.append(assignment.id)
        db.session.commit()
        return ids


def _bare_applications(app, count: int, email: str, *, start: int = 0) -> list[int]:
    """Applications in expert review made directly in the database (firms made up), each
    assigned to ``email``: for queue tests that need many rows."""
    applications = add_bare_applications(
        app, KEY, count, status=Status.EXPERT_REVIEW, start=start, prefix="T-QUEUE"
    )
    with app.app_context():
        reviewer_id = db.session.scalar(select(User.id).where(User.email == email))
        ids = []
        for number, application_id in enumerate(applications, start=start):
            assignment = Assignment(
                application_id=application_id,
                reviewer_id=reviewer_id,
                due_at=DUE + timedelta(days=number),
            )
            db.session.add(assignment)
            db.session.flush()
            ids.append(assignment.id)
        db.session.commit()
        return ids


@dataclass
class Round:
    application_id: int
    first: int  # reviewer1's assignment
    second: int  # reviewer2's assignment
    reviewer1: FlaskClient
    reviewer2: FlaskClient


@pytest.fixture
def round_(app, demo) -> Round:
    """ent1's submitted application in expert review, assigned to reviewer1 and reviewer2."""
    application_id = _submitted_application(app)
    _to_expert_review(app, application_id)
    first, second = _assign(app, application_id, "reviewer1@example.com", "reviewer2@example.com")
    return Round(
        application_id,
        first,
        second,
        _client(app, "reviewer1@example.com"),
        _client(app, "reviewer2@example.com"),
    )


def _form(scores, *, action="submit", comments=True) -> dict[str, str]:
    if not isinstance(scores, dict):
        scores = dict.fromkeys(CRITERIA, str(scores))
    # "confirmed": the reviewer has seen the confirmation page (scores lock on this post).
    data = {"action": action, "confirmed": "1"}
    for key in CRITERIA:
        data[f"score__{key}"] = scores.get(key, "")
        data[f"comment__{key}"] = f"Comment on {key}." if comments else ""
    return data


def _assignment(app, assignment_id: int) -> Assignment:
    with app.app_context():
        assignment = db.session.get(Assignment, assignment_id)
        db.session.expunge(assignment)
        return assignment


def _application(app, application_id: int) -> Application:
    with app.app_context():
        application = db.session.get(Application, application_id)
        db.session.expunge(application)
        return application


def _events(app, action: str) -> list[AuditEvent]:
    with app.app_context():
        rows = db.session.scalars(
            select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.id)
        ).all()
        for row in rows:
            db.session.expunge(row)
        return rows


def _text(response) -> str:
    return html.unescape(response.get_data(as_text=True))


def _panel(page: str) -> str:
    """The "All reviews of this application" section of a scoring page ('' when absent)."""
    match = re.search(r'<section class="panel rv-panel">(.*?)</section>', page, re.S)
    return match.group(1) if match else ""


# --- the queue -------------------------------------------------------------------------------


def test_queue_shows_only_own_assignments_with_progress_and_bureau_time(app, round_):
    others = _bare_applications(app, 2, "reviewer2@example.com")
    reference = _application(app, round_.application_id).reference

    page = _text(round_.reviewer1.get("/review"))
    assert reference in page
    assert "T-QUEUE-0000" not in page and "T-QUEUE-0001" not in page
    assert "0 / 1" in page
    assert DUE_SHOWN in page  # Asia/Shanghai, not UTC
    assert "Key above-size enterprise selection" in page
    with app.app_context():
        firm = db.session.scalar(
            select(Enterprise.name)
            .join(User, User.enterprise_id == Enterprise.id)
            .where(User.email == "ent1@example.com")
        )
    assert firm in page
    assert "Not started" in page

    assert round_.reviewer2.post(f"/review/{others[0]}", data=_form(7)).status_code == 302
    page = _text(round_.reviewer2.get("/review"))
    assert reference in page and "T-QUEUE-0000" in page and "T-QUEUE-0001" in page
    assert "1 / 3" in page
    assert "Submitted" in page


def test_reviewer_home_shows_progress_next_due_and_link(app, round_):
    _bare_applications(app, 1, "reviewer1@example.com", start=1)
    assert round_.reviewer1.post(f"/review/{round_.first}", data=_form(8)).status_code == 302
    page = _text(round_.reviewer1.get("/home"))
    assert "1 / 2" in page
    # The next due is the open one (due a day after the submitted one).
    assert "2027-01-16 00:00" not in page and "2027-01-17 00:00" in page
    assert 'href="/review"' in page


def _queue_statements(app, client) -> tuple[int, str]:
    with app.app_context():
        engine = db.engine
    statements: list[str] = []

    def count(_conn, _cursor, statement, *_args):
        statements.append(statement)

    event.listen(engine, "before_cursor_execute", count)
    try:
        response = client.get("/review")
    finally:
        event.remove(engine, "before_cursor_execute", count)
    assert response.status_code == 200
    return len(statements), _text(response)


def test_queue_runs_the_same_number_of_queries_for_3_and_30_assignments(app, demo):
    _bare_applications(app, 3, "reviewer1@example.com")
    reviewer = _client(app, "reviewer1@example.com")
    reviewer.get("/review")  # warm up whatever is loaded once per process
    few, page = _queue_statements(app, reviewer)
    assert page.count("T-QUEUE-") == 3
    _bare_applications(app, 27, "reviewer1@example.com", start=3)
    many, page = _queue_statements(app, reviewer)
    assert page.count("T-QUEUE-") == 30
    assert "0 / 30" in page
    assert few == many


# --- who may score what ----------------------------------------------------------------------


def test_someone_elses_assignment_is_404_and_officers_are_refused(app, round_):
    other = round_.reviewer2
    assert other.get(f"/review/{round_.first}").status_code == 404
    assert other.post(f"/review/{round_.first}", data=_form(5, action="draft")).status_code == 404
    assert (
        other.post(f"/review/{round_.first}/decline", data={"reason": "workload"}).status_code
        == 404
    )
    assert other.get("/review/999999").status_code == 404
    assert _assignment(app, round_.first).scores == {}
    assert _assignment(app, round_.first).status is AssignmentStatus.ASSIGNED
    officer = _client(app, "officer@example.com")
    assert officer.get(f"/review/{round_.first}").status_code == 403
    assert officer.get("/review").status_code == 403


def test_scoring_page_shows_the_application_read_only_with_downloads(app, round_):
    page = _text(round_.reviewer1.get(f"/review/{round_.first}"))
    assert "含氟新材料中试线" in page
    assert "/applications/" not in page  # no change links into the firm's pages
    with app.app_context():
        attachment_ids = db.session.scalars(
            select(Attachment.id).where(Attachment.application_id == round_.application_id)
        ).all()
    assert len(attachment_ids) == 4
    for attachment_id in attachment_ids:
        assert f'href="/files/{attachment_id}"' in page
    assert round_.reviewer1.get(f"/files/{attachment_ids[0]}").status_code == 200
    for key in CRITERIA:
        assert f'name="score__{key}"' in page and f'name="comment__{key}"' in page
    assert "Fluorine-chain linkage" in page and "Weight 25" in page


# --- bad input -------------------------------------------------------------------------------


@pytest.mark.parametrize("typed", ["11", "-1", "7.3", "seven", "NaN"])
def test_out_of_range_score_is_refused_beside_its_criterion_and_typed_values_kept(
    app, round_, typed
):
    data = _form({**MIXED, "innovation": typed}, action="draft")
    response = round_.reviewer1.post(f"/review/{round_.first}", data=data)
    page = _text(response)
    assert response.status_code == 422
    assert page.count("Enter a score from 0 to 10, in whole or half points") == 2  # summary+field
    (criterion,) = re.findall(
        r'<fieldset class="rv-criterion rv-criterion--error">(.*?)</fieldset>', page, re.S
    )
    assert 'name="score__innovation"' in criterion
    assert "Enter a score from 0 to 10" in criterion
    assert 'aria-describedby="score__innovation-error"' in criterion
    assert f'value="{typed}"' in page
    assert 'value="7.5"' in page and "Comment on rd_team." in page
    assert _assignment(app, round_.first).scores == {}
    assert _events(app, "review.draft_saved") == []


def test_submit_without_comments_is_refused_and_nothing_stored(app, round_):
    response = round_.reviewer1.post(f"/review/{round_.first}", data=_form(MIXED, comments=False))
    page = _text(response)
    assert response.status_code == 422
    assert page.count("Write a comment that explains the score.") == 2 * len(CRITERIA)
    assert 'value="7.5"' in page
    assignment = _assignment(app, round_.first)
    assert assignment.status is AssignmentStatus.ASSIGNED
    assert assignment.total is None and assignment.scores == {}
    assert _events(app, "review.submitted") == []


def test_submit_with_a_missing_score_is_refused(app, round_):
    data = _form({**MIXED, "rd_team": ""})
    response = round_.reviewer1.post(f"/review/{round_.first}", data=data)
    assert response.status_code == 422
    assert "Enter a score." in _text(response)
    assert _assignment(app, round_.first).status is AssignmentStatus.ASSIGNED


def test_unknown_button_is_a_bad_request(app, round_):
    response = round_.reviewer1.post(f"/review/{round_.first}", data=_form(MIXED, action="x"))
    assert response.status_code == 400
    assert _assignment(app, round_.first).status is AssignmentStatus.ASSIGNED


# --- draft and submission --------------------------------------------------------------------


def test_draft_keeps_incomplete_values_and_shows_them_again(app, round_):
    data = _form({"innovation": "７．５", "market_benefit": "6"}, action="draft", comments=False)
    data["comment__innovation"] = "创新性强，但中试数据不足。"
    response = round_.reviewer1.post(f"/review/{round_.first}", data=data)
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/review/{round_.first}")
    assignment = _assignment(app, round_.first)
    assert assignment.status is AssignmentStatus.ASSIGNED
    assert assignment.total is None
    assert assignment.scores["innovation"] == {
        "score": "7.5",
        "comment": "创新性强，但中试数据不足。",
    }
    assert assignment.scores["rd_team"] == {"score": None, "comment": ""}
    page = _text(round_.reviewer1.get(f"/review/{round_.first}"))
    assert 'value="7.5"' in page and 'value="6"' in page and "创新性强，但中试数据不足。" in page
    assert "Draft saved" in _text(round_.reviewer1.get("/review"))
    (saved,) = _events(app, "review.draft_saved")
    assert saved.summary["scored"] == 2
    assert saved.object_id == str(round_.first)


def test_submit_computes_the_weighted_total_and_locks_the_review(app, round_):
    response = round_.reviewer1.post(f"/review/{round_.first}", data=_form(MIXED))
    assert response.status_code == 302
    assignment = _assignment(app, round_.first)
    assert assignment.status is AssignmentStatus.SUBMITTED
    assert assignment.total == MIXED_TOTAL
    assert assignment.submitted_at is not None
    assert assignment.minimum_missed is False
    application = _application(app, round_.application_id)
    assert application.review_count == 1 and application.review_mean == MIXED_TOTAL
    assert application.status is Status.EXPERT_REVIEW  # reviewer2 has not submitted yet
    (submitted,) = _events(app, "review.submitted")
    assert submitted.summary["total"] == "75.50"

    page = _text(round_.reviewer1.get(f"/review/{round_.first}"))
    assert "75.50" in page
    assert 'name="score__innovation"' not in page  # read-only now
    assert "Comment on fluorine_chain." in page

    again = round_.reviewer1.post(f"/review/{round_.first}", data=_form(1))
    assert again.status_code == 409
    assert "can no longer be changed" in _text(again)
    assert _assignment(app, round_.first).total == MIXED_TOTAL
    assert len(_events(app, "review.submitted")) == 1
    draft = round_.reviewer1.post(f"/review/{round_.first}", data=_form(1, action="draft"))
    assert draft.status_code == 409
    assert _assignment(app, round_.first).scores["innovation"]["score"] == "8"


def test_submit_and_next_goes_to_the_next_open_assignment_then_the_queue(app, round_):
    (later,) = _bare_applications(app, 1, "reviewer1@example.com", start=5)
    response = round_.reviewer1.post(
        f"/review/{round_.first}", data=_form(MIXED, action="submit_next")
    )
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/review/{later}")
    response = round_.reviewer1.post(f"/review/{later}", data=_form(6, action="submit_next"))
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/review")
    assert _assignment(app, later).total == Decimal("60.00")


# --- the other reviewers' scores -------------------------------------------------------------


def test_other_scores_are_hidden_until_own_review_is_submitted(app, round_):
    assert round_.reviewer2.post(f"/review/{round_.second}", data=_form(9)).status_code == 302
    before = _text(round_.reviewer1.get(f"/review/{round_.first}"))
    assert _panel(before) == ""
    assert "90.00" not in before and "Reviewer 2" not in before
    assert "once you have submitted your own" in before

    assert round_.reviewer1.post(f"/review/{round_.first}", data=_form(8)).status_code == 302
    after = _text(round_.reviewer1.get(f"/review/{round_.first}"))
    panel = _panel(after)
    assert "Reviewer 1 (you)" in panel and "Reviewer 2" in panel
    assert "90.00" in panel and "80.00" in panel
    assert re.search(r'<td class="num">9</td>', panel)
    with app.app_context():
        names = db.session.scalars(
            select(User.display_name).where(User.email == "reviewer2@example.com")
        ).all()
    assert names and names[0] not in after and "reviewer2@example.com" not in after


def test_unsubmitted_other_review_shows_no_scores(app, round_):
    draft = _form(3, action="draft")
    assert round_.reviewer2.post(f"/review/{round_.second}", data=draft).status_code == 302
    assert round_.reviewer1.post(f"/review/{round_.first}", data=_form(8)).status_code == 302
    panel = _panel(_text(round_.reviewer1.get(f"/review/{round_.first}")))
    assert "Not submitted yet" in panel
    assert '<td class="num">3</td>' not in panel


# --- the end of the round --------------------------------------------------------------------


def test_last_review_moves_the_application_to_the_decision(app, round_):
    assert round_.reviewer1.post(f"/review/{round_.first}", data=_form(8)).status_code == 302
    assert _application(app, round_.application_id).status is Status.EXPERT_REVIEW
    assert round_.reviewer2.post(f"/review/{round_.second}", data=_form(7)).status_code == 302
    application = _application(app, round_.application_id)
    assert application.status is Status.DECIDED
    assert application.review_count == 2
    assert application.review_mean == Decimal("75.00")
    assert application.review_spread == Decimal("10.00")
    assert application.review_flagged is False
    (moved,) = _events(app, "application.reviews_complete")
    assert moved.summary["new"] == "decided"


def test_spread_above_the_threshold_sends_the_application_to_moderation(app, round_):
    assert round_.reviewer1.post(f"/review/{round_.first}", data=_form(9)).status_code == 302
    assert round_.reviewer2.post(f"/review/{round_.second}", data=_form(5)).status_code == 302
    application = _application(app, round_.application_id)
    assert application.review_spread == Decimal("40.00")  # above the demo threshold of 20
    assert application.review_flagged is True
    assert application.status is Status.MODERATION
    assert len(_events(app, "application.flag_for_moderation")) == 1
    assert _events(app, "application.reviews_complete") == []


def test_round_waits_for_the_programmes_number_of_reviewers(app, demo):
    application_id = _submitted_application(app)
    _to_expert_review(app, application_id)
    (only,) = _assign(app, application_id, "reviewer1@example.com")
    reviewer = _client(app, "reviewer1@example.com")
    assert reviewer.post(f"/review/{only}", data=_form(8)).status_code == 302
    # One review of the two the programme asks for: the officer must assign another.
    assert _application(app, application_id).status is Status.EXPERT_REVIEW


# --- declining -------------------------------------------------------------------------------


def test_decline_for_conflict_needs_a_note_and_records_the_conflict(app, round_):
    url = f"/review/{round_.first}/decline"
    response = round_.reviewer1.post(url, data={"reason": "conflict", "note": "  "})
    assert response.status_code == 422
    assert "Describe the conflict of interest." in _text(response)
    assert 'id="decline" open' in _text(response)
    assert _assignment(app, round_.first).status is AssignmentStatus.ASSIGNED
    response = round_.reviewer1.post(url, data={"note": "x"})
    assert response.status_code == 422
    assert "Choose why you decline." in _text(response)

    note = "我曾担任该企业的技术顾问。"
    response = round_.reviewer1.post(url, data={"reason": "conflict", "note": note})
    assert response.status_code == 302 and response.headers["Location"].endswith("/review")
    assignment = _assignment(app, round_.first)
    assert assignment.status is AssignmentStatus.DECLINED
    assert assignment.decline_reason is DeclineReason.CONFLICT
    assert assignment.decline_note == note
    application = _application(app, round_.application_id)
    reviewer_id = _user_id(app, "reviewer1@example.com")
    with app.app_context():
        (conflict,) = db.session.scalars(select(ConflictDeclaration)).all()
        assert conflict.reviewer_id == reviewer_id
        assert conflict.enterprise_id == application.enterprise_id
        assert conflict.reason == note
    (declined,) = _events(app, "review.declined")
    assert declined.summary["reason"] == "conflict" and declined.summary["conflict_recorded"]

    queue = _text(round_.reviewer1.get("/review"))
    declined_section = queue.split('class="rv-declined"', 1)[1]
    assert application.reference in declined_section and "Conflict of interest" in declined_section
    assert "0 / 0" in queue
    # Declined: the application is no longer the reviewer's to see.
    assert round_.reviewer1.get(f"/review/{round_.first}").status_code == 404


def test_decline_for_workload_needs_no_note_and_records_no_conflict(app, round_):
    response = round_.reviewer1.post(
        f"/review/{round_.first}/decline", data={"reason": "workload", "note": ""}
    )
    assert response.status_code == 302
    assert _assignment(app, round_.first).decline_reason is DeclineReason.WORKLOAD
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(ConflictDeclaration)) == 0


def test_a_submitted_review_cannot_be_declined(app, round_):
    assert round_.reviewer1.post(f"/review/{round_.first}", data=_form(8)).status_code == 302
    response = round_.reviewer1.post(f"/review/{round_.first}/decline", data={"reason": "workload"})
    assert response.status_code == 409
    assert _assignment(app, round_.first).status is AssignmentStatus.SUBMITTED
    assert _events(app, "review.declined") == []


def test_a_decline_that_leaves_enough_submitted_reviews_completes_the_round(app, round_):
    (third,) = _assign(app, round_.application_id, "reviewer3@example.com")
    assert round_.reviewer1.post(f"/review/{round_.first}", data=_form(8)).status_code == 302
    assert round_.reviewer2.post(f"/review/{round_.second}", data=_form(7)).status_code == 302
    assert _application(app, round_.application_id).status is Status.EXPERT_REVIEW
    reviewer3 = _client(app, "reviewer3@example.com")
    response = reviewer3.post(f"/review/{third}/decline", data={"reason": "not_my_field"})
    assert response.status_code == 302
    assert _application(app, round_.application_id).status is Status.DECIDED


# --- reopening (the officers' service) -------------------------------------------------------


def _reopen(app, assignment_id: int, reason: str):
    with app.app_context():
        officer = db.session.scalar(select(User).where(User.email == "officer@example.com"))
        assignment = db.session.get(Assignment, assignment_id)
        try:
            reopen_review(assignment, reason, officer)
        except DomainError:
            db.session.rollback()
            raise
        db.session.commit()


def test_reopen_needs_a_reason_and_a_submitted_review(app, round_):
    with pytest.raises(DomainError) as refused:
        _reopen(app, round_.first, "  ")
    assert refused.value.field == "reason"
    with pytest.raises(DomainError):
        _reopen(app, round_.first, "请重新评估创新性。")  # not submitted
    assert _events(app, "review.reopened") == []


def test_reopen_of_a_decided_application_sends_it_back_to_expert_review(app, round_):
    assert round_.reviewer1.post(f"/review/{round_.first}", data=_form(MIXED)).status_code == 302
    assert round_.reviewer2.post(f"/review/{round_.second}", data=_form(7)).status_code == 302
    assert _application(app, round_.application_id).status is Status.DECIDED

    _reopen(app, round_.first, "请重新评估创新性。")
    assignment = _assignment(app, round_.first)
    assert assignment.status is AssignmentStatus.ASSIGNED
    assert assignment.submitted_at is None and assignment.total is None
    assert assignment.scores["technology_ip"]["score"] == "7.5"  # kept as a draft
    application = _application(app, round_.application_id)
    assert application.status is Status.EXPERT_REVIEW
    assert application.review_count == 1 and application.review_mean == Decimal("70.00")
    (reopened,) = _events(app, "review.reopened")
    assert reopened.summary["reason"] == "请重新评估创新性。"
    assert reopened.summary["previous_total"] == "75.50"
    assert len(_events(app, "application.reopen_review")) == 1

    # The reviewer sees the draft again, changes it, and the round completes once more.
    page = _text(round_.reviewer1.get(f"/review/{round_.first}"))
    assert 'value="7.5"' in page and _panel(page) == ""
    changed = {**MIXED, "innovation": "6"}
    assert round_.reviewer1.post(f"/review/{round_.first}", data=_form(changed)).status_code == 302
    assert _assignment(app, round_.first).total == Decimal("70.50")
    assert _application(app, round_.application_id).status is Status.DECIDED


def test_reopen_during_expert_review_keeps_the_status(app, round_):
    assert round_.reviewer1.post(f"/review/{round_.first}", data=_form(8)).status_code == 302
    _reopen(app, round_.first, "分数与评语不一致。")
    assert _assignment(app, round_.first).status is AssignmentStatus.ASSIGNED
    application = _application(app, round_.application_id)
    assert application.status is Status.EXPERT_REVIEW and application.review_count == 0
    assert _events(app, "application.reopen_review") == []


def test_reopen_is_refused_once_the_decision_is_released(app, round_):
    assert round_.reviewer1.post(f"/review/{round_.first}", data=_form(8)).status_code == 302
    assert round_.reviewer2.post(f"/review/{round_.second}", data=_form(7)).status_code == 302
    with app.app_context():
        application = db.session.get(Application, round_.application_id)
        application.status = Status.PUBLICITY
        db.session.commit()
    with pytest.raises(DomainError):
        _reopen(app, round_.first, "太晚了。")
    assert _assignment(app, round_.first).status is AssignmentStatus.SUBMITTED
    assert _events(app, "review.reopened") == []
