"""Notice numbers in the database: one contiguous sequence per issuer and year, no duplicate
when several transactions issue at once, no gap when issuing fails, never reused.

Runs on SQLite and, with PORTAL_TEST_DATABASE_URL, on PostgreSQL (the same tests)."""

from __future__ import annotations

import threading
import time
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import func, select

from portal.applications.models import Application, Status
from portal.core.audit import AuditEvent
from portal.core.extensions import db
from portal.core.files import file_store
from portal.letters import issuing
from portal.letters.issuing import issue_due_letters, reissue_letter
from portal.letters.models import Letter, LetterSequence, LetterStatus
from portal.letters.pdf import LetterRenderFailed, html_to_pdf
from portal.letters.verification import public_view
from portal.programs.models import Program
from tests.helpers import add_bare_applications, add_final_decision

RD = "rd-post-subsidy-2026"
KEY = "key-above-size-2026"
ISSUER = "阜科发"  # the demo programmes' issuer code
TODAY = date(2026, 12, 1)  # never the real clock: the year is part of the number


# --- helpers -------------------------------------------------------------------------------


def issue(app, application_ids, today=TODAY) -> list[tuple[int, str, int]]:
    """Issue and commit; return (application id, number, sequence) of each letter issued."""
    with app.app_context():
        letters = issue_due_letters(application_ids, today=today)
        db.session.commit()
        return [(letter.application_id, letter.number, letter.sequence) for letter in letters]


def all_letters(app) -> list[Letter]:
    with app.app_context():
        letters = list(db.session.scalars(select(Letter).order_by(Letter.id)))
        db.session.expunge_all()
        return letters


def last_number(app, issuer: str = ISSUER, year: int = TODAY.year) -> int | None:
    with app.app_context():
        row = db.session.get(LetterSequence, (issuer, year))
        return None if row is None else row.last_number


def stored_files(app) -> set[str]:
    root = Path(app.config["FILES_DIR"])
    if not root.exists():
        return set()
    return {str(path.relative_to(root)) for path in root.rglob("*") if path.is_file()}


def audit_count(app, action: str) -> int:
    with app.app_context():
        return db.session.scalar(
            select(func.count()).select_from(AuditEvent).where(AuditEvent.action == action)
        )


def set_issuer(app, code: str, issuer_code: str) -> None:
    with app.app_context():
        program = db.session.scalar(select(Program).where(Program.code == code))
        program.issuer_code = issuer_code
        db.session.commit()


def warm_up_renderer() -> None:
    """Load WeasyPrint and the CJK fonts once, so that timing-sensitive tests do not pay for
    it inside a transaction."""
    html_to_pdf("<p>阜新市科学技术局 Fuxin 100,000.00</p>")


# --- sequences -----------------------------------------------------------------------------


def test_numbers_start_at_one_and_are_contiguous(app, demo):
    ids = [add_final_decision(app, RD) for _ in range(2)]
    ids.append(add_final_decision(app, KEY, approved=False))
    assert last_number(app) is None

    issued = issue(app, ids)

    # Sequences follow the applications' order, across programmes of the same issuer.
    assert issued == [
        (ids[0], "阜科发〔2026〕1号", 1),
        (ids[1], "阜科发〔2026〕2号", 2),
        (ids[2], "阜科发〔2026〕3号", 3),
    ]
    assert last_number(app) == 3
    letters = all_letters(app)
    assert [(letter.issuer_code, letter.year, letter.sequence) for letter in letters] == [
        (ISSUER, 2026, 1),
        (ISSUER, 2026, 2),
        (ISSUER, 2026, 3),
    ]
    assert all(letter.issue_date == TODAY for letter in letters)
    assert all(letter.status is LetterStatus.CURRENT and letter.version == 1 for letter in letters)
    assert len({letter.verification_code for letter in letters}) == 3

    # The next issue carries on from the last number.
    later = add_final_decision(app, RD)
    assert issue(app, [later]) == [(later, "阜科发〔2026〕4号", 4)]
    assert last_number(app) == 4


def test_each_issuer_code_has_its_own_sequence(app, demo):
    set_issuer(app, KEY, "阜科资")
    rd = [add_final_decision(app, RD) for _ in range(2)]
    key = [add_final_decision(app, KEY) for _ in range(2)]

    issued = issue(app, [key[0], rd[0], key[1], rd[1]])

    numbers = {application_id: number for application_id, number, _ in issued}
    assert numbers == {
        rd[0]: "阜科发〔2026〕1号",
        rd[1]: "阜科发〔2026〕2号",
        key[0]: "阜科资〔2026〕1号",
        key[1]: "阜科资〔2026〕2号",
    }
    assert last_number(app, "阜科发") == 2
    assert last_number(app, "阜科资") == 2
    by_application = {letter.application_id: letter for letter in all_letters(app)}
    assert by_application[key[0]].issuer_code == "阜科资"
    assert by_application[rd[0]].issuer_code == "阜科发"


