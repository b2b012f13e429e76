"""Decision letters: issued when decisions become final, downloaded by their firm and by
officers, reissued with a reason, verified by anyone by code or by file, exported as a ZIP."""

from __future__ import annotations

import csv
import hashlib
import io
import re
import subprocess
import zipfile
from datetime import timedelta
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from portal.accounts.models import User
from portal.applications.models import Application, Status
from portal.core.audit import AuditEvent
from portal.core.extensions import db
from portal.core.files import file_store
from portal.core.jobs import commit
from portal.core.timeutil import bureau_today, utcnow
from portal.letters.models import ExportStatus, Letter, LetterExport, LetterKind, LetterStatus
from portal.review.publicity import advance_publicity
from tests.helpers import (
    add_final_decision,
    english_client,
    letters_of,
    sign_in,
    statements_for,
    submit_application,
    use_english,
)
from tests.integration.test_decisions import (
    KEY,
    RD,
    decide,
    load,
    make_application,
    make_firm,
    officer_client,
    program_id,
    reissue_signed_off,
    release,
    text_of,
)

FIRM = "ent1@example.com"


def stored(app, key: str) -> bytes:
    with app.app_context():
        return file_store().read(key)


def pdf_text(data: bytes) -> str:
    """The text of a PDF with all white space taken out (lines break anywhere in Chinese)."""
    text = subprocess.run(
        ["pdftotext", "-", "-"], input=data, capture_output=True, check=True
    ).stdout.decode("utf-8")
    return re.sub(r"\s+", "", text)


def firm_id_of(app, email: str) -> int:
    with app.app_context():
        return db.session.scalar(select(User.enterprise_id).where(User.email == email))


def firm_client(app, email: str = FIRM):
    return english_client(app, email)


def issue(app, *application_ids: int) -> list[Letter]:
    from portal.letters.issuing import issue_due_letters

    with app.app_context():
        ids = [letter.id for letter in issue_due_letters(list(application_ids))]
        commit()
        letters = [db.session.get(Letter, letter_id) for letter_id in ids]
        for letter in letters:
            db.session.expunge(letter)
        return letters


@pytest.fixture
def awarded(app, demo):
    """ent1's R&D post-subsidy application, submitted through its pages, then awarded
    150,000 yuan (formula amount 300,000), final, without a letter yet."""
    application_id = submit_application(app, FIRM, RD)
    with app.app_context():
        application = db.session.get(Application, application_id)
        application.status = Status.AWARDED
        application.decision = "approve"
        application.formula_amount = Decimal("300000.00")
        application.decided_amount = Decimal("150000.00")
        application.released_at = application.awarded_at = utcnow()
        db.session.commit()
    return application_id


# --- issued when a decision becomes final -----------------------------------------------------


def test_released_rejection_gets_its_letter_and_approval_waits_for_publicity(app, demo):
    yes = make_application(app, RD, make_firm(app, 1), formula="200000", requested="200000")
    no = make_application(app, RD, make_firm(app, 2), formula="200000", requested="200000")
    officer = officer_client(app)
    assert decide(officer, app, yes, "approve", "200000").status_code == 302
    assert (
        decide(officer, app, no, "reject", code="ineligible", reason="上年度研发费用未增长。")
    ).status_code == 302
    assert letters_of(app, no) == []  # a pending decision is no decision yet
    assert release(officer, program_id(app, RD)).status_code == 302

    (rejection,) = letters_of(app, no)
    assert rejection.kind is LetterKind.REJECTION and rejection.status is LetterStatus.CURRENT
    assert rejection.number == f"阜科发〔{bureau_today().year}〕1号"
    assert rejection.reason == "上年度研发费用未增长。"
    data = stored(app, rejection.pdf_key)
    assert hashlib.sha256(data).hexdigest() == rejection.pdf_sha256
    assert len(data) == rejection.pdf_size
    text = pdf_text(data)
    assert rejection.number in text and "不予支持" in text and "上年度研发费用未增长。" in text
    english = pdf_text(stored(app, rejection.pdf_en_key))
    assert "Noticeofdecision" in english and rejection.number in english
    assert letters_of(app, yes) == []  # in publicity: not final yet

    with app.app_context():
        assert advance_publicity(bureau_today() + timedelta(days=30)) == 1
        commit()
    (approval,) = letters_of(app, yes)
    assert approval.kind is LetterKind.APPROVAL and approval.amount == Decimal("200000.00")
    assert approval.sequence == 2
    text = pdf_text(stored(app, approval.pdf_key))
    assert "200,000.00" in text and "贰拾万元整" in text
    assert approval.enterprise_name in text
    with app.app_context():
        issued = db.session.scalars(
            select(AuditEvent.summary).where(AuditEvent.action == "letter.issued")
        ).all()
    assert {s["number"] for s in issued} == {rejection.number, approval.number}


