"""Hostile uploads through the firm's real upload form.

tests/unit/test_upload_checks.py judges ``check_upload`` on its own; here the whole path is
exercised (multipart parsing, the request size limit, storage, the audit log, the download):
files posing as PDFs, polyglots, requests over the size limit, zip bombs posing as workbooks
(one that says how big it is and one that lies about it), and hostile file names. A refused
upload leaves no row and no file behind; an accepted one is stored under a generated name and
only ever sent back as a download of the type it was judged to be.
"""

from __future__ import annotations

import functools
import io
import struct
import zipfile
from pathlib import Path

import pytest
from sqlalchemy import select
from werkzeug.http import parse_options_header

from portal.applications.models import Application, Attachment
from portal.core import uploads
from portal.core.extensions import db
from tests.helpers import detached_rows, make_pdf
from tests.security import world as w

REQUEST_LIMIT = 512 * 1024
MB = 1024 * 1024


@pytest.fixture(scope="module")
def world_app_config():
    return {"MAX_CONTENT_LENGTH": REQUEST_LIMIT}


# --- files made here -----------------------------------------------------------------------------


def jpeg() -> bytes:
    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (40, 30), (10, 120, 200)).save(buffer, "JPEG")
    return buffer.getvalue()


def zip_of(members: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, content in members.items():
            archive.writestr(name, content)
    return buffer.getvalue()


@functools.cache
def workbook() -> bytes:
    import openpyxl

    book = openpyxl.Workbook()
    book.active["A1"] = "研发费用"
    book.active["B1"] = 800000
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def workbook_members() -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(workbook())) as archive:
        return {item.filename: archive.read(item) for item in archive.infolist()}


@functools.cache
def honest_zip_bomb() -> bytes:
    """A workbook with a member of 50 MB of zeros that packs to about 50 KB."""
    return zip_of({**workbook_members(), "xl/media/image1.bin": bytes(50 * MB)})


@functools.cache
def lying_zip_bomb() -> bytes:
    """A workbook whose workbook.xml unpacks to 30 MB but whose headers say 900 bytes, so that
    every check of declared sizes passes."""
    members = workbook_members()
    members["xl/workbook.xml"] = members["xl/workbook.xml"] + b" " * (30 * MB)
    data = bytearray(zip_of(members))
    name = b"xl/workbook.xml"
    lied = 0
    # Central directory headers: size at offset 24; local headers: size at offset 22.
    for signature, size_at, name_at in ((b"PK\x01\x02", 24, 46), (b"PK\x03\x04", 22, 30)):
        start = 0
        while (start := data.find(signature, start)) != -1:
            if data[start + name_at : start + name_at + len(name)] == name:
                struct.pack_into("<I", data, start + size_at, 900)
                lied += 1
            start += 4
    assert lied == 2
    return bytes(data)


# --- helpers -------------------------------------------------------------------------------------


def _open_slots(app, application_id: int) -> None:
    """Firm B's programme asks for a document that may be an image and one that is a workbook."""
    with app.app_context():
        application = db.session.get(Application, application_id)
        version = application.program_version
        documents = [dict(doc) for doc in version.documents]
        documents[0] = {**documents[0], "kinds": ["pdf", "image"]}
        documents.append({**documents[1], "key": "ledger_xlsx", "kinds": ["xlsx"], "max_mb": 10})
        version.documents = documents
        db.session.commit()


@pytest.fixture
def firm(world_app, fresh_world):
    _open_slots(world_app, fresh_world["firm_b_application"])
    client = w.signed_in_client(world_app, w.FIRM_B)
    client.application_id = fresh_world["firm_b_application"]
    with world_app.app_context():
        version = db.session.get(Application, client.application_id).program_version
        client.pdf_key = version.documents[1]["key"]
        client.image_key = version.documents[0]["key"]
    client.xlsx_key = "ledger_xlsx"
    return client


def upload(client, key: str, data: bytes, name: str):
    return client.post(
        f"/applications/{client.application_id}/documents/{key}",
        data={"file": (io.BytesIO(data), name)},
        content_type="multipart/form-data",
    )


