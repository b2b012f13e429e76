"""The money tallies follow the tranches through the database's triggers (migration 0021):
inserting, moving and deleting tranches keeps awarded, due and paid per programme and year,
and the days from the award to the first payment, equal to a full count (SQLite and
PostgreSQL)."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

from sqlalchemy import select

from portal.applications.models import Application
from portal.core.extensions import db
from portal.payments.models import Agreement, Tranche, TrancheCondition, TrancheStatus
from portal.payments.money import (
    MoneyTally,
    PaymentDaysTally,
    check_money_tallies,
    days_of,
    programme_money,
    rebuild_money_tallies,
)
from tests.helpers import add_final_decision

RD = "rd-post-subsidy-2026"
AWARDED_AT = datetime(2026, 3, 31, 17, 0, tzinfo=UTC)  # 1 April in Shanghai


def _award(app, amounts: list[str]) -> tuple[int, list[int]]:
    """An awarded application with an agreement offered at AWARDED_AT and planned tranches."""
    application_id = add_final_decision(app, RD, amount=str(sum(Decimal(a) for a in amounts)))
    with app.app_context():
        application = db.session.get(Application, application_id)
        application.awarded_at = AWARDED_AT
        agreement = db.session.scalar(
            select(Agreement).where(Agreement.application_id == application_id)
        )
        if agreement is None:
            agreement = Agreement(
                application_id=application_id,
                program_id=application.program_id,
                enterprise_id=application.enterprise_id,
                amount=application.decided_amount,
                terms={},
                offered_at=AWARDED_AT,
            )
            db.session.add(agreement)
            db.session.flush()
        else:
            agreement.offered_at = AWARDED_AT
            for tranche in db.session.scalars(
                select(Tranche).where(Tranche.agreement_id == agreement.id)
            ):
                db.session.delete(tranche)
            db.session.flush()
        ids = []
        for position, amount in enumerate(amounts, start=1):
            tranche = Tranche(
                agreement_id=agreement.id,
                application_id=application_id,
                program_id=application.program_id,
                enterprise_id=application.enterprise_id,
                position=position,
                share_percent=Decimal("50"),
                amount=Decimal(amount),
                condition=TrancheCondition.AGREEMENT,
            )
            db.session.add(tranche)
            db.session.flush()
            ids.append(tranche.id)
        db.session.commit()
        return application.program_id, ids


def _tallies(program_id: int) -> dict[int, tuple]:
    rows = db.session.scalars(select(MoneyTally).where(MoneyTally.program_id == program_id))
    return {
        row.year: (
            Decimal(row.awarded).quantize(Decimal("0.01")),
            Decimal(row.due).quantize(Decimal("0.01")),
            Decimal(row.paid).quantize(Decimal("0.01")),
            row.tranches_due,
            row.tranches_paid,
        )
        for row in rows
        if row.awarded or row.due or row.paid
    }


def test_triggers_follow_insert_update_and_delete(app, demo):
    program_id, (first, second) = _award(app, ["60000.10", "40000.20"])
    with app.app_context():
        assert _tallies(program_id)[2026][0] == Decimal("100000.30")
        assert check_money_tallies() == []

        tranche = db.session.get(Tranche, first)
        tranche.status = TrancheStatus.DUE
        tranche.due_at = datetime(2026, 12, 31, 17, 0, tzinfo=UTC)  # 2027 in Shanghai
        db.session.commit()
        assert _tallies(program_id)[2027] == (
            Decimal("0.00"),
            Decimal("60000.10"),
            Decimal("0.00"),
            1,
            0,
        )

        tranche.status = TrancheStatus.PAID
        tranche.paid_on = date(2027, 1, 10)
        tranche.bank_reference = f"REF-{first}"
        db.session.commit()
        tallies = _tallies(program_id)
        assert tallies[2027] == (Decimal("0.00"), Decimal("0.00"), Decimal("60000.10"), 0, 1)
        assert tallies[2026][0] == Decimal("100000.30")
        # Awarded 1 April 2026 (Shanghai), paid 10 January 2027: 284 days.
        days = db.session.scalars(
            select(PaymentDaysTally).where(PaymentDaysTally.program_id == program_id)
        ).all()
        assert [(d.days, d.tranches) for d in days if d.tranches] == [(284, 1)]
        assert programme_money([program_id])[program_id]["days"].worst == 284

        # A second tranche paid does not count in the days to the first payment.
        other = db.session.get(Tranche, second)
        other.status = TrancheStatus.PAID
        other.paid_on = date(2027, 3, 1)
        other.bank_reference = f"REF-{second}"
        db.session.commit()
        assert _tallies(program_id)[2027][2] == Decimal("100000.30")
        assert programme_money([program_id])[program_id]["days"].paid == 1

        other.status = TrancheStatus.CANCELLED
        db.session.commit()
        assert _tallies(program_id)[2026][0] == Decimal("60000.10")
        assert check_money_tallies() == []

        db.session.delete(other)
        db.session.delete(tranche)
        db.session.commit()
        assert _tallies(program_id) == {}
        assert check_money_tallies() == []


def test_check_finds_a_wrong_tally_and_rebuild_repairs_it(app, demo):
    program_id, _ids = _award(app, ["5000.00"])
    with app.app_context():
        row = db.session.get(MoneyTally, (program_id, 2026))
        row.awarded = Decimal("1.00")
        db.session.commit()
        problems = check_money_tallies()
        assert problems and "money" in problems[0]
        rebuild_money_tallies()
        db.session.commit()
        assert check_money_tallies() == []
        assert _tallies(program_id)[2026][0] == Decimal("5000.00")


def test_median_and_worst_of_a_histogram():
    assert days_of([]).median is None
    assert days_of([(10, 1)]).median == Decimal("10.0")
    assert days_of([(10, 1), (20, 1)]).median == Decimal("15")
    assert str(days_of([(10, 1), (21, 1)]).median) == "15.5"
    assert str(days_of([(10, 3)]).median) == "10"
    days = days_of([(3, 2), (40, 1), (7, 2)])
    assert (days.paid, days.median, days.worst) == (5, Decimal("7.0"), 40)
    assert days_of([(5, 0)]).paid == 0


def test_repayments_count_as_recovered_in_the_year_repaid(app, demo):
    from portal.accounts.models import User
    from portal.payments.recovery_models import (
        RecoveryCase,
        RecoveryDecision,
        RecoveryGrounds,
        RecoveryStatus,
        Repayment,
    )

    program_id, (tranche_id,) = _award(app, ["8000.00"])
    with app.app_context():
        tranche = db.session.get(Tranche, tranche_id)
        officer = db.session.scalar(select(User).where(User.email == "officer@example.com"))
        case = RecoveryCase(
            application_id=tranche.application_id,
            agreement_id=tranche.agreement_id,
            program_id=program_id,
            enterprise_id=tranche.enterprise_id,
            grounds=RecoveryGrounds.MISUSE,
            description="测试",
            status=RecoveryStatus.NOTICE_ISSUED,
            opened_by_id=officer.id,
            statement_due_on=date(2027, 1, 10),
            decision=RecoveryDecision.RECOVER,
            decided_amount=Decimal("8000.00"),
            repaid_amount=Decimal("0.00"),
        )
        db.session.add(case)
        db.session.flush()
        first = Repayment(
            case_id=case.id, amount=Decimal("3000.00"), paid_on=date(2027, 3, 1), reference="R-1"
        )
        db.session.add(first)
        db.session.commit()
        row = db.session.get(MoneyTally, (program_id, 2027))
        assert Decimal(row.recovered).quantize(Decimal("0.01")) == Decimal("3000.00")
        assert programme_money([program_id])[program_id]["recovered"] == Decimal("3000.00")
        first.paid_on = date(2028, 1, 2)
        db.session.commit()
        assert programme_money([program_id])[program_id]["recovered"] == Decimal("3000.00")
        row = db.session.get(MoneyTally, (program_id, 2028))
        assert Decimal(row.recovered).quantize(Decimal("0.01")) == Decimal("3000.00")
        assert check_money_tallies() == []
        db.session.delete(first)
        db.session.commit()
        assert programme_money([program_id])[program_id]["recovered"] == Decimal("0.00")
        assert check_money_tallies() == []