def test_rejection_at_the_formal_check_gets_its_letter_at_once(app, demo):
    application_id = make_application(app, RD, make_firm(app, 1), status=Status.SUBMITTED)
    officer = officer_client(app)
    response = officer.post(
        f"/staff/applications/{application_id}/reject",
        data={
            "reason": "未按规定提交审计报告。",
            "lock_version": load(app, application_id).lock_version,
        },
    )
    assert response.status_code == 302
    (letter,) = letters_of(app, application_id)
    assert letter.kind is LetterKind.REJECTION
    assert "形式审查" in pdf_text(stored(app, letter.pdf_key))


def test_upheld_objection_gets_a_rejection_letter(app, demo):
    from tests.integration.test_publicity import _resolve, add_objection, in_publicity

    application_id = in_publicity(app, KEY, 1, status=Status.ON_HOLD)
    objection_id = add_objection(app, application_id)
    assert _resolve(officer_client(app), objection_id, "upheld", "数据不实。").status_code == 302
    (letter,) = letters_of(app, application_id)
    assert letter.kind is LetterKind.REJECTION and letter.reason == "数据不实。"
    assert "异议" in pdf_text(stored(app, letter.pdf_key))


def test_a_failed_render_never_fails_the_decision_and_can_be_issued_later(app, demo, monkeypatch):
    from portal.letters import issuing
    from portal.letters.pdf import LetterRenderFailed

    def broken(_htmls, workers=1):
        raise LetterRenderFailed("no fonts")

    application_id = submit_application(app, FIRM, RD)
    monkeypatch.setattr(issuing, "render_many", broken)
    officer = officer_client(app)
    response = officer.post(
        f"/staff/applications/{application_id}/reject",
        data={"reason": "材料不全。", "lock_version": load(app, application_id).lock_version},
    )
    assert response.status_code == 302
    assert load(app, application_id).status is Status.REJECTED
    assert letters_of(app, application_id) == []
    page = text_of(officer.get(f"/staff/applications/{application_id}"))
    assert "Issue the letter now" in page

    monkeypatch.undo()
    assert officer.post(f"/staff/letters/applications/{application_id}/issue").status_code == 302
    (letter,) = letters_of(app, application_id)
    assert letter.sequence == 1  # the failed attempts used up no number
    page = text_of(officer.get(f"/staff/applications/{application_id}"))
    assert letter.number in page and "Issue the letter now" not in page
    # a second press issues nothing twice
    officer.post(f"/staff/letters/applications/{application_id}/issue")
    assert len(letters_of(app, application_id)) == 1


# --- downloads --------------------------------------------------------------------------------


def test_the_firm_downloads_its_own_letter_and_nobody_else_does(app, awarded):
    (letter,) = issue(app, awarded)
    firm = firm_client(app)
    page = text_of(firm.get(f"/applications/{awarded}"))
    assert letter.number in page and f"/letters/{letter.id}/zh.pdf" in page
    response = firm.get(f"/letters/{letter.id}/zh.pdf")
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    assert hashlib.sha256(response.data).hexdigest() == letter.pdf_sha256
    assert "attachment" in response.headers["Content-Disposition"]
    assert response.headers["Cache-Control"] == "private, no-store"
    english = firm.get(f"/letters/{letter.id}/en.pdf")
    assert hashlib.sha256(english.data).hexdigest() == letter.pdf_en_sha256
    assert firm.get(f"/letters/{letter.id}/fr.pdf").status_code == 404

    assert (
        firm_client(app, "ent2@example.com").get(f"/letters/{letter.id}/zh.pdf").status_code == 404
    )
    reviewer = app.test_client()
    sign_in(reviewer, "reviewer1@example.com")
    assert reviewer.get(f"/letters/{letter.id}/zh.pdf").status_code == 403
    assert app.test_client().get(f"/letters/{letter.id}/zh.pdf").status_code == 302  # sign in
    officer = officer_client(app)
    assert officer.get(f"/letters/{letter.id}/zh.pdf").status_code == 200
    assert letter.number in text_of(officer.get(f"/staff/applications/{awarded}"))


