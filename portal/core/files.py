"""Stored files: written under generated keys, tied to the database transaction, sent back as
private attachments under a safe name.

Stored files live behind the small ``FileStore`` interface. ``LocalFileStore`` keeps them under a
root directory with keys like ``2026/03/<32 hex digits>``; the user's filename is never part of
a key, only of the download name (see ``safe_download_name``). What may be stored at all (the
upload checks) is decided in ``portal.core.uploads``.
"""

from __future__ import annotations

import os
import re
import stat
import tempfile
import unicodedata
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, BinaryIO, Protocol, runtime_checkable

from flask import Response, current_app, send_file
from sqlalchemy import Column, Table, event
from sqlalchemy.orm import Session, SessionTransaction

from portal.core.extensions import db
from portal.core.transaction_lists import follow_savepoints

# --- storage --------------------------------------------------------------------------------


@runtime_checkable
class FileStore(Protocol):
    def save(self, data: bytes) -> str:
        """Store ``data``; return a new generated key (never derived from a filename)."""
        ...

    def save_from(self, path: Path) -> str:
        """Move the finished file at ``path`` into the store; return its new key."""
        ...

    def scratch_dir(self) -> Path:
        """A folder where a large file can be built before ``save_from``."""
        ...

    def open(self, key: str) -> BinaryIO: ...

    def read(self, key: str) -> bytes: ...

    def delete(self, key: str) -> None: ...

    def exists(self, key: str) -> bool: ...

    def entries(self) -> Iterator[StoredEntry]:
        """Every file in the store: stored files by key, and leftovers (see ``StoredEntry``)."""
        ...

    def discard(self, entry: StoredEntry) -> None:
        """Remove a file that ``entries`` listed (a stored file or a leftover)."""
        ...


@dataclass(frozen=True)
class StoredEntry:
    """A file found in a store. ``key`` is None for a leftover: the temporary file of a write
    that never finished, or a file in the scratch folder, never a stored file itself."""

    path: Path
    key: str | None
    size: int
    modified_at: datetime


class StoredFileMissing(FileNotFoundError):
    """A row points at ``key`` but the store has no such file (lost, or the shared storage is
    not mounted on this host). A ``FileNotFoundError``, so callers that expect one still work;
    a request that meets it answers 410 (``portal.core.errors``)."""

    def __init__(self, key: str) -> None:
        super().__init__(f"stored file {key} is missing")
        self.key = key


_KEY = re.compile(r"\A[0-9]{4}/(0[1-9]|1[0-2])/[0-9a-f]{32}\Z")
# The temporary file of ``save`` (see there), left behind only if the process died mid-write.
_LEFTOVER = re.compile(r"\A[0-9]{4}/(0[1-9]|1[0-2])/\.upload-[^/]*\.tmp\Z")


