"""A programme's letters as one ZIP with a CSV manifest, built by a background job.

The export first issues any letter still due (a final decision whose letter job was lost),
then packs every letter of the programme, current and superseded, as stored: the files in
the ZIP are byte for byte the ones whose SHA-256 the manifest lists. Progress is committed as
it goes so that the page can show it; an export interrupted half-way is simply run again.

A worker that is killed (out of memory, a deploy, a power cut) cannot mark its export failed,
so the export would stay "running" for ever and block the next one. While it builds, the
runner therefore holds a lock that the operating system or the database drops when its
process dies: a PostgreSQL session advisory lock, or on SQLite (one host) an ``flock`` on a
file beside the database. A running export whose lock nobody holds was interrupted: it is
shown as failed, and starting a new export marks it so.
"""

from __future__ import annotations

import contextlib
import fcntl
import io
import os
import shutil
import tempfile
import zipfile
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import select, text

from portal.applications.models import Application
from portal.core import audit
from portal.core.archives import member_name
from portal.core.audit import Action
from portal.core.concurrency import lock_row, service
from portal.core.csv_safe import UTF8_BOM, SafeCsvWriter
from portal.core.domain import DomainError
from portal.core.extensions import db
from portal.core.files import delete_after_commit, file_store, move_in_transaction
from portal.core.jobs import commit, enqueue_after_commit, job
from portal.core.operator_lock import exclusive_flock
from portal.core.timeutil import utcnow
from portal.letters.issuing import ISSUE_CHUNK, due_application_ids, issue_due_letters
from portal.letters.models import ExportStatus, Letter, LetterExport
from portal.programs.models import Program

PROGRESS_EVERY = 25
MANIFEST_COLUMNS = (
    "number",
    "kind",
    "status",
    "enterprise",
    "uscc",
    "amount_yuan",
    "issue_date",
    "application_reference",
    "verification_code",
    "file_zh",
    "sha256_zh",
    "file_en",
    "sha256_en",
)

Progress = Callable[[int, int], None]


# Stored in ``LetterExport.error`` of an export whose worker died; shown translated.
INTERRUPTED = "interrupted"
INTERRUPTED_MESSAGE = _l(
    "The export stopped part-way: the background worker running it was stopped. "
    "The letters issued so far are kept; start the export again to finish it."
)
# PostgreSQL advisory locks of exports: the first key is ours ("LEXP"), the second the id.
_ADVISORY_LOCK_SPACE = 0x4C455850
_LOCK = text("SELECT pg_try_advisory_lock(CAST(:space AS integer), CAST(:id AS integer))")
_UNLOCK = text("SELECT pg_advisory_unlock(CAST(:space AS integer), CAST(:id AS integer))")
_LOCK_HELD = text(
    "SELECT EXISTS (SELECT 1 FROM pg_locks WHERE locktype = 'advisory' AND granted"
    " AND classid::bigint = :space AND objid::bigint = :id AND objsubid = 2"
    " AND database = (SELECT oid FROM pg_database WHERE datname = current_database()))"
)


class ExportRefused(DomainError):
    pass


# --- is the runner of an export alive? ------------------------------------------------------


def _lock_file(export_id: int) -> Path:
    """Beside the SQLite file, which every process sharing the database can reach."""
    name = db.engine.url.database or ""
    database = Path(name) if name and name != ":memory:" else Path(tempfile.gettempdir()) / "db"
    return database.with_name(f"{database.name}.letter-export-{export_id}.lock")


@contextlib.contextmanager
def _runner_lock(export_id: int) -> Iterator[bool]:
    """Hold the export's runner lock for the block; yield False if another process holds it."""
    engine = db.engine
    if engine.dialect.name == "postgresql":
        # Its own connection: the session's returns to the pool at each commit.
        with engine.connect() as connection:
            keys = {"space": _ADVISORY_LOCK_SPACE, "id": export_id}
            held = connection.scalar(_LOCK, keys)
            connection.commit()
            try:
                yield bool(held)
            finally:
                if held:
                    connection.execute(_UNLOCK, keys)
                    connection.commit()
        return
    # Removed when done: ``_runner_alive`` takes a missing file for "no runner".
    with exclusive_flock(_lock_file(export_id), remove_when_done=True) as mine:
        yield mine