def test_each_year_has_its_own_sequence(app, demo):
    ids = [add_final_decision(app, RD) for _ in range(5)]

    assert [n for _, n, _ in issue(app, ids[:2])] == ["阜科发〔2026〕1号", "阜科发〔2026〕2号"]
    next_year = issue(app, ids[2:4], today=date(2027, 1, 5))
    assert [n for _, n, _ in next_year] == ["阜科发〔2027〕1号", "阜科发〔2027〕2号"]
    # A late letter dated in the old year continues the old year's sequence.
    assert [n for _, n, _ in issue(app, ids[4:], today=date(2026, 12, 31))] == ["阜科发〔2026〕3号"]

    assert last_number(app, ISSUER, 2026) == 3
    assert last_number(app, ISSUER, 2027) == 2
    by_application = {letter.application_id: letter for letter in all_letters(app)}
    assert by_application[ids[2]].year == 2027
    assert by_application[ids[2]].issue_date == date(2027, 1, 5)


# --- several transactions at once ----------------------------------------------------------


# Each issuing transaction below holds its lock (PostgreSQL: the issuer's sequence row; SQLite:
# the database's write lock) for at least this long, as a chunk of a few letters does in
# production (a Chinese and an English PDF per letter, each rendered while the lock is held):
# the other issuers must queue behind it, not fail, and never get the same number.
MIN_ISSUE_SECONDS = 2.0


