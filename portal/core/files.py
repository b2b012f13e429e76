"""Uploaded documents: accepted by content (not by name), size-limited, stored under generated keys.

``check_upload`` sniffs the magic number, then really parses the file (pypdf, Pillow, openpyxl),
so a text file renamed to ``.pdf`` or a file that is only a PDF header is refused. Every refusal
is an ``UploadRejected`` with a stable ``code`` and a message that tells the user what to do;
no parser exception escapes.

Stored files live behind the small ``FileStore`` interface. ``LocalFileStore`` keeps them under a
root directory with keys like ``2026/03/<32 hex digits>``; the user's filename is never part of
a key, only of the download name (see ``safe_download_name``).
"""

from __future__ import annotations

import hashlib
import io
import math
import os
import re
import stat
import tempfile
import unicodedata
import uuid
import zipfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, BinaryIO, Protocol, runtime_checkable

from flask import current_app
from flask_babel import LazyString
from flask_babel import lazy_gettext as _l
from sqlalchemy import event
from sqlalchemy.orm import Session

from portal.core.extensions import db

# --- limits ---------------------------------------------------------------------------------

#: Images above this many pixels are refused before they are decoded (decompression bombs).
MAX_IMAGE_PIXELS = 60_000_000
#: A workbook whose members add up to more than this when unpacked is refused.
XLSX_MAX_UNCOMPRESSED = 50 * 1024 * 1024
#: A workbook member packed more tightly than this is refused (zip bomb) ...
XLSX_MAX_COMPRESSION_RATIO = 100
#: ... unless it unpacks to less than this, which is harmless whatever its ratio.
XLSX_RATIO_CHECK_FROM = 1024 * 1024

REJECTION_CODES = ("empty", "too_large", "wrong_kind", "unreadable", "encrypted")


def _limit_pillow_pixels() -> None:
    """Make Pillow itself refuse huge images too (it errors at twice this value)."""
    from PIL import Image

    if Image.MAX_IMAGE_PIXELS is None or Image.MAX_IMAGE_PIXELS > MAX_IMAGE_PIXELS:
        Image.MAX_IMAGE_PIXELS = MAX_IMAGE_PIXELS


_limit_pillow_pixels()


# --- kinds ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class FileKind:
    key: str
    label: Any  # lazy string
    mime_types: tuple[str, ...]
    extensions: tuple[str, ...]  # with the leading dot, preferred first


XLSX_MIME = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

KINDS: dict[str, FileKind] = {
    "pdf": FileKind("pdf", _l("PDF"), ("application/pdf",), (".pdf",)),
    "image": FileKind(
        "image", _l("image (JPEG or PNG)"), ("image/jpeg", "image/png"), (".jpg", ".jpeg", ".png")
    ),
    "xlsx": FileKind("xlsx", _l("Excel workbook (.xlsx)"), (XLSX_MIME,), (".xlsx",)),
}


@dataclass(frozen=True)
class DetectedFile:
    kind: str
    mime_type: str
    extension: str  # with the leading dot
    size: int
    sha256: str
    page_count: int | None  # PDFs only


class UploadRejected(Exception):
    """An upload refused for a reason the user can act on.

    ``code`` is one of ``REJECTION_CODES``; ``message`` is a lazy string (render it inside a
    request); ``params`` holds the values formatted into it, for callers that need them.
    """

    def __init__(self, code: str, message: Any, **params: Any) -> None:
        if code not in REJECTION_CODES:
            raise ValueError(f"unknown rejection code {code!r}")
        super().__init__(code)
        self.code = code
        self.message = message
        self.params: dict[str, Any] = params

    def __str__(self) -> str:  # never evaluates the lazy message (it may need a request)
        return f"{self.code} {self.params}" if self.params else self.code


# --- sizes ----------------------------------------------------------------------------------


