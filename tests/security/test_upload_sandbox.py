"""Untrusted files are parsed in a limited child process, while the request holds no database
transaction (issue 12, item 1).

The crafted PDF is tiny (its one content stream is compressed twice) but holds 200,000 text
operators, so that pypdf's first-page text extraction costs seconds of CPU. Before the fix the
upload view parsed it in the web process, inside the request's transaction: on SQLite that
transaction began with BEGIN IMMEDIATE, so every other user's write waited for the parse.
Now the parse runs in ``portal.core.sandbox`` (CPU, memory and wall-clock limits) after the
request has let go of its transaction: the file is refused within the limit, and another
firm's save made in the same moment goes through at once.
"""

from __future__ import annotations

import contextlib
import html
import io
import threading
import time
import zlib
from typing import Any

import pytest
from flask_babel import force_locale
from sqlalchemy import func, select

from portal import create_app
from portal.applications.models import Application, Attachment
from portal.core.extensions import db
from portal.core.sandbox import SandboxLimits, check_in_sandbox, warm_up
from portal.core.uploads import UploadRejected, check_upload, not_checked
from portal.web.firm import applications as upload_view
from tests.helpers import close_connections, make_pdf, sign_in

FIRM_A = "ent1@example.com"
FIRM_B = "ent2@example.com"
RD = "rd-post-subsidy-2026"
OPERATORS = 200_000


def crafted_pdf(operators: int = OPERATORS) -> bytes:
    """One page whose content stream is ``BT /F1 1 Tf (a) Tj ET`` ``operators`` times,
    FlateDecode-compressed twice (a filter chain every PDF reader must follow)."""
    content = b"BT /F1 1 Tf (a) Tj ET\n" * operators
    stream = zlib.compress(zlib.compress(content, 9), 9)
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] "
        b"/Resources << /Font << /F1 5 0 R >> >> /Contents 4 0 R >>",
        b"<< /Length %d /Filter [/FlateDecode /FlateDecode] >>\nstream\n" % len(stream)
        + stream
        + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, 1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    for offset in offsets:
        out += b"%010d 00000 n \n" % offset
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (
        len(objects) + 1,
        xref,
    )
    return bytes(out)


def png() -> bytes:
    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (40, 30), (10, 120, 200)).save(buffer, "PNG")
    return buffer.getvalue()


def workbook() -> bytes:
    import openpyxl

    book = openpyxl.Workbook()
    book.active["A1"] = "研发费用"
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


# --- the sandbox on its own --------------------------------------------------------------------


def test_the_crafted_pdf_costs_seconds_when_parsed_in_process():
    """(So that the refusals below are about this file's cost, not an accident.)"""
    data = crafted_pdf()
    assert len(data) < 4 * 1024
    started = time.process_time()
    with contextlib.suppress(UploadRejected):  # refused or not, it has been parsed
        check_upload(data, ["pdf"], 10 * 1024 * 1024)
    spent = time.process_time() - started
    print(f"\ncrafted PDF: {len(data)} bytes, {spent:.1f} s of CPU parsed in process")
    assert spent > 1.0


@pytest.mark.parametrize(
    ("data", "kinds", "kind"),
    [
        (make_pdf(), ["pdf"], "pdf"),
        (png(), ["pdf", "image"], "image"),
        (workbook(), ["xlsx"], "xlsx"),
    ],
    ids=["pdf", "png", "xlsx"],
)
def test_ordinary_files_pass_the_sandbox_as_they_passed_before(data, kinds, kind):
    started = time.perf_counter()
    detected = check_in_sandbox(data, kinds, 10 * 1024 * 1024, SandboxLimits())
    print(f"\n{kind} checked in the sandbox in {time.perf_counter() - started:.3f} s")
    assert detected == check_upload(data, kinds, 10 * 1024 * 1024)


def test_the_overhead_of_a_warm_sandbox_is_small():
    warm_up()
    check_in_sandbox(make_pdf(), ["pdf"], 1024 * 1024, SandboxLimits())
    timings = []
    for _ in range(5):
        started = time.perf_counter()
        check_in_sandbox(make_pdf(), ["pdf"], 1024 * 1024, SandboxLimits())
        timings.append(time.perf_counter() - started)
    print(f"\na PDF checked in the warm sandbox: {sorted(timings)[2] * 1000:.0f} ms (median)")
    assert sorted(timings)[2] < 5


def test_refusals_come_back_from_the_sandbox_with_their_message_and_params(app):
    with pytest.raises(UploadRejected) as caught:
        check_in_sandbox(b"just text", ["pdf", "image"], 1024, SandboxLimits())
    assert caught.value.code == "wrong_kind"
    assert caught.value.params == {"allowed": ["pdf", "image"], "found": None}
    with app.test_request_context(), force_locale("en"):
        assert "PDF / image (JPEG or PNG)" in str(caught.value.message)


def _refused_unchecked(data: bytes, limits: SandboxLimits) -> float:
    started = time.perf_counter()
    with pytest.raises(UploadRejected) as caught:
        check_in_sandbox(data, ["pdf"], 10 * 1024 * 1024, limits)
    assert caught.value.code == "unchecked"
    return time.perf_counter() - started


def test_the_cpu_limit_refuses_the_crafted_pdf():
    spent = _refused_unchecked(crafted_pdf(), SandboxLimits(wall_seconds=60))
    print(f"\ncrafted PDF refused by the CPU limit after {spent:.1f} s")
    assert spent < 15