def attachments(app) -> list[Attachment]:
    return detached_rows(app, select(Attachment).order_by(Attachment.id))


def assert_refused_beside_the_field(response, what: str) -> None:
    assert response.status_code == 422, (what, response.status_code)
    assert 'class="field__error"' in response.get_data(as_text=True) or "error" in (
        response.get_data(as_text=True)
    ), what


# --- content, not name ---------------------------------------------------------------------------


FAKES = {
    "text": b"Just some text, honestly a PDF.",
    "html-with-script": b"<html><body><script>alert(document.cookie)</script></body></html>",
    "pdf-header-then-html": b"%PDF-1.4\n<html><script>alert(1)</script></html>\n%%EOF",
    "html-then-pdf": b"<html><script>alert(1)</script></html>\n" + make_pdf(),
    "svg": b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"/>',
    "windows-program": b"MZ\x90\x00\x03" + bytes(200),
    "zip": zip_of({"a.txt": b"hello"}),
    "jpeg-in-a-pdf-slot": jpeg(),
    "empty": b"",
}


@pytest.mark.parametrize("case", sorted(FAKES))
def test_wrong_content_under_a_pdf_name_is_refused_and_leaves_nothing(world_app, firm, case):
    unchanged = w.Unchanged(world_app)
    response = upload(firm, firm.pdf_key, FAKES[case], "年度报告.pdf")
    assert_refused_beside_the_field(response, case)
    unchanged.check(case)


def test_a_real_pdf_is_accepted_so_the_refusals_mean_something(world_app, firm):
    before = len(attachments(world_app))
    assert upload(firm, firm.pdf_key, make_pdf(), "年度报告.pdf").status_code == 302
    assert len(attachments(world_app)) == before + 1


def _download(app, attachment: Attachment):
    officer = w.signed_in_client(app, w.OFFICER)
    return officer.get(f"/files/{attachment.id}")


@pytest.mark.parametrize(
    ("kind", "data", "mimetype"),
    [
        (
            "pdf",
            make_pdf() + b"\n<html><body><script>alert(1)</script></body></html>\n",
            "application/pdf",
        ),
        ("image", jpeg() + zip_of({"payload.html": b"<script>alert(1)</script>"}), "image/jpeg"),
        ("image", jpeg() + b"<html><script>alert(1)</script></html>", "image/jpeg"),
    ],
    ids=["pdf+html", "jpeg+zip", "jpeg+html"],
)
def test_a_polyglot_is_kept_as_what_it_starts_as_and_only_downloaded(
    world_app, firm, kind, data, mimetype
):
    key = firm.pdf_key if kind == "pdf" else firm.image_key
    response = upload(firm, key, data, "scan.html")
    assert response.status_code == 302, response.get_data(as_text=True)[:500]
    stored = attachments(world_app)[-1]
    assert stored.mime_type == mimetype
    assert stored.original_name == "scan.html"  # the name is only a label ...
    download = _download(world_app, stored)
    assert download.status_code == 200 and download.data == data
    assert download.mimetype == mimetype  # ... the type is the judged one
    assert download.headers["Content-Disposition"].startswith("attachment")
    assert download.headers["X-Content-Type-Options"] == "nosniff"
    assert "script-src 'self'" in download.headers["Content-Security-Policy"]


def test_a_pdf_polyglot_is_no_workbook(world_app, firm):
    unchanged = w.Unchanged(world_app)
    polyglot = make_pdf() + zip_of(workbook_members())
    assert_refused_beside_the_field(upload(firm, firm.xlsx_key, polyglot, "ledger.xlsx"), "pdf")
    unchanged.check("pdf posing as a workbook")
    assert upload(firm, firm.xlsx_key, workbook(), "ledger.xlsx").status_code == 302


# --- size ----------------------------------------------------------------------------------------


