"""The formal check on the officer's application page: pass it on, reject it as ineligible,
refusals, two officers at once, and the application's full history."""

from __future__ import annotations

import html
import re
import threading

import pytest
from flask_babel import force_locale
from sqlalchemy import event, func, select, update
from sqlalchemy.orm import Session

from portal.accounts.models import User
from portal.applications.models import Application, Status
from portal.core import audit
from portal.core.audit import AuditEvent
from portal.core.extensions import db
from portal.review import formal_check
from portal.review.models import Assignment, AssignmentStatus
from tests.helpers import english_client, submit_application

KEY = "key-above-size-2026"  # two expert reviewers
RD = "rd-post-subsidy-2026"  # no expert review
TRANSITIONS = (
    "application.send_to_expert_review",
    "application.send_to_decision",
    "application.reject_ineligible",
    "application.return_for_changes",
)


def _client(app, email: str):
    return english_client(app, email)


def submitted(app, email: str, code: str) -> int:
    """Drive the firm's own pages to a submitted application."""
    return submit_application(app, email, code)


def _application(app, application_id: int) -> Application:
    with app.app_context():
        application = db.session.get(Application, application_id)
        db.session.expunge(application)
        return application


def _set_status(app, application_id: int, status: Status) -> None:
    with app.app_context():
        db.session.get(Application, application_id).status = status
        db.session.commit()


def _events(app, application_id: int, actions=TRANSITIONS) -> list[AuditEvent]:
    with app.app_context():
        rows = db.session.scalars(
            select(AuditEvent)
            .where(
                AuditEvent.object_type == "applications",
                AuditEvent.object_id == str(application_id),
                AuditEvent.action.in_(actions),
            )
            .order_by(AuditEvent.id)
        ).all()
        db.session.expunge_all()
        return list(rows)


def _text(response) -> str:
    return html.unescape(response.get_data(as_text=True))


@pytest.fixture
def officer(app, demo):
    return _client(app, "officer@example.com")


@pytest.fixture
def key_app(app, demo) -> int:
    return submitted(app, "ent1@example.com", KEY)


@pytest.fixture
def rd_app(app, demo) -> int:
    return submitted(app, "ent2@example.com", RD)


# --- passing --------------------------------------------------------------------------------


def test_pass_sends_to_expert_review_and_links_the_reviewers_page(app, officer, key_app):
    page = _text(officer.get(f"/staff/applications/{key_app}"))
    assert "Passes the formal check" in page and "Pass: send to expert review</button>" in page
    assert "Goes to expert review: 2 reviewers to assign." in page
    response = officer.post(f"/staff/applications/{key_app}/pass-check")
    assert response.status_code == 302
    assert _application(app, key_app).status is Status.EXPERT_REVIEW
    (event_row,) = _events(app, key_app)
    assert event_row.action == "application.send_to_expert_review"
    assert event_row.summary["old"] == "submitted" and event_row.summary["reviewers"] == 2
    with app.app_context():
        assert db.session.get(User, event_row.actor_id).email == "officer@example.com"
    page = _text(officer.get(response.headers["Location"]))
    assert "goes to expert review: assign 2 reviewers" in page
    assert f'href="/staff/review/applications/{key_app}"' in page
    assert f"/staff/applications/{key_app}/pass-check" not in page  # the check is over
    # The firm sees its application at the expert-review stage, never who reviews it.
    firm = _client(app, "ent1@example.com")
    firm_html = firm.get(f"/applications/{key_app}").get_data(as_text=True)
    assert 'aria-current="step" data-stage="expert_review"' in firm_html
    assert "Under review" in _text(firm.get(f"/applications/{key_app}"))
    assert "reviewer1" not in firm_html and "Expert Li" not in firm_html


def test_pass_without_expert_review_goes_to_decision(app, officer, rd_app):
    page = _text(officer.get(f"/staff/applications/{rd_app}"))
    assert "Goes straight to the decision" in page and "Pass: send for decision</button>" in page
    assert officer.post(f"/staff/applications/{rd_app}/pass-check").status_code == 302
    assert _application(app, rd_app).status is Status.DECIDED
    assert [e.action for e in _events(app, rd_app)] == ["application.send_to_decision"]
    assert f"/staff/review/applications/{rd_app}" not in _text(
        officer.get(f"/staff/applications/{rd_app}")
    )


def test_pass_from_formal_check_status(app, officer, rd_app):
    _set_status(app, rd_app, Status.FORMAL_CHECK)
    assert officer.post(f"/staff/applications/{rd_app}/pass-check").status_code == 302
    assert _events(app, rd_app)[0].summary["old"] == "formal_check"


