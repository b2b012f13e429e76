"""check_upload judges a file by its content: real fixtures are built here, fakes are refused."""

from __future__ import annotations

import hashlib
import io
import random
import struct
import zipfile
import zlib

import openpyxl
import pytest
from flask import Flask
from flask_babel import Babel
from PIL import Image
from pypdf import PdfWriter
from pypdf.generic import ArrayObject, NameObject, NumberObject

from portal.core import uploads as files
from portal.core.uploads import (
    KINDS,
    REJECTION_CODES,
    DetectedFile,
    UploadRejected,
    check_upload,
    human_size,
)

ALL_KINDS = ("pdf", "image", "xlsx")
MB = 1024 * 1024
LIMIT = 10 * MB

# --- fixtures built in code -----------------------------------------------------------------


def make_pdf(*, pages: int = 1, password: str | None = None) -> bytes:
    writer = PdfWriter()
    for _ in range(pages):
        writer.add_blank_page(width=595, height=842)
    if password:
        writer.encrypt(password)
    buffer = io.BytesIO()
    writer.write(buffer)
    return buffer.getvalue()


def make_image(fmt: str, size: tuple[int, int] = (64, 48), *, noisy: bool = False) -> bytes:
    if noisy:  # incompressible, so the pixel data fills most of the file
        image = Image.frombytes("RGB", size, random.Random(7).randbytes(size[0] * size[1] * 3))
    else:
        image = Image.new("RGB", size, (200, 30, 30))
    buffer = io.BytesIO()
    image.save(buffer, fmt)
    return buffer.getvalue()


def make_mpo() -> bytes:
    """A camera-style JPEG holding two pictures; Pillow reads it as format MPO."""
    frames = [Image.new("RGB", (32, 32), colour) for colour in ("red", "blue")]
    buffer = io.BytesIO()
    frames[0].save(buffer, "MPO", save_all=True, append_images=frames[1:])
    return buffer.getvalue()


def make_xlsx(*, macros: bool = False) -> bytes:
    workbook = openpyxl.Workbook()
    workbook.active["A1"] = "申请金额"
    workbook.active["B1"] = 120000
    buffer = io.BytesIO()
    workbook.save(buffer)
    if not macros:
        return buffer.getvalue()
    out = io.BytesIO()
    with (
        zipfile.ZipFile(io.BytesIO(buffer.getvalue())) as source,
        zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target,
    ):
        for item in source.infolist():
            target.writestr(item, source.read(item))
        target.writestr("xl/vbaProject.bin", b"\xd0\xcf\x11\xe0 not really vba")
    return out.getvalue()


def make_zip(members: dict[str, bytes], compression: int = zipfile.ZIP_DEFLATED) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression) as archive:
        for name, content in members.items():
            archive.writestr(name, content)
    return buffer.getvalue()


def make_docx() -> bytes:
    return make_zip(
        {
            "[Content_Types].xml": b"<Types/>",
            "_rels/.rels": b"<Relationships/>",
            "word/document.xml": b"<w:document/>",
        }
    )


def make_zip_bomb() -> bytes:
    """Poses as a workbook: has xl/workbook.xml, plus 60 MB of zeros packed to ~60 KB."""
    return make_zip({"xl/workbook.xml": b"<workbook/>", "xl/media/big.bin": bytes(60 * MB)})


def png_header(width: int, height: int) -> bytes:
    """A PNG that declares a huge size but holds almost no data (a decompression bomb's head)."""

    def chunk(kind: bytes, body: bytes) -> bytes:
        crc = zlib.crc32(kind + body)
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", crc)

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", ihdr)
        + chunk(b"IDAT", zlib.compress(b"\x00" * 64))
        + chunk(b"IEND", b"")
    )


PDF = make_pdf()
PNG = make_image("PNG")
JPEG = make_image("JPEG")
XLSX = make_xlsx()


def rejection(data: bytes, allowed=ALL_KINDS, max_bytes: int = LIMIT) -> UploadRejected:
    with pytest.raises(UploadRejected) as caught:
        check_upload(data, allowed, max_bytes)
    assert caught.value.code in REJECTION_CODES
    return caught.value