class LocalFileStore:
    """Files under ``root``, at ``<root>/<yyyy>/<mm>/<hex>``, mode 0o600 (the portal's user only),
    written atomically."""

    file_mode = 0o600

    def __init__(self, root: str | Path) -> None:
        self.root = Path(root)

    def __repr__(self) -> str:
        return f"LocalFileStore({str(self.root)!r})"

    def _path(self, key: str) -> Path:
        if not isinstance(key, str) or not _KEY.match(key):
            raise ValueError(f"not a storage key: {key!r}")
        root = self.root.resolve()
        path = (root / key).resolve()
        if not path.is_relative_to(root):  # pragma: no cover - the pattern already forbids it
            raise ValueError(f"not a storage key: {key!r}")
        return path

    def save(self, data: bytes) -> str:
        now = datetime.now(UTC)
        key = f"{now:%Y}/{now:%m}/{uuid.uuid4().hex}"
        path = self._path(key)
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, temp_name = tempfile.mkstemp(dir=path.parent, prefix=".upload-", suffix=".tmp")
        try:
            with os.fdopen(fd, "wb") as handle:
                handle.write(data)
                handle.flush()
                os.fsync(handle.fileno())
            os.chmod(temp_name, self.file_mode)
            os.replace(temp_name, path)
        except BaseException:
            Path(temp_name).unlink(missing_ok=True)
            raise
        return key

    def save_from(self, path: Path) -> str:
        """Move a large finished file in (same file system: a rename, not a copy)."""
        now = datetime.now(UTC)
        key = f"{now:%Y}/{now:%m}/{uuid.uuid4().hex}"
        target = self._path(key)
        target.parent.mkdir(parents=True, exist_ok=True)
        os.chmod(path, self.file_mode)
        os.replace(path, target)
        return key

    def scratch_dir(self) -> Path:
        """Where to build a large file before ``save_from`` (on the store's file system)."""
        path = self.root / "tmp"
        path.mkdir(parents=True, exist_ok=True)
        return path

    def open(self, key: str) -> BinaryIO:
        """Raises ``StoredFileMissing`` (a ``FileNotFoundError``) if there is no such file."""
        path = self._path(key)
        try:
            return path.open("rb")
        except FileNotFoundError as error:
            raise StoredFileMissing(key) from error

    def read(self, key: str) -> bytes:
        """Raises ``StoredFileMissing`` (a ``FileNotFoundError``) if there is no such file."""
        path = self._path(key)
        try:
            return path.read_bytes()
        except FileNotFoundError as error:
            raise StoredFileMissing(key) from error

    def delete(self, key: str) -> None:
        """Remove the file; deleting a key that is already gone is not an error."""
        self._path(key).unlink(missing_ok=True)

    def exists(self, key: str) -> bool:
        return self._path(key).is_file()

    def entries(self) -> Iterator[StoredEntry]:
        """Walk the root (not following links). Files that are neither a key nor one of our
        own leftovers (a README someone put there, say) are not listed, so never swept."""
        root = self.root.resolve()
        if not root.is_dir():
            return
        for folder, subfolders, names in os.walk(root):
            subfolders.sort()
            for name in sorted(names):
                path = Path(folder) / name
                relative = path.relative_to(root).as_posix()
                if _KEY.match(relative):
                    key = relative
                elif relative.startswith("tmp/") or _LEFTOVER.match(relative):
                    key = None
                else:
                    continue
                try:
                    info = path.lstat()
                except FileNotFoundError:  # removed while we walked
                    continue
                if not stat.S_ISREG(info.st_mode):
                    continue
                modified_at = datetime.fromtimestamp(info.st_mtime, UTC)
                yield StoredEntry(path, key, info.st_size, modified_at)

    def discard(self, entry: StoredEntry) -> None:
        if entry.key is not None:
            self.delete(entry.key)
            return
        path = entry.path.resolve()
        if not path.is_relative_to(self.root.resolve()):
            raise ValueError(f"not in this store: {entry.path}")
        path.unlink(missing_ok=True)


def save_in_transaction(data: bytes) -> str:
    """Store ``data`` for a row of the current transaction: if the transaction rolls back,
    the file is deleted again, so that a failed request leaves no orphan behind."""
    store = file_store()
    key = store.save(data)
    _files_of_this_transaction(_NEW_FILES).append((store, key))
    return key


def move_in_transaction(path: Path) -> str:
    """``save_from`` for a row of the current transaction (deleted again on rollback)."""
    store = file_store()
    key = store.save_from(path)
    _files_of_this_transaction(_NEW_FILES).append((store, key))
    return key


def delete_after_commit(key: str) -> None:
    """Delete a stored file once the current transaction commits (a row stopped pointing at
    it); if the transaction rolls back, the row still points at it, so it is kept."""
    _files_of_this_transaction(_OLD_FILES).append((file_store(), key))


_NEW_FILES = "portal_files_written"
_OLD_FILES = "portal_files_released"


def _files_of_this_transaction(name: str) -> list[tuple[FileStore, str]]:
    # Begin the transaction now if nothing has yet: a rollback of a session with none is a
    # no-op that fires no event, and the list would then outlive it into the next one.
    session = db.session()
    if not session.in_transaction():
        session.begin()
    files: list[tuple[FileStore, str]] = session.info.setdefault(name, [])
    return files


def _delete_files(files: list[tuple[FileStore, str]]) -> None:
    for store, key in files:
        store.delete(key)


# What a savepoint that rolls back wrote is deleted at once; what it released is kept.
follow_savepoints(_NEW_FILES, _delete_files)
follow_savepoints(_OLD_FILES)


@event.listens_for(Session, "after_commit")
def _keep_written_files(session: Session) -> None:
    session.info.pop(_NEW_FILES, None)
    for store, key in session.info.pop(_OLD_FILES, []):
        store.delete(key)


