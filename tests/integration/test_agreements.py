"""Funding agreements: offered with their tranches when an award becomes final, the firm's
bank account (checked, confirmed or sent back by an officer, changed as a new row), the
acceptance that issues the verifiable PDF, and who may see what."""

from __future__ import annotations

import io
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from portal.accounts.models import Enterprise, User
from portal.core.audit import AuditEvent
from portal.core.extensions import db
from portal.notifications.models import Notification
from portal.payments import agreements
from portal.payments.models import (
    Agreement,
    AgreementStatus,
    BankAccount,
    BankAccountStatus,
    PostAwardDocument,
    Tranche,
    TrancheCondition,
    TrancheStatus,
)
from tests.helpers import (
    add_final_decision,
    english_client,
    make_award_final,
    statements_during,
    submit_application,
)
from tests.integration.test_decisions import RD
from tests.integration.test_letters import pdf_text, stored

FIRM = "ent1@example.com"
OTHER_FIRM = "ent2@example.com"
OFFICER = "officer@example.com"
FLUORINE = "fluorine-digital-2026"  # a project: 60 % on the agreement, 40 % after acceptance
NUMBER = "6222 0212 3456 7890"


def _final_award(app) -> tuple[int, int]:
    """ent1's R&D application, made final through the daily publicity step: (application,
    agreement)."""
    application_id = submit_application(app, FIRM, RD)
    make_award_final(app, application_id)
    with app.app_context():
        agreement = agreements.agreement_of_application(application_id)
        assert agreement is not None
        return application_id, agreement.id


@pytest.fixture
def offered(app, demo):
    return _final_award(app)


def _firm_name(app, email: str = FIRM) -> str:
    with app.app_context():
        return db.session.scalar(
            select(Enterprise.name)
            .join(User, User.enterprise_id == Enterprise.id)
            .where(User.email == email)
        )


def _enter_account(client, agreement_id: int, **changes):
    data = {
        "account_name": changes.get("account_name", ""),
        "bank_name": "中国工商银行",
        "branch_name": "阜新分行营业部",
        "account_number": NUMBER,
    }
    data.update(changes)
    return client.post(f"/agreements/{agreement_id}/bank-account", data=data)


def _accounts(app, agreement_id: int) -> list[tuple[str, BankAccountStatus]]:
    with app.app_context():
        return [
            (a.account_number, a.status)
            for a in db.session.scalars(
                select(BankAccount)
                .where(BankAccount.agreement_id == agreement_id)
                .order_by(BankAccount.id)
            )
        ]


def _events(app, action: str) -> list[AuditEvent]:
    with app.app_context():
        rows = list(db.session.scalars(select(AuditEvent).where(AuditEvent.action == action)))
        for row in rows:
            db.session.expunge(row)
        return rows


# --- offering ---------------------------------------------------------------------------------


def test_a_final_award_is_offered_its_agreement_with_tranches_and_the_firm_is_told(app, offered):
    application_id, agreement_id = offered
    with app.app_context():
        agreement = db.session.get(Agreement, agreement_id)
        assert agreement.status is AgreementStatus.OFFERED
        assert agreement.amount == Decimal("180000.00")
        assert agreement.terms["tranches"] == [{"share_percent": "100", "condition": "agreement"}]
        tranches = agreements.tranches_of(agreement_id)
        assert [(t.position, t.amount, t.status) for t in tranches] == [
            (1, Decimal("180000.00"), TrancheStatus.PLANNED)
        ]
        link = f"/agreements/{agreement_id}"
        assert db.session.scalar(
            select(func.count(Notification.id)).where(
                Notification.kind == "agreement_offered", Notification.link == link
            )
        )
        # Offering again gives the agreement there is.
        from portal.applications.models import Application

        again = agreements.offer_agreement(db.session.get(Application, application_id))
        assert again.id == agreement_id
        assert db.session.scalar(select(func.count(Agreement.id))) == 1
    (event,) = _events(app, "agreement.offered")
    assert event.summary["application_id"] == application_id
    assert event.application_id == application_id


def test_offer_missing_gives_older_final_awards_their_agreement_in_tranches_summing_to_it(
    app, demo
):
    application_id = add_final_decision(app, FLUORINE, amount="100000.01")
    runner = app.test_cli_runner()
    result = runner.invoke(args=["payments", "offer-missing"])
    assert result.exit_code == 0, result.output
    assert "Agreements offered: 1." in result.output
    with app.app_context():
        agreement = agreements.agreement_of_application(application_id)
        tranches = agreements.tranches_of(agreement.id)
        assert [t.condition for t in tranches] == [
            TrancheCondition.AGREEMENT,
            TrancheCondition.ACCEPTANCE,
        ]
        assert [t.amount for t in tranches] == [Decimal("60000.01"), Decimal("40000.00")]
        assert sum(t.amount for t in tranches) == agreement.amount == Decimal("100000.01")
    again = runner.invoke(args=["payments", "offer-missing"])
    assert "Agreements offered: 0." in again.output


