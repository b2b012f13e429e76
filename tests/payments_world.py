"""Awards ready for payment, written straight into the database (the agreements part's pages
are tested on their own): an accepted agreement, a confirmed bank account and its tranches,
which the audit listener then makes due."""

from __future__ import annotations

import io
from decimal import Decimal

from sqlalchemy import func, select

from tests.helpers import new_firm

OFFICER = "officer@example.com"
APPROVER = "leader@example.com"
FIRM = "ent1@example.com"
RD = "rd-post-subsidy-2026"


def award(
    app,
    *,
    email: str | None = None,
    code: str = RD,
    amount: str = "100000.00",
    shares: tuple[tuple[str, str], ...] = (("100", "agreement"),),
    account_number: str | None = None,
    accept: bool = True,
) -> dict:
    """An awarded application of ``email``'s firm (a new made-up firm when None) with its
    agreement, account and tranches. ``accept``: record the agreement's acceptance (the
    listener makes tranches due)."""
    from portal.accounts.models import Enterprise, User
    from portal.applications.models import Application, Status
    from portal.core import audit
    from portal.core.audit import Action
    from portal.core.extensions import db
    from portal.core.timeutil import utcnow
    from portal.payments.models import (
        Agreement,
        AgreementStatus,
        BankAccount,
        BankAccountStatus,
        Tranche,
        TrancheCondition,
    )
    from portal.payments.plan import split_amount
    from portal.programs.models import Program

    with app.app_context():
        program = db.session.scalar(select(Program).where(Program.code == code))
        number = db.session.scalar(select(func.count()).select_from(Application)) + 1
        if email is None:
            count = db.session.scalar(select(func.count()).select_from(Enterprise)) + 1
            firm = new_firm(f"阜新拨付测试{count:03d}有限公司", f"91210900MP{count:07d}")
        else:
            user = db.session.scalar(select(User).where(User.email == email))
            firm = db.session.get(Enterprise, user.enterprise_id)
        now = utcnow()
        value = Decimal(amount)
        application = Application(
            reference=f"P-{program.id}-{number:05d}",
            enterprise_id=firm.id,
            program_id=program.id,
            program_version_id=program.versions[-1].id,
            status=Status.AWARDED,
            project_title="测试项目",
            first_submitted_at=now,
            last_submitted_at=now,
            submission_count=1,
            decision="approve",
            decided_amount=value,
            decided_at=now,
            released_at=now,
            awarded_at=now,
        )
        db.session.add(application)
        db.session.flush()
        agreement = Agreement(
            application_id=application.id,
            program_id=program.id,
            enterprise_id=firm.id,
            status=AgreementStatus.OFFERED,
            amount=value,
            terms={},
            offered_at=now,
        )
        db.session.add(agreement)
        db.session.flush()
        account = BankAccount(
            agreement_id=agreement.id,
            enterprise_id=firm.id,
            status=BankAccountStatus.CONFIRMED,
            account_name=firm.name,
            bank_name="中国工商银行",
            branch_name="阜新分行",
            account_number=account_number or f"62220207{number:011d}",
            entered_at=now,
            decided_at=now,
        )
        db.session.add(account)
        parts = split_amount(value, [Decimal(s) for s, _ in shares])
        tranche_ids = []
        for position, ((share, condition), part) in enumerate(
            zip(shares, parts, strict=True), start=1
        ):
            tranche = Tranche(
                agreement_id=agreement.id,
                application_id=application.id,
                program_id=program.id,
                enterprise_id=firm.id,
                position=position,
                share_percent=Decimal(share),
                amount=part,
                condition=TrancheCondition(condition),
            )
            db.session.add(tranche)
            db.session.flush()
            tranche_ids.append(tranche.id)
        if accept:
            agreement.status = AgreementStatus.ACCEPTED
            agreement.accepted_at = now
            db.session.flush()
            audit.record(Action.AGREEMENT_ACCEPTED, agreement, application_id=application.id)
        db.session.commit()
        return {
            "application_id": application.id,
            "agreement_id": agreement.id,
            "tranche_ids": tranche_ids,
            "account": account.account_number,
            "reference": application.reference,
            "amounts": [str(p) for p in parts],
        }


def tranche(app, tranche_id: int):
    from portal.core.extensions import db
    from portal.payments.models import Tranche

    with app.app_context():
        row = db.session.get(Tranche, tranche_id)
        db.session.expunge(row)
        return row


def batch_of(app, batch_id: int):
    from portal.core.extensions import db
    from portal.payments.batch_models import PaymentBatch

    with app.app_context():
        row = db.session.get(PaymentBatch, batch_id)
        db.session.expunge(row)
        return row


def latest_batch_id(app) -> int:
    from portal.core.extensions import db
    from portal.payments.batch_models import PaymentBatch

    with app.app_context():
        return db.session.scalar(select(func.max(PaymentBatch.id)))


def make_batch(officer, tranche_ids) -> int:
    response = officer.post("/staff/payments/batches", data={"tranche_ids": tranche_ids})
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    return int(response.headers["Location"].rstrip("/").rsplit("/", 1)[1])


def approve_data(app, batch_id: int) -> dict:
    batch = batch_of(app, batch_id)
    return {"seen_count": str(batch.tranche_count), "seen_total": str(batch.total)}


def approve(app, approver, batch_id: int):
    return approver.post(
        f"/staff/payments/batches/{batch_id}/approve", data=approve_data(app, batch_id)
    )


def confirmation_csv(rows) -> bytes:
    from portal.core.csv_safe import csv_text

    header = ["批次号", "收款账号", "金额", "付款日期", "银行流水号"]
    return csv_text([header, *rows]).encode("utf-8")


def upload(data: bytes, name: str = "bank.csv") -> dict:
    return {"file": (io.BytesIO(data), name)}