@event.listens_for(Session, "after_soft_rollback")
def _delete_written_files(session: Session, previous_transaction: SessionTransaction) -> None:
    if previous_transaction.nested:  # a savepoint: the outer transaction may still commit
        return
    session.info.pop(_OLD_FILES, None)
    for store, key in session.info.pop(_NEW_FILES, []):
        store.delete(key)


def file_store() -> FileStore:
    """The current app's store (one per app, kept in ``app.extensions["portal_file_store"]``).

    Put another ``FileStore`` there at start-up to replace the local one.
    """
    store = current_app.extensions.get("portal_file_store")
    if store is None:
        store = LocalFileStore(current_app.config["FILES_DIR"])
        current_app.extensions["portal_file_store"] = store
    return store


# A file shown in the browser is the uploader's content: no scripts, no requests, an opaque
# origin (``sandbox``), framed only by our own pages. Chromium's PDF viewer renders under this
# policy (it runs as the browser's own extension), whereas an ``<iframe sandbox>`` attribute
# blocks it; so the sandbox travels with the file, not with the frame. Inline styles only
# let the browser's own image viewer centre the picture.
INLINE_FILE_POLICY = "; ".join(
    [
        "default-src 'none'",
        "style-src 'unsafe-inline'",
        "object-src 'none'",
        "base-uri 'none'",
        "form-action 'none'",
        "sandbox",
        "frame-ancestors 'self'",
    ]
)


def send_stored_file(
    key: str, *, mimetype: str, download_name: str, inline: bool = False
) -> Response:
    """A stored file, private and uncached, never sniffed: as an attachment, or (``inline``)
    to be read in the browser under ``INLINE_FILE_POLICY``, still with its own name."""
    response = send_file(
        file_store().open(key),
        mimetype=mimetype,
        as_attachment=not inline,
        download_name=download_name,
        max_age=0,
    )
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Cache-Control"] = "private, no-store"
    if inline:
        response.headers["Content-Security-Policy"] = INLINE_FILE_POLICY
        response.headers["X-Frame-Options"] = "SAMEORIGIN"
        response.headers["Cross-Origin-Resource-Policy"] = "same-origin"
    return response


# --- which columns hold keys ----------------------------------------------------------------

#: The names of the columns that hold a file store key (attachments and uploaded evidence, the
#: two PDFs of letters and notices, a letters export's ZIP). Core knows no domain, so it finds
#: them on the metadata by name: the file sweep keeps every file they point at, and the health
#: check looks for the newest of each. tests/unit/test_health.py fails when a new ``*_key``
#: column is neither one of these nor listed there as not a file.
STORED_FILE_COLUMNS = frozenset({"storage_key", "pdf_key", "pdf_en_key", "file_key"})


def stored_file_columns() -> list[tuple[Table, Column[Any]]]:
    """Every (table, column) that holds a file store key, found on the models' metadata."""
    found = []
    for table in db.metadata.sorted_tables:
        for column in table.columns:
            if column.name in STORED_FILE_COLUMNS:
                found.append((table, column))
    return found


# --- download names -------------------------------------------------------------------------

MAX_DOWNLOAD_NAME = 150
_MAX_EXTENSION = 16  # a longer "extension" is just part of the name
_DROPPED_CATEGORIES = {"Cc", "Cf", "Zl", "Zp", "Cs", "Co", "Cn"}
_QUOTES = {'"', "'", "`"}


def safe_download_name(original: str) -> str:
    """The user's own filename made safe to send back: no folders, control or invisible
    characters (such as right-to-left overrides) or quotes; at most 150 characters, keeping
    the extension. Chinese and other letters are kept. Falls back to ``"document"``.
    """
    name = unicodedata.normalize("NFC", original or "")
    name = re.split(r"[/\\]", name)[-1]
    name = "".join(
        " " if ch.isspace() else ch
        for ch in name
        if ch not in _QUOTES and unicodedata.category(ch) not in _DROPPED_CATEGORIES
    )
    name = re.sub(r" {2,}", " ", name).strip(" .")
    if not name:
        return "document"
    if len(name) <= MAX_DOWNLOAD_NAME:
        return name
    stem, dot, extension = name.rpartition(".")
    if dot and stem and len(extension) + 1 <= _MAX_EXTENSION:
        stem = stem[: MAX_DOWNLOAD_NAME - len(extension) - 1].rstrip(" .") or "document"
        return f"{stem}.{extension}"
    return name[:MAX_DOWNLOAD_NAME].rstrip(" .") or "document"
