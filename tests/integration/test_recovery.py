"""Recovery (追回) with due process, end to end through the pages: an officer opens a case with
evidence, the firm states its case by the deadline, an approver (never the opener) decides within
what was paid, the notice is issued (verifiable, amount in capitals), repayments settle the case,
and the ban in the credit record stops the firm applying until an approver repairs it."""

from __future__ import annotations

import io
import re
import subprocess
from datetime import timedelta
from decimal import Decimal

import pytest
from sqlalchemy import select

from portal.accounts.models import User
from portal.applications.models import Application, Status
from portal.core.audit import AuditEvent
from portal.core.extensions import db
from portal.core.files import file_store
from portal.core.timeutil import bureau_today, utcnow
from portal.payments.models import (
    Agreement,
    PostAwardDocument,
    Tranche,
    TrancheCondition,
    TrancheStatus,
)
from portal.payments.plan import default_plan
from portal.payments.recovery_models import CreditRecord, RecoveryCase, RecoveryStatus, Repayment
from portal.payments.recovery_rules import ban_until
from portal.programs.models import Program
from tests.helpers import english_client, make_pdf

RD = "rd-post-subsidy-2026"
EAGLE = "young-eagle-gazelle-2026"
FIRM = "ent1@example.com"
OTHER_FIRM = "ent2@example.com"
OFFICER = "officer@example.com"
APPROVER = "leader@example.com"


def pdf_text(data: bytes) -> str:
    text = subprocess.run(
        ["pdftotext", "-", "-"], input=data, capture_output=True, check=True
    ).stdout.decode("utf-8")
    return re.sub(r"\s+", "", text)


def make_paid_award(app, email: str = FIRM, paid: str = "90000.00") -> int:
    """The firm's R&D application, final for 150,000 yuan (written straight into the database),
    with an agreement and a first tranche of ``paid`` yuan paid (the rest planned)."""
    with app.app_context():
        firm_id = db.session.scalar(select(User.enterprise_id).where(User.email == email))
        program = db.session.scalar(select(Program).where(Program.code == RD))
        now = utcnow()
        application = Application(
            reference=f"R-{program.id}-{firm_id:05d}",
            enterprise_id=firm_id,
            program_id=program.id,
            program_version_id=program.versions[-1].id,
            status=Status.AWARDED,
            project_title="智能装备研发投入",
            first_submitted_at=now,
            last_submitted_at=now,
            submission_count=1,
            decision="approve",
            decided_amount=Decimal("150000.00"),
            decided_at=now,
            released_at=now,
            awarded_at=now,
        )
        db.session.add(application)
        db.session.flush()
        application_id = application.id
        agreement = Agreement(
            application_id=application_id,
            program_id=program.id,
            enterprise_id=application.enterprise_id,
            amount=Decimal("150000.00"),
            terms=default_plan(program.kind).as_json(),
        )
        db.session.add(agreement)
        db.session.flush()
        for position, (amount, status) in enumerate(
            ((Decimal(paid), TrancheStatus.PAID), (Decimal("150000.00") - Decimal(paid), None)),
            start=1,
        ):
            db.session.add(
                Tranche(
                    agreement_id=agreement.id,
                    application_id=application_id,
                    program_id=program.id,
                    enterprise_id=application.enterprise_id,
                    position=position,
                    share_percent=Decimal("50"),
                    amount=amount,
                    condition=TrancheCondition.AGREEMENT,
                    status=status or TrancheStatus.PLANNED,
                    paid_on=bureau_today() if status else None,
                    bank_reference=f"PAY-{application_id}-{position}" if status else None,
                )
            )
        db.session.commit()
    return application_id


def open_case(client, application_id: int, description: str = "申报材料中的研发费用辅助账系伪造。"):
    data = {
        "grounds": "false_materials",
        "description": description,
        "files": (io.BytesIO(make_pdf()), "evidence.pdf"),
    }
    return client.post(
        f"/staff/recovery/open/{application_id}", data=data, content_type="multipart/form-data"
    )


def the_case(app, application_id: int) -> RecoveryCase:
    with app.app_context():
        case = db.session.scalar(
            select(RecoveryCase).where(RecoveryCase.application_id == application_id)
        )
        db.session.expunge(case)
        return case


def decide(client, case_id: int, amount: str, *, confirmed: bool = True, decision="recover"):
    data = {"decision": decision, "amount": amount, "reason": "经核查，情况属实。"}
    if confirmed:
        data["confirmed"] = "yes"
    return client.post(f"/staff/recovery/{case_id}/decide", data=data)