# --- reissue ----------------------------------------------------------------------------------


def test_reissue_with_a_corrected_amount_supersedes_the_old_letter(app, awarded):
    (old,) = issue(app, awarded)
    officer = officer_client(app)
    form = officer.get(f"/staff/letters/{old.id}/reissue")
    assert form.status_code == 200 and "150000.00" in text_of(form)
    response = reissue_signed_off(
        officer, old.id, {"reason": "审计后金额更正。", "amount": "120,000.00"}
    )
    assert response.status_code == 302, text_of(response)[:2000]
    old_now, new = letters_of(app, awarded)
    assert old_now.status is LetterStatus.SUPERSEDED and old_now.superseded_at is not None
    assert new.status is LetterStatus.CURRENT and new.supersedes_id == old.id
    assert new.number != old.number and new.version == 2 and new.sequence == old.sequence + 1
    assert new.amount == Decimal("120000.00") and new.reissue_reason == "审计后金额更正。"
    assert load(app, awarded).decided_amount == Decimal("120000.00")
    text = pdf_text(stored(app, new.pdf_key))
    assert "壹拾贰万元整" in text and old.number in text and "审计后金额更正。" in text
    # the old letter is kept, file and all
    assert hashlib.sha256(stored(app, old.pdf_key)).hexdigest() == old.pdf_sha256
    with app.app_context():
        event = db.session.scalars(
            select(AuditEvent).where(AuditEvent.action == "letter.reissued")
        ).one()
        assert event.summary["amount_before"] == "150000.00"
        assert event.summary["supersedes"] == old.number
    # only the current letter can be reissued
    again = officer.post(f"/staff/letters/{old.id}/reissue", data={"reason": "再次。"})
    assert again.status_code == 422 and "Only the current letter" in text_of(again)


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        ({"reason": "  ", "amount": "100000"}, "reason", "Say why the letter is reissued"),
        ({"reason": "更正。", "amount": "abc"}, "amount", "Enter an amount in yuan"),
        ({"reason": "更正。", "amount": "400000"}, "amount", "may not exceed the formula amount"),
        ({"reason": "更正。", "amount": "0"}, "amount", "more than 0"),
    ],
)
def test_reissue_refusals_are_shown_beside_the_field_and_change_nothing(
    app, awarded, data, field, message
):
    (old,) = issue(app, awarded)
    response = officer_client(app).post(f"/staff/letters/{old.id}/reissue", data=data)
    assert response.status_code == 422
    page = text_of(response)
    assert message in page
    assert re.search(rf'id="{field}-error"', page), "the message stands beside its field"
    assert data["amount"] in page  # what was typed is kept
    (still,) = letters_of(app, awarded)
    assert still.status is LetterStatus.CURRENT
    assert load(app, awarded).decided_amount == Decimal("150000.00")
    with app.app_context():
        assert db.session.scalar(select(func.max(Letter.sequence))) == 1


def test_reissue_within_the_budget_only(app, awarded):
    from tests.integration.test_decisions import set_program

    set_program(app, RD, budget=Decimal("160000"))
    (old,) = issue(app, awarded)
    response = officer_client(app).post(
        f"/staff/letters/{old.id}/reissue", data={"reason": "更正。", "amount": "200000"}
    )
    assert response.status_code == 422 and "exceed the programme's budget" in text_of(response)


def test_reissue_of_a_rejection_corrects_its_reason(app, demo):
    application_id = add_final_decision(app, KEY, approved=False, reason="旧原因。")
    (old,) = issue(app, application_id)
    response = officer_client(app).post(
        f"/staff/letters/{old.id}/reissue",
        data={"reason": "原因表述有误。", "rejection_reason": "综合评分为55分，低于60分。"},
    )
    assert response.status_code == 302
    _old, new = letters_of(app, application_id)
    assert new.reason == "综合评分为55分，低于60分。"
    assert load(app, application_id).decision_reason == "综合评分为55分，低于60分。"
    assert "综合评分为55分" in pdf_text(stored(app, new.pdf_key))