def test_a_rejection_gets_no_agreement(app, demo):
    application_id = add_final_decision(app, RD, approved=False)
    with app.app_context():
        assert agreements.offer_missing() == []
        assert agreements.agreement_of_application(application_id) is None


# --- the firm's bank account and acceptance -------------------------------------------------


def test_a_name_that_is_not_the_registered_name_is_refused_beside_the_field(app, offered):
    _, agreement_id = offered
    client = english_client(app, FIRM)
    response = _enter_account(client, agreement_id, account_name="某某贸易有限公司")
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert "must be exactly the enterprise" in html
    assert "某某贸易有限公司" in html  # the input is kept
    assert 'value="6222 0212 3456 7890"' in html
    assert 'id="account_name-error"' in html
    assert _accounts(app, agreement_id) == []

    short = _enter_account(
        client, agreement_id, account_name=_firm_name(app), account_number="12 34"
    )
    assert short.status_code == 422
    assert "8 to 30 digits" in short.get_data(as_text=True)
    assert _accounts(app, agreement_id) == []


def test_accepting_needs_a_bank_account_then_issues_the_verifiable_pdf(app, offered):
    application_id, agreement_id = offered
    client = english_client(app, FIRM)
    link = f'href="/agreements/{agreement_id}"'
    assert link in client.get(f"/applications/{application_id}").get_data(as_text=True)
    home = client.get("/home").get_data(as_text=True)
    assert "Agreements waiting for you" in home and link in home
    refused = client.post(f"/agreements/{agreement_id}/accept", data={"declaration": "y"})
    assert refused.status_code == 422
    assert "Enter the bank account" in refused.get_data(as_text=True)
    with app.app_context():
        assert db.session.get(Agreement, agreement_id).status is AgreementStatus.OFFERED
        assert db.session.scalar(select(func.count(PostAwardDocument.id))) == 0

    assert (
        _enter_account(client, agreement_id, account_name=f"  {_firm_name(app)} ").status_code
        == 302
    )
    assert _accounts(app, agreement_id) == [("6222021234567890", BankAccountStatus.PENDING)]

    no_tick = client.post(f"/agreements/{agreement_id}/accept", data={})
    assert no_tick.status_code == 422
    assert "Tick the box" in no_tick.get_data(as_text=True)

    accepted = client.post(f"/agreements/{agreement_id}/accept", data={"declaration": "y"})
    assert accepted.status_code == 302
    with app.app_context():
        agreement = db.session.get(Agreement, agreement_id)
        assert agreement.status is AgreementStatus.ACCEPTED
        assert "read and agree" in agreement.declaration
        document = db.session.get(PostAwardDocument, agreement.document_id)
        number, code = document.number, document.verification_code
        zh_key, en_key = document.pdf_key, document.pdf_en_key
        assert not agreements.ready_for_payment(agreement)  # the account is not confirmed yet
    assert number.startswith("阜科协〔")
    (event,) = _events(app, "agreement.accepted")
    assert event.summary["application_id"] == application_id

    zh = pdf_text(stored(app, zh_key))
    assert number in zh and "180,000.00" in zh and "壹拾捌万元整" in zh
    assert "6222021234567890" in zh
    en = pdf_text(stored(app, en_key))
    assert "180,000.00" in en and "Fundingagreement" in en

    download = client.get(f"/agreements/{agreement_id}/zh.pdf")
    assert download.status_code == 200
    assert download.data == stored(app, zh_key)
    page = client.get(f"/agreements/{agreement_id}").get_data(as_text=True)
    assert number in page and "Accept the agreement" not in page
    assert "Agreements waiting for you" not in client.get("/home").get_data(as_text=True)

    # /verify finds it by its code and by its file (either language).
    public = app.test_client()
    by_code = public.get(f"/verify/{code}?lang=en")
    assert by_code.status_code == 200
    html = by_code.get_data(as_text=True)
    assert number in html and "Funding agreement" in html and "180,000.00" in html
    for key in (zh_key, en_key):
        by_file = public.post(
            "/verify/file?lang=en",
            data={"file": (io.BytesIO(stored(app, key)), "agreement.pdf")},
            content_type="multipart/form-data",
        )
        assert by_file.status_code == 200
        assert number in by_file.get_data(as_text=True)

    twice = client.post(f"/agreements/{agreement_id}/accept", data={"declaration": "y"})
    assert twice.status_code == 422
    with app.app_context():
        assert db.session.scalar(select(func.count(PostAwardDocument.id))) == 1


