"""A real job worker (``flask --app portal jobs worker``) is killed with SIGKILL in the middle
of a programme's letters export. Nothing half-written is left in the database: every letter
issued so far is complete (both PDFs stored, checksums matching, numbers without a gap). The
export is shown as failed; the officer starts it again, a new worker finishes it, and the ZIP
holds every letter exactly once, its manifest matching the files."""

from __future__ import annotations

import csv
import hashlib
import io
import os
import signal
import subprocess
import sys
import time
import zipfile
from collections.abc import Callable
from pathlib import Path

import pytest
from sqlalchemy import func, select

from portal.applications.models import Application
from portal.core.audit import AuditEvent
from portal.core.extensions import db
from portal.core.files import file_store
from portal.core.paths import PROJECT_ROOT
from portal.letters.issuing import ISSUE_CHUNK
from portal.letters.models import ExportStatus, Letter, LetterExport, LetterSequence
from portal.reporting.file_sweep import referenced_keys
from tests.fault.support import RD, program_id_of, stored_files, text_of
from tests.helpers import add_final_decision, detached_rows

LETTERS = 3 * ISSUE_CHUNK  # three transactions of letters to issue: a few seconds of work
# How long to wait for a worker before giving up on it (a guard against hanging, not a
# timing assertion: every wait below ends as soon as its condition holds).
PATIENCE = 180


@pytest.fixture
def app_config(app_config, tmp_path) -> dict:
    """Jobs go to a SQLite queue file that the worker processes read, not inline."""
    return {
        **app_config,
        "JOBS_IMMEDIATE": False,
        "JOBS_SQLITE_PATH": str(tmp_path / "jobs" / "queue.db"),
        "LETTER_WORKERS": 1,
    }


class Workers:
    """Start ``flask --app portal jobs worker`` processes on the test's database and queue,
    each in its own process group (so that its render children die with it)."""

    def __init__(self, app, database_url: str, tmp_path: Path) -> None:
        env = {k: v for k, v in os.environ.items() if not k.startswith("PORTAL_")}
        env.update(
            PORTAL_DATABASE_URL=database_url,
            PORTAL_FILES_DIR=app.config["FILES_DIR"],
            PORTAL_JOBS_SQLITE_PATH=app.config["JOBS_SQLITE_PATH"],
            PORTAL_INSTANCE_DIR=str(tmp_path / "worker-instance"),
            PORTAL_OUTBOX_DIR=str(tmp_path / "outbox"),
            PORTAL_SECRET_KEY="test-secret-key",
            PORTAL_LETTER_WORKERS="1",
            PORTAL_LOG_LEVEL="WARNING",
        )
        self.env = env
        self.log = tmp_path / "worker.log"
        self.processes: list[subprocess.Popen] = []

    def start(self) -> subprocess.Popen:
        flask = Path(sys.executable).with_name("flask")
        with self.log.open("ab") as log:
            process = subprocess.Popen(
                [str(flask), "--app", "portal", "jobs", "worker", "--workers", "1"],
                cwd=PROJECT_ROOT,
                env=self.env,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        self.processes.append(process)
        return process

    def kill(self, process: subprocess.Popen) -> None:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=30)

    def tail(self) -> str:
        return self.log.read_text(errors="replace")[-3000:] if self.log.exists() else ""

    def stop_all(self) -> None:
        for process in self.processes:
            with_group = process.poll() is None
            if with_group:
                os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=30)


@pytest.fixture
def workers(app, database_url, tmp_path):
    pool = Workers(app, database_url, tmp_path)
    yield pool
    pool.stop_all()  # before the database is cleaned up


def wait_for(condition: Callable[[], object], what: str, workers: Workers, process=None):
    deadline = time.monotonic() + PATIENCE
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        if process is not None and process.poll() is not None:
            pytest.fail(
                f"the worker exited ({process.returncode}) before {what}:\n{workers.tail()}"
            )
        time.sleep(0.1)
    pytest.fail(f"gave up waiting for {what}:\n{workers.tail()}")


def letters_in_database(app) -> list[Letter]:
    return detached_rows(app, select(Letter).order_by(Letter.sequence))


def assert_complete(app, letters: list[Letter]) -> None:
    """Every letter has both files, byte for byte what its checksums say; numbers run from
    1 without a gap and the counter stands at the last; one letter (and one audit event)
    each."""
    with app.app_context():
        store = file_store()
        for letter in letters:
            for key, digest, size in (
                (letter.pdf_key, letter.pdf_sha256, letter.pdf_size),
                (letter.pdf_en_key, letter.pdf_en_sha256, letter.pdf_en_size),
            ):
                data = store.read(key)
                assert hashlib.sha256(data).hexdigest() == digest and len(data) == size
        assert [letter.sequence for letter in letters] == list(range(1, len(letters) + 1))
        counters = db.session.scalars(select(LetterSequence.last_number)).all()
        assert counters == ([len(letters)] if letters else [])
        assert len({letter.application_id for letter in letters}) == len(letters)
        issued = db.session.scalar(
            select(func.count(AuditEvent.id)).where(AuditEvent.action == "letter.issued")
        )
        assert issued == len(letters)


