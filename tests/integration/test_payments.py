"""Payments end to end through the pages: tranches fall due on their conditions, an officer
batches them, another person (an approver) approves, the payment order is downloaded, finance's
confirmation is recorded by hand or imported, and the firm sees the payment."""

from __future__ import annotations

import html
import io
from decimal import Decimal

import openpyxl
from flask_babel import force_locale
from sqlalchemy import func, select

from portal.core import audit
from portal.core.audit import Action, AuditEvent
from portal.core.extensions import db
from portal.notifications.models import Notification
from portal.payments import tranches
from portal.payments.batch_models import BatchStatus
from portal.payments.models import Agreement, BankAccount, BankAccountStatus, Tranche
from portal.payments.models import TrancheStatus as S
from tests.helpers import english_client, statements_during
from tests.payments_world import (
    APPROVER,
    FIRM,
    OFFICER,
    approve,
    award,
    batch_of,
    confirmation_csv,
    make_batch,
    tranche,
    upload,
)


def text(response) -> str:
    return html.unescape(response.get_data(as_text=True))


def status_of(app, tranche_id: int) -> S:
    return tranche(app, tranche_id).status


def _approved_batch(app, demo, *awards):
    officer, approver = english_client(app, OFFICER), english_client(app, APPROVER)
    ids = [t for a in awards for t in a["tranche_ids"][:1]]
    batch_id = make_batch(officer, ids)
    assert approve(app, approver, batch_id).status_code == 302
    return officer, approver, batch_id


# --- conditions -------------------------------------------------------------------------------


def test_tranches_fall_due_on_their_conditions(app, demo):
    project = award(
        app,
        amount="63500.00",
        shares=(("60", "agreement"), ("40", "acceptance")),
        accept=False,
    )
    first, second = project["tranche_ids"]
    assert status_of(app, first) is S.PLANNED
    with app.app_context():
        agreement = db.session.get(Agreement, project["agreement_id"])
        account = db.session.scalar(
            select(BankAccount).where(BankAccount.agreement_id == agreement.id)
        )
        account.status = BankAccountStatus.PENDING
        db.session.commit()
        audit.record(Action.AGREEMENT_ACCEPTED, agreement, application_id=agreement.application_id)
        db.session.commit()
    # Accepted, but the account is not confirmed yet: nothing is due.
    assert status_of(app, first) is S.PLANNED
    with app.app_context():
        agreement = db.session.get(Agreement, project["agreement_id"])
        agreement.status = agreement.status.__class__.ACCEPTED
        account = db.session.scalar(
            select(BankAccount).where(BankAccount.agreement_id == agreement.id)
        )
        account.status = BankAccountStatus.CONFIRMED
        db.session.flush()
        # Acceptance passed before the agreement's tranche is due: the second waits.
        audit.record(
            Action.ACCEPTANCE_CONCLUDED,
            agreement,
            application_id=agreement.application_id,
            outcome="fix",
        )
        db.session.commit()
        assert status_of(app, second) is S.PLANNED
        audit.record(
            Action.BANK_ACCOUNT_CONFIRMED, account, application_id=agreement.application_id
        )
        db.session.commit()
    assert status_of(app, first) is S.DUE
    assert status_of(app, second) is S.PLANNED  # "fix" is not a pass
    assert tranche(app, first).amount == Decimal("38100.00")
    with app.app_context():
        agreement = db.session.get(Agreement, project["agreement_id"])
        audit.record(
            Action.ACCEPTANCE_CONCLUDED,
            agreement,
            application_id=agreement.application_id,
            outcome="passed",
        )
        db.session.commit()
        assert status_of(app, second) is S.DUE
        dues = db.session.scalar(
            select(func.count(AuditEvent.id)).where(
                AuditEvent.action == Action.TRANCHE_DUE,
                AuditEvent.application_id == project["application_id"],
            )
        )
        assert dues == 2
        # Called again: nothing more moves.
        assert tranches.make_due_where_met(agreement) == []


# --- batches and four eyes --------------------------------------------------------------------


