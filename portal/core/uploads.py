"""Checking what a user uploads: accepted by content (not by name) and size-limited.

``check_upload`` sniffs the magic number, then really parses the file (pypdf, Pillow, openpyxl),
so a text file renamed to ``.pdf`` or a file that is only a PDF header is refused. Every refusal
is an ``UploadRejected`` with a stable ``code`` and a message that tells the user what to do;
no parser exception escapes, except ``MemoryError``: running out of the sandbox's memory is
not the file's being damaged, and the sandbox refuses it as a file it could not check.

This module works on bytes alone: no request, no database, no file store (those are in
``portal.core.files``), so that the checks run in a separate, limited process
(``portal.core.sandbox``). Messages are lazy strings, rendered by the caller inside a request;
every refusal also carries a ``recipe`` (the name of the function that made it and its plain
arguments) so that the sandbox can send it back as JSON and the web process can make the same
refusal again without unpickling anything the parsing process wrote.
"""

from __future__ import annotations

import functools
import hashlib
import io
import math
import zipfile
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from flask_babel import LazyString
from flask_babel import lazy_gettext as _l

# --- limits ---------------------------------------------------------------------------------

#: Images above this many pixels are refused before they are decoded (decompression bombs).
MAX_IMAGE_PIXELS = 60_000_000
#: A workbook whose members add up to more than this when unpacked is refused.
XLSX_MAX_UNCOMPRESSED = 50 * 1024 * 1024
#: A workbook member packed more tightly than this is refused (zip bomb) ...
XLSX_MAX_COMPRESSION_RATIO = 100
#: ... unless it unpacks to less than this, which is harmless whatever its ratio.
XLSX_RATIO_CHECK_FROM = 1024 * 1024

REJECTION_CODES = ("empty", "too_large", "wrong_kind", "unreadable", "encrypted", "unchecked")


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


@dataclass(frozen=True)
class CheckedFile:
    """An uploaded file already checked in the sandbox (``detected``), ready for a service to
    store: evidence of recovery cases, supervision slips and reported indicator values."""

    filename: str
    data: bytes
    detected: DetectedFile


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
        # Set by ``_rejection``: how to make this refusal again from JSON (see the module doc).
        self.recipe: tuple[str, list[Any]] | None = None

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


def allowed_kind_keys(allowed_kinds: Iterable[str]) -> tuple[str, ...]:
    """The keys of ``allowed_kinds`` in ``KINDS`` order; a ``ValueError`` for a programming
    mistake (no kind, or one that does not exist)."""
    keys = tuple(dict.fromkeys(allowed_kinds))
    unknown = [key for key in keys if key not in KINDS]
    if unknown or not keys:
        raise ValueError(f"allowed_kinds must be keys of KINDS, got {keys!r}")
    return tuple(key for key in KINDS if key in keys)


# --- rejections -----------------------------------------------------------------------------

RejectionFactory = Callable[..., UploadRejected]
_FACTORIES: dict[str, RejectionFactory] = {}


def _rejection(factory: RejectionFactory) -> RejectionFactory:
    """Register a function that makes a refusal, and stamp each refusal with its recipe.

    Its arguments must be plain JSON values (ints, ``None``, lists of kind keys)."""

    @functools.wraps(factory)
    def make(*args: Any) -> UploadRejected:
        rejected = factory(*args)
        rejected.recipe = (factory.__name__, list(args))
        return rejected

    _FACTORIES[factory.__name__] = make
    return make


def rejection_from_recipe(recipe: Any) -> UploadRejected | None:
    """The refusal a recipe describes, or ``None`` when it is not one of ours.

    The recipe comes from a process that parsed a hostile file: only registered functions are
    called, only with plain values, and anything odd is ``None`` (the caller then refuses the
    file as not checked)."""
    if not (isinstance(recipe, list | tuple) and len(recipe) == 2):
        return None
    name, args = recipe
    factory = _FACTORIES.get(name) if isinstance(name, str) else None
    if factory is None or not isinstance(args, list) or len(args) > 2:
        return None
    for arg in args:
        plain = arg is None or (isinstance(arg, int) and not isinstance(arg, bool))
        keys = isinstance(arg, list) and all(isinstance(key, str) and key in KINDS for key in arg)
        if not (plain or keys):
            return None
    try:
        return factory(*args)
    except (TypeError, ValueError):
        return None