# --- accepted -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("data", "allowed", "kind", "mime_type", "extension", "page_count"),
    [
        (PDF, {"pdf"}, "pdf", "application/pdf", ".pdf", 1),
        (make_pdf(pages=3), {"pdf"}, "pdf", "application/pdf", ".pdf", 3),
        (PNG, {"image"}, "image", "image/png", ".png", None),
        (JPEG, {"image"}, "image", "image/jpeg", ".jpg", None),
        (make_mpo(), {"image"}, "image", "image/jpeg", ".jpg", None),
        (XLSX, {"xlsx"}, "xlsx", files.XLSX_MIME, ".xlsx", None),
        (PDF, ALL_KINDS, "pdf", "application/pdf", ".pdf", 1),
        (XLSX, ["pdf", "xlsx"], "xlsx", files.XLSX_MIME, ".xlsx", None),
    ],
    ids=["pdf", "pdf-3-pages", "png", "jpeg", "mpo-jpeg", "xlsx", "pdf-among-all", "xlsx-list"],
)
def test_real_files_are_accepted(data, allowed, kind, mime_type, extension, page_count):
    detected = check_upload(data, allowed, LIMIT)
    assert detected == DetectedFile(
        kind=kind,
        mime_type=mime_type,
        extension=extension,
        size=len(data),
        sha256=hashlib.sha256(data).hexdigest(),
        page_count=page_count,
    )


def test_sha256_is_of_the_content():
    detected = check_upload(PNG, ["image"], LIMIT)
    assert detected.sha256 == hashlib.sha256(PNG).hexdigest()
    assert detected.sha256 != check_upload(JPEG, ["image"], LIMIT).sha256
    assert len(detected.sha256) == 64


def test_detected_file_is_frozen():
    detected = check_upload(PDF, ["pdf"], LIMIT)
    with pytest.raises(AttributeError):
        detected.size = 1


def test_file_exactly_at_the_limit_is_accepted():
    assert check_upload(PDF, ["pdf"], len(PDF)).size == len(PDF)


def test_allowed_kinds_may_be_a_generator():
    assert check_upload(PNG, (key for key in ["pdf", "image"]), LIMIT).kind == "image"