def test_officer_batches_and_another_person_approves(app, demo):
    one, two = award(app, amount="38100.00"), award(app, amount="12000.50")
    officer = english_client(app, OFFICER)
    page = officer.get("/staff/payments")
    assert page.status_code == 200 and one["reference"] in text(page)
    batch_id = make_batch(officer, [one["tranche_ids"][0], two["tranche_ids"][0]])
    batch = batch_of(app, batch_id)
    assert batch.status is BatchStatus.DRAFT and batch.number.startswith("PB-")
    assert batch.tranche_count == 2 and batch.total == Decimal("50100.50")
    assert status_of(app, one["tranche_ids"][0]) is S.IN_BATCH

    # The same tranche cannot go into a second batch.
    again = officer.post("/staff/payments/batches", data={"tranche_ids": [one["tranche_ids"][0]]})
    assert again.status_code == 422 and "no longer due" in text(again)
    # An officer cannot approve; the confirmation page states count and total.
    assert officer.get(f"/staff/payments/batches/{batch_id}/approve").status_code == 403
    approver = english_client(app, APPROVER)
    confirm = approver.get(f"/staff/payments/batches/{batch_id}/approve")
    assert "You approve 2 payments of 50,100.50 yuan in all." in text(confirm)
    # A stale confirmation (other count) is refused, nothing changes.
    stale = approver.post(
        f"/staff/payments/batches/{batch_id}/approve",
        data={"seen_count": "1", "seen_total": "38100.00"},
    )
    assert stale.status_code == 409 and batch_of(app, batch_id).status is BatchStatus.DRAFT
    assert approve(app, approver, batch_id).status_code == 302
    batch = batch_of(app, batch_id)
    assert batch.status is BatchStatus.APPROVED and len(batch.lines) == 2
    # Approving twice: a clear message, nothing changed.
    twice = approve(app, approver, batch_id)
    assert twice.status_code == 422 and "already approved by" in text(twice)


def test_approver_who_made_the_batch_cannot_approve_it(app, demo):
    from portal.accounts.models import User
    from portal.payments import batches

    one = award(app)
    with app.app_context():
        officer = db.session.scalar(select(User).where(User.email == OFFICER))
        leader = db.session.scalar(select(User).where(User.email == APPROVER))
        batch = batches.create_batch(one["tranche_ids"], actor=officer)
        db.session.commit()
        # A database constraint keeps four eyes as well.
        batch.created_by_id = leader.id
        db.session.commit()
        try:
            batches.approve_batch(batch, approver=leader, seen_count=1, seen_total=batch.total)
        except batches.BatchRefused as refused:
            with app.test_request_context(), force_locale("en"):
                assert "another approver" in str(refused.message)
        else:
            raise AssertionError("the approver approved a batch of their own")
        db.session.rollback()
        import sqlalchemy.exc

        batch = db.session.get(type(batch), batch.id)
        batch.approved_by_id = leader.id
        try:
            db.session.commit()
        except sqlalchemy.exc.IntegrityError:
            db.session.rollback()
        else:
            raise AssertionError("the database let the maker approve")


def test_send_back_makes_the_payments_due_again(app, demo):
    one = award(app)
    officer, approver = english_client(app, OFFICER), english_client(app, APPROVER)
    batch_id = make_batch(officer, one["tranche_ids"])
    empty = approver.post(f"/staff/payments/batches/{batch_id}/send-back", data={"reason": ""})
    assert empty.status_code == 422 and status_of(app, one["tranche_ids"][0]) is S.IN_BATCH
    back = approver.post(
        f"/staff/payments/batches/{batch_id}/send-back", data={"reason": "账户名称不符"}
    )
    assert back.status_code == 302
    assert batch_of(app, batch_id).status is BatchStatus.SENT_BACK
    assert status_of(app, one["tranche_ids"][0]) is S.DUE
    assert "账户名称不符" in text(officer.get(f"/staff/payments/batches/{batch_id}"))
    make_batch(officer, one["tranche_ids"])  # due again: it can be batched anew