def test_another_firm_cannot_see_or_touch_the_agreement(app, offered):
    _, agreement_id = offered
    other = english_client(app, OTHER_FIRM)
    for url in (f"/agreements/{agreement_id}", f"/agreements/{agreement_id}/bank-account"):
        assert other.get(url).status_code == 404
    assert _enter_account(other, agreement_id, account_name=_firm_name(app)).status_code == 404
    assert (
        other.post(f"/agreements/{agreement_id}/accept", data={"declaration": "y"}).status_code
        == 404
    )
    assert other.get(f"/agreements/{agreement_id}/zh.pdf").status_code == 404
    assert _accounts(app, agreement_id) == []
    assert other.get("/staff/agreements").status_code in (403, 404)


# --- the officer --------------------------------------------------------------------------------


def _account_id(app, agreement_id: int, status: BankAccountStatus) -> int:
    with app.app_context():
        return db.session.scalar(
            select(BankAccount.id).where(
                BankAccount.agreement_id == agreement_id, BankAccount.status == status
            )
        )


def test_officer_sends_back_then_confirms_and_a_change_keeps_the_old_account(app, offered):
    application_id, agreement_id = offered
    firm = english_client(app, FIRM)
    name = _firm_name(app)
    _enter_account(firm, agreement_id, account_name=name, account_number="1111 2222 3333")
    officer = english_client(app, OFFICER)
    listing = officer.get("/staff/agreements")
    assert listing.status_code == 200
    assert name in listing.get_data(as_text=True)  # waiting for confirmation
    first = _account_id(app, agreement_id, BankAccountStatus.PENDING)
    assert officer.get(f"/staff/agreements/accounts/{first}").status_code == 200

    empty = officer.post(f"/staff/agreements/accounts/{first}/send-back", data={"reason": " "})
    assert empty.status_code == 422
    sent_back = officer.post(
        f"/staff/agreements/accounts/{first}/send-back",
        data={"reason": "账号与开户许可证不符"},
    )
    assert sent_back.status_code == 302
    (event,) = _events(app, "bank_account.rejected")
    assert event.summary["application_id"] == application_id
    with app.app_context():
        assert db.session.scalar(
            select(func.count(Notification.id)).where(Notification.kind == "bank_account_sent_back")
        )
    assert "账号与开户许可证不符" in firm.get(f"/agreements/{agreement_id}").get_data(as_text=True)

    _enter_account(firm, agreement_id, account_name=name, account_number="4444 5555 6666")
    second = _account_id(app, agreement_id, BankAccountStatus.PENDING)
    assert officer.post(f"/staff/agreements/accounts/{second}/confirm").status_code == 302
    (confirmed,) = _events(app, "bank_account.confirmed")
    assert confirmed.summary["application_id"] == application_id
    again = officer.post(f"/staff/agreements/accounts/{second}/confirm")
    assert again.status_code == 422  # no longer waiting

    # A change is a new row, waiting; the confirmed account is paid into until then.
    _enter_account(firm, agreement_id, account_name=name, account_number="7777 8888 9999")
    with app.app_context():
        assert agreements.current_bank_account(agreement_id).account_number == "444455556666"
    third = _account_id(app, agreement_id, BankAccountStatus.PENDING)
    officer.post(f"/staff/agreements/accounts/{third}/confirm")
    assert _accounts(app, agreement_id) == [
        ("111122223333", BankAccountStatus.REJECTED),
        ("444455556666", BankAccountStatus.REPLACED),
        ("777788889999", BankAccountStatus.CONFIRMED),
    ]
    firm.post(f"/agreements/{agreement_id}/accept", data={"declaration": "y"})
    with app.app_context():
        agreement = db.session.get(Agreement, agreement_id)
        assert agreements.ready_for_payment(agreement)
        assert agreements.current_bank_account(agreement_id).account_number == "777788889999"
    assert officer.get(f"/staff/agreements/{agreement_id}").status_code == 200
    assert officer.get(f"/staff/agreements/{agreement_id}/zh.pdf").status_code == 200
    history = officer.get(f"/staff/applications/{application_id}").get_data(as_text=True)
    for label in (
        "Funding agreement offered",
        "Bank account sent back",
        "Funding agreement accepted",
    ):
        assert label in history


def test_the_officer_lists_cost_the_same_statements_whatever_the_data(app, demo):
    officer = english_client(app, OFFICER)
    for amount in ("100000.00",):
        add_final_decision(app, FLUORINE, amount=amount)
    with app.app_context():
        agreements.offer_missing()
        db.session.commit()
    few = len(statements_during(app, lambda: officer.get("/staff/agreements?status=offered")))
    for _ in range(4):
        add_final_decision(app, FLUORINE)
    with app.app_context():
        agreements.offer_missing()
        for agreement in db.session.scalars(select(Agreement)):
            db.session.add(
                BankAccount(
                    agreement_id=agreement.id,
                    enterprise_id=agreement.enterprise_id,
                    account_name="x",
                    bank_name="银行",
                    branch_name="支行",
                    account_number="12345678",
                )
            )
        db.session.commit()
    many = len(statements_during(app, lambda: officer.get("/staff/agreements?status=offered")))
    assert many == few
    with app.app_context():
        assert db.session.scalar(select(func.count(Tranche.id))) == 10