# --- refused --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("data", "allowed", "max_bytes", "code"),
    [
        (b"", ALL_KINDS, LIMIT, "empty"),
        (PDF, ["pdf"], len(PDF) - 1, "too_large"),
        (b"%PDF-" + b"x" * 100, ["pdf"], 50, "too_large"),
        (b"hello", ["pdf"], LIMIT, "wrong_kind"),
        (b"hello", ALL_KINDS, LIMIT, "wrong_kind"),
        (b"%PDF-1.7\n", ["pdf"], LIMIT, "unreadable"),
        (b"%PDF-1.4\n" + bytes(range(256)) * 40, ["pdf"], LIMIT, "unreadable"),
        (make_pdf(password="pw"), ["pdf"], LIMIT, "encrypted"),
        (PNG, ["pdf"], LIMIT, "wrong_kind"),
        (JPEG, ["pdf", "xlsx"], LIMIT, "wrong_kind"),
        (PDF, ["image"], LIMIT, "wrong_kind"),
        (XLSX, ["pdf", "image"], LIMIT, "wrong_kind"),
        (make_image("GIF"), ["image"], LIMIT, "wrong_kind"),
        (make_image("BMP"), ["image"], LIMIT, "wrong_kind"),
        (make_docx(), ["xlsx"], LIMIT, "wrong_kind"),
        (make_xlsx(macros=True), ["xlsx"], LIMIT, "wrong_kind"),
        (b"PK\x03\x04" + b"\x00" * 200, ["xlsx"], LIMIT, "unreadable"),
        (XLSX[: len(XLSX) // 2], ["xlsx"], LIMIT, "unreadable"),
        (make_zip({"xl/workbook.xml": b"not xml at all"}), ["xlsx"], LIMIT, "unreadable"),
        (b"\x89PNG\r\n\x1a\n" + b"\x00" * 40, ["image"], LIMIT, "unreadable"),
        (b"\xff\xd8\xff\xe0" + b"\x00" * 40, ["image"], LIMIT, "unreadable"),
    ],
    ids=[
        "empty",
        "one-byte-over",
        "too-large-checked-before-parsing",
        "text-named-pdf",
        "text-any-kind",
        "pdf-header-only",
        "pdf-header-then-garbage",
        "encrypted-pdf",
        "png-posing-as-pdf",
        "jpeg-not-allowed",
        "pdf-posing-as-image",
        "xlsx-not-allowed",
        "gif",
        "bmp",
        "docx-posing-as-xlsx",
        "xlsm-macros",
        "zip-magic-only",
        "xlsx-cut-in-half",
        "xlsx-broken-workbook-xml",
        "png-magic-only",
        "jpeg-magic-only",
    ],
)
def test_refusals(data, allowed, max_bytes, code):
    assert rejection(data, allowed, max_bytes).code == code


@pytest.mark.parametrize("fmt", ["PNG", "JPEG"])
@pytest.mark.parametrize("keep", [0.3, 0.7])
def test_truncated_images_are_unreadable(fmt, keep):
    whole = make_image(fmt, (120, 90), noisy=True)
    assert check_upload(whole, ["image"], LIMIT).kind == "image"
    assert rejection(whole[: int(len(whole) * keep)], ["image"]).code == "unreadable"


@pytest.mark.parametrize("where", ["data", "checksum"])
def test_png_with_a_corrupted_chunk_is_unreadable(where):
    whole = bytearray(make_image("PNG", (120, 90), noisy=True))
    idat = whole.index(b"IDAT")
    length = int.from_bytes(whole[idat - 4 : idat], "big")
    # A flipped data byte breaks decoding; a flipped checksum byte only verify() notices.
    whole[idat + 20 if where == "data" else idat + 4 + length] ^= 0xFF
    assert rejection(bytes(whole), ["image"]).code == "unreadable"


def test_pdf_whose_page_text_cannot_be_read_is_unreadable(monkeypatch):
    def broken(*args, **kwargs):
        raise ValueError("bad content stream")

    monkeypatch.setattr("pypdf.PageObject.extract_text", broken)
    assert rejection(PDF, ["pdf"]).code == "unreadable"


def test_pdf_with_an_empty_page_box_is_unreadable():
    writer = PdfWriter()
    page = writer.add_blank_page(width=595, height=842)
    page[NameObject("/MediaBox")] = ArrayObject([NumberObject(0)] * 4)
    buffer = io.BytesIO()
    writer.write(buffer)
    assert rejection(buffer.getvalue(), ["pdf"]).code == "unreadable"


def test_zip_bomb_posing_as_xlsx_is_refused_before_unpacking():
    bomb = make_zip_bomb()
    assert len(bomb) < MB  # small on the wire ...
    error = rejection(bomb, ["xlsx"])
    assert error.code == "unreadable"  # ... but packed 1000:1


def test_workbook_unpacking_beyond_the_total_limit_is_too_large(monkeypatch):
    members = _members(XLSX)
    monkeypatch.setattr(files, "XLSX_MAX_UNCOMPRESSED", sum(map(len, members.values())))
    assert check_upload(XLSX, ["xlsx"], LIMIT).kind == "xlsx"  # exactly at the limit
    padded = make_zip({**members, "xl/pad.bin": b"x"}, zipfile.ZIP_STORED)
    error = rejection(padded, ["xlsx"])
    assert error.code == "too_large"
    assert error.params["size"] == files.XLSX_MAX_UNCOMPRESSED + 1


def test_ratio_limit_applies_to_any_member(monkeypatch):
    monkeypatch.setattr(files, "XLSX_RATIO_CHECK_FROM", 0)
    zeros = make_zip({"xl/workbook.xml": b"<workbook/>", "xl/zeros.bin": bytes(200_000)})
    assert rejection(zeros, ["xlsx"]).code == "unreadable"
    # The same check passes a normal workbook: its members pack far less tightly.
    assert check_upload(XLSX, ["xlsx"], LIMIT).kind == "xlsx"


def _members(data: bytes) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return {item.filename: archive.read(item) for item in archive.infolist()}


def test_huge_image_dimensions_are_refused_before_decoding():
    # 9000 x 9000 = 81 megapixels: over our limit, under twice Pillow's (so Pillow only warns).
    with pytest.warns(Image.DecompressionBombWarning):
        error = rejection(png_header(9000, 9000), ["image"])
    assert error.code == "too_large"
    assert error.params["pixels"] == 81_000_000


def test_enormous_image_dimensions_are_refused():
    error = rejection(png_header(30_000, 30_000), ["image"])  # Pillow itself refuses this one
    assert error.code == "too_large"
    assert error.params["limit_pixels"] == files.MAX_IMAGE_PIXELS


@pytest.mark.parametrize(("size", "accepted"), [((10, 10), True), ((10, 11), False)])
def test_pixel_limit_boundary(monkeypatch, size, accepted):
    monkeypatch.setattr(files, "MAX_IMAGE_PIXELS", 100)
    data = make_image("PNG", size)
    if accepted:
        assert check_upload(data, ["image"], LIMIT).kind == "image"
    else:
        assert rejection(data, ["image"]).params["pixels"] == 110


def test_pillow_global_guard_is_no_looser_than_ours():
    assert Image.MAX_IMAGE_PIXELS is not None
    assert Image.MAX_IMAGE_PIXELS <= files.MAX_IMAGE_PIXELS


@pytest.mark.parametrize("boom", [RuntimeError("parser bug"), RecursionError(), KeyError("x")])
@pytest.mark.parametrize(
    ("target", "data", "allowed"),
    [
        ("pypdf.PdfReader", PDF, "pdf"),
        ("PIL.Image.open", PNG, "image"),
        ("openpyxl.load_workbook", XLSX, "xlsx"),
    ],
)
def test_parser_exceptions_never_escape(monkeypatch, target, data, allowed, boom):
    def explode(*args, **kwargs):
        raise boom

    monkeypatch.setattr(target, explode)
    assert rejection(data, [allowed]).code == "unreadable"


def test_wrong_kind_lists_what_was_allowed_and_found():
    error = rejection(PNG, ["xlsx", "pdf"])
    assert error.params == {"allowed": ["pdf", "xlsx"], "found": "image"}
    assert rejection(b"hello", ["pdf"]).params["found"] is None


@pytest.mark.parametrize("allowed", [[], ["word"], ["pdf", "exe"]])
def test_unknown_allowed_kinds_are_a_programming_error(allowed):
    with pytest.raises(ValueError, match="allowed_kinds"):
        check_upload(PDF, allowed, LIMIT)


def test_unknown_rejection_code_is_refused():
    with pytest.raises(ValueError):
        UploadRejected("bad_code", "message")


def test_str_of_a_rejection_does_not_render_the_message():
    error = rejection(PDF, ["pdf"], 100)
    assert str(error) == f"too_large {{'size': {len(PDF)}, 'limit': 100}}"


# --- kinds and messages ---------------------------------------------------------------------


def test_kinds_table():
    assert set(KINDS) == {"pdf", "image", "xlsx"}
    assert all(kind.key == key for key, kind in KINDS.items())
    assert KINDS["image"].mime_types == ("image/jpeg", "image/png")
    assert KINDS["xlsx"].extensions == (".xlsx",)


@pytest.mark.parametrize(
    ("n", "text"),
    [
        (0, "0 B"),
        (1023, "1023 B"),
        (1024, "1 KB"),
        (850 * 1024, "850 KB"),
        (1024 * 1024 - 1, "1 MB"),
        (10 * MB, "10 MB"),
        (int(12.3 * MB), "12.3 MB"),
        (3 * 1024 * MB // 2, "1.5 GB"),
    ],
)
def test_human_size(n, text):
    assert human_size(n) == text


def test_human_size_rounding_up_never_understates():
    assert human_size(10 * MB + 1) == "10 MB"
    assert human_size(10 * MB + 1, round_up=True) == "10.1 MB"
    assert human_size(1025, round_up=True) == "2 KB"


@pytest.fixture
def babel_request():
    app = Flask(__name__)
    Babel(app)
    with app.test_request_context():
        yield


def test_too_large_message_names_size_and_limit(babel_request):
    error = rejection(b"%PDF-" + b"x" * (10 * MB), ["pdf"], 10 * MB)
    text = str(error.message)
    assert "the limit for this document is 10 MB" in text
    assert "The file is 10.1 MB" in text  # rounded up: never shown as equal to the limit
    assert error.params == {"size": 10 * MB + 5, "limit": 10 * MB}


def test_wrong_kind_message_names_the_accepted_kinds(babel_request):
    text = str(rejection(b"hello", ["image", "pdf"]).message)
    assert "(PDF / image (JPEG or PNG))" in text
    assert "judged by its content, not by its name" in text


@pytest.mark.parametrize(
    ("data", "allowed", "words"),
    [
        (b"", ALL_KINDS, "Choose the file again"),
        (b"%PDF-1.7\n", ["pdf"], "only a header"),
        (make_pdf(password="pw"), ["pdf"], "without protection"),
        (png_header(30_000, 30_000), ["image"], "60 megapixels"),
        (make_zip_bomb(), ["xlsx"], "cannot be checked safely"),
    ],
)
def test_messages_tell_the_user_what_to_do(babel_request, data, allowed, words):
    text = str(rejection(data, allowed).message)
    assert words in text
    assert "%(" not in text


def test_rendering_letters_does_not_let_truncated_images_through():
    """WeasyPrint's import switches Pillow's LOAD_TRUNCATED_IMAGES on for the process; the
    letters' renderer switches it back, so uploads stay strict in a process that renders."""
    from portal.letters import pdf

    pdf._import_weasyprint()
    whole = make_image("JPEG", (120, 90), noisy=True)
    assert rejection(whole[: int(len(whole) * 0.3)], ["image"]).code == "unreadable"