def test_payment_order_files(app, demo):
    one, two = award(app, amount="38100.00"), award(app, amount="12000.50")
    officer, _approver, batch_id = _approved_batch(app, demo, one, two)
    number = batch_of(app, batch_id).number
    response = officer.get(f"/staff/payments/batches/{batch_id}/order.xlsx")
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "private, no-store"
    sheet = openpyxl.load_workbook(io.BytesIO(response.data)).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0] == (
        "序号",
        "收款单位",
        "账号",
        "开户行",
        "金额",
        "金额大写",
        "用途",
        "文号",
        "批次号",
    )
    assert [r[2] for r in rows[1:3]] == [one["account"], two["account"]]
    assert rows[1][4] == 38100 and rows[1][5] == "叁万捌仟壹佰元整"
    assert rows[1][6].endswith("资金拨付 第1笔") and rows[1][8] == number
    assert rows[-1][0] == "合计" and Decimal(str(rows[-1][4])) == Decimal("50100.50")
    assert sum(Decimal(str(r[4])) for r in rows[1:-1]) == Decimal(str(rows[-1][4]))
    csv = officer.get(f"/staff/payments/batches/{batch_id}/order.csv").data.decode("utf-8-sig")
    assert "叁万捌仟壹佰元整" in csv and "合计" in csv and "50100.50" in csv
    sheet_page = text(officer.get(f"/staff/payments/batches/{batch_id}/print"))
    assert "Prepared by (officer)" in sheet_page and "50,100.50" in sheet_page
    template = officer.get(f"/staff/payments/batches/{batch_id}/confirmation-template.csv")
    assert one["account"] in template.data.decode("utf-8-sig")


def test_no_order_before_approval(app, demo):
    one = award(app)
    officer = english_client(app, OFFICER)
    batch_id = make_batch(officer, one["tranche_ids"])
    assert officer.get(f"/staff/payments/batches/{batch_id}/order.xlsx").status_code == 404


# --- confirmations ----------------------------------------------------------------------------


def test_manual_confirmation_pays_once_and_tells_the_firm(app, demo):
    one = award(app, email=FIRM, amount="38100.00")
    officer, _approver, _batch_id = _approved_batch(app, demo, one)
    tranche_id = one["tranche_ids"][0]
    prefix = f"t{tranche_id}-"
    future = officer.post(
        f"/staff/payments/tranches/{tranche_id}/paid",
        data={prefix + "paid_on": "2099-01-01", prefix + "bank_reference": "X1"},
    )
    assert future.status_code == 422 and "future" in text(future)
    data = {prefix + "paid_on": "2026-11-20", prefix + "bank_reference": "BOC20261120001"}
    assert officer.post(f"/staff/payments/tranches/{tranche_id}/paid", data=data).status_code == 302
    paid = tranche(app, tranche_id)
    assert paid.status is S.PAID and paid.bank_reference == "BOC20261120001"
    twice = officer.post(f"/staff/payments/tranches/{tranche_id}/paid", data=data)
    assert twice.status_code == 422 and "already recorded as paid" in text(twice)
    with app.app_context():
        assert tranches.paid_total(one["application_id"]) == Decimal("38100.00")
        assert tranches.awarded_total(one["application_id"]) == Decimal("38100.00")
        titles = db.session.scalars(
            select(Notification.kind).where(Notification.kind == "payment_made")
        ).all()
        assert titles == ["payment_made"]
    history = text(officer.get(f"/staff/applications/{one['application_id']}"))
    assert "Paid on 2026-11-20, bank reference BOC20261120001" in history
    firm = english_client(app, FIRM)
    assert "Paid 38,100.00 yuan, 2026-11-20" in text(firm.get("/notifications"))
    page = text(firm.get(f"/applications/{one['application_id']}"))
    assert "Payments" in page and "38,100.00" in page and "2026-11-20" in page
    # the last of the stages (拨付) is done, dated by the payment; the history says so too
    stage = page.split('data-stage="payment"', 1)[1].split("</li>", 1)[0]
    assert "Done: Paid" in stage and 'aria-current="step"' not in page
    assert "Payment confirmed" in page