def _runner_alive(export_id: int) -> bool:
    """Whether some process holds the export's runner lock (reads only: takes nothing)."""
    if db.engine.dialect.name == "postgresql":
        keys = {"space": _ADVISORY_LOCK_SPACE, "id": export_id}
        return bool(db.session.scalar(_LOCK_HELD, keys))
    try:
        fd = os.open(_lock_file(export_id), os.O_RDWR)
    except FileNotFoundError:
        return False
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return True
    finally:
        os.close(fd)
    return False


def interrupted(export: LetterExport) -> bool:
    """A running export whose runner has died. (One marked running without ever having been
    started by a runner, ``started_at`` empty, is given the benefit of the doubt.)"""
    return (
        export.status is ExportStatus.RUNNING
        and export.started_at is not None
        and not _runner_alive(export.id)
    )


def _mark_interrupted(export: LetterExport) -> None:
    export.status = ExportStatus.FAILED
    export.error = INTERRUPTED
    export.finished_at = utcnow()
    audit.record(
        Action.LETTER_EXPORT_INTERRUPTED, export, program_id=export.program_id, done=export.done
    )


# --- starting and running -------------------------------------------------------------------


@service
def start_export(program: Program, *, actor: Any) -> LetterExport:
    # One start at a time per programme: the programme row is the lock (PostgreSQL; SQLite
    # serialises writers anyway), then the export row lock waits for a runner's commit.
    lock_row(Program, program.id)
    under_way = db.session.scalars(
        select(LetterExport)
        .where(
            LetterExport.program_id == program.id,
            LetterExport.status.in_((ExportStatus.QUEUED, ExportStatus.RUNNING)),
        )
        .with_for_update()
        .execution_options(populate_existing=True)
    ).all()
    for export in under_way:
        if not interrupted(export):
            raise ExportRefused(_l("An export of this programme is already under way."))
    for export in under_way:
        _mark_interrupted(export)
    export = LetterExport(
        program_id=program.id,
        requested_by_id=getattr(actor, "id", None),
        status=ExportStatus.QUEUED,
    )
    db.session.add(export)
    db.session.flush()
    audit.record(Action.LETTER_EXPORT_REQUESTED, program, actor=actor, export_id=export.id)
    enqueue_after_commit(export_letters, export.id)
    return export


def file_names(letter: Letter) -> tuple[str, str]:
    """The letter's two files in the ZIP: safe names whatever its number (issuer code) holds."""
    return member_name(f"{letter.number}.pdf"), member_name(f"{letter.number}-en.pdf")


def run_export(export_id: int, *, workers: int = 1, progress: Progress | None = None) -> None:
    """Build the export (again, if an earlier run stopped part-way); commits as it goes.

    Does nothing while another process is building the same export."""
    with _runner_lock(export_id) as held:
        if not held:
            return
        export = db.session.get(LetterExport, export_id, populate_existing=True)
        if export is None or export.status is ExportStatus.DONE:
            return
        try:
            _build(export, workers=workers, progress=progress)
        except BaseException as error:
            db.session.rollback()
            export = db.session.get(LetterExport, export_id)
            export.status = ExportStatus.FAILED
            export.error = f"{type(error).__name__}: {error}"[:2000]
            export.finished_at = utcnow()
            commit()
            raise


def _tick(export: LetterExport, progress: Progress | None) -> None:
    commit()
    if progress:
        progress(export.done, export.total)


def _build(export: LetterExport, *, workers: int, progress: Progress | None) -> None:
    _issue_missing_letters(export, workers=workers, progress=progress)
    rows = db.session.execute(
        select(Letter, Application.reference)
        .join(Application, Application.id == Letter.application_id)
        .where(Letter.program_id == export.program_id)
        .order_by(Letter.id)
    ).all()
    export.total = export.done + len(rows)
    key, size = _pack(export, rows, progress)
    _finish(export, key=key, size=size, letter_count=len(rows))
    _tick(export, progress)


