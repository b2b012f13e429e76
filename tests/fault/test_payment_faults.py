"""Payments under faults and races: an error half-way through making a batch or importing the
bank's file leaves nothing behind; two approvers approving at once, and the same bank file
imported twice at once, end with one approval and each payment paid once."""

from __future__ import annotations

import threading

import pytest
from sqlalchemy import func, select

from portal.accounts.models import User
from portal.core import audit
from portal.core.audit import Action, AuditEvent
from portal.core.extensions import db
from portal.payments import batches, confirmations
from portal.payments.batch_models import BatchStatus, PaymentBatch
from portal.payments.models import Tranche, TrancheStatus
from tests.fault.support import (
    Fault,
    assert_clean_500,
    assert_rolled_back,
    client_for,
    db_snapshot,
    on_action,
    on_kind,
    stored_files,
    text_of,
)
from tests.payments_world import (
    APPROVER,
    OFFICER,
    approve_data,
    award,
    batch_of,
    confirmation_csv,
    make_batch,
    upload,
)

SECOND_APPROVER = "leader2@example.com"


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


def is_postgresql(app) -> bool:
    with app.app_context():
        return db.engine.dialect.name == "postgresql"


def meet_before(monkeypatch, app, module, name: str) -> None:
    """On PostgreSQL make both requests arrive at ``module.name`` (the step that locks) before
    either runs it, so that both have read the state before the lock. SQLite queues writers
    at their first statement: a barrier there would deadlock, so nothing is installed."""
    if not is_postgresql(app):
        return
    barrier = threading.Barrier(2, timeout=30)
    real = getattr(module, name)

    def wait_then(*args, **kwargs):
        barrier.wait()
        return real(*args, **kwargs)

    monkeypatch.setattr(module, name, wait_then)


@pytest.fixture
def second_approver(app, demo):
    from portal.accounts import services
    from portal.accounts.models import Role
    from tests.helpers import DEMO_PASSWORD

    # The demo seeds a second leader in charge since the wall map; older seeds did not.
    with app.app_context():
        if not db.session.scalar(select(User.id).where(User.email == SECOND_APPROVER)):
            services.create_staff(SECOND_APPROVER, Role.APPROVER, "副领导 Deputy", DEMO_PASSWORD)
            db.session.commit()
    return client_for(app, SECOND_APPROVER)


def count(app, action: Action) -> int:
    with app.app_context():
        return db.session.scalar(
            select(func.count(AuditEvent.id)).where(AuditEvent.action == action)
        )


def test_an_error_mid_batch_leaves_no_partial_batch(app, officer, monkeypatch):
    one, two = award(app), award(app)
    ids = [one["tranche_ids"][0], two["tranche_ids"][0]]
    before, files = db_snapshot(app), stored_files(app)
    # The batch row, its number and both tranches are written when the audit event fails.
    fault = Fault(monkeypatch, audit, "record", when=on_action(Action.PAYMENT_BATCH_CREATED))
    response = officer.post("/staff/payments/batches", data={"tranche_ids": ids})
    assert_clean_500(response)
    assert_rolled_back(app, fault, before, files)
    with app.app_context():
        assert db.session.scalar(select(func.count(PaymentBatch.id))) == 0
        statuses = set(db.session.scalars(select(Tranche.status).where(Tranche.id.in_(ids))))
        assert statuses == {TrancheStatus.DUE}


def test_an_error_mid_import_pays_nothing(app, officer, monkeypatch):
    one = award(app, email="ent1@example.com", amount="38100.00")
    two = award(app, email="ent2@example.com", amount="5000.00")
    batch_id = make_batch(officer, [one["tranche_ids"][0], two["tranche_ids"][0]])
    approver = client_for(app, APPROVER)
    approver.post(f"/staff/payments/batches/{batch_id}/approve", data=approve_data(app, batch_id))
    number = batch_of(app, batch_id).number
    data = confirmation_csv(
        [
            [number, one["account"], "38100.00", "2026-11-20", "R-1"],
            [number, two["account"], "5000.00", "2026-11-20", "R-2"],
        ]
    )
    before, files = db_snapshot(app), stored_files(app)
    # The first payment is recorded and the firm told; the second firm's notice fails.
    calls = {"n": 0}

    def second_notice(*args, **kwargs):
        if on_kind("payment_made")(*args, **kwargs):
            calls["n"] += 1
            return calls["n"] == 2
        return False

    fault = Fault(monkeypatch, confirmations, "notify", when=second_notice)
    assert_clean_500(officer.post("/staff/payments/import", data=upload(data)))
    assert_rolled_back(app, fault, before, files)


def test_two_approvers_at_once_approve_once(app, officer, second_approver, monkeypatch):
    one = award(app)
    batch_id = make_batch(officer, one["tranche_ids"])
    first = client_for(app, APPROVER)
    data = approve_data(app, batch_id)
    url = f"/staff/payments/batches/{batch_id}/approve"
    meet_before(monkeypatch, app, batches, "lock_row")
    responses = at_once(
        lambda: first.post(url, data=data), lambda: second_approver.post(url, data=data)
    )
    codes = sorted(r.status_code for r in responses)
    assert codes == [302, 422], codes
    loser = next(r for r in responses if r.status_code == 422)
    assert "already approved by" in text_of(loser)
    assert batch_of(app, batch_id).status is BatchStatus.APPROVED
    assert count(app, Action.PAYMENT_BATCH_APPROVED) == 1


def test_the_same_file_imported_twice_at_once_pays_once(app, officer, monkeypatch):
    one, two = award(app, amount="38100.00"), award(app, amount="5000.00")
    batch_id = make_batch(officer, [one["tranche_ids"][0], two["tranche_ids"][0]])
    approver = client_for(app, APPROVER)
    approver.post(f"/staff/payments/batches/{batch_id}/approve", data=approve_data(app, batch_id))
    number = batch_of(app, batch_id).number
    data = confirmation_csv(
        [
            [number, one["account"], "38100.00", "2026-11-20", "R-1"],
            [number, two["account"], "5000.00", "2026-11-20", "R-2"],
        ]
    )
    other = client_for(app, OFFICER)
    meet_before(monkeypatch, app, confirmations, "_load")
    responses = at_once(
        lambda: officer.post("/staff/payments/import", data=upload(data)),
        lambda: other.post("/staff/payments/import", data=upload(data)),
    )
    assert [r.status_code for r in responses] == [200, 200]
    pages = sorted(text_of(r) for r in responses)
    summaries = sorted(
        "Matched and recorded: 2" in page or "already paid, ignored: 2" in page for page in pages
    )
    assert summaries == [True, True]
    assert count(app, Action.PAYMENT_CONFIRMED) == 2
    with app.app_context():
        paid = db.session.scalars(
            select(Tranche.bank_reference).where(Tranche.status == TrancheStatus.PAID)
        ).all()
        assert sorted(paid) == ["R-1", "R-2"]
