"""The credit record: bans from applying written by decisions to recover, the notice each one
rests on, and credit repair (信用修复), by which an approver ends a ban early with a reason.

Eligibility reads the bans in force through ``portal.profiles.standing`` (``standing``,
registered in ``init_payments``): a ban applies from the day of the decision to its last day
unless it was repaired, and the rule kind ``no_credit_ban`` explains it with its last day and
the recovery notice's number.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from portal.accounts.models import Role
from portal.core import audit
from portal.core.audit import Action
from portal.core.concurrency import lock_row, service
from portal.core.domain import DomainError
from portal.core.extensions import db
from portal.core.timeutil import bureau_today, utcnow
from portal.payments import recovery_rules as rules
from portal.payments.recovery_models import CreditRecord, RecoveryCase, RecoveryGrounds
from portal.programs.facts import CreditBan, Standing

REPAIR_REASON_MAX = 2000

# What the credit record says of the grounds (the notice and the eligibility page read it).
GROUNDS_WORDS: dict[RecoveryGrounds, tuple[str, str]] = {
    RecoveryGrounds.FALSE_MATERIALS: ("提供虚假申报材料", "False application materials"),
    RecoveryGrounds.DUPLICATE_FUNDING: ("重复申报获得财政资金支持", "Duplicate public funding"),
    RecoveryGrounds.MISUSE: ("截留、挪用财政资金", "Misuse of the funds"),
    RecoveryGrounds.FAILED_ACCEPTANCE: ("项目未通过验收", "The project failed acceptance"),
}


class CreditRefused(DomainError):
    pass


def record_ban(case: RecoveryCase, *, years: int, today: date, actor: Any) -> CreditRecord:
    """Write the ban of a decision to recover: from ``today`` for ``years`` whole years."""
    zh, en = GROUNDS_WORDS[case.grounds]
    record = CreditRecord(
        enterprise_id=case.enterprise_id,
        case_id=case.id,
        ban_from=today,
        ban_until=rules.ban_until(today, years),
        notice_number="",
        reason_zh=zh,
        reason_en=en,
        recorded_at=utcnow(),
        recorded_by_id=getattr(actor, "id", None),
    )
    db.session.add(record)
    db.session.flush()
    audit.record(
        Action.CREDIT_BAN_RECORDED,
        record,
        actor=actor,
        application_id=case.application_id,
        case_id=case.id,
        enterprise_id=case.enterprise_id,
        ban_from=record.ban_from.isoformat(),
        ban_until=record.ban_until.isoformat(),
        years=years,
    )
    return record


def record_of_case(case_id: int) -> CreditRecord | None:
    return db.session.scalar(select(CreditRecord).where(CreditRecord.case_id == case_id))


def attach_notice(case_id: int, number: str) -> None:
    record = record_of_case(case_id)
    if record is not None:
        record.notice_number = number


def repair_refusal(record: CreditRecord, approver: Any, today: date) -> Any | None:
    if getattr(approver, "role", None) is not Role.APPROVER:
        return _l("Only an approver can repair a credit record.")
    if record.repaired_at is not None:
        return _l("This ban was already ended by a credit repair.")
    if record.ban_until < today:
        return _l("This ban has already ended.")
    return None


@service
def repair(record: CreditRecord, *, reason: str, approver: Any) -> CreditRecord:
    """End a ban early (信用修复), with the approver's reason; eligibility no longer reads it."""
    record = lock_row(CreditRecord, record.id)
    refusal = repair_refusal(record, approver, bureau_today())
    if refusal is not None:
        raise CreditRefused(refusal)
    reason = (reason or "").strip()
    if not reason:
        raise CreditRefused(_l("Give the reason for the credit repair."), field="reason")
    if len(reason) > REPAIR_REASON_MAX:
        raise CreditRefused(
            _l("Keep it under %(count)d characters.", count=REPAIR_REASON_MAX), field="reason"
        )
    record.repaired_at = utcnow()
    record.repaired_by_id = approver.id
    record.repair_reason = reason
    case = db.session.get(RecoveryCase, record.case_id)
    audit.record(
        Action.CREDIT_REPAIRED,
        record,
        actor=approver,
        application_id=case.application_id if case else None,
        case_id=record.case_id,
        enterprise_id=record.enterprise_id,
        ban_until=record.ban_until.isoformat(),
        reason=reason,
    )
    db.session.flush()
    return record


# --- what eligibility reads -------------------------------------------------------------------


def bans_in_force(enterprise_id: int, as_of: date) -> list[CreditRecord]:
    return list(
        db.session.scalars(
            select(CreditRecord)
            .where(
                CreditRecord.enterprise_id == enterprise_id,
                CreditRecord.repaired_at.is_(None),
                CreditRecord.ban_from <= as_of,
                CreditRecord.ban_until >= as_of,
            )
            .order_by(CreditRecord.ban_until.desc(), CreditRecord.id)
        )
    )


def standing(enterprise_id: int, as_of: date) -> Standing:
    """The standing provider: the firm's bans in force on ``as_of``."""
    return Standing(
        bans=tuple(
            CreditBan(
                until=record.ban_until,
                notice_number=record.notice_number,
                reason_zh=record.reason_zh,
                reason_en=record.reason_en,
            )
            for record in bans_in_force(enterprise_id, as_of)
        )
    )


def records_of_enterprise(enterprise_id: int, limit: int = 20) -> list[CreditRecord]:
    return list(
        db.session.scalars(
            select(CreditRecord)
            .where(CreditRecord.enterprise_id == enterprise_id)
            .order_by(CreditRecord.id.desc())
            .limit(limit)
        )
    )