# --- public verification ----------------------------------------------------------------------


def test_verify_by_code_shows_the_letter_and_whether_it_is_current(app, awarded):
    (letter,) = issue(app, awarded)
    public = app.test_client()
    use_english(public)
    page = text_of(public.get(f"/verify/{letter.verification_code}"))
    assert "Authentic and current" in page
    for value in (letter.number, letter.enterprise_name, letter.uscc, "150,000.00"):
        assert value in page
    # typed as printed, with dashes and in lower case, through the form
    typed = "-".join(re.findall(".{4}", letter.verification_code)).lower()
    response = public.get("/verify", query_string={"code": typed})
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/verify/{letter.verification_code}")

    reissue_signed_off(officer_client(app), letter.id, {"reason": "更正。", "amount": "140000"})
    _old, new = letters_of(app, awarded)
    page = text_of(public.get(f"/verify/{letter.verification_code}"))
    assert "Authentic but superseded" in page and new.number in page


def test_unknown_or_malformed_codes_say_not_found_and_nothing_else(app, awarded):
    issue(app, awarded)
    public = app.test_client()
    use_english(public)
    for code in ("ABCDEFGHJKMN", "short", "../../etc/passwd", "' OR 1=1 --"):
        response = public.get(f"/verify/{code}")
        assert response.status_code == 404
        page = text_of(response)
        assert "No letter has this verification code." in page or "/" in code
        assert "阜科发" not in page and "有限公司" not in page
    response = public.get("/verify", query_string={"code": "12"})
    assert response.status_code == 422 and "12 letters and digits" in text_of(response)
    assert 'value="12"' in text_of(response)
    response = public.get("/verify", query_string={"code": ""})
    assert response.status_code == 422 and "Enter the verification code" in text_of(response)


def _upload(client, data: bytes):
    return client.post(
        "/verify/file",
        data={"file": (io.BytesIO(data), "letter.pdf")},
        content_type="multipart/form-data",
    )


