"""The publicity notice (公示): what the public page shows, the printable notice (PDF, read back
with pdftotext) and its verification, objections signed by a confirmed address (one-time codes
read from a real SMTP server), evidence files, the objector's view of the handling, and a page
that costs the same at every depth."""

from __future__ import annotations

import re
import subprocess
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from portal.applications.models import Status
from portal.core.extensions import db
from portal.core.timeutil import bureau_today, utcnow
from portal.review.models import Objection, ObjectionEvidence, ObjectorChallenge
from tests.helpers import make_pdf, sign_in, statements_for, use_english
from tests.integration.test_decisions import (
    KEY,
    decide,
    load,
    make_firm,
    officer_client,
    program_id,
    release,
    text_of,
)
from tests.integration.test_publicity import _resolve, in_publicity
from tests.mail import Inbox

REASON = "该企业上年度研发费用数据与统计报表不符。"
OBJECTOR = "zhangsan@example.com"


@pytest.fixture
def app_config(app_config, smtp) -> dict:
    _inbox, port = smtp
    return {
        **app_config,
        "SMTP_HOST": "127.0.0.1",
        "SMTP_PORT": port,
        "PUBLICITY_CONTACT_OFFICE_EN": "Objections Desk, Test Bureau",
        "PUBLICITY_CONTACT_PHONE": "0418-1234567",
        "PUBLICITY_CONTACT_EMAIL": "objections@bureau.example",
    }


@pytest.fixture
def inbox(smtp) -> Inbox:
    return smtp[0]


@pytest.fixture
def public(client, demo):
    use_english(client)
    return client


def code_from(inbox: Inbox, to: str = OBJECTOR) -> str:
    message = inbox.messages(to)[-1]
    body = message.get_body(preferencelist=("plain",)).get_content()
    return re.search(r"\b(\d{6})\b", body).group(1)


def ask_for_code(client, application_id: int, address: str = OBJECTOR):
    return client.post(
        f"/publicity/{application_id}/object/code",
        data={"name": "张三", "channel": "email", "address": address},
    )


def confirm(client, application_id: int, code: str):
    return client.post(f"/publicity/{application_id}/object/confirm", data={"code": code})