def test_an_ineligible_application_cannot_pass(app, officer, rd_app):
    with app.app_context():
        application = db.session.get(Application, rd_app)
        years = sorted(application.figures["years"])
        application.figure_changes = {
            f"years.{years[-1]}.rd_expense": {"value": "100000", "reason": "更正"}
        }
        db.session.commit()
    page = _text(officer.get(f"/staff/applications/{rd_app}"))
    assert "does not meet the programme's conditions" in page
    assert f"/staff/applications/{rd_app}/pass-check" not in page
    response = officer.post(f"/staff/applications/{rd_app}/pass-check")
    assert response.status_code == 422
    assert "cannot pass the formal check. Reject it as ineligible" in _text(response)
    assert _application(app, rd_app).status is Status.SUBMITTED
    assert _events(app, rd_app) == []


# --- rejecting ------------------------------------------------------------------------------


def test_reject_needs_a_reason_beside_the_field(app, officer, rd_app):
    response = officer.post(f"/staff/applications/{rd_app}/reject", data={"reason": "  "})
    page = _text(response)
    assert response.status_code == 422
    field = page[page.index('id="reject-reason-error"') :][:300]
    assert "Say why the application is ineligible" in field
    assert '<details class="desk-action desk-action--reject" open>' in page
    application = _application(app, rd_app)
    assert application.status is Status.SUBMITTED and application.decision is None
    assert _events(app, rd_app) == []


def test_reject_is_recorded_and_released_at_once(app, officer, rd_app):
    reason = "企业上年度研发费用加计扣除未备案，不符合申报条件。"
    response = officer.post(f"/staff/applications/{rd_app}/reject", data={"reason": reason})
    assert response.status_code == 302
    application = _application(app, rd_app)
    assert application.status is Status.REJECTED
    assert application.decision == "reject" and application.decided_amount is None
    assert application.decision_reason_code == "ineligible"
    assert application.decision_reason == reason
    assert application.decided_at is not None
    assert application.released_at == application.decided_at
    with app.app_context():
        assert db.session.get(User, application.decided_by_id).email == "officer@example.com"
    (event_row,) = _events(app, rd_app)
    assert event_row.action == "application.reject_ineligible"
    assert event_row.summary["reason"] == reason
    firm = _client(app, "ent2@example.com")
    firm_page = _text(firm.get(f"/applications/{rd_app}"))
    assert reason in firm_page and "Rejected" in firm_page


def test_a_typed_reason_is_kept_when_the_page_was_stale(app, officer, rd_app):
    version = _application(app, rd_app).lock_version
    _set_status(app, rd_app, Status.FORMAL_CHECK)  # someone else moved it meanwhile
    response = officer.post(
        f"/staff/applications/{rd_app}/reject",
        data={"reason": "缺少审计报告", "lock_version": version},
    )
    page = _text(response)
    assert response.status_code == 409
    assert "Another officer has just changed this application; reload it." in page
    assert "缺少审计报告</textarea>" in page
    assert _application(app, rd_app).status is Status.FORMAL_CHECK
    assert _events(app, rd_app) == []


# --- refusals -------------------------------------------------------------------------------


@pytest.mark.parametrize("status", [Status.DRAFT, Status.EXPERT_REVIEW, Status.REJECTED])
@pytest.mark.parametrize("action", ["pass-check", "reject"])
def test_only_submitted_or_checking_applications_can_be_acted_on(
    app, officer, key_app, status, action
):
    _set_status(app, key_app, status)
    response = officer.post(f"/staff/applications/{key_app}/{action}", data={"reason": "不符合"})
    assert response.status_code == 422
    assert "Only a submitted application can be checked" in _text(response)
    application = _application(app, key_app)
    assert application.status is status and application.decision is None
    assert _events(app, key_app) == []


def test_a_second_pass_is_refused(app, officer, key_app):
    assert officer.post(f"/staff/applications/{key_app}/pass-check").status_code == 302
    response = officer.post(f"/staff/applications/{key_app}/pass-check")
    assert response.status_code == 422
    assert "this one is “Expert review”" in _text(response)
    assert len(_events(app, key_app)) == 1


@pytest.mark.parametrize("email", ["reviewer1@example.com", "ent1@example.com"])
def test_reviewers_and_firms_are_refused(app, demo, key_app, email):
    visitor = _client(app, email)
    for action in ("pass-check", "reject", "return"):
        response = visitor.post(
            f"/staff/applications/{key_app}/{action}",
            data={"reason": "x", "sections": ["summary"]},
        )
        assert response.status_code == 403, action
    assert visitor.get(f"/staff/applications/{key_app}").status_code == 403
    assert _application(app, key_app).status is Status.SUBMITTED


# --- two officers at once -------------------------------------------------------------------