def test_verify_by_file_genuine_altered_and_superseded(app, awarded):
    (letter,) = issue(app, awarded)
    public = app.test_client()
    use_english(public)
    genuine = stored(app, letter.pdf_key)
    page = text_of(_upload(public, genuine))
    assert "Authentic and current" in page and letter.number in page and "Chinese" in page
    assert "English" in text_of(_upload(public, stored(app, letter.pdf_en_key)))

    altered = bytearray(genuine)
    altered[len(altered) // 2] ^= 0x01
    page = text_of(_upload(public, bytes(altered)))
    assert "Not a letter we issued" in page and letter.number not in page

    reissue_signed_off(officer_client(app), letter.id, {"reason": "更正。", "amount": "140000"})
    page = text_of(_upload(public, genuine))
    assert "Authentic but superseded" in page

    response = public.post("/verify/file", data={}, content_type="multipart/form-data")
    assert response.status_code == 422 and "Choose the PDF file" in text_of(response)


def test_verification_is_rate_limited(app_config, demo):
    from portal import create_app

    limited = create_app({**app_config, "RATELIMIT_ENABLED": True, "VERIFY_RATE_LIMIT": "3/minute"})
    client = limited.test_client()
    statuses = [client.get(f"/verify/ABCDEFGHJKM{i}").status_code for i in range(2, 6)]
    assert statuses[:3] == [404, 404, 404] and statuses[3] == 429
    # one budget for codes and files alike
    assert client.get("/verify").status_code == 429


# --- export -----------------------------------------------------------------------------------


def test_officer_exports_a_programmes_letters_as_zip_with_manifest(app, awarded):
    (issued,) = issue(app, awarded)
    due = add_final_decision(app, RD, approved=False, reason="未达标。")  # letter still missing
    other_programme = add_final_decision(app, KEY, approved=True, amount="500000")
    officer = officer_client(app)
    page = text_of(officer.get(f"/staff/letters/programmes/{program_id(app, RD)}"))
    assert issued.number in page and "1 final decision has no letter yet" in page

    response = officer.post(f"/staff/letters/programmes/{program_id(app, RD)}/export")
    assert response.status_code == 302
    export_url = response.headers["Location"]
    status = officer.get(export_url + "/status").get_json()
    assert status["status"] == "done" and status["percent"] == 100
    assert status["done"] == status["total"] == 3  # one letter issued, two packed
    assert "Download the ZIP" in text_of(officer.get(export_url))

    archive = zipfile.ZipFile(io.BytesIO(officer.get(status["download_url"]).data))
    manifest_bytes = archive.read("manifest.csv")
    assert manifest_bytes.startswith(b"\xef\xbb\xbf")  # Excel reads the Chinese names
    rows = list(csv.DictReader(io.StringIO(manifest_bytes.decode("utf-8-sig"))))
    (new,) = letters_of(app, due)
    assert [r["number"] for r in rows] == [issued.number, new.number]
    assert letters_of(app, other_programme) == []
    assert rows[0]["uscc"] == issued.uscc and rows[0]["amount_yuan"] == "150000.00"
    assert rows[1]["amount_yuan"] == "" and rows[1]["kind"] == "rejection"
    for row in rows:
        for name, digest in (
            (row["file_zh"], row["sha256_zh"]),
            (row["file_en"], row["sha256_en"]),
        ):
            assert hashlib.sha256(archive.read(name)).hexdigest() == digest
    assert rows[0]["sha256_zh"] == issued.pdf_sha256
    assert sorted(archive.namelist()) == sorted(
        ["manifest.csv", *(r["file_zh"] for r in rows), *(r["file_en"] for r in rows)]
    )


def test_a_failed_export_says_so_and_can_run_again(app, awarded, monkeypatch):
    from portal.letters import export as exports
    from portal.letters.export import run_export

    issue(app, awarded)
    with app.app_context():
        job = LetterExport(program_id=program_id(app, RD))
        db.session.add(job)
        commit()
        job_id = job.id

    def full_disk(*_args, **_kwargs):
        raise OSError("No space left on device")

    monkeypatch.setattr(exports.shutil, "copyfileobj", full_disk)
    with app.app_context(), pytest.raises(OSError):
        run_export(job_id)
    with app.app_context():
        job = db.session.get(LetterExport, job_id)
        assert job.status is ExportStatus.FAILED and "No space left" in job.error
    page = text_of(officer_client(app).get(f"/staff/letters/exports/{job_id}"))
    assert "Failed" in page and "No space left" in page
    monkeypatch.undo()
    with app.app_context():
        run_export(job_id)
        assert db.session.get(LetterExport, job_id).status is ExportStatus.DONE


def test_one_export_at_a_time_per_programme(app, awarded):
    with app.app_context():
        db.session.add(LetterExport(program_id=program_id(app, RD), status=ExportStatus.RUNNING))
        db.session.commit()
    officer = officer_client(app)
    response = officer.post(f"/staff/letters/programmes/{program_id(app, RD)}/export")
    assert response.status_code == 302
    assert "already under way" in text_of(officer.get(response.headers["Location"]))


def test_export_command_writes_the_zip(app, awarded, tmp_path):
    add_final_decision(app, RD, approved=True, amount="80000")
    out = tmp_path / "letters.zip"
    result = app.test_cli_runner().invoke(
        args=["letters", "export", RD, str(out), "--workers", "1"]
    )
    assert result.exit_code == 0, result.output
    assert "2 letter(s)" in result.output
    names = zipfile.ZipFile(out).namelist()
    assert "manifest.csv" in names and len(names) == 5
    bad = app.test_cli_runner().invoke(args=["letters", "export", "nope", str(out)])
    assert bad.exit_code != 0 and "no programme" in bad.output


def test_issue_due_command_catches_up_missing_letters(app, demo):
    first = add_final_decision(app, RD)
    second = add_final_decision(app, KEY, approved=False)
    result = app.test_cli_runner().invoke(args=["letters", "issue-due"])
    assert result.exit_code == 0 and result.output.startswith("2 letter(s) issued")
    assert len(letters_of(app, first)) == len(letters_of(app, second)) == 1
    again = app.test_cli_runner().invoke(args=["letters", "issue-due"])
    assert again.output.startswith("0 letter(s) issued")


def test_programme_letters_page_loads_in_a_fixed_number_of_queries(app, demo):
    officer = officer_client(app)
    url = f"/staff/letters/programmes/{program_id(app, RD)}"
    issue(app, *[add_final_decision(app, RD) for _ in range(2)])
    few = statements_for(app, officer, url)
    issue(app, *[add_final_decision(app, RD) for _ in range(6)])
    assert statements_for(app, officer, url) == few