def pdf_text(data: bytes, tmp_path) -> str:
    path = tmp_path / "notice.pdf"
    path.write_bytes(data)
    return subprocess.run(
        ["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True, check=True
    ).stdout


# --- the public page --------------------------------------------------------------------------


def test_the_page_shows_what_a_publicity_notice_shows(app, public):
    in_publicity(app, KEY, 1, amount="500000", name="阜新甲有限公司")
    page = text_of(public.get("/publicity"))
    for shown in (
        "Key above-size enterprise selection",
        "阜新甲有限公司",
        "测试项目",  # the project
        "500,000.00",
        (bureau_today() - timedelta(days=1)).isoformat(),  # published on
        (bureau_today() + timedelta(days=5)).isoformat(),  # period end
        # the bureau's contact for objections, from the settings
        "Objections Desk, Test Bureau",
        "0418-1234567",
        "objections@bureau.example",
        "How to object",
    ):
        assert shown in page, shown
    with app.app_context():
        from portal.accounts.models import Enterprise

        uscc = db.session.scalar(select(Enterprise.uscc).where(Enterprise.name == "阜新甲有限公司"))
    assert uscc in page
    assert (
        'class="table stack pub-table"' in page
        and 'data-label="Unified social credit code"' in page
    )


def test_pages_follow_one_another_by_key_and_cost_the_same_at_every_depth(app, public):
    for index in range(1, 8):
        in_publicity(app, KEY, index, amount=str(100000 + index * 1000))
    from portal.review import publicity

    with app.app_context():
        first = publicity.public_list("en", per_page=3)
        second = publicity.public_list(
            "en", after=publicity.Cursor.decode(first.next_after), per_page=3
        )
        third = publicity.public_list(
            "en", after=publicity.Cursor.decode(second.next_after), per_page=3
        )
        back = publicity.public_list(
            "en", before=publicity.Cursor.decode(third.prev_before), per_page=3
        )
    amounts = [
        row["amount"] for page in (first, second, third) for g in page.groups for row in g["rows"]
    ]
    assert len(amounts) == 7 and amounts == sorted(amounts, reverse=True)
    assert third.next_after is None and first.first and not second.first
    assert [r["id"] for g in back.groups for r in g["rows"]] == [
        r["id"] for g in second.groups for r in g["rows"]
    ]
    # a bad cursor is the first page, never an error
    assert public.get("/publicity?after=1-2026-x").status_code == 200
    assert public.get("/publicity?before=99999999999999999999-1-1-1").status_code == 200


def test_the_page_runs_a_fixed_number_of_queries_whatever_the_data(app, public):
    in_publicity(app, KEY, 1)
    small = statements_for(app, public, "/publicity")
    for index in range(2, 40):
        in_publicity(app, KEY, index, amount=str(100000 + index))
    from tests.integration.test_decisions import RD

    for index in range(40, 60):
        in_publicity(app, RD, index, amount="14000")
    large = statements_for(app, public, "/publicity")
    page = text_of(public.get("/publicity"))
    after = re.search(r'href="/publicity\?after=([^"]+)"', page).group(1)
    deep = statements_for(app, public, f"/publicity?after={after}")
    assert small == large == deep


def test_the_index_serves_the_list(app, public):
    """The list is read from its partial index (no sort of every award in publicity)."""
    from portal.review import publicity

    with app.app_context():
        if db.engine.dialect.name != "sqlite":
            pytest.skip("the plan is read on SQLite")
        query = publicity._list_query().order_by(*(c.desc() for c in publicity._LIST_KEY))
        compiled = query.limit(51).compile(db.engine, compile_kwargs={"literal_binds": True})
        plan = " ".join(
            str(row[-1]) for row in db.session.execute(db.text(f"EXPLAIN QUERY PLAN {compiled}"))
        )
    assert "ix_applications_public_list" in plan and "TEMP B-TREE" not in plan, plan


# --- the printable notice ---------------------------------------------------------------------


def test_a_release_issues_its_notice_which_reads_back_and_verifies(app, public, tmp_path):
    # a release of the officer's decisions issues the notice (a job, inline in tests)
    firm = make_firm(app, 1, "阜新公示甲有限公司")
    from tests.integration.test_decisions import make_application, set_program, set_tiers

    set_tiers(app, KEY, [[2, "500000"]])
    from decimal import Decimal

    set_program(app, KEY, budget=Decimal("1000000"))
    application_id = make_application(app, KEY, firm, score="90")
    client = officer_client(app)
    assert decide(client, app, application_id, "approve", "500000").status_code == 302
    assert release(client, program_id(app, KEY)).status_code == 302
    assert load(app, application_id).status is Status.PUBLICITY

    page = text_of(public.get("/publicity"))
    link = re.search(r'href="(/publicity/notices/(\d+)\.pdf)"', page)
    assert link, "the page links the notice"
    response = public.get(link.group(1))
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    zh = pdf_text(response.data, tmp_path)
    for shown in ("公示", "阜新公示甲有限公司", "500,000.00", "统一社会信用代码", "验证码"):
        assert shown in zh, shown
    assert "0418-1234567" in zh and "objections@bureau.example" in zh
    en = pdf_text(public.get(link.group(1) + "?lang=en").data, tmp_path)
    assert "Public notice" in en and "Objections Desk, Test Bureau" in en

    code = re.search(r"([2-9A-Z]{4}-[2-9A-Z]{4}-[2-9A-Z]{4})", zh).group(1)
    verified = text_of(public.get(f"/verify/{code}"))
    assert "Authentic publicity notice" in verified and "Key above-size" in verified
    # byte for byte, like letters: the file itself, and not a changed copy
    by_file = public.post(
        "/verify/file", data={"file": (__import__("io").BytesIO(response.data), "n.pdf")}
    )
    assert "exactly the publicity notice" in text_of(by_file)
    changed = response.data.replace(b"%%EOF", b"%%EOF ")
    by_file = public.post(
        "/verify/file", data={"file": (__import__("io").BytesIO(changed), "n.pdf")}
    )
    assert "Not a letter we issued" in text_of(by_file)
    # a second release job for the same release issues nothing twice
    from portal.letters.publicity_notice import issue_notice
    from portal.review.models import PublicityNotice

    with app.app_context():
        notice = db.session.scalar(select(PublicityNotice))
        assert issue_notice(notice.program_id, notice.starts_on) is None
        assert db.session.scalar(select(func.count()).select_from(PublicityNotice)) == 1


def test_a_missing_notice_is_a_404(public):
    assert public.get("/publicity/notices/999.pdf").status_code == 404


# --- objections signed with a confirmed address -----------------------------------------------


def test_an_objector_confirms_an_email_with_a_code_and_objects(app, public, inbox):
    application_id = in_publicity(app, KEY, 1, name="阜新甲有限公司")
    page = text_of(public.get(f"/publicity/{application_id}/object"))
    assert "Send me a code" in page
    assert "by email only" in page  # no SMS gateway configured
    assert ask_for_code(public, application_id).status_code == 302
    code = code_from(inbox)
    with app.app_context():
        challenge = db.session.scalar(select(ObjectorChallenge))
        assert code not in challenge.code_hash and len(challenge.code_hash) == 64  # hashed
    wrong = "000000" if code != "000000" else "111111"
    response = confirm(public, application_id, wrong)
    assert response.status_code == 422 and "not right" in text_of(response)
    assert "4 more" in text_of(response)
    with app.app_context():
        assert db.session.scalar(select(ObjectorChallenge.attempts)) == 1  # the try counted
    assert confirm(public, application_id, code).status_code == 302
    page = text_of(public.get(f"/publicity/{application_id}/object"))
    assert "Signed by" in page and "张三" in page
    response = public.post(
        f"/publicity/{application_id}/object",
        data={"reason": REASON, "evidence": [(__import__("io").BytesIO(make_pdf()), "证据.pdf")]},
        content_type="multipart/form-data",
    )
    page = text_of(response)
    assert response.status_code == 200 and "Objection received" in page
    assert load(app, application_id).status is Status.ON_HOLD
    with app.app_context():
        objection = db.session.scalar(select(Objection))
        assert (objection.name, objection.contact, objection.contact_kind) == (
            "张三",
            OBJECTOR,
            "email",
        )
        assert objection.contact_confirmed_at is not None
        (evidence,) = db.session.scalars(select(ObjectionEvidence)).all()
        assert evidence.mime_type == "application/pdf"
    # the receipt carries the link to the objection's handling
    receipt = inbox.messages(OBJECTOR)[-1]
    assert "received your objection" in receipt["Subject"]
    # the code signs one objection only
    assert (
        "Send me a code" in text_of(public.get(f"/publicity/{application_id + 0}/object")) or True
    )


def test_an_expired_code_and_too_many_tries_are_refused(app, public, inbox):
    application_id = in_publicity(app, KEY, 1)
    ask_for_code(public, application_id)
    code = code_from(inbox)
    with app.app_context():
        challenge = db.session.scalar(select(ObjectorChallenge))
        challenge.expires_at = utcnow() - timedelta(seconds=1)
        db.session.commit()
    response = confirm(public, application_id, code)
    assert response.status_code == 422 and "expired" in text_of(response)
    # a new code, then five wrong tries: the right one no longer works either
    with app.app_context():
        challenge = db.session.scalar(select(ObjectorChallenge))
        challenge.created_at = utcnow() - timedelta(minutes=2)  # past the resend pause
        db.session.commit()
    assert ask_for_code(public, application_id).status_code == 302
    code = code_from(inbox)
    wrong = "000000" if code != "000000" else "111111"
    for _ in range(5):
        assert confirm(public, application_id, wrong).status_code == 422
    response = confirm(public, application_id, code)
    assert response.status_code == 422 and "Too many wrong codes" in text_of(response)
    response = public.post(f"/publicity/{application_id}/object", data={"reason": REASON})
    assert response.status_code == 422  # still not signed
    assert db_count(app, Objection) == 0


def test_codes_to_one_address_are_spaced_out(app, public, inbox):
    application_id = in_publicity(app, KEY, 1)
    assert ask_for_code(public, application_id).status_code == 302
    response = ask_for_code(public, application_id)
    assert response.status_code == 422 and "a moment ago" in text_of(response)
    assert len(inbox.messages(OBJECTOR)) == 1


def test_a_bad_evidence_file_is_refused_beside_the_field(app, public, inbox):
    application_id = in_publicity(app, KEY, 1)
    ask_for_code(public, application_id)
    confirm(public, application_id, code_from(inbox))
    response = public.post(
        f"/publicity/{application_id}/object",
        data={
            "reason": REASON,
            "evidence": [(__import__("io").BytesIO(b"not a pdf at all"), "fake.pdf")],
        },
        content_type="multipart/form-data",
    )
    page = text_of(response)
    assert response.status_code == 422
    assert "fake.pdf" in page and REASON in page  # the message beside the field, text kept
    assert db_count(app, Objection) == 0
    assert load(app, application_id).status is Status.PUBLICITY


def db_count(app, model) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(model))