def test_import_reconciles_and_never_pays_twice(app, demo):
    one, two, three = (award(app, amount=a) for a in ("38100.00", "12000.50", "5000.00"))
    officer, _approver, batch_id = _approved_batch(app, demo, one, two, three)
    number = batch_of(app, batch_id).number
    data = confirmation_csv(
        [
            [number, one["account"], "38,100.00", "2026-11-20", "REF-1"],
            [number, two["account"], "12000.00", "2026-11-20", "REF-2"],  # amount differs
            [number, "999999", "5000.00", "2026-11-20", "REF-3"],  # unknown account
            ["PB-1999-0001", three["account"], "5000.00", "2026-11-20", "REF-4"],  # no batch
            [number, three["account"], "5000.00", "2026/11/21", "REF-5"],
        ]
    )
    first = officer.post("/staff/payments/import", data=upload(data))
    page = text(first)
    assert first.status_code == 200
    assert "Matched and recorded: 2 · already paid, ignored: 0 · not matched: 3" in page
    assert "The amount differs" in page and "Unknown batch number" in page
    assert "No payment of this batch goes to this account" in page
    assert status_of(app, one["tranche_ids"][0]) is S.PAID
    assert status_of(app, two["tranche_ids"][0]) is S.IN_BATCH
    assert tranche(app, three["tranche_ids"][0]).paid_on.isoformat() == "2026-11-21"

    # The same file again: nothing is paid twice.
    again = text(officer.post("/staff/payments/import", data=upload(data)))
    assert "Matched and recorded: 0 · already paid, ignored: 2 · not matched: 3" in again
    with app.app_context():
        confirmed = db.session.scalar(
            select(func.count(AuditEvent.id)).where(AuditEvent.action == Action.PAYMENT_CONFIRMED)
        )
        assert confirmed == 2
        imports = db.session.scalar(
            select(func.count(AuditEvent.id)).where(
                AuditEvent.action == Action.PAYMENT_CONFIRMATIONS_IMPORTED
            )
        )
        assert imports == 2


def test_import_of_an_xlsx_file(app, demo):
    one = award(app, amount="38100.00")
    officer, _approver, batch_id = _approved_batch(app, demo, one)
    number = batch_of(app, batch_id).number
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.append(["批次号", "收款账号", "金额", "付款日期", "银行流水号"])
    import datetime

    sheet.append([number, one["account"], 38100, datetime.date(2026, 11, 20), "XREF-1"])
    buffer = io.BytesIO()
    workbook.save(buffer)
    response = officer.post("/staff/payments/import", data=upload(buffer.getvalue(), "b.xlsx"))
    assert response.status_code == 200, text(response)[:500]
    assert status_of(app, one["tranche_ids"][0]) is S.PAID


def test_an_unreadable_file_is_refused_beside_the_field(app, demo):
    officer = english_client(app, OFFICER)
    response = officer.post("/staff/payments/import", data=upload(b"a,b\n1,2\n"))
    assert response.status_code == 422 and "must name the columns" in text(response)


# --- invariants and pages ---------------------------------------------------------------------


def test_payments_check_finds_a_broken_invariant(app, demo):
    one = award(app, amount="38100.00")
    runner = app.test_cli_runner()
    assert runner.invoke(args=["payments", "check"]).exit_code == 0
    with app.app_context():
        row = db.session.get(Tranche, one["tranche_ids"][0])
        row.amount = Decimal("40000.00")
        db.session.commit()
    result = runner.invoke(args=["payments", "check"])
    assert result.exit_code == 1 and "tranches add up to 40,000.00" in result.output


def test_lists_run_a_fixed_number_of_statements(app, demo):
    officer = english_client(app, OFFICER)
    award(app)
    few = len(statements_during(app, lambda: officer.get("/staff/payments")))
    for _ in range(4):
        award(app)
    many = len(statements_during(app, lambda: officer.get("/staff/payments")))
    assert many == few
    batch_id = make_batch(officer, [t for t in range(1, 4)])
    assert batch_id
    few = len(statements_during(app, lambda: officer.get("/staff/payments/batches")))
    make_batch(officer, [4, 5])
    assert len(statements_during(app, lambda: officer.get("/staff/payments/batches"))) == few


def test_a_firm_sees_only_its_own_payments(app, demo):
    other = award(app, email="ent2@example.com", amount="7777.00")
    firm = english_client(app, FIRM)
    assert firm.get(f"/applications/{other['application_id']}").status_code == 404
    assert firm.get("/staff/payments").status_code == 403