def test_a_request_over_the_limit_gets_413_and_stores_nothing(world_app, firm):
    assert world_app.config["MAX_CONTENT_LENGTH"] == REQUEST_LIMIT
    unchanged = w.Unchanged(world_app)
    big = make_pdf() + b"%" + b"x" * (REQUEST_LIMIT + 1024)
    response = upload(firm, firm.pdf_key, big, "big.pdf")
    assert response.status_code == 413
    assert "文件过大" in response.get_data(as_text=True)
    unchanged.check("over the request limit")


class CountingStream(io.BytesIO):
    """A request body that counts how much of it the server read."""

    consumed = 0

    def read(self, size=-1):
        data = super().read(size)
        self.consumed += len(data)
        return data

    def readline(self, size=-1):
        data = super().readline(size)
        self.consumed += len(data)
        return data

    def readinto(self, buffer):
        count = super().readinto(buffer)
        self.consumed += count
        return count


def test_a_request_over_the_limit_without_a_length_is_cut_off_too(world_app, firm):
    """A chunked upload says no length up front: the server reads no further than the limit
    (and sees no file), or answers 413."""
    from werkzeug.test import EnvironBuilder

    unchanged = w.Unchanged(world_app)
    big = make_pdf() + b"%" + b"x" * (4 * REQUEST_LIMIT)
    environ = EnvironBuilder(
        path=f"/applications/{firm.application_id}/documents/{firm.pdf_key}",
        method="POST",
        data={"file": (io.BytesIO(big), "big.pdf")},
        content_type="multipart/form-data",
    ).get_environ()
    body = CountingStream(environ["wsgi.input"].read())
    environ.pop("CONTENT_LENGTH", None)
    environ.update(
        {"HTTP_TRANSFER_ENCODING": "chunked", "wsgi.input": body, "wsgi.input_terminated": True}
    )
    response = firm.open(environ)
    assert response.status_code in (413, 422), response.status_code
    assert body.consumed <= REQUEST_LIMIT + 64 * 1024, body.consumed
    unchanged.check("chunked, over the limit")


def test_a_file_over_the_document_limit_is_refused_beside_the_field(world_app, firm):
    with world_app.app_context():
        version = db.session.get(Application, firm.application_id).program_version
        documents = [dict(doc) for doc in version.documents]
        documents[1]["max_mb"] = 0  # nothing fits
        version.documents = documents
        db.session.commit()
    unchanged = w.Unchanged(world_app)
    assert_refused_beside_the_field(upload(firm, firm.pdf_key, make_pdf(), "a.pdf"), "over")
    unchanged.check("over the document limit")


# --- zip bombs -----------------------------------------------------------------------------------


@pytest.fixture
def unpacked(monkeypatch):
    """Counts every byte zipfile decompresses while the test runs."""
    counter = {"bytes": 0}
    original = zipfile.ZipExtFile._read1

    def counting(self, n):
        data = original(self, n)
        counter["bytes"] += len(data)
        return data

    monkeypatch.setattr(zipfile.ZipExtFile, "_read1", counting)
    return counter


@pytest.mark.parametrize("bomb", [honest_zip_bomb, lying_zip_bomb], ids=["honest", "lying"])
def test_a_zip_bomb_posing_as_a_workbook_is_refused_without_unpacking_it(
    world_app, firm, unpacked, bomb
):
    data = bomb()
    assert len(data) < REQUEST_LIMIT  # small on the wire, tens of megabytes unpacked
    unchanged = w.Unchanged(world_app)
    response = upload(firm, firm.xlsx_key, data, "研发台账.xlsx")
    assert_refused_beside_the_field(response, bomb.__name__)
    unchanged.check(bomb.__name__)
    assert unpacked["bytes"] < MB, f"unpacked {unpacked['bytes']} bytes"


@pytest.mark.parametrize("bomb", [honest_zip_bomb, lying_zip_bomb], ids=["honest", "lying"])
def test_the_checker_itself_refuses_a_zip_bomb_without_unpacking_it(unpacked, bomb):
    """The web upload checks files in a sandboxed child process, where this counter cannot see:
    the check itself, run here, must refuse the bomb having unpacked less than a megabyte."""
    with pytest.raises(uploads.UploadRejected):
        uploads.check_upload(bomb(), ["xlsx"], 10 * MB)
    assert unpacked["bytes"] < MB, f"unpacked {unpacked['bytes']} bytes"