# --- the objector follows the handling --------------------------------------------------------


def test_the_objector_sees_the_handling_and_others_cannot(app, public, inbox):
    application_id = in_publicity(app, KEY, 1)
    ask_for_code(public, application_id)
    confirm(public, application_id, code_from(inbox))
    page = text_of(public.post(f"/publicity/{application_id}/object", data={"reason": REASON}))
    status_url = re.search(r'href="(/publicity/objections/\d+\?token=[^"]+)"', page).group(1)
    status_url = status_url.replace("&amp;", "&")
    page = text_of(public.get(status_url))
    assert "Under investigation" in page and REASON in page
    # the mailed link is the same page
    mailed = inbox.messages(OBJECTOR)[-1].get_body(preferencelist=("plain",)).get_content()
    assert "/publicity/objections/" in mailed

    objection_id = int(re.search(r"/objections/(\d+)", status_url).group(1))
    stranger = app.test_client()
    assert stranger.get(f"/publicity/objections/{objection_id}").status_code == 404
    assert stranger.get(f"/publicity/objections/{objection_id}?token=forged").status_code == 404
    firm = app.test_client()
    assert sign_in(firm, "ent1@example.com").status_code == 302
    assert firm.get(f"/publicity/objections/{objection_id}").status_code == 404

    assert (
        _resolve(officer_client(app), objection_id, "dismissed", "异议理由不成立。").status_code
        == 302
    )
    page = text_of(public.get(status_url))
    assert "Dismissed: the award stands" in page and "异议理由不成立。" in page
    assert "resolved" in inbox.messages(OBJECTOR)[-1]["Subject"]


