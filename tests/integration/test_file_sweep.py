"""``flask files sweep``: unreferenced files and unfinished writes older than the grace period
go; every file a row points at stays, whatever its age; rows whose file is missing are
reported. Also: a file a transaction stops pointing at is deleted only if it commits."""

from __future__ import annotations

import os
import time
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select

from portal.applications.models import Attachment
from portal.core.audit import AuditEvent
from portal.core.extensions import db
from portal.core.files import (
    delete_after_commit,
    file_store,
    move_in_transaction,
    save_in_transaction,
)
from portal.letters.models import Letter
from portal.reporting.file_sweep import referenced_keys, sweep_files
from tests.helpers import add_final_decision, letters_of

RD = "rd-post-subsidy-2026"
TWO_DAYS = 2 * 24 * 3600


def age(path: Path, seconds: float = TWO_DAYS) -> Path:
    """Make ``path`` look written ``seconds`` ago."""
    then = time.time() - seconds
    os.utime(path, (then, then))
    return path


def root_of(app) -> Path:
    return Path(app.config["FILES_DIR"])


def sweeps(app) -> int:
    with app.app_context():
        return db.session.scalar(
            select(func.count(AuditEvent.id)).where(AuditEvent.action == "files.swept")
        )


@pytest.fixture
def store_with_everything(app, demo):
    """A letter (two PDFs, referenced), plus every kind of file the sweep must tell apart,
    all but the young ones written two days ago."""
    from portal.core.jobs import commit
    from portal.letters.issuing import issue_due_letters

    application_id = add_final_decision(app, RD)
    with app.app_context():
        issue_due_letters([application_id])
        commit()
        store = file_store()
        files = {
            "old orphan": store.save(b"an old orphan"),
            "young orphan": store.save(b"a young orphan"),
        }
    letter = letters_of(app, application_id)[0]
    files["letter zh"], files["letter en"] = letter.pdf_key, letter.pdf_en_key
    root = root_of(app)
    month = root / files["old orphan"].rsplit("/", 1)[0]
    paths = {name: root / key for name, key in files.items()}
    paths["old unfinished write"] = month / ".upload-k3j2h1.tmp"
    paths["old scratch zip"] = root / "tmp" / "tmpa8f3.zip"
    paths["young scratch zip"] = root / "tmp" / "tmpb9e4.zip"
    paths["someone's notes"] = root / "README.txt"
    for name in ("old unfinished write", "old scratch zip", "young scratch zip", "someone's notes"):
        paths[name].parent.mkdir(parents=True, exist_ok=True)
        paths[name].write_bytes(b"x" * 100)
    for name, path in paths.items():
        if not name.startswith("young"):
            age(path)
    return paths


def test_dry_run_reports_and_deletes_nothing(app, store_with_everything):
    result = app.test_cli_runner().invoke(args=["files", "sweep", "--dry-run"])
    assert result.exit_code == 0, result.output
    assert "Stored files: 4 " in result.output
    assert "Unreferenced, older than 24 h: 1 (13 B) would be deleted." in result.output
    assert "Unreferenced, younger (kept): 1." in result.output
    assert "older than 24 h: 2 (200 B) would be deleted." in result.output
    assert "Referenced but missing: 0." in result.output
    assert all(path.exists() for path in store_with_everything.values())
    assert sweeps(app) == 0


def test_sweep_deletes_only_old_unreferenced_files_and_unfinished_writes(
    app, store_with_everything
):
    paths = store_with_everything
    result = app.test_cli_runner().invoke(args=["files", "sweep"])
    assert result.exit_code == 0, result.output
    assert "Unreferenced, older than 24 h: 1 (13 B) deleted." in result.output
    gone = {name for name, path in paths.items() if not path.exists()}
    assert gone == {"old orphan", "old unfinished write", "old scratch zip"}
    # The letter's PDFs are two days old too, but a row points at them.
    assert paths["letter zh"].read_bytes().startswith(b"%PDF")
    assert paths["letter en"].read_bytes().startswith(b"%PDF")
    with app.app_context():
        event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "files.swept"))
        assert event.summary["orphans"] == 1 and event.summary["leftovers"] == 2
        assert event.summary["orphan_bytes"] == len(b"an old orphan")

    # Run again: nothing more to do, and no audit event for nothing.
    again = app.test_cli_runner().invoke(args=["files", "sweep"])
    assert again.exit_code == 0
    assert "Unreferenced, older than 24 h: 0 (0 B) deleted." in again.output
    assert sweeps(app) == 1