def state_case(client, case_id: int, text: str = "我单位对上述事实有异议，理由如下。"):
    data = {"statement": text, "files": (io.BytesIO(make_pdf()), "statement.pdf")}
    return client.post(
        f"/recovery/{case_id}/statement", data=data, content_type="multipart/form-data"
    )


@pytest.fixture
def award(app, demo) -> int:
    return make_paid_award(app)


def test_a_case_runs_from_opening_to_settlement_with_a_ban_the_eligibility_page_explains(
    app, award
):
    officer = english_client(app, OFFICER)
    approver = english_client(app, APPROVER)
    firm = english_client(app, FIRM)

    page = officer.get(f"/staff/applications/{award}").get_data(as_text=True)
    assert f"/staff/recovery/open/{award}" in page
    response = open_case(officer, award)
    assert response.status_code == 302, response.get_data(as_text=True)[:800]
    case = the_case(app, award)
    assert case.status is RecoveryStatus.STATEMENT_DUE
    assert case.statement_due_on > bureau_today()

    # The approver may not decide while the firm may still state its case.
    response = decide(approver, case.id, "60000")
    assert response.status_code == 422
    assert "may state its case until" in response.get_data(as_text=True)

    # The firm sees the grounds and the evidence, and states its case with a file.
    page = firm.get(f"/recovery/{case.id}").get_data(as_text=True)
    assert "False materials" in page and "evidence.pdf" in page
    assert state_case(firm, case.id).status_code == 302
    assert the_case(app, award).status is RecoveryStatus.STATEMENT_RECEIVED
    again = state_case(firm, case.id)
    assert again.status_code == 422 and "already stated your case" in again.get_data(as_text=True)

    # More than was paid is refused beside the field, with what was typed kept.
    response = decide(approver, case.id, "100000")
    body = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "At most 90,000.00 yuan can be recovered" in body
    assert 'value="100000"' in body
    assert the_case(app, award).decision is None

    # The confirmation states the amount and the ban before anything happens.
    response = decide(approver, case.id, "60000", confirmed=False)
    body = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "must repay 60,000.00 yuan" in body and "A ban of 3 years" in body
    assert the_case(app, award).decision is None

    assert decide(approver, case.id, "60000").status_code == 302
    decided = the_case(app, award)
    assert decided.status is RecoveryStatus.DECIDED and decided.decided_amount == Decimal("60000")
    with app.app_context():
        record = db.session.scalar(select(CreditRecord).where(CreditRecord.case_id == case.id))
        assert record.ban_from == bureau_today()
        assert record.ban_until == ban_until(bureau_today(), 3)

    # The notice: numbered, verifiable, the amount in figures and capitals.
    assert officer.post(f"/staff/recovery/{case.id}/notice").status_code == 302
    with app.app_context():
        document = db.session.scalar(select(PostAwardDocument))
        number, zh_key, en_key = document.number, document.pdf_key, document.pdf_en_key
        zh = pdf_text(file_store().read(zh_key))
        en = pdf_text(file_store().read(en_key))
        record = db.session.scalar(select(CreditRecord).where(CreditRecord.case_id == case.id))
        assert record.notice_number == number
    assert number == f"阜科追〔{bureau_today().year}〕1号"
    assert number in zh and "陆万元整" in zh and "60,000.00" in zh and "行政复议" in zh
    assert "60,000.00" in en and "reconsideration" in en
    pdf = firm.get(f"/recovery/{case.id}/notice.pdf")
    assert pdf.status_code == 200 and pdf.data.startswith(b"%PDF")

    # The ban stops the firm applying, explained with its last day and the notice.
    refused = firm.post(f"/programmes/{EAGLE}/apply")
    assert refused.status_code == 302 and f"/programmes/{EAGLE}" in refused.headers["Location"]
    explanation = f"Barred until {record.ban_until.isoformat()}: recovery notice {number}"
    assert explanation in firm.get(f"/programmes/{EAGLE}").get_data(as_text=True)

    # Repayments: over the amount refused, then paid in two parts until settled.
    over = officer.post(
        f"/staff/recovery/{case.id}/repayments",
        data={"amount": "70000", "paid_on": bureau_today().isoformat(), "reference": "B-1"},
    )
    assert over.status_code == 422 and "Only 60,000.00 yuan is still to repay" in over.get_data(
        as_text=True
    )
    for reference, amount in (("B-1", "20000"), ("B-2", "40000")):
        response = officer.post(
            f"/staff/recovery/{case.id}/repayments",
            data={"amount": amount, "paid_on": bureau_today().isoformat(), "reference": reference},
        )
        assert response.status_code == 302
    settled = the_case(app, award)
    assert settled.status is RecoveryStatus.SETTLED and settled.repaid_amount == Decimal("60000")
    late = officer.post(
        f"/staff/recovery/{case.id}/repayments",
        data={"amount": "1", "paid_on": bureau_today().isoformat(), "reference": "B-3"},
    )
    assert late.status_code == 422
    with app.app_context():
        assert len(db.session.scalars(select(Repayment)).all()) == 2

    # Credit repair by the approver, with a reason, ends the ban.
    assert (
        approver.post(f"/staff/recovery/{case.id}/repair", data={"reason": ""}).status_code == 422
    )
    assert (
        approver.post(
            f"/staff/recovery/{case.id}/repair", data={"reason": "已全额缴回并完成整改。"}
        ).status_code
        == 302
    )
    assert explanation not in firm.get(f"/programmes/{EAGLE}").get_data(as_text=True)
    assert firm.post(f"/programmes/{EAGLE}/apply").headers["Location"].startswith("/applications/")

    # Every step is in the audit trail, on the application's timeline, the firm's too.
    with app.app_context():
        actions = [
            e.action
            for e in db.session.scalars(
                select(AuditEvent).where(AuditEvent.application_id == award).order_by(AuditEvent.id)
            )
        ]
    for action in (
        "recovery.opened",
        "recovery.statement_submitted",
        "recovery.decided",
        "credit.ban_recorded",
        "post_award.document_issued",
        "recovery.repayment_recorded",
        "recovery.settled",
        "credit.repaired",
    ):
        assert action in actions
    staff_page = officer.get(f"/staff/applications/{award}").get_data(as_text=True)
    assert "Recovery decided" in staff_page and "Barred until" in staff_page
    firm_page = firm.get(f"/applications/{award}").get_data(as_text=True)
    assert "Recovery case opened" in firm_page and "Recovery settled" in firm_page