def human_size(n: int, *, round_up: bool = False) -> str:
    """``"512 B"``, ``"850 KB"``, ``"12.3 MB"``, ``"1.5 GB"`` (units of 1024).

    ``round_up`` never shows a value smaller than the real one, so a file just over a limit
    is not shown as equal to it.
    """
    if n < 1024:
        return f"{n} B"
    kb = n / 1024
    rounded_kb = math.ceil(kb) if round_up else round(kb)
    if rounded_kb < 1024:
        return f"{rounded_kb} KB"
    for unit, divisor in (("MB", 1024**2), ("GB", 1024**3)):
        value = n / divisor
        tenths = math.ceil(value * 10) if round_up else round(value * 10)
        if tenths < 10240 or unit == "GB":
            whole, fraction = divmod(tenths, 10)
            return f"{whole} {unit}" if fraction == 0 else f"{whole}.{fraction} {unit}"
    raise AssertionError("unreachable")  # pragma: no cover


def _megapixels(pixels: int) -> str:
    tenths = math.ceil(pixels / 100_000)
    whole, fraction = divmod(tenths, 10)
    return str(whole) if fraction == 0 else f"{whole}.{fraction}"


def _kinds_label(kinds: Iterable[FileKind]) -> LazyString:
    labels = [kind.label for kind in kinds]
    return LazyString(lambda: " / ".join(str(label) for label in labels))


# --- rejections -----------------------------------------------------------------------------


def _empty() -> UploadRejected:
    return UploadRejected("empty", _l("The file is empty. Choose the file again."))


def _too_large(size: int, max_bytes: int) -> UploadRejected:
    limit_text = human_size(max_bytes)
    size_text = human_size(size)
    if size_text == limit_text:
        size_text = human_size(size, round_up=True)
    return UploadRejected(
        "too_large",
        _l(
            "The file is %(size)s; the limit for this document is %(limit)s. Reduce it (for "
            "example scan at a lower resolution) and upload again.",
            size=size_text,
            limit=limit_text,
        ),
        size=size,
        limit=max_bytes,
    )


def _wrong_kind(allowed: tuple[FileKind, ...], found: str | None) -> UploadRejected:
    kinds = _kinds_label(allowed)
    return UploadRejected(
        "wrong_kind",
        _l(
            "This file is not of an accepted type (%(kinds)s). A file is judged by its content, "
            "not by its name: save or export it as %(kinds)s and upload again.",
            kinds=kinds,
        ),
        allowed=[kind.key for kind in allowed],
        found=found,
    )


def _unreadable_pdf() -> UploadRejected:
    return UploadRejected(
        "unreadable",
        _l(
            "The file looks like a PDF but cannot be read (it may be damaged or only a header). "
            "Export it again and upload the new file."
        ),
    )


def _encrypted_pdf() -> UploadRejected:
    return UploadRejected(
        "encrypted",
        _l(
            "The PDF is protected by a password or by restrictions, so it cannot be checked. "
            "Save or print it as a new PDF without protection and upload that copy."
        ),
    )


def _unreadable_image() -> UploadRejected:
    return UploadRejected(
        "unreadable",
        _l(
            "The file looks like an image but cannot be read (it may be damaged or incomplete). "
            "Save it again as JPEG or PNG and upload the new file."
        ),
    )


def _too_many_pixels(pixels: int | None) -> UploadRejected:
    return UploadRejected(
        "too_large",
        _l(
            "The image's resolution is too high (the limit is %(limit)s megapixels). Reduce "
            "its resolution (for example scan at a lower DPI) and upload again.",
            limit=_megapixels(MAX_IMAGE_PIXELS),
        ),
        pixels=pixels,
        limit_pixels=MAX_IMAGE_PIXELS,
    )


def _unreadable_xlsx() -> UploadRejected:
    return UploadRejected(
        "unreadable",
        _l(
            "The file looks like an Excel workbook but cannot be opened (it may be damaged). "
            "Open it in Excel, save it again as .xlsx and upload the new file."
        ),
    )