def test_a_write_over_a_concurrent_change_becomes_a_refusal(app, rd_app):
    """The optimistic lock: the row changed after it was read, so the flush matches nothing."""
    with app.test_request_context():
        application = db.session.get(Application, rd_app)
        officer = db.session.scalar(select(User).where(User.email == "officer@example.com"))
        db.session.connection().execute(
            update(Application.__table__)
            .where(Application.__table__.c.id == rd_app)
            .values(lock_version=Application.__table__.c.lock_version + 1)
        )
        with pytest.raises(formal_check.ConcurrentChange):
            formal_check.pass_formal_check(application, actor=officer)
        db.session.rollback()
    assert _application(app, rd_app).status is Status.SUBMITTED


def test_two_officers_at_once_end_with_one_action(app, demo, key_app):
    """Pass and reject posted together: one wins, the other is refused, one transition."""
    version = _application(app, key_app).lock_version
    first = _client(app, "officer@example.com")
    second = _client(app, "admin@example.com")
    with app.app_context():
        dialect = db.engine.dialect.name
    start = threading.Barrier(2, timeout=20)
    results: dict[str, int] = {}
    # On PostgreSQL both requests are made to read the application before either writes, so the
    # optimistic lock (not the status check) decides. SQLite serialises whole write
    # transactions, so there the second request simply finds the application moved on.
    in_flush = threading.Barrier(2, timeout=20)
    waited: set[int] = set()

    def hold_until_both_read(session, _context, _instances):
        if any(isinstance(obj, Application) for obj in session.dirty):
            ident = threading.get_ident()
            if ident not in waited:
                waited.add(ident)
                in_flush.wait()

    if dialect == "postgresql":
        event.listen(Session, "before_flush", hold_until_both_read)

    def post(name, client, url, data):
        start.wait()
        results[name] = client.post(url, data=data).status_code

    threads = [
        threading.Thread(
            target=post, args=("pass", first, f"/staff/applications/{key_app}/pass-check", {})
        ),
        threading.Thread(
            target=post,
            args=("reject", second, f"/staff/applications/{key_app}/reject", {"reason": "不符"}),
        ),
    ]
    try:
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=60)
    finally:
        if dialect == "postgresql":
            event.remove(Session, "before_flush", hold_until_both_read)
    assert sorted(results.values())[0] == 302, results
    loser = sorted(results.values())[1]
    assert loser == 409 if dialect == "postgresql" else loser in (409, 422), results
    winner = "pass" if results["pass"] == 302 else "reject"
    application = _application(app, key_app)
    events = _events(app, key_app)
    assert len(events) == 1
    if winner == "pass":
        assert application.status is Status.EXPERT_REVIEW
        assert application.decision is None and application.released_at is None
        assert events[0].action == "application.send_to_expert_review"
    else:
        assert application.status is Status.REJECTED and application.decision == "reject"
        assert events[0].action == "application.reject_ineligible"
    assert application.lock_version == version + 1  # exactly one write went through


# --- the history ----------------------------------------------------------------------------


def _rows(page: str) -> list[str]:
    history = page[page.index('id="history-title"') :]
    return re.findall(r'<tr class="desk-event">(.*?)</tr>', history, re.S)


def test_history_lists_every_step_with_actor_and_reason_in_order(app, officer, key_app):
    other = submitted(app, "ent2@example.com", KEY)
    reason = "请补充项目的预期效益。"
    assert (
        officer.post(
            f"/staff/applications/{key_app}/return",
            data={"sections": ["summary"], "reason": reason},
        ).status_code
        == 302
    )
    firm = _client(app, "ent1@example.com")
    summary = {"project_title": "含氟新材料中试线（修订）", "project_summary": "补充了效益。"}
    assert firm.post(f"/applications/{key_app}/summary", data=summary).status_code == 302
    assert firm.post(f"/applications/{key_app}/submit", data={"confirm": "y"}).status_code == 302
    assert officer.post(f"/staff/applications/{key_app}/pass-check").status_code == 302
    with app.app_context():
        reviewer = db.session.scalar(select(User).where(User.email == "reviewer2@example.com"))
        assignment = Assignment(
            application_id=key_app, reviewer_id=reviewer.id, status=AssignmentStatus.DECLINED
        )
        db.session.add(assignment)
        db.session.flush()
        audit.record(
            "review.declined",
            assignment,
            actor=reviewer,
            application_id=key_app,
            reason="workload",
            note="本月评审任务已满",
            conflict_recorded=False,
        )
        audit.record(
            "review.declined", assignment, actor=reviewer, application_id=other, note="不该出现"
        )
        db.session.commit()
    with app.test_request_context(), force_locale("en"):
        declined_label = audit.action_label("review.declined")
    page = _text(officer.get(f"/staff/applications/{key_app}"))
    rows = _rows(page)
    labels = [re.search(r"<strong>(.*?)</strong>", row).group(1) for row in rows]
    assert labels[0] == "Application started"
    assert labels[-5:] == [
        "Returned for changes",
        "Section saved",
        "Resubmitted",
        "Sent to expert review",
        declined_label,
    ]
    assert "Submitted" in labels and "Document uploaded" in labels
    returned = rows[labels.index("Returned for changes")]
    assert "Officer" in returned and reason in returned and "Sections: Project summary" in returned
    assert "Expert review" in rows[labels.index("Sent to expert review")]
    assert "Section: Project summary" in rows[-4]
    resubmitted = rows[labels.index("Resubmitted")]
    assert "Version 2" in resubmitted and "Enterprise" in resubmitted
    declined = rows[-1]
    assert "本月评审任务已满" in declined and "Expert reviewer" in declined
    assert "Grounds: Workload" in declined
    assert "不该出现" not in page  # another application's event
    times = re.findall(r"\d{4}-\d{2}-\d{2} \d{2}:\d{2}", "".join(rows))
    assert times == sorted(times)


