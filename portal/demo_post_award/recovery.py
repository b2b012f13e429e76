"""Demo states of the post-award stage: recovery.

One case on ent2's R&D post-subsidy (its only final award; its other application, in the key
above-size selection, is already submitted, so the ban stops no other demo story): opened by the
officer for duplicate funding with evidence, the firm's statement, the approver's decision to
recover part of what was paid, the recovery notice, one repayment of half, and the ban in the
firm's credit record. Runs last; when no payment of that award is recorded yet (the payments
part left it due), its first tranche is recorded as paid here.
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal

from sqlalchemy import select

from portal.accounts.models import User
from portal.accounts.services import find_user_by_email
from portal.applications.models import Application, Status
from portal.core.extensions import db
from portal.core.money import to_cents
from portal.core.timeutil import bureau_today, utcnow
from portal.demo_applications import RD, DemoClock, DemoDocument
from portal.payments import agreements, recovery, recovery_notice
from portal.payments.models import Tranche, TrancheStatus
from portal.payments.recovery_models import RecoveryCase, RecoveryDecision, RecoveryGrounds
from portal.payments.tranches import paid_total
from portal.programs.models import Program

FIRM = "ent2@example.com"


def _award(firm: User) -> Application | None:
    return db.session.scalar(
        select(Application)
        .join(Program, Program.id == Application.program_id)
        .where(
            Program.code == RD,
            Application.enterprise_id == firm.enterprise_id,
            Application.status == Status.AWARDED,
        )
    )


def _make_paid(application: Application, officer: User) -> int:
    """Record the award's first tranche as paid (finance's confirmation), if none is."""
    if paid_total(application.id) > 0:
        return 0
    agreement = agreements.offer_agreement(application, actor=officer)
    if agreement is None:
        return 0
    tranche = db.session.scalar(
        select(Tranche)
        .where(Tranche.application_id == application.id, Tranche.status != TrancheStatus.PAID)
        .order_by(Tranche.position)
        .limit(1)
    )
    if tranche is None:
        return 0
    tranche.status = TrancheStatus.PAID
    tranche.paid_on = bureau_today()
    tranche.bank_reference = f"DEMO-PAY-{application.id}-{tranche.position}"
    tranche.paid_recorded_at = utcnow()
    tranche.paid_recorded_by_id = officer.id
    db.session.flush()
    return 1


def seed(clock: DemoClock, *, log: Callable[[str], None] = print) -> int:
    """Put demo awards into this part's states; return how many records were made."""
    officer = find_user_by_email("officer@example.com")
    approver = find_user_by_email("leader@example.com")
    firm = find_user_by_email(FIRM)
    if officer is None or approver is None or firm is None:
        return 0
    application = _award(firm)
    if application is None:
        log("Demo recovery skipped: ent2 has no final R&D award.")
        return 0
    if db.session.scalar(
        select(RecoveryCase.id).where(RecoveryCase.application_id == application.id)
    ):
        return 0
    clock.set(-9, "09:30")
    made = _make_paid(application, officer)
    paid = paid_total(application.id)
    if paid <= 0:
        log("Demo recovery skipped: nothing was paid on ent2's award.")
        return made
    data, detected = DemoDocument.get()
    evidence = recovery.CheckedFile("重复申报核查情况.pdf", data, detected)
    clock.set(-8, "10:00")
    case = recovery.open_case(
        application,
        grounds=RecoveryGrounds.DUPLICATE_FUNDING,
        description=(
            "经核查，该企业以同一研发投入（智能装备研发投入）于同年度向省级研发费用后补助"
            "项目重复申报并获得支持，违反本项目“同一事项不得重复申报”的规定。"
        ),
        evidence=[evidence],
        actor=officer,
    )
    clock.set(-6, "15:20")
    recovery.submit_statement(
        case,
        text=(
            "我单位申报省级项目时使用的是上一年度研发投入，两者口径不同，"
            "恳请核实。如确属重复，我单位愿意按规定缴回资金。"
        ),
        files=[],
        actor=firm,
    )
    clock.set(-4, "10:30")
    amount = to_cents(min(paid, Decimal("10000.00")))
    recovery.decide(
        case,
        decision=RecoveryDecision.RECOVER,
        amount=amount,
        reason=(
            "经复核，两项申报所列研发投入存在重叠，重叠部分对应的支持资金应予追回；"
            "企业陈述的口径差异已予考虑。"
        ),
        approver=approver,
    )
    clock.set(-4, "16:00")
    recovery_notice.issue_notice(case, actor=officer)
    day = clock.set(-1, "11:00")
    recovery.record_repayment(
        case,
        amount=to_cents(amount / 2),
        paid_on=day,
        reference=f"DEMO-REPAY-{case.id}-1",
        actor=officer,
    )
    log(f"Demo recovery: case {case.id} on {application.reference}, half repaid, ban recorded.")
    return made + 4
