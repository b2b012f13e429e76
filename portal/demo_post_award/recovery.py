"""Demo states of the post-award stage: recovery.

One case on ent4's 2025 fluorine-park award (``last_year``), whose first tranche the payments
part paid through an approved batch: opened by the officer for duplicate funding with evidence,
the firm's statement, the approver's decision to recover part of what was paid, the recovery
notice, one repayment of half, and the ban in the firm's credit record (ent4 has no other demo
story the ban would stop). Runs last; nothing is done when that award has no payment.
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
from portal.demo_applications import DemoClock, DemoDocument
from portal.demo_post_award import last_year
from portal.payments import recovery, recovery_notice
from portal.payments.recovery_models import RecoveryCase, RecoveryDecision, RecoveryGrounds
from portal.payments.tranches import paid_total
from portal.programs.models import Program

FIRM = "ent4@example.com"


def _award(firm: User) -> Application | None:
    return db.session.scalar(
        select(Application)
        .join(Program, Program.id == Application.program_id)
        .where(
            Program.code == last_year.CODE,
            Application.enterprise_id == firm.enterprise_id,
            Application.status == Status.AWARDED,
        )
    )


def seed(clock: DemoClock, *, log: Callable[[str], None] = print) -> int:
    """Put demo awards into this part's states; return how many records were made."""
    officer = find_user_by_email("officer@example.com")
    approver = find_user_by_email("leader@example.com")
    firm = find_user_by_email(FIRM)
    if officer is None or approver is None or firm is None:
        return 0
    application = _award(firm)
    if application is None:
        log("Demo recovery skipped: ent4 has no final 2025 award.")
        return 0
    if db.session.scalar(
        select(RecoveryCase.id).where(RecoveryCase.application_id == application.id)
    ):
        return 0
    paid = paid_total(application.id)
    if paid <= 0:
        log("Demo recovery skipped: nothing was paid on ent4's 2025 award.")
        return 0
    data, detected = DemoDocument.get()
    evidence = recovery.CheckedFile("重复申报核查情况.pdf", data, detected)
    clock.set(-8, "10:00")
    case = recovery.open_case(
        application,
        grounds=RecoveryGrounds.DUPLICATE_FUNDING,
        description=(
            "经核查，该企业以同一改造项目（包装生产线自动化改造）于同年度向省级智能制造专项"
            "项目重复申报并获得支持，违反本项目“同一事项不得重复申报”的规定。"
        ),
        evidence=[evidence],
        actor=officer,
    )
    clock.set(-6, "15:20")
    recovery.submit_statement(
        case,
        text=(
            "我单位申报省级项目时使用的是二期改造的投资，两者范围不同，"
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
            "经复核，两项申报所列投资存在重叠，重叠部分对应的支持资金应予追回；"
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
    return 4