def test_history_loads_in_a_fixed_number_of_queries(app, officer, rd_app):
    url = f"/staff/applications/{rd_app}"

    def statements() -> int:
        with app.app_context():
            engine = db.engine
        seen: list[str] = []

        def count(_conn, _cursor, statement, *_args):
            seen.append(statement)

        event.listen(engine, "before_cursor_execute", count)
        try:
            assert officer.get(url).status_code == 200
        finally:
            event.remove(engine, "before_cursor_execute", count)
        return len(seen)

    officer.get(url)
    before = statements()
    with app.app_context():
        application = db.session.get(Application, rd_app)
        people = db.session.scalars(select(User).order_by(User.id)).all()
        for i in range(40):
            audit.record(
                "application.section_saved",
                application,
                actor=people[i % len(people)],
                section="summary",
            )
        db.session.commit()
        assert (
            db.session.scalar(
                select(func.count())
                .select_from(AuditEvent)
                .where(
                    AuditEvent.object_id == str(rd_app), AuditEvent.object_type == "applications"
                )
            )
            > 40
        )
    assert statements() == before


# --- taking an application for the check ------------------------------------------------------


def test_starting_the_check_shows_it_is_in_hand_to_officers_and_the_firm(app, officer, rd_app):
    page = _text(officer.get(f"/staff/applications/{rd_app}"))
    assert "Start the formal check</button>" in page
    response = officer.post(f"/staff/applications/{rd_app}/start-check")
    assert response.status_code == 302
    assert _application(app, rd_app).status is Status.FORMAL_CHECK
    (started,) = _events(app, rd_app, ("application.start_formal_check",))
    assert started.summary == {"old": "submitted", "new": "formal_check"}
    page = _text(officer.get(response.headers["Location"]))
    assert "You have started the formal check of this application." in page
    assert "Start the formal check</button>" not in page  # once only
    assert "Pass: send for decision</button>" in page  # the outcomes stay open
    assert "Formal check started" in page  # the history names the step
    firm_page = _text(_client(app, "ent2@example.com").get(f"/applications/{rd_app}"))
    assert "Formal check started" in firm_page


def test_the_check_starts_only_once_and_only_on_a_submitted_application(app, officer, rd_app):
    assert officer.post(f"/staff/applications/{rd_app}/start-check").status_code == 302
    again = officer.post(f"/staff/applications/{rd_app}/start-check")
    assert again.status_code == 422
    assert "can only start on a submitted application" in _text(again)
    assert len(_events(app, rd_app, ("application.start_formal_check",))) == 1
    _set_status(app, rd_app, Status.DRAFT)
    assert officer.post(f"/staff/applications/{rd_app}/start-check").status_code == 422


def test_starting_from_a_stale_page_is_refused(app, officer, rd_app):
    seen = _application(app, rd_app).lock_version
    with app.app_context():
        db.session.execute(
            update(Application)
            .where(Application.id == rd_app)
            .values(lock_version=Application.lock_version + 1)
        )
        db.session.commit()
    response = officer.post(
        f"/staff/applications/{rd_app}/start-check", data={"lock_version": str(seen)}
    )
    assert response.status_code == 409
    assert _application(app, rd_app).status is Status.SUBMITTED


@pytest.mark.parametrize("email", ["reviewer1@example.com", "ent2@example.com"])
def test_only_officers_start_the_check(app, demo, rd_app, email):
    client = _client(app, email)
    assert client.post(f"/staff/applications/{rd_app}/start-check").status_code in (403, 404)
    assert _application(app, rd_app).status is Status.SUBMITTED