def test_the_approver_who_opened_a_case_cannot_decide_it(app, award):
    approver = english_client(app, APPROVER)
    assert open_case(approver, award).status_code == 302
    case = the_case(app, award)
    with app.app_context():
        db.session.get(RecoveryCase, case.id).statement_due_on = bureau_today() - timedelta(days=1)
        db.session.commit()
    response = decide(approver, case.id, "10000")
    assert response.status_code == 422
    assert "another approver must decide it" in response.get_data(as_text=True)
    assert the_case(app, award).decision is None


def test_a_statement_after_the_deadline_is_refused_with_a_message(app, award):
    assert open_case(english_client(app, OFFICER), award).status_code == 302
    case = the_case(app, award)
    with app.app_context():
        db.session.get(RecoveryCase, case.id).statement_due_on = bureau_today() - timedelta(days=1)
        db.session.commit()
    response = state_case(english_client(app, FIRM), case.id)
    assert response.status_code == 422
    assert "The time to state your case ended on" in response.get_data(as_text=True)
    assert the_case(app, award).statement_at is None


def test_a_case_needs_evidence_and_facts_and_keeps_what_was_typed(app, award):
    officer = english_client(app, OFFICER)
    response = officer.post(
        f"/staff/recovery/open/{award}",
        data={"grounds": "misuse", "description": "挪用资金购置办公用车。"},
        content_type="multipart/form-data",
    )
    body = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "Attach the evidence" in body and "挪用资金购置办公用车。" in body
    with app.app_context():
        assert db.session.scalar(select(RecoveryCase)) is None


def test_a_firm_sees_only_its_own_cases(app, award):
    assert open_case(english_client(app, OFFICER), award).status_code == 302
    case = the_case(app, award)
    other = english_client(app, OTHER_FIRM)
    assert other.get(f"/recovery/{case.id}").status_code == 404
    assert other.get(f"/recovery/{case.id}/files/1").status_code == 404
    assert other.get(f"/recovery/{case.id}/notice.pdf").status_code == 404
    assert state_case(other, case.id).status_code == 404
    assert f"/recovery/{case.id}" not in other.get("/recovery").get_data(as_text=True)
    own = english_client(app, FIRM)
    assert f"/recovery/{case.id}" in own.get("/recovery").get_data(as_text=True)
    assert own.get(f"/recovery/{case.id}/files/1").status_code == 200


def test_the_cases_list_runs_a_fixed_number_of_statements(app, demo):
    from tests.helpers import statements_for

    officer = english_client(app, OFFICER)
    first = make_paid_award(app, FIRM)
    assert open_case(officer, first).status_code == 302
    one = statements_for(app, officer, "/staff/recovery")
    second = make_paid_award(app, OTHER_FIRM)
    assert open_case(officer, second).status_code == 302
    assert statements_for(app, officer, "/staff/recovery") == one