def _xlsx_expands_too_much(total: int) -> UploadRejected:
    return UploadRejected(
        "too_large",
        _l(
            "The workbook grows to %(size)s when opened; the limit is %(limit)s. Remove data or "
            "pictures you do not need, save it and upload again.",
            size=human_size(total, round_up=True),
            limit=human_size(XLSX_MAX_UNCOMPRESSED),
        ),
        size=total,
        limit=XLSX_MAX_UNCOMPRESSED,
    )


def _xlsx_packed_oddly() -> UploadRejected:
    return UploadRejected(
        "unreadable",
        _l(
            "The workbook is packed in an unusual way and cannot be checked safely. Open it in "
            "Excel, save it again as .xlsx and upload the new file."
        ),
    )


def _xlsx_macros(allowed: tuple[FileKind, ...]) -> UploadRejected:
    return UploadRejected(
        "wrong_kind",
        _l(
            "This workbook contains macros, which are not accepted. Save it in Excel as an "
            "Excel Workbook (.xlsx) without macros and upload again."
        ),
        allowed=[kind.key for kind in allowed],
        found="xlsm",
    )


# --- checking -------------------------------------------------------------------------------

_PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
_JPEG_MAGIC = b"\xff\xd8\xff"


def _sniff(data: bytes) -> str | None:
    if data.startswith(b"%PDF-"):
        return "pdf"
    if data.startswith((_PNG_MAGIC, _JPEG_MAGIC)):
        return "image"
    if data.startswith(b"PK\x03\x04"):
        return "xlsx"
    return None


def _check_pdf(data: bytes) -> tuple[str, str, int]:
    from pypdf import PdfReader

    try:
        reader = PdfReader(io.BytesIO(data), strict=False)
        encrypted = reader.is_encrypted
    except Exception:
        raise _unreadable_pdf() from None
    if encrypted:
        raise _encrypted_pdf()
    try:
        page_count = len(reader.pages)
        if page_count < 1:
            raise ValueError("no pages")
        first = reader.pages[0]
        box = first.mediabox
        if not (float(box.width) > 0 and float(box.height) > 0):
            raise ValueError("empty media box")
        first.extract_text()
    except Exception:
        raise _unreadable_pdf() from None
    return "application/pdf", ".pdf", page_count


_IMAGE_FORMATS = {
    # Pillow reports camera JPEGs with several pictures as MPO; they are still JPEG files.
    "JPEG": ("image/jpeg", ".jpg"),
    "MPO": ("image/jpeg", ".jpg"),
    "PNG": ("image/png", ".png"),
}
_PILLOW_OPENERS = ("JPEG", "PNG")  # the JPEG opener hands back MPO files itself


def _check_image(data: bytes) -> tuple[str, str]:
    from PIL import Image

    try:
        with Image.open(io.BytesIO(data), formats=_PILLOW_OPENERS) as image:
            found = _IMAGE_FORMATS.get(image.format or "")
            width, height = image.size
            if width * height > MAX_IMAGE_PIXELS:
                raise _too_many_pixels(width * height)
            image.verify()
        with Image.open(io.BytesIO(data), formats=_PILLOW_OPENERS) as image:
            image.load()
    except UploadRejected:
        raise
    except Image.DecompressionBombError:
        raise _too_many_pixels(None) from None
    except Exception:
        raise _unreadable_image() from None
    if found is None:  # pragma: no cover - the magic numbers only let JPEG and PNG through
        raise _unreadable_image()
    return found


def _check_xlsx(data: bytes, allowed: tuple[FileKind, ...]) -> tuple[str, str]:
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            members = archive.infolist()
    except Exception:
        raise _unreadable_xlsx() from None
    names = {member.filename for member in members}
    if "xl/workbook.xml" not in names:
        # Some other zip-based file: a Word document, an OpenDocument file, a plain archive.
        raise _wrong_kind(allowed, "zip")
    for member in members:
        if (
            member.file_size > 0
            and member.file_size >= XLSX_RATIO_CHECK_FROM
            and (
                member.compress_size <= 0
                or member.file_size / member.compress_size > XLSX_MAX_COMPRESSION_RATIO
            )
        ):
            raise _xlsx_packed_oddly()
    total = sum(member.file_size for member in members)
    if total > XLSX_MAX_UNCOMPRESSED:
        raise _xlsx_expands_too_much(total)
    if "xl/vbaProject.bin" in names:
        raise _xlsx_macros(allowed)

    import openpyxl

    try:
        workbook = openpyxl.load_workbook(io.BytesIO(data), read_only=True)
        try:
            if not workbook.sheetnames:
                raise ValueError("no sheets")
        finally:
            workbook.close()
    except Exception:
        raise _unreadable_xlsx() from None
    return XLSX_MIME, ".xlsx"


