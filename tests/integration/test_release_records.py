"""A ranking kept for the minutes: every release keeps its ranked list as it stood (ranks,
scores, spreads, amounts decided and released after pro rata, the budget line, decisions, who
proposed and who approved), taken in the release's own transaction; the officer reads it after
the ranked list has emptied, downloads it as a PDF (评审结果汇总表, read back with pdftotext) and
an XLSX, and anyone verifies the PDF by its code or byte for byte."""

from __future__ import annotations

import io
import re
import subprocess
from decimal import Decimal

import pytest
from openpyxl import load_workbook
from sqlalchemy import func, select

from portal.core.audit import AuditEvent
from portal.core.extensions import db
from portal.review.release_record_models import ReleaseRecord, ReleaseRecordEntry
from portal.review.release_records import signatories
from tests.helpers import sign_in, statements_for, use_english
from tests.integration.test_decisions import (
    KEY,
    RD,
    decide,
    load,
    make_application,
    make_firm,
    officer_client,
    program_id,
    release,
    set_program,
    set_tiers,
    text_of,
)


def pdf_text(data: bytes, tmp_path) -> str:
    path = tmp_path / "record.pdf"
    path.write_bytes(data)
    return subprocess.run(
        ["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True, check=True
    ).stdout


def records(app) -> list[ReleaseRecord]:
    with app.app_context():
        rows = list(db.session.scalars(select(ReleaseRecord).order_by(ReleaseRecord.id)))
        for row in rows:
            db.session.expunge(row)
        return rows


def entries(app, record_id: int) -> list[ReleaseRecordEntry]:
    with app.app_context():
        rows = list(
            db.session.scalars(
                select(ReleaseRecordEntry)
                .where(ReleaseRecordEntry.record_id == record_id)
                .order_by(ReleaseRecordEntry.position)
            )
        )
        for row in rows:
            db.session.expunge(row)
        return rows


@pytest.fixture
def ranked_release(app, demo):
    """Five selection applications, scores 95 down to 55, tiers 2 × 500,000 then 200,000,
    budget 1,300,000 paid pro rata: the officer approves four (1,400,000: the fourth goes
    past the budget line) and rejects the 55; then releases them all (scaled to the budget)."""
    set_tiers(app, KEY, [[2, "500000"], [3, "200000"]])
    set_program(app, KEY, budget=Decimal("1300000"), pro_rata=True)
    ids = {}
    for index, score in enumerate(["90", "95", "55", "85", "80"], start=1):
        ids[score] = make_application(
            app, KEY, make_firm(app, index, f"阜新纪要{index}有限公司"), score=score
        )
    client = officer_client(app)
    for score, amount in (("95", "500000"), ("90", "500000"), ("85", "200000"), ("80", "200000")):
        assert decide(client, app, ids[score], "approve", amount).status_code == 302
    assert (
        decide(client, app, ids["55"], "reject", code="score_too_low", reason="分数低").status_code
        == 302
    )
    assert release(client, program_id(app, KEY)).status_code == 302
    return client, ids


def test_a_release_keeps_its_ranked_list_as_it_stood(app, ranked_release):
    _client, ids = ranked_release
    (record,) = records(app)
    lines = entries(app, record.id)
    assert [line.application_id for line in lines] == [
        ids["95"],
        ids["90"],
        ids["85"],
        ids["80"],
        ids["55"],
    ]
    assert [line.rank for line in lines] == [1, 2, 3, 4, None]  # a rejection takes no place
    assert [str(line.score) for line in lines] == ["95.00", "90.00", "85.00", "80.00", "55.00"]
    assert [line.decision for line in lines] == ["approve"] * 4 + ["reject"]
    assert [line.proposed_amount for line in lines] == [
        Decimal("500000.00"),
        Decimal("500000.00"),
        Decimal("200000.00"),
        Decimal("200000.00"),
        Decimal("0.00"),
    ]
    # released after the pro-rata cut, as the applications carry them
    assert [line.released_amount for line in lines[:4]] == [
        load(app, ids[s]).decided_amount for s in ("95", "90", "85", "80")
    ]
    assert lines[4].released_amount == 0 and record.released_total <= record.budget
    assert [line.running_total for line in lines][-2:] == [Decimal("1400000.00")] * 2
    # the budget line is drawn above the first line past the budget, once
    assert [line.budget_line for line in lines] == [False, False, False, True, False]
    assert [line.over_budget for line in lines] == [False, False, False, True, False]
    assert lines[-1].reason_code == "score_too_low" and lines[-1].reason == "分数低"
    assert lines[0].enterprise == "阜新纪要2有限公司" and lines[0].decided_by_name
    assert record.approved_count == 4 and record.rejected_count == 1
    assert record.budget == Decimal("1300000.00") and record.released_before == 0
    # four eyes: the officer proposed the release, the approver signed it off
    assert record.proposed_by_name == lines[0].decided_by_name
    assert record.approved_by_name and record.approved_by_name != record.proposed_by_name
    # taken from the release's own audit event, in the same transaction
    with app.app_context():
        event = db.session.get(AuditEvent, record.audit_event_id)
        assert event.action == "decision.released"


def test_the_record_does_not_change_when_the_award_does_later(app, ranked_release):
    _client, ids = ranked_release
    with app.app_context():
        from portal.applications.models import Application

        application = db.session.get(Application, ids["95"])
        application.decided_amount = Decimal("1.00")
        db.session.commit()
    (record,) = records(app)
    assert entries(app, record.id)[0].released_amount > Decimal("400000.00")


def test_pro_rata_keeps_both_the_amount_decided_and_the_amount_released(app, demo):
    set_program(app, RD, budget=Decimal("30000"))
    amounts = ["14000", "13333", "9999"]
    ids = [
        make_application(app, RD, make_firm(app, index), requested=amount, formula=amount)
        for index, amount in enumerate(amounts, start=1)
    ]
    client = officer_client(app)
    for application_id, amount in zip(ids, amounts, strict=True):
        assert decide(client, app, application_id, "approve", amount).status_code == 302
    assert release(client, program_id(app, RD)).status_code == 302
    (record,) = records(app)
    lines = entries(app, record.id)
    assert [line.proposed_amount for line in lines] == [Decimal(a) for a in amounts]
    assert [line.released_amount for line in lines] == [load(app, i).decided_amount for i in ids]
    assert record.proposed_total == Decimal("37332.00")
    assert record.released_total == Decimal("29900.00")
    assert record.pro_rata_ratio == "30000.00/37332.00"
    page = text_of(client.get(f"/staff/release-records/{record.id}"))
    assert "scaled pro rata to 80.36 %" in page


def test_signatories_come_from_the_four_eyes_summary_when_present():
    assert signatories(AuditEvent(actor_id=7, summary={})) == (7, 7)
    assert signatories(AuditEvent(actor_id=7, summary={"proposed_by": 3, "approved_by": 7})) == (
        3,
        7,
    )
    assert (
        signatories(AuditEvent(actor_id=9, summary={"proposed_by": "4", "approved_by": True}))[0]
        == 4
    )


def test_the_officer_finds_earlier_releases_and_downloads_them(app, ranked_release, tmp_path):
    client, _ids = ranked_release
    (record,) = records(app)
    pid = program_id(app, KEY)
    listing = text_of(client.get(f"/staff/release-records/programmes/{pid}"))
    assert "Earlier releases" in listing
    assert f"/staff/release-records/{record.id}" in listing
    page = text_of(client.get(f"/staff/release-records/{record.id}"))
    for shown in ("阜新纪要2有限公司", "1,300,000.00", "The budget of 1,300,000.00 yuan runs out"):
        assert shown in page, shown
    assert "Score too low" in page
    with app.app_context():
        names = db.session.get(ReleaseRecord, record.id)
        assert names.proposed_by_name in page and names.approved_by_name in page
    leader = app.test_client()
    assert sign_in(leader, "leader@example.com").status_code == 302
    assert leader.get(f"/staff/release-records/{record.id}").status_code == 200
    # the PDF, rendered by the job after the commit (inline in tests)
    response = client.get(f"/staff/release-records/{record.id}.pdf")
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    zh = pdf_text(response.data, tmp_path)
    for shown in (
        "评审结果汇总表",
        "阜新纪要2有限公司",
        "500,000.00",
        "预算线",
        "审批人",
        "验证码",
    ):
        assert shown in zh, shown
    en = pdf_text(client.get(f"/staff/release-records/{record.id}.pdf?lang=en").data, tmp_path)
    assert "Summary of the review results" in en and "Approved by" in en
    # the spreadsheet: the same lines, numbers as numbers
    sheet = client.get(f"/staff/release-records/{record.id}.xlsx")
    assert sheet.status_code == 200
    rows = list(load_workbook(io.BytesIO(sheet.data)).active.iter_rows(values_only=True))
    assert rows[0][:4] == ("No.", "Rank", "Reference", "Enterprise")
    assert len(rows) == 6 and rows[1][3] == "阜新纪要2有限公司"
    assert float(rows[1][9]) == 500000.0  # decided, before the pro-rata cut


def test_the_pdf_verifies_by_code_and_byte_for_byte(app, ranked_release, tmp_path, client):
    officer, _ids = ranked_release
    (record,) = records(app)
    data = officer.get(f"/staff/release-records/{record.id}.pdf").data
    code = re.search(r"([2-9A-Z]{4}-[2-9A-Z]{4}-[2-9A-Z]{4})", pdf_text(data, tmp_path)).group(1)
    use_english(client)
    verified = text_of(client.get(f"/verify/{code}"))
    assert "Authentic summary of the review results" in verified
    assert "5 (4 approved, 1 rejected)" in verified
    assert "阜新纪要2有限公司" not in verified  # the contents stay internal
    by_file = client.post("/verify/file", data={"file": (io.BytesIO(data), "r.pdf")})
    assert "exactly the summary of the review results" in text_of(by_file)
    changed = data.replace(b"%%EOF", b"%%EOF ")
    by_file = client.post("/verify/file", data={"file": (io.BytesIO(changed), "r.pdf")})
    assert "Not a letter we issued" in text_of(by_file)


def test_rendering_again_renders_nothing_twice(app, ranked_release):
    from portal.letters.release_record_pdf import render_record

    (record,) = records(app)
    with app.test_request_context():
        assert render_record(record.id) is False
        assert render_record(10**6) is False
        assert db.session.scalar(select(func.count()).select_from(ReleaseRecord)) == 1


def test_outsiders_are_refused_and_missing_records_are_404(app, ranked_release, client):
    (record,) = records(app)
    urls = [
        f"/staff/release-records/programmes/{program_id(app, KEY)}",
        f"/staff/release-records/{record.id}",
        f"/staff/release-records/{record.id}.pdf",
        f"/staff/release-records/{record.id}.xlsx",
    ]
    for url in urls:
        assert client.get(url).status_code in (302, 401)  # anonymous: sign in first
    firm = app.test_client()
    assert sign_in(firm, "ent1@example.com").status_code == 302
    reviewer = app.test_client()
    assert sign_in(reviewer, "reviewer1@example.com").status_code == 302
    for url in urls:
        assert firm.get(url).status_code == 403
        assert reviewer.get(url).status_code == 403
    officer, _ids = ranked_release
    for missing in (
        "/staff/release-records/999999",
        "/staff/release-records/999999.pdf",
        "/staff/release-records/999999.xlsx",
        "/staff/release-records/programmes/999999",
        "/staff/release-records/99999999999999",
    ):
        assert officer.get(missing).status_code == 404


def test_the_record_page_runs_a_fixed_number_of_queries(app, demo):
    set_tiers(app, KEY, [[50, "1000"]])
    set_program(app, KEY, budget=Decimal("100000000"))

    def release_some(count: int, first: int) -> int:
        client = officer_client(app)
        for index in range(first, first + count):
            application_id = make_application(app, KEY, make_firm(app, index), score="80")
            assert decide(client, app, application_id, "approve", "1000").status_code == 302
        assert release(client, program_id(app, KEY)).status_code == 302
        return records(app)[-1].id

    small, large = release_some(2, 1), release_some(12, 10)
    client = officer_client(app)
    assert statements_for(app, client, f"/staff/release-records/{small}") == statements_for(
        app, client, f"/staff/release-records/{large}"
    )
    assert [r.approved_count for r in records(app)] == [2, 12]


def test_the_pages_speak_chinese(app, ranked_release):
    """Chinese words of the new pages (they come with the merge of the helper's zh strings;
    until then this test fails, as expected)."""
    (record,) = records(app)
    client = app.test_client()
    assert sign_in(client, "officer@example.com").status_code == 302
    client.post("/language", data={"locale": "zh_CN", "next": "/"})
    listing = text_of(client.get(f"/staff/release-records/programmes/{program_id(app, KEY)}"))
    assert "往期发布" in listing and "提出人" in listing and "审批人" in listing
    page = text_of(client.get(f"/staff/release-records/{record.id}"))
    assert "审定金额" in page and "发布金额" in page and "下载电子表格（XLSX）" in page
