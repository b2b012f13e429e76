"""The whole post-award demo after a fresh `seed-demo`: last year's round (ent3, ent4, ent5) and
the 2026 awards (ent1, ent2) show every state, consistently, across the firms; ent1 can still
apply; a second run makes nothing and the invariants hold."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from portal.accounts.models import User
from portal.core.extensions import db
from portal.core.timeutil import bureau_today
from portal.demo_applications import seed_demo
from portal.demo_post_award import last_year, seed_post_award
from portal.demo_tasks import seed_demo as seed_wall_map
from portal.payments import credit_record
from portal.payments.acceptance_models import AcceptanceOutcome, AcceptanceReview
from portal.payments.batch_models import BatchStatus, PaymentBatch
from portal.payments.models import (
    Agreement,
    AgreementStatus,
    BankAccount,
    BankAccountStatus,
    Tranche,
    TrancheStatus,
)
from portal.payments.recovery_models import RecoveryCase
from portal.payments.report_models import ProgressReport, ReportStatus
from portal.payments.report_queries import overdue_reports_of
from portal.programs.models import Program


@pytest.fixture
def lines() -> list[str]:
    return []


@pytest.fixture
def seeded(app, lines):
    with app.app_context():
        seed_demo(log=lambda _line: None)
        db.session.commit()
        made = seed_post_award(log=lines.append)
        db.session.commit()
        assert made > 0
        firms = {
            u.email.split("@")[0]: u.enterprise_id
            for u in db.session.scalars(select(User).where(User.email.like("ent%")))
        }
        yield firms


def _of(model, firm_id, *where):
    return list(
        db.session.scalars(
            select(model).where(model.enterprise_id == firm_id, *where).order_by(model.id)
        )
    )


def test_every_post_award_state_across_the_firms(seeded, app):
    firms = seeded
    program = db.session.scalar(select(Program).where(Program.code == last_year.CODE))
    assert program.name_zh == last_year.NAME_ZH and program.closes_at.year == 2025

    agreements = {key: _of(Agreement, firm) for key, firm in firms.items()}
    assert [a.status for a in agreements["ent2"]] == [AgreementStatus.OFFERED]
    for key in ("ent1", "ent3", "ent4", "ent5"):
        assert [a.status for a in agreements[key]] == [AgreementStatus.ACCEPTED], key
    accounts = {key: [a.status for a in _of(BankAccount, firm)] for key, firm in firms.items()}
    assert accounts["ent2"] == [BankAccountStatus.PENDING]  # waiting for the officer
    for key in ("ent1", "ent3", "ent4", "ent5"):
        assert accounts[key] == [BankAccountStatus.CONFIRMED], key
    # Last year's agreements were accepted months ago.
    for key in ("ent3", "ent4", "ent5"):
        assert agreements[key][0].accepted_at.year == 2026
        assert agreements[key][0].accepted_at.month == 1

    def tranches(key):
        return [t.status for t in _of(Tranche, firms[key])]

    assert tranches("ent1") == [TrancheStatus.DUE]
    assert tranches("ent2") == [TrancheStatus.PLANNED]  # nothing is due before acceptance
    assert tranches("ent3") == [TrancheStatus.PAID, TrancheStatus.DUE]  # 40 % after 验收
    assert tranches("ent4") == [TrancheStatus.PAID, TrancheStatus.PLANNED]
    assert tranches("ent5") == [TrancheStatus.IN_BATCH, TrancheStatus.PLANNED]
    names = {u.id: u.email for u in db.session.scalars(select(User))}
    batches = db.session.scalars(select(PaymentBatch).order_by(PaymentBatch.id)).all()
    assert [b.status for b in batches] == [BatchStatus.APPROVED, BatchStatus.APPROVED]
    assert {names[b.created_by_id] for b in batches} == {"officer@example.com"}
    assert {names[b.approved_by_id] for b in batches} == {"leader@example.com"}

    (review,) = db.session.scalars(select(AcceptanceReview)).all()
    assert review.enterprise_id == firms["ent3"]
    assert review.application_id == agreements["ent3"][0].application_id
    assert review.outcome is AcceptanceOutcome.PASSED and review.document_id is not None

    def reports(key):
        return [r.status for r in _of(ProgressReport, firms[key]) if r.kind.value == "progress"]

    assert reports("ent3") == [ReportStatus.ACCEPTED]
    assert reports("ent4") == [ReportStatus.SUBMITTED]
    today = bureau_today()
    assert len(overdue_reports_of(firms["ent5"], today)) == 1
    for key in ("ent1", "ent2", "ent3", "ent4"):
        assert overdue_reports_of(firms[key], today) == [], key

    (case,) = db.session.scalars(select(RecoveryCase)).all()
    assert case.application_id == agreements["ent4"][0].application_id
    assert credit_record.standing(firms["ent4"], today).bans
    for key in ("ent1", "ent2"):
        assert not credit_record.standing(firms[key], today).bans, key


def test_a_second_run_makes_nothing_and_the_invariants_hold(seeded, app, lines):
    assert any(line.startswith("Last year:") for line in lines)
    assert seed_post_award(log=lambda _line: None) == 0
    seed_wall_map(log=lambda _line: None)  # the last part of `seed-demo`, not in the fixture
    db.session.commit()
    runner = app.test_cli_runner()
    result = runner.invoke(args=["seed-demo"])
    assert result.exit_code == 0 and "already present" in result.output, result.output
    for group in ("payments", "tallies"):
        result = runner.invoke(args=[group, "check"])
        assert result.exit_code == 0, result.output