def test_a_worker_killed_mid_export_loses_nothing_and_the_export_runs_again(app, officer, workers):
    application_ids = [
        add_final_decision(app, RD, approved=index % 3 != 0, amount=f"{50000 + index}.00")
        for index in range(LETTERS)
    ]
    program_id = program_id_of(app, RD)
    response = officer.post(f"/staff/letters/programmes/{program_id}/export")
    assert response.status_code == 302
    export_url = response.headers["Location"]
    export_id = int(export_url.rsplit("/", 1)[1])

    def status() -> dict:
        return officer.get(export_url + "/status").get_json()

    # 1. A worker takes the export; once some letters are issued (and before the end) it is
    # killed, render processes and all.
    first = workers.start()
    part_way = wait_for(
        lambda: (s := status())["status"] == "running" and 0 < s["done"] < s["total"] and s,
        "the export to be part-way",
        workers,
        first,
    )
    workers.kill(first)
    assert part_way["percent"] < 100

    # 2. What was issued is whole; nothing of the transaction the kill cut short remains.
    issued = letters_in_database(app)
    assert issued and len(issued) % ISSUE_CHUNK == 0 and len(issued) < LETTERS, len(issued)
    assert_complete(app, issued)
    referenced = {key for letter in issued for key in (letter.pdf_key, letter.pdf_en_key)}
    # The files of the letters being written at the kill may remain, unreferenced (no
    # rollback ran to delete them); never anything a row points to that is missing.
    orphans = {name for name in stored_files(app) if not name.startswith("tmp/")} - referenced
    assert len(orphans) <= 2 * ISSUE_CHUNK, orphans

    # 3. The export is shown as failed, with a way to run it again (not "running" for ever).
    failed = wait_for(lambda: (s := status())["status"] == "failed" and s, "failed", workers)
    assert "stopped part-way" in failed["error"] and failed["download_url"] is None
    page = text_of(officer.get(export_url))
    assert "Start the export again" in page

    # 4. The officer starts it again; a new worker finishes it.
    response = officer.post(f"/staff/letters/programmes/{program_id}/export")
    assert response.status_code == 302 and response.headers["Location"] != export_url
    again_url = response.headers["Location"]
    second = workers.start()
    done = wait_for(
        lambda: (
            (s := officer.get(again_url + "/status").get_json())["status"] in ("done", "failed")
            and s
        ),
        "the export to finish",
        workers,
        second,
    )
    assert done["status"] == "done", done
    assert done["letters"] == LETTERS

    letters = letters_in_database(app)
    assert sorted(letter.application_id for letter in letters) == sorted(application_ids)
    assert_complete(app, letters)
    assert {letter.id for letter in issued} <= {letter.id for letter in letters}
    with app.app_context():
        old = db.session.get(LetterExport, export_id)
        assert old.status is ExportStatus.FAILED and old.finished_at is not None
        references = dict(db.session.execute(select(Application.id, Application.reference)).all())

    # 5. The ZIP: every letter exactly once, in both languages; the manifest's checksums are
    # those of the files in it and of the letters on record.
    archive = zipfile.ZipFile(io.BytesIO(officer.get(done["download_url"]).data))
    assert archive.testzip() is None
    rows = list(csv.DictReader(io.StringIO(archive.read("manifest.csv").decode("utf-8-sig"))))
    by_number = {letter.number: letter for letter in letters}
    assert sorted(row["number"] for row in rows) == sorted(by_number)
    assert sorted(row["application_reference"] for row in rows) == sorted(
        references[i] for i in application_ids
    )
    for row in rows:
        letter = by_number[row["number"]]
        assert row["sha256_zh"] == letter.pdf_sha256 and row["sha256_en"] == letter.pdf_en_sha256
        for name, digest in (
            (row["file_zh"], row["sha256_zh"]),
            (row["file_en"], row["sha256_en"]),
        ):
            assert hashlib.sha256(archive.read(name)).hexdigest() == digest
    assert sorted(archive.namelist()) == sorted(
        ["manifest.csv", *(r["file_zh"] for r in rows), *(r["file_en"] for r in rows)]
    )

    # 6. What the kill left behind (the PDFs of the cut-short batch, a partial ZIP in the
    # scratch folder) is swept once past its grace period; everything a row points at stays.
    for path in Path(app.config["FILES_DIR"]).rglob("*"):
        if path.is_file():
            then = time.time() - 2 * 24 * 3600
            os.utime(path, (then, then))
    result = app.test_cli_runner().invoke(args=["files", "sweep"])
    assert result.exit_code == 0, result.output
    assert f"Unreferenced, older than 24 h: {len(orphans)} " in result.output
    assert "Referenced but missing: 0." in result.output
    with app.app_context():
        referenced_now = referenced_keys()
    assert set(stored_files(app)) == referenced_now
    assert_complete(app, letters_in_database(app))