def test_parallel_issuing_takes_unique_contiguous_numbers(app, demo, monkeypatch):
    threads_count, per_thread = 4, 2
    ids = [
        add_final_decision(app, RD if i % 2 else KEY, approved=i % 3 != 0)
        for i in range(threads_count * per_thread)
    ]
    batches = [ids[i::threads_count] for i in range(threads_count)]
    warm_up_renderer()
    real_render_many = issuing.render_many

    def render_taking_a_while(htmls, workers=1):
        started = time.monotonic()
        pdfs = real_render_many(htmls, workers=workers)
        time.sleep(max(0.0, MIN_ISSUE_SECONDS - (time.monotonic() - started)))
        return pdfs

    monkeypatch.setattr(issuing, "render_many", render_taking_a_while)
    start = threading.Barrier(threads_count)
    results: dict[int, list[tuple[int, str, int]]] = {}
    errors: list[BaseException] = []

    def issue_batch(index: int, batch: list[int]) -> None:
        try:
            start.wait(timeout=10)
            with app.app_context():
                try:
                    letters = issue_due_letters(batch, today=TODAY)
                    db.session.commit()
                except BaseException:
                    db.session.rollback()
                    raise
                results[index] = [(lt.application_id, lt.number, lt.sequence) for lt in letters]
        except BaseException as error:  # reported by the main thread
            errors.append(error)

    threads = [
        threading.Thread(target=issue_batch, args=(index, batch))
        for index, batch in enumerate(batches)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not any(thread.is_alive() for thread in threads)
    assert errors == [], [repr(error) for error in errors]

    total = threads_count * per_thread
    issued = [row for index in sorted(results) for row in results[index]]
    assert sorted(application_id for application_id, _, _ in issued) == sorted(ids)
    assert sorted(sequence for _, _, sequence in issued) == list(range(1, total + 1))
    assert len({number for _, number, _ in issued}) == total
    # Each transaction took a contiguous block of numbers for its own letters.
    for index, rows in results.items():
        sequences = sorted(sequence for _, _, sequence in rows)
        assert sequences == list(range(sequences[0], sequences[0] + per_thread)), index
        assert {application_id for application_id, _, _ in rows} == set(batches[index])

    letters = all_letters(app)
    assert sorted(letter.sequence for letter in letters) == list(range(1, total + 1))
    assert {letter.number for letter in letters} == {
        f"阜科发〔2026〕{n}号" for n in range(1, total + 1)
    }
    assert last_number(app) == total
    assert len(stored_files(app)) == 2 * total  # a Chinese and an English PDF each


def test_the_same_application_issued_twice_at_once_gets_one_letter(app, demo):
    application_id = add_final_decision(app, RD)
    warm_up_renderer()
    start = threading.Barrier(2)
    outcomes: list[object] = []

    def issue_it() -> None:
        start.wait(timeout=10)
        with app.app_context():
            try:
                letters = issue_due_letters([application_id], today=TODAY)
                db.session.commit()
                outcomes.append([letter.number for letter in letters])
            except BaseException as error:
                db.session.rollback()
                outcomes.append(error)

    threads = [threading.Thread(target=issue_it) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not any(thread.is_alive() for thread in threads)

    # One wins; the other either finds the letter already there (it waited for the winner)
    # or is refused by the one-current-letter index. Either way no second letter, no gap,
    # and no file of the loser left behind.
    assert ["阜科发〔2026〕1号"] in outcomes
    assert len(outcomes) == 2
    other = outcomes[1 - outcomes.index(["阜科发〔2026〕1号"])]
    assert (
        other == []
        or "uq_letters_current_per_application" in str(other)
        or ("UNIQUE constraint failed: letters.application_id" in str(other))
    ), other
    letters = all_letters(app)
    assert [letter.number for letter in letters] == ["阜科发〔2026〕1号"]
    assert last_number(app) == 1
    assert stored_files(app) == {letters[0].pdf_key, letters[0].pdf_en_key}


# --- failures leave nothing behind ---------------------------------------------------------


def fail_render(monkeypatch) -> list[int]:
    calls: list[int] = []

    def render_fails(htmls, workers=1):
        calls.append(len(htmls))
        raise LetterRenderFailed("the test makes this render fail")

    monkeypatch.setattr(issuing, "render_many", render_fails)
    return calls


def test_a_failed_render_leaves_no_number_used_and_no_file(app, demo, monkeypatch):
    ids = [add_final_decision(app, RD) for _ in range(2)]
    files_before = stored_files(app)
    calls = fail_render(monkeypatch)

    with app.app_context():
        with pytest.raises(LetterRenderFailed):
            issue_due_letters(ids, today=TODAY)
        db.session.rollback()

    assert calls == [4]  # two letters, each in Chinese and English
    assert all_letters(app) == []
    assert last_number(app) in (None, 0)
    assert stored_files(app) == files_before
    assert audit_count(app, "letter.issued") == 0

    monkeypatch.undo()
    assert [n for _, n, _ in issue(app, ids)] == ["阜科发〔2026〕1号", "阜科发〔2026〕2号"]
    assert last_number(app) == 2


def test_a_failed_render_after_earlier_letters_leaves_the_counter_as_it_was(app, demo, monkeypatch):
    first = add_final_decision(app, RD)
    assert [n for _, n, _ in issue(app, [first])] == ["阜科发〔2026〕1号"]
    files_before = stored_files(app)
    assert len(files_before) == 2
    ids = [add_final_decision(app, RD), add_final_decision(app, KEY, approved=False)]
    fail_render(monkeypatch)

    with app.app_context():
        with pytest.raises(LetterRenderFailed):
            issue_due_letters(ids, today=TODAY)
        db.session.rollback()

    assert [letter.number for letter in all_letters(app)] == ["阜科发〔2026〕1号"]
    assert last_number(app) == 1
    assert stored_files(app) == files_before

    monkeypatch.undo()
    assert [n for _, n, _ in issue(app, ids)] == ["阜科发〔2026〕2号", "阜科发〔2026〕3号"]


def test_a_failure_after_the_files_are_stored_deletes_them(app, demo, monkeypatch):
    """The PDFs are already written when the audit events are recorded: a failure there must
    still take the files and the numbers back."""
    ids = [add_final_decision(app, RD) for _ in range(2)]
    files_before = stored_files(app)
    written: list[str] = []
    real_save = issuing.save_in_transaction

    def save_and_note(data: bytes) -> str:
        key = real_save(data)
        written.append(key)
        return key

    def audit_fails(*args, **kwargs):
        raise RuntimeError("the test makes the audit log fail")

    monkeypatch.setattr(issuing, "save_in_transaction", save_and_note)
    monkeypatch.setattr(issuing.audit, "record", audit_fails)

    with app.app_context():
        with pytest.raises(RuntimeError):
            issue_due_letters(ids, today=TODAY)
        assert len(written) == 4
        # The PDFs were really written before the failure ...
        assert all(file_store().read(key).startswith(b"%PDF-") for key in written)
        db.session.rollback()
    # ... and the rollback took them away.

    assert all_letters(app) == []
    assert last_number(app) in (None, 0)
    assert stored_files(app) == files_before

    monkeypatch.undo()
    assert [n for _, n, _ in issue(app, ids)] == ["阜科发〔2026〕1号", "阜科发〔2026〕2号"]


# --- issued once, never reused ---------------------------------------------------------------


def test_issuing_twice_issues_nothing_twice(app, demo):
    ids = [add_final_decision(app, RD), add_final_decision(app, KEY, approved=False)]
    (not_final,) = add_bare_applications(app, RD, 1, status=Status.SUBMITTED)

    first = issue(app, [*ids, not_final])
    assert [n for _, n, _ in first] == ["阜科发〔2026〕1号", "阜科发〔2026〕2号"]
    files = stored_files(app)

    assert issue(app, [*ids, not_final]) == []
    assert issue(app, ids) == []
    assert len(all_letters(app)) == 2
    assert last_number(app) == 2
    assert stored_files(app) == files
    assert audit_count(app, "letter.issued") == 2

    # Issuing a mix issues only the application that has no letter yet, with the next number.
    new = add_final_decision(app, RD)
    assert issue(app, [*ids, new, not_final]) == [(new, "阜科发〔2026〕3号", 3)]
    assert last_number(app) == 3


def test_a_reissued_letter_gets_a_new_number_and_the_old_one_is_kept(app, demo):
    corrected, other = add_final_decision(app, RD), add_final_decision(app, RD)
    assert [n for _, n, _ in issue(app, [corrected, other])] == [
        "阜科发〔2026〕1号",
        "阜科发〔2026〕2号",
    ]

    with app.app_context():
        old = db.session.scalar(select(Letter).where(Letter.application_id == corrected))
        new = reissue_letter(
            old, reason="金额更正", actor=None, amount=Decimal("90000"), today=TODAY
        )
        db.session.commit()
        old_id, new_id = old.id, new.id

    letters = {letter.id: letter for letter in all_letters(app)}
    assert len(letters) == 3
    old, new = letters[old_id], letters[new_id]
    assert new.number == "阜科发〔2026〕3号" and new.sequence == 3
    assert new.status is LetterStatus.CURRENT and new.version == 2
    assert new.supersedes_id == old.id
    with app.app_context():
        # The verification page of the old letter points to the one that replaced it.
        seen = public_view(db.session.get(Letter, old_id), "zh")
        assert seen["current"] is False and seen["superseded_by"] == "阜科发〔2026〕3号"
    assert new.amount == Decimal("90000.00")
    assert new.reissue_reason == "金额更正"
    assert old.number == "阜科发〔2026〕1号"
    assert old.status is LetterStatus.SUPERSEDED and old.superseded_at is not None
    assert old.amount == Decimal("100000.00")
    assert new.verification_code != old.verification_code
    assert new.pdf_key not in (old.pdf_key, old.pdf_en_key)
    assert len(stored_files(app)) == 6  # the old letter's files are kept too
    with app.app_context():
        assert db.session.get(Application, corrected).decided_amount == Decimal("90000.00")
    assert last_number(app) == 3
    assert audit_count(app, "letter.reissued") == 1

    # A second correction again takes the next number; no number is ever given twice.
    with app.app_context():
        current = db.session.get(Letter, new_id)
        newest = reissue_letter(
            current, reason="金额再次更正", actor=None, amount=Decimal("95000"), today=TODAY
        )
        db.session.commit()
        assert newest.number == "阜科发〔2026〕4号"
        assert newest.version == 3

    letters = all_letters(app)
    assert len(letters) == 4
    assert len({letter.number for letter in letters}) == 4
    assert sorted(letter.sequence for letter in letters) == [1, 2, 3, 4]
    current = [letter for letter in letters if letter.application_id == corrected]
    assert sorted(letter.status.value for letter in current) == [
        "current",
        "superseded",
        "superseded",
    ]
    assert last_number(app) == 4


def test_a_failed_reissue_keeps_the_old_letter_current_and_uses_no_number(app, demo, monkeypatch):
    application_id = add_final_decision(app, RD)
    issue(app, [application_id])
    files_before = stored_files(app)
    fail_render(monkeypatch)

    with app.app_context():
        letter = db.session.scalar(select(Letter).where(Letter.application_id == application_id))
        with pytest.raises(LetterRenderFailed):
            reissue_letter(
                letter, reason="金额更正", actor=None, amount=Decimal("90000"), today=TODAY
            )
        db.session.rollback()

    (letter,) = all_letters(app)
    assert letter.status is LetterStatus.CURRENT and letter.amount == Decimal("100000.00")
    assert last_number(app) == 1
    assert stored_files(app) == files_before
    with app.app_context():
        assert db.session.get(Application, application_id).decided_amount == Decimal("100000.00")
