"""Two officers acting on the same thing at the same moment end with one action: one decision
on an application (approve against reject), one release of a programme's decisions. The
officer who loses is told why; nobody sees a 500."""

from __future__ import annotations

import threading

import pytest
from sqlalchemy import select

from portal.applications.models import Application, Status
from portal.core.audit import AuditEvent
from portal.core.extensions import db
from portal.letters.models import Letter
from portal.notifications.models import Notification
from portal.review import decisions
from tests.fault.support import (
    ADMIN,
    APPROVER,
    approved_and_rejected,
    client_for,
    count_events,
    decide_url,
    decision_form,
    program_id_of,
    propose_release,
    sign_off_pending,
    submit_and_check,
    text_of,
)

CHANGED_MEANWHILE = "was changed by someone else after you opened this page"


@pytest.fixture
def both_at_the_lock(app, monkeypatch):
    """Call it just before the concurrent requests. On PostgreSQL it makes both requests
    arrive at the programme lock (the first statement of a decision or a release) before
    either takes it, so that both have read the application as it was. SQLite takes its write
    lock at the first statement of a POST, so there the second request simply waits for the
    first one's commit (a barrier would deadlock), and nothing is installed."""

    def arm() -> None:
        with app.app_context():
            if db.engine.dialect.name != "postgresql":
                return
        barrier = threading.Barrier(2, timeout=30)
        lock_program = decisions.lock_program

        def wait_then_lock(program_id: int):
            barrier.wait()
            return lock_program(program_id)

        monkeypatch.setattr(decisions, "lock_program", wait_then_lock)

    return arm


def at_once(*posts) -> list:
    """Run each ``post()`` in its own thread, released together; return their responses."""
    start = threading.Barrier(len(posts), timeout=30)
    responses: list = [None] * len(posts)

    def run(index: int) -> None:
        start.wait()
        responses[index] = posts[index]()

    threads = [threading.Thread(target=run, args=(index,)) for index in range(len(posts))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert all(response is not None for response in responses)
    return responses


def test_approve_and_reject_at_once_end_with_one_decision(app, firm, officer, both_at_the_lock):
    application_id = submit_and_check(app, firm, officer)
    admin = client_for(app, ADMIN)
    # Both officers opened the ranked list before either decided: the same lock version.
    approve = decision_form(app, application_id, "approve", "40000")
    reject = decision_form(
        app, application_id, "reject", reason_code="other", reason="材料真实性存疑。"
    )

    both_at_the_lock()
    responses = at_once(
        lambda: officer.post(decide_url(application_id), data=approve),
        lambda: admin.post(decide_url(application_id), data=reject),
    )

    statuses = [response.status_code for response in responses]
    assert sorted(statuses) == [302, 409], statuses
    winner = statuses.index(302)
    assert CHANGED_MEANWHILE in text_of(responses[1 - winner])
    with app.app_context():
        application = db.session.get(Application, application_id)
        assert application.status is Status.DECIDED
        assert application.decision == ("approve", "reject")[winner]
        assert application.decided_amount == (40000, None)[winner]
        assert application.lock_version == int(approve[f"a{application_id}-lock_version"]) + 1
        (recorded,) = db.session.scalars(
            select(AuditEvent.summary).where(AuditEvent.action == "decision.recorded")
        ).all()
        assert recorded["decision"] == application.decision


def test_two_sign_offs_at_once_release_once(app, firm, officer):
    """The approver signs the proposed release off in two tabs at once: the proposal's row
    lock lets one through; the other finds it dealt with."""
    approved, rejected = approved_and_rejected(
        app, firm, officer, reason_code="other", reason="不符合要求。"
    )
    propose_release(officer, program_id_of(app))
    tabs = [client_for(app, APPROVER), client_for(app, APPROVER)]

    responses = at_once(
        lambda: sign_off_pending(app, tabs[0]),
        lambda: sign_off_pending(app, tabs[1]),
    )

    statuses = [response.status_code for response in responses]
    assert sorted(statuses) == [302, 422], statuses
    loser = responses[statuses.index(422)]
    assert "already been dealt with" in text_of(loser)
    assert count_events(app, "decision.released") == 1
    assert count_events(app, "application.release_approval") == 1
    assert count_events(app, "application.release_rejection") == 1
    with app.app_context():
        assert db.session.get(Application, approved).status is Status.PUBLICITY
        assert db.session.get(Application, rejected).status is Status.REJECTED
        # one rejection letter, one notice to each firm
        (letter,) = db.session.scalars(select(Letter)).all()
        assert letter.application_id == rejected and letter.sequence == 1
        kinds = db.session.scalars(
            select(Notification.kind).where(
                Notification.kind.in_(("approved_in_publicity", "letter_issued"))
            )
        ).all()
        assert sorted(kinds) == ["approved_in_publicity", "letter_issued"]