def test_the_counter_sees_unpacking(unpacked):
    """(So that "less than a megabyte" above is measured, not assumed.)"""
    with zipfile.ZipFile(io.BytesIO(honest_zip_bomb())) as archive:
        archive.read("xl/media/image1.bin")
    assert unpacked["bytes"] >= 50 * MB


# --- names ---------------------------------------------------------------------------------------


HOSTILE_NAMES = [
    "../../etc/passwd.pdf",
    "..\\..\\windows\\win.ini.pdf",
    "/etc/passwd.pdf",
    "report\r\nSet-Cookie: stolen=1.pdf",
    "a\x00b.pdf",
    "\x1b[31mred\x07.pdf",
    "invoice\u202efdp.exe",
    '"; filename="evil.html',
    "....pdf",
    "x" * 300 + ".pdf",
]


@pytest.mark.parametrize("name", HOSTILE_NAMES)
def test_hostile_file_names_are_stored_under_generated_keys_and_sent_back_clean(
    world_app, firm, name
):
    files_root = Path(world_app.config["FILES_DIR"]).resolve()
    outside_before = _files_outside(files_root)
    response = upload(firm, firm.pdf_key, make_pdf(), name)
    assert response.status_code in (302, 422), response.status_code
    if response.status_code == 422:
        return  # refused outright is fine
    stored = attachments(world_app)[-1]
    assert stored.storage_key.count("/") == 2 and ".." not in stored.storage_key
    path = (files_root / stored.storage_key).resolve()
    assert path.is_file() and path.is_relative_to(files_root)
    assert _files_outside(files_root) == outside_before
    label = stored.original_name
    assert "/" not in label and "\\" not in label and not label.startswith(".")
    assert not any(ord(ch) < 32 or ord(ch) == 127 for ch in label), repr(label)
    assert "\u202e" not in label and '"' not in label and len(label) <= 150
    disposition = _download(world_app, stored).headers["Content-Disposition"]
    assert not any(ord(ch) < 32 for ch in disposition), repr(disposition)
    value, params = parse_options_header(disposition)
    assert value == "attachment" and params == {"filename": label}, disposition


def _files_outside(files_root: Path) -> set[str]:
    """Files in the folder around the store (where a traversal would land)."""
    around = files_root.parent
    return {
        str(path.relative_to(around))
        for path in around.rglob("*")
        if path.is_file() and not path.resolve().is_relative_to(files_root)
    }


def test_an_unknown_or_traversing_document_key_stores_nothing(world_app, firm):
    unchanged = w.Unchanged(world_app)
    for key in ("no-such-document", "..", "%2e%2e", "a107012%00"):
        response = upload(firm, key, make_pdf(), "a.pdf")
        assert response.status_code in (404, 422), (key, response.status_code)
    response = firm.post(
        f"/applications/{firm.application_id}/documents/..%2F..%2Fx",
        data={"file": (io.BytesIO(make_pdf()), "a.pdf")},
        content_type="multipart/form-data",
    )
    assert response.status_code in (404, 422)
    unchanged.check("unknown keys")


def test_a_failure_after_the_file_was_written_leaves_no_orphan(world_app, firm, monkeypatch):
    """Fault injection: the request fails after the file is stored; the file goes again."""
    from portal.applications import services

    def broken(*_args, **_kwargs):
        raise RuntimeError("the disk is fine, the code is not")

    monkeypatch.setattr(services, "_touch", broken)
    monkeypatch.setattr(world_app, "testing", False)
    monkeypatch.setitem(world_app.config, "PROPAGATE_EXCEPTIONS", False)
    unchanged = w.Unchanged(world_app)
    response = upload(firm, firm.pdf_key, make_pdf(), "a.pdf")
    assert response.status_code == 500
    unchanged.check("failed after writing")