def test_the_wall_clock_limit_kills_the_check():
    spent = _refused_unchecked(crafted_pdf(), SandboxLimits(cpu_seconds=60, wall_seconds=0.5))
    assert spent < 15


def test_running_out_of_memory_refuses_the_file_instead_of_failing():
    # Less address space than the child already has: every allocation fails.
    _refused_unchecked(make_pdf(), SandboxLimits(memory_bytes=32 * 1024 * 1024))


# --- through the upload form -------------------------------------------------------------------


def _client(app, email: str):
    client = app.test_client()
    assert sign_in(client, email).status_code == 302
    return client


def _draft(client) -> int:
    response = client.post(f"/programmes/{RD}/apply")
    assert response.status_code == 302, response.get_data(as_text=True)[:500]
    return int(response.headers["Location"].rsplit("/", 1)[1])


def _pdf_key(app, application_id: int) -> str:
    with app.app_context():
        version = db.session.get(Application, application_id).program_version
        return next(doc["key"] for doc in version.documents if "pdf" in doc["kinds"])


def _upload(client, application_id: int, key: str, data: bytes):
    return client.post(
        f"/applications/{application_id}/documents/{key}",
        data={"file": (io.BytesIO(data), "年度报告.pdf")},
        content_type="multipart/form-data",
    )


def _attachment_count(app) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(Attachment))


def _refusal_text(app) -> str:
    with app.test_request_context(), force_locale("zh_CN"):
        return html.escape(str(not_checked().message))


@pytest.fixture
def firm_b(demo):
    client = _client(demo, FIRM_B)
    client.application_id = _draft(client)
    client.pdf_key = _pdf_key(demo, client.application_id)
    return client


def test_the_crafted_pdf_is_refused_beside_the_field_within_the_limit(demo, firm_b):
    started = time.perf_counter()
    response = _upload(firm_b, firm_b.application_id, firm_b.pdf_key, crafted_pdf())
    spent = time.perf_counter() - started
    print(f"\ncrafted PDF upload refused in {spent:.1f} s")
    assert response.status_code == 422, response.status_code
    assert _refusal_text(demo) in response.get_data(as_text=True)
    assert _attachment_count(demo) == 0
    assert spent < 15


def test_ordinary_files_are_still_accepted_through_the_form(demo, firm_b):
    response = _upload(firm_b, firm_b.application_id, firm_b.pdf_key, make_pdf())
    assert response.status_code == 302, response.get_data(as_text=True)[:800]
    assert _attachment_count(demo) == 1


def test_another_firms_write_goes_through_while_the_crafted_pdf_is_checked(
    demo, firm_b, monkeypatch
):
    firm_a = _client(demo, FIRM_A)
    firm_a_application = _draft(firm_a)
    checking = threading.Event()
    seen: dict[str, Any] = {}
    real_check = upload_view.check_in_sandbox

    def observed_check(*args: Any, **kwargs: Any):
        # In the upload's request: it must hold no transaction while the file is parsed.
        seen["in_transaction_during_check"] = db.session().in_transaction()
        checking.set()
        return real_check(*args, **kwargs)

    monkeypatch.setattr(upload_view, "check_in_sandbox", observed_check)
    uploaded: dict[str, Any] = {}

    def upload_crafted() -> None:
        try:
            response = _upload(firm_b, firm_b.application_id, firm_b.pdf_key, crafted_pdf())
            uploaded["status"] = response.status_code
        finally:
            uploaded["done"] = time.perf_counter()
            checking.set()  # (should it fail before the check, do not wait for it)

    thread = threading.Thread(target=upload_crafted)
    thread.start()
    try:
        assert checking.wait(30), "the upload never reached the check"
        started = time.perf_counter()
        response = firm_a.post(
            f"/applications/{firm_a_application}/summary",
            data={"project_title": "并发写入", "project_summary": "另一家企业同时保存。"},
        )
        finished = time.perf_counter()
    finally:
        thread.join(60)
    print(f"\nthe other firm's save took {finished - started:.3f} s during the check")
    assert response.status_code == 302, response.get_data(as_text=True)[:800]
    assert finished - started < 1.0
    assert uploaded["done"] > finished, "the upload was no longer being checked"
    assert uploaded["status"] == 422
    assert seen["in_transaction_during_check"] is False
    with demo.app_context():
        assert db.session.get(Application, firm_a_application).project_title == "并发写入"


# --- per-account rate limit --------------------------------------------------------------------


@pytest.fixture
def limited_app(demo, app_config):
    application = create_app(
        {**app_config, "RATELIMIT_ENABLED": True, "UPLOAD_RATE_LIMIT": "3 per minute"}
    )
    yield application
    close_connections(application)


def test_uploads_are_rate_limited_per_account(limited_app):
    firm_b = _client(limited_app, FIRM_B)
    application_id = _draft(firm_b)
    key = _pdf_key(limited_app, application_id)
    responses = [_upload(firm_b, application_id, key, b"not a pdf") for _ in range(4)]
    assert [r.status_code for r in responses] == [422, 422, 422, 429]
    assert "操作过于频繁，请稍等一分钟后重试。" in responses[-1].get_data(as_text=True)
    # Counted per account, not per address: another firm on the same address still may.
    firm_a = _client(limited_app, FIRM_A)
    other = _draft(firm_a)
    assert _upload(firm_a, other, _pdf_key(limited_app, other), make_pdf()).status_code == 302
