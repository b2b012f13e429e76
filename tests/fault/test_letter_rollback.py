"""Issuing a decision letter that fails part-way (after its number was taken, a PDF stored or
its row written) leaves the database and the file store as they were: no number is used up,
the next letter gets the number the failed one would have had, and no orphan file is left."""

from __future__ import annotations

import hashlib

import pytest
from sqlalchemy import select

from portal.applications.models import Application, Status
from portal.core import audit
from portal.core.extensions import db
from portal.core.files import file_store
from portal.letters import issuing
from portal.letters.models import LetterSequence, LetterStatus
from portal.notifications import services as notifications
from tests.fault.support import (
    APPROVER,
    Fault,
    JobStart,
    Spy,
    approve_and_release,
    approved_and_rejected,
    assert_clean_500,
    assert_rolled_back,
    client_for,
    db_snapshot,
    end_publicity,
    on_action,
    on_call,
    on_kind,
    program_id_of,
    propose_release,
    sign_off_pending,
    stored_files,
    text_of,
)
from tests.helpers import letters_of

# Where issuing fails: storing the second PDF (the first is stored, the number taken), the
# audit writer (the letter row written as well), the firm's notification (all of it written).
STEPS = {
    "file store": lambda mp: Fault(
        mp, issuing, "save_in_transaction", when=on_call(2), before=True
    ),
    "audit writer": lambda mp: Fault(mp, audit, "record", when=on_action("letter.reissued")),
    "notification": lambda mp: Fault(mp, notifications, "notify", when=on_kind("letter_reissued")),
}


def last_numbers(app) -> list[tuple]:
    with app.app_context():
        return [
            (row.issuer_code, row.year, row.last_number)
            for row in db.session.scalars(select(LetterSequence))
        ]


def assert_files_match(app, letter) -> None:
    with app.app_context():
        store = file_store()
        for key, digest, size in (
            (letter.pdf_key, letter.pdf_sha256, letter.pdf_size),
            (letter.pdf_en_key, letter.pdf_en_sha256, letter.pdf_en_size),
        ):
            data = store.read(key)
            assert hashlib.sha256(data).hexdigest() == digest and len(data) == size


@pytest.fixture
def awarded(app, firm, officer):
    """ent1's application through every real step to a final award with its letter."""
    application_id = approve_and_release(app, firm, officer)
    result = end_publicity(app, application_id)
    assert result.exit_code == 0, result.output
    (letter,) = letters_of(app, application_id)
    return application_id, letter


@pytest.mark.parametrize("step", sorted(STEPS))
def test_a_reissue_failing_part_way_changes_nothing(app, officer, awarded, monkeypatch, step):
    application_id, old = awarded
    # A changed amount is proposed by the officer; the approver's sign-off reissues it.
    form = {"reason": "审计后金额更正。", "amount": "30000", "confirmed": "1"}
    assert officer.post(f"/staff/letters/{old.id}/reissue", data=form).status_code == 302
    leader = client_for(app, APPROVER)
    before, files = db_snapshot(app), stored_files(app)
    numbers = Spy(monkeypatch, issuing, "allocate_sequences")
    fault = STEPS[step](monkeypatch)

    response = sign_off_pending(app, leader)

    assert_rolled_back(app, fault, before, files)
    assert_clean_500(response)
    (would_have_had,) = numbers.results
    assert would_have_had == [old.sequence + 1]

    monkeypatch.undo()
    response = sign_off_pending(app, leader)
    assert response.status_code == 302, text_of(response)[:500]
    old_now, new = letters_of(app, application_id)
    assert old_now.status is LetterStatus.SUPERSEDED and new.status is LetterStatus.CURRENT
    assert new.sequence == would_have_had[0]
    assert_files_match(app, new)
    assert set(stored_files(app)) - set(files) == {new.pdf_key, new.pdf_en_key}


def test_letters_due_at_the_end_of_publicity_fail_cleanly_and_are_issued_later(
    app, firm, officer, monkeypatch
):
    application_id = approve_and_release(app, firm, officer)
    program_id = program_id_of(app)
    numbers = Spy(monkeypatch, issuing, "allocate_sequences")

    # 1. The daily command itself fails after moving the award: nothing moves.
    before, files = db_snapshot(app), stored_files(app)
    fault = Fault(monkeypatch, audit, "record", when=on_action("publicity.advanced"))
    result = end_publicity(app, application_id)
    assert result.exit_code != 0
    assert_rolled_back(app, fault, before, files)

    # 2. The award is made final, but its letter job fails at the firm's notification, after
    # the letter row, its PDFs and its number were written: the job leaves nothing behind.
    monkeypatch.setattr(audit, "record", fault.real)
    job = JobStart(monkeypatch, app)
    fault = Fault(monkeypatch, notifications, "notify", when=on_kind("letter_issued"))
    result = end_publicity(app, application_id)
    assert result.exit_code == 0, result.output  # the award does not depend on its letter
    with app.app_context():
        assert db.session.get(Application, application_id).status is Status.AWARDED
    (job_before,) = job.snapshots
    assert_rolled_back(app, fault, job_before, job.files[0])
    assert letters_of(app, application_id) == []

    # 3. The officer's "issue now" fails in the audit writer: a clean error page, no change.
    page = text_of(officer.get(f"/staff/applications/{application_id}"))
    assert "Issue the letter now" in page
    before, files = db_snapshot(app), stored_files(app)
    monkeypatch.setattr(notifications, "notify", fault.real)
    fault = Fault(monkeypatch, audit, "record", when=on_action("letter.issued"))
    response = officer.post(f"/staff/letters/applications/{application_id}/issue")
    assert_rolled_back(app, fault, before, files)
    assert_clean_500(response)

    # 4. Pressed again without the fault: the letter gets the number every failed attempt
    # was given, the first of the year.
    monkeypatch.setattr(audit, "record", fault.real)
    response = officer.post(f"/staff/letters/applications/{application_id}/issue")
    assert response.status_code == 302
    (letter,) = letters_of(app, application_id)
    assert [r for r in numbers.results] == [[1], [1], [1]]
    assert letter.sequence == 1 and letter.program_id == program_id
    assert_files_match(app, letter)
    assert [n for *_key, n in last_numbers(app)] == [1]


def test_a_rejection_letter_failing_after_the_release_leaves_nothing(
    app, firm, officer, monkeypatch
):
    _approved, rejected = approved_and_rejected(app, firm, officer)
    propose_release(officer, program_id_of(app))
    leader = client_for(app, APPROVER)
    numbers = Spy(monkeypatch, issuing, "allocate_sequences")
    job = JobStart(monkeypatch, app)
    # The Chinese PDF is stored, then storing the English one fails (a full disk).
    fault = Fault(monkeypatch, issuing, "save_in_transaction", when=on_call(2), before=True)

    response = sign_off_pending(app, leader)

    assert response.status_code == 302  # the release stands; its letter can follow
    with app.app_context():
        assert db.session.get(Application, rejected).status is Status.REJECTED
    (job_before,) = job.snapshots
    assert_rolled_back(app, fault, job_before, job.files[0])

    monkeypatch.setattr(issuing, "save_in_transaction", fault.real)
    page = text_of(officer.get(f"/staff/applications/{rejected}"))
    assert "Issue the letter now" in page
    assert officer.post(f"/staff/letters/applications/{rejected}/issue").status_code == 302
    (letter,) = letters_of(app, rejected)
    assert numbers.results[0] == [letter.sequence] == [1]
    assert_files_match(app, letter)