def test_a_shorter_grace_takes_younger_files_but_never_under_an_hour(app, store_with_everything):
    paths = store_with_everything
    age(paths["young orphan"], 3 * 3600)
    result = app.test_cli_runner().invoke(args=["files", "sweep", "--older-than", "2"])
    assert result.exit_code == 0, result.output
    assert not paths["young orphan"].exists() and paths["young scratch zip"].exists()

    refused = app.test_cli_runner().invoke(args=["files", "sweep", "--older-than", "0"])
    assert refused.exit_code == 2 and "--older-than" in refused.output
    with app.app_context(), pytest.raises(ValueError):
        sweep_files(grace=timedelta(minutes=30))


def test_a_row_whose_file_is_missing_is_reported_and_exit_1(app, store_with_everything):
    paths = store_with_everything
    paths["letter en"].unlink()
    result = app.test_cli_runner().invoke(args=["files", "sweep", "--dry-run"])
    assert result.exit_code == 1
    key = paths["letter en"].relative_to(root_of(app)).as_posix()
    assert "Referenced but missing: 1." in result.output
    assert f"missing: {key}" in result.output


def test_referenced_keys_cover_attachments_letters_and_exports(app, demo):
    from tests.helpers import submit_application

    application_id = submit_application(app, "ent1@example.com", RD)
    with app.app_context():
        keys = referenced_keys()
        attachments = set(
            db.session.scalars(
                select(Attachment.storage_key).where(Attachment.application_id == application_id)
            )
        )
        letters = db.session.execute(select(Letter.pdf_key, Letter.pdf_en_key)).all()
    assert attachments and attachments <= keys
    assert {key for row in letters for key in row} <= keys


def test_a_released_file_goes_only_when_its_transaction_commits(app, tmp_path):
    with app.app_context():
        store = file_store()
        key = store.save(b"the previous export")
        delete_after_commit(key)
        db.session.rollback()
        assert store.exists(key), "a rolled-back change still points at the file"
        delete_after_commit(key)
        db.session.commit()
        assert not store.exists(key)


def test_a_moved_in_file_goes_again_when_its_transaction_rolls_back(app, tmp_path):
    with app.app_context():
        store = file_store()
        scratch = store.scratch_dir() / "built.zip"
        scratch.write_bytes(b"PK a zip")
        key = move_in_transaction(scratch)
        assert store.exists(key) and not scratch.exists()
        db.session.rollback()
        assert not store.exists(key)
        kept = save_in_transaction(b"kept")
        db.session.commit()
        assert store.exists(kept)


def test_the_whole_demo_survives_a_sweep_of_old_files(app):
    """Every kind of stored file the demo makes (letters, publicity notices, release records,
    agreements and other post-award documents, report files, the key tasks' evidence ...),
    made old, is still there after a sweep: each column that holds a key counts."""
    from portal.core.files import stored_file_columns
    from portal.demo_applications import seed_demo
    from portal.demo_post_award import seed_post_award
    from portal.demo_tasks import seed_demo as seed_wall_map

    with app.app_context():
        for seed in (seed_demo, seed_post_award, seed_wall_map):
            seed(log=lambda _line: None)
            db.session.commit()
        kinds = {
            table.name
            for table, column in stored_file_columns()
            if db.session.scalar(select(func.count()).where(column.is_not(None)))
        }
    assert {"letters", "publicity_notices", "post_award_documents", "task_files"} <= kinds, kinds
    for path in root_of(app).rglob("*"):
        if path.is_file():
            age(path)

    with app.app_context():
        report = sweep_files()
        db.session.commit()
        assert report.orphans.count == 0, "no file a row points at is an orphan"
        assert report.missing == []