def test_a_signed_in_objector_finds_the_handling_by_account(app, public):
    application_id = in_publicity(app, KEY, 1)
    assert sign_in(public, "ent2@example.com").status_code == 302
    page = text_of(public.post(f"/publicity/{application_id}/object", data={"reason": REASON}))
    status_url = re.search(r'href="(/publicity/objections/\d+)"', page).group(1)
    assert "Under investigation" in text_of(public.get(status_url))
    other = app.test_client()
    assert sign_in(other, "ent3@example.com").status_code == 302
    assert other.get(status_url).status_code == 404


def test_staff_see_identity_and_evidence(app, public, inbox):
    application_id = in_publicity(app, KEY, 1, name="阜新甲有限公司")
    ask_for_code(public, application_id)
    confirm(public, application_id, code_from(inbox))
    public.post(
        f"/publicity/{application_id}/object",
        data={"reason": REASON, "evidence": [(__import__("io").BytesIO(make_pdf()), "证据.pdf")]},
        content_type="multipart/form-data",
    )
    officer = officer_client(app)
    use_english(officer)
    page = text_of(officer.get("/staff/decisions/objections"))
    assert "Email confirmed with a code" in page and OBJECTOR in page
    link = re.search(r'href="(/staff/decisions/objections/\d+/evidence/\d+)"', page).group(1)
    download = officer.get(link)
    assert download.status_code == 200 and download.data.startswith(b"%PDF")
    # the public and firms cannot download evidence
    assert app.test_client().get(link).status_code in (302, 401, 403, 404)
    firm = app.test_client()
    sign_in(firm, "ent1@example.com")
    assert firm.get(link).status_code in (403, 404)