def check_upload(data: bytes, allowed_kinds: Iterable[str], max_bytes: int) -> DetectedFile:
    """Accept ``data`` if it is one of ``allowed_kinds`` (keys of ``KINDS``) and not too large.

    Raises ``UploadRejected``; a ``ValueError`` only for a programming mistake (unknown kind).
    """
    keys = tuple(dict.fromkeys(allowed_kinds))
    unknown = [key for key in keys if key not in KINDS]
    if unknown or not keys:
        raise ValueError(f"allowed_kinds must be keys of KINDS, got {keys!r}")
    allowed = tuple(kind for key, kind in KINDS.items() if key in keys)

    size = len(data)
    if size == 0:
        raise _empty()
    if size > max_bytes:
        raise _too_large(size, max_bytes)

    kind = _sniff(data)
    if kind is None or kind not in keys:
        raise _wrong_kind(allowed, kind)

    page_count: int | None = None
    try:
        if kind == "pdf":
            mime_type, extension, page_count = _check_pdf(data)
        elif kind == "image":
            mime_type, extension = _check_image(data)
        else:
            mime_type, extension = _check_xlsx(data, allowed)
    except UploadRejected:
        raise
    except Exception:  # pragma: no cover - each check already turns parser errors into these
        unreadable = {"pdf": _unreadable_pdf, "image": _unreadable_image, "xlsx": _unreadable_xlsx}
        raise unreadable[kind]() from None

    return DetectedFile(
        kind=kind,
        mime_type=mime_type,
        extension=extension,
        size=size,
        sha256=hashlib.sha256(data).hexdigest(),
        page_count=page_count,
    )


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


_KEY = re.compile(r"\A[0-9]{4}/(0[1-9]|1[0-2])/[0-9a-f]{32}\Z")
# The temporary file of ``save`` (see there), left behind only if the process died mid-write.
_LEFTOVER = re.compile(r"\A[0-9]{4}/(0[1-9]|1[0-2])/\.upload-[^/]*\.tmp\Z")


class LocalFileStore:
    """Files under ``root``, at ``<root>/<yyyy>/<mm>/<hex>``, mode 0o640, written atomically."""

    file_mode = 0o640

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
        """Raises ``FileNotFoundError`` if there is no such file."""
        return self._path(key).open("rb")

    def read(self, key: str) -> bytes:
        return self._path(key).read_bytes()

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


def _files_of_this_transaction(name: str) -> list:
    # Begin the transaction now if nothing has yet: a rollback of a session with none is a
    # no-op that fires no event, and the list would then outlive it into the next one.
    session = db.session()
    if not session.in_transaction():
        session.begin()
    return session.info.setdefault(name, [])


@event.listens_for(Session, "after_commit")
def _keep_written_files(session: Session) -> None:
    session.info.pop(_NEW_FILES, None)
    for store, key in session.info.pop(_OLD_FILES, []):
        store.delete(key)


@event.listens_for(Session, "after_soft_rollback")
def _delete_written_files(session: Session, previous_transaction) -> None:
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


def send_stored_file(key: str, *, mimetype: str, download_name: str):
    """A stored file as a private, uncached attachment (never shown inline, never sniffed)."""
    from flask import send_file

    response = send_file(
        file_store().open(key),
        mimetype=mimetype,
        as_attachment=True,
        download_name=download_name,
        max_age=0,
    )
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Cache-Control"] = "private, no-store"
    return response


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