@_rejection
def not_checked() -> UploadRejected:
    """The refusal of a file whose check ran out of time or memory, or crashed."""
    return UploadRejected(
        "unchecked",
        _l("This file could not be checked in time; save it again as a plain PDF."),
    )


@_rejection
def _empty() -> UploadRejected:
    return UploadRejected("empty", _l("The file is empty. Choose the file again."))


@_rejection
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


@_rejection
def _wrong_kind(allowed_keys: Iterable[str], found: str | None) -> UploadRejected:
    allowed = tuple(kind for key, kind in KINDS.items() if key in allowed_keys)
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


@_rejection
def _unreadable_pdf() -> UploadRejected:
    return UploadRejected(
        "unreadable",
        _l(
            "The file looks like a PDF but cannot be read (it may be damaged or only a header). "
            "Export it again and upload the new file."
        ),
    )


@_rejection
def _encrypted_pdf() -> UploadRejected:
    return UploadRejected(
        "encrypted",
        _l(
            "The PDF is protected by a password or by restrictions, so it cannot be checked. "
            "Save or print it as a new PDF without protection and upload that copy."
        ),
    )


@_rejection
def _unreadable_image() -> UploadRejected:
    return UploadRejected(
        "unreadable",
        _l(
            "The file looks like an image but cannot be read (it may be damaged or incomplete). "
            "Save it again as JPEG or PNG and upload the new file."
        ),
    )


@_rejection
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


@_rejection
def _unreadable_xlsx() -> UploadRejected:
    return UploadRejected(
        "unreadable",
        _l(
            "The file looks like an Excel workbook but cannot be opened (it may be damaged). "
            "Open it in Excel, save it again as .xlsx and upload the new file."
        ),
    )


@_rejection
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


@_rejection
def _xlsx_packed_oddly() -> UploadRejected:
    return UploadRejected(
        "unreadable",
        _l(
            "The workbook is packed in an unusual way and cannot be checked safely. Open it in "
            "Excel, save it again as .xlsx and upload the new file."
        ),
    )


@_rejection
def _xlsx_macros(allowed_keys: Iterable[str]) -> UploadRejected:
    return UploadRejected(
        "wrong_kind",
        _l(
            "This workbook contains macros, which are not accepted. Save it in Excel as an "
            "Excel Workbook (.xlsx) without macros and upload again."
        ),
        allowed=[key for key in KINDS if key in allowed_keys],
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
    except MemoryError:
        raise  # the sandbox refuses the file as not checkable
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
    except MemoryError:
        raise  # the sandbox refuses the file as not checkable
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
    except MemoryError:
        raise  # the sandbox refuses the file as not checkable
    except Exception:
        raise _unreadable_image() from None
    if found is None:  # pragma: no cover - the magic numbers only let JPEG and PNG through
        raise _unreadable_image()
    return found


def _check_xlsx(data: bytes, allowed: list[str]) -> tuple[str, str]:
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            members = archive.infolist()
    except MemoryError:
        raise  # the sandbox refuses the file as not checkable
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
    except MemoryError:
        raise  # the sandbox refuses the file as not checkable
    except Exception:
        raise _unreadable_xlsx() from None
    return XLSX_MIME, ".xlsx"


def check_upload(data: bytes, allowed_kinds: Iterable[str], max_bytes: int) -> DetectedFile:
    """Accept ``data`` if it is one of ``allowed_kinds`` (keys of ``KINDS``) and not too large.

    Raises ``UploadRejected``; a ``ValueError`` only for a programming mistake (unknown kind).
    """
    keys = allowed_kind_keys(allowed_kinds)
    allowed = list(keys)  # plain values: refusals carry them in their recipe

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
    except MemoryError:
        raise  # the sandbox refuses the file as not checkable
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