def _issue_missing_letters(
    export: LetterExport, *, workers: int, progress: Progress | None
) -> None:
    """Start the run and issue every letter still due, a chunk at a time."""
    export.status = ExportStatus.RUNNING
    export.started_at = utcnow()
    export.error = ""
    due = due_application_ids(export.program_id)
    already = db.session.scalar(
        select(db.func.count(Letter.id)).where(Letter.program_id == export.program_id)
    )
    # Steps: issuing each missing letter, then packing each letter.
    export.total = 2 * len(due) + already
    export.done = 0
    _tick(export, progress)

    for start in range(0, len(due), ISSUE_CHUNK):
        chunk = due[start : start + ISSUE_CHUNK]
        issue_due_letters(chunk, workers=workers)
        export.done += len(chunk)
        _tick(export, progress)


def _manifest_row(letter: Letter, reference: str) -> tuple[Any, ...]:
    zh_name, en_name = file_names(letter)
    return (
        letter.number,
        letter.kind.value,
        letter.status.value,
        letter.enterprise_name,
        letter.uscc,
        "" if letter.amount is None else f"{letter.amount:.2f}",
        letter.issue_date.isoformat(),
        reference,
        letter.verification_code,
        zh_name,
        letter.pdf_sha256,
        en_name,
        letter.pdf_en_sha256,
    )


def _pack(export: LetterExport, rows: Sequence[Any], progress: Progress | None) -> tuple[str, int]:
    """Write the letters' PDFs and the manifest into a ZIP built in the store's scratch folder,
    then move it into the store (deleted again if the transaction rolls back). Returns the
    new key and the ZIP's size."""
    store = file_store()
    manifest = io.StringIO()
    writer = SafeCsvWriter(manifest)  # a firm named "=HYPERLINK(...)" stays text
    writer.writerow(MANIFEST_COLUMNS)
    handle, temp_name = tempfile.mkstemp(dir=store.scratch_dir(), suffix=".zip")
    temp = Path(temp_name)
    try:
        with open(handle, "wb") as raw, zipfile.ZipFile(raw, "w") as archive:
            for index, (letter, reference) in enumerate(rows, start=1):
                zh_name, en_name = file_names(letter)
                for name, key in ((zh_name, letter.pdf_key), (en_name, letter.pdf_en_key)):
                    # PDFs are compressed already: store them as they are.
                    with store.open(key) as source, archive.open(name, "w") as target:
                        shutil.copyfileobj(source, target, 1024 * 1024)
                writer.writerow(_manifest_row(letter, reference))
                if index % PROGRESS_EVERY == 0:
                    export.done += PROGRESS_EVERY
                    _tick(export, progress)
            # UTF-8 with a BOM, so that Excel shows the Chinese names.
            archive.writestr(
                member_name("manifest.csv"),
                UTF8_BOM + manifest.getvalue(),
                compress_type=zipfile.ZIP_DEFLATED,
            )
        size = temp.stat().st_size
        key = move_in_transaction(temp)
    finally:
        temp.unlink(missing_ok=True)
    return key, size


def _finish(export: LetterExport, *, key: str, size: int, letter_count: int) -> None:
    """Point the export at its new ZIP and mark it done; the ZIP it replaces goes on commit."""
    previous = export.file_key
    export.file_key = key
    export.file_size = size
    export.letter_count = letter_count
    export.done = export.total
    export.status = ExportStatus.DONE
    export.finished_at = utcnow()
    audit.record(
        Action.LETTER_EXPORT_FINISHED,
        export,
        actor=None,
        program_id=export.program_id,
        letters=letter_count,
        size=size,
    )
    if previous:  # the ZIP this one replaces, once the row points at the new one
        delete_after_commit(previous)


def export_view(export: LetterExport) -> dict[str, Any]:
    percent = int(100 * export.done / export.total) if export.total else 0
    if export.status is ExportStatus.DONE:
        percent = 100
    status, error = export.status.value, export.error
    if interrupted(export):  # shown so before anyone has started the next export
        status, error = ExportStatus.FAILED.value, INTERRUPTED
    return {
        "id": export.id,
        "status": status,
        "done": export.done,
        "total": export.total,
        "percent": percent,
        "letters": export.letter_count,
        "size": export.file_size,
        "error": str(INTERRUPTED_MESSAGE) if error == INTERRUPTED else error,
        "created_at": export.created_at,
        "finished_at": export.finished_at,
    }


@job
def export_letters(export_id: int) -> None:
    run_export(export_id, workers=current_app.config["LETTER_WORKERS"])
