"""Recovery (追回) with due process: the commands.

::

    (officer opens, with evidence; the firm is told)
      statement_due ─firm states its case (陈述申辩) by the deadline─▶ statement_received
      statement_due, statement_received ─approver decides─▶ decided (recover) | no_recovery
      decided ─notice issued (阜科追〔年〕N号)─▶ notice_issued ─repayments─▶ settled

Every move goes through ``TRANSITIONS``; a refused move says why. The approver who decides is
never the person who opened the case, and decides only once the firm has stated its case or
its time to do so has ended. A decision to recover claims at most what was paid on the award
less what earlier decisions on it claim; it writes the firm's ban in the credit record
(``credit_record``). Repayments add up to at most the decided amount; the case is settled when
they reach it. The firm is told at the opening, the decision, the notice and the settlement.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from decimal import Decimal
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from portal.accounts.models import Role, User
from portal.applications.models import Application, Status
from portal.core import audit
from portal.core.audit import Action
from portal.core.concurrency import check_not_stale, lock_row, service
from portal.core.domain import DomainError
from portal.core.extensions import db
from portal.core.files import safe_download_name, save_in_transaction
from portal.core.money import format_money
from portal.core.timeutil import bureau_today, utcnow
from portal.core.uploads import CheckedFile
from portal.core.urls import path_for
from portal.notifications.services import notify
from portal.payments import credit_record
from portal.payments import recovery_rules as rules
from portal.payments.recovery_models import (
    RecoveryCase,
    RecoveryDecision,
    RecoveryFile,
    RecoveryGrounds,
    RecoveryStatus,
    Repayment,
)
from portal.payments.recovery_queries import (
    agreement_of,
    application_of,
    recoverable_of,
    terms_of,
    unfinished_case,
)
from portal.review.decisions import holidays_from_config

S = RecoveryStatus
TRANSITIONS: dict[str, tuple[frozenset[RecoveryStatus], RecoveryStatus]] = {
    "submit_statement": (frozenset({S.STATEMENT_DUE}), S.STATEMENT_RECEIVED),
    "decide_recover": (frozenset({S.STATEMENT_DUE, S.STATEMENT_RECEIVED}), S.DECIDED),
    "decide_no_recovery": (frozenset({S.STATEMENT_DUE, S.STATEMENT_RECEIVED}), S.NO_RECOVERY),
    "issue_notice": (frozenset({S.DECIDED}), S.NOTICE_ISSUED),
    "record_repayment": (frozenset({S.NOTICE_ISSUED}), S.NOTICE_ISSUED),
    "settle": (frozenset({S.NOTICE_ISSUED}), S.SETTLED),
}

EVIDENCE = "evidence"
STATEMENT = "statement"
FILE_KINDS = ("pdf", "image")
FILE_MAX_BYTES = 10 * 1024 * 1024
FILES_MAX = 5
TEXT_MAX = 4000
REFERENCE_MAX = 60


class RecoveryRefused(DomainError):
    pass


def _move(case: RecoveryCase, move: str) -> RecoveryStatus:
    sources, target = TRANSITIONS[move]
    if case.status not in sources:
        raise RecoveryRefused(
            _l("This step is not possible now: the case is “%(status)s”.", status=case.status.label)
        )
    case.status = target
    return target


def _text(value: str, field: str, empty: Any) -> str:
    text = (value or "").strip()
    if not text:
        raise RecoveryRefused(empty, field=field)
    if len(text) > TEXT_MAX:
        raise RecoveryRefused(
            _l("Keep it under %(count)d characters.", count=TEXT_MAX), field=field
        )
    return text


def _store_files(
    case: RecoveryCase, purpose: str, files: Sequence[CheckedFile], actor: Any
) -> None:
    if len(files) > FILES_MAX:
        raise RecoveryRefused(_l("Attach at most %(count)d files.", count=FILES_MAX), field="files")
    for item in files:
        if item.detected.size != len(item.data) or item.detected.kind not in FILE_KINDS:
            raise RecoveryRefused(_l("Attach the files again."), field="files")
        db.session.add(
            RecoveryFile(
                case_id=case.id,
                purpose=purpose,
                original_name=safe_download_name(item.filename or purpose),
                storage_key=save_in_transaction(item.data),
                mime_type=item.detected.mime_type,
                size=item.detected.size,
                sha256=item.detected.sha256,
                uploaded_by_id=getattr(actor, "id", None),
            )
        )


def _firm_users(enterprise_id: int) -> list[int]:
    with db.session.no_autoflush:
        return list(
            db.session.scalars(
                select(User.id).where(
                    User.enterprise_id == enterprise_id, User.disabled_at.is_(None)
                )
            )
        )


def tell_firm(case: RecoveryCase, kind: str, **extra: Any) -> None:
    application = application_of(case)
    program = application.program
    params = {
        "reference": application.reference,
        "program_zh": program.name_zh,
        "program_en": program.name_en,
        "grounds": case.grounds.value,
        **extra,
    }
    link = path_for("firm_recovery.show", case_id=case.id)
    notify(_firm_users(case.enterprise_id), kind, params, link)


# --- commands ---------------------------------------------------------------------------------


@service
def open_case(
    application: Application,
    *,
    grounds: RecoveryGrounds,
    description: str,
    evidence: Sequence[CheckedFile],
    actor: Any,
) -> RecoveryCase:
    """Open a case on an award with the facts found and the evidence; tell the firm, with the
    last day to state its case."""
    application = lock_row(Application, application.id)
    if application.status is not Status.AWARDED:
        raise RecoveryRefused(_l("A recovery case can only be opened on a final award."))
    if unfinished_case(application.id) is not None:
        raise RecoveryRefused(_l("This award already has a recovery case under way."))
    description = _text(
        description, "description", _l("State the facts found: the firm and the notice read them.")
    )
    if not evidence:
        raise RecoveryRefused(_l("Attach the evidence (at least one file)."), field="files")
    terms = terms_of(application)
    today = bureau_today()
    holidays, extra = holidays_from_config()
    agreement = agreement_of(application.id)
    case = RecoveryCase(
        application_id=application.id,
        agreement_id=agreement.id if agreement is not None else None,
        program_id=application.program_id,
        enterprise_id=application.enterprise_id,
        grounds=grounds,
        description=description,
        status=S.STATEMENT_DUE,
        opened_at=utcnow(),
        opened_by_id=actor.id,
        statement_due_on=rules.statement_due_on(today, terms.statement_days, holidays, extra),
        repaid_amount=rules.ZERO,
    )
    db.session.add(case)
    db.session.flush()
    _store_files(case, EVIDENCE, evidence, actor)
    audit.record(
        Action.RECOVERY_OPENED,
        case,
        actor=actor,
        application_id=application.id,
        case_id=case.id,
        grounds=grounds.value,
        statement_due_on=case.statement_due_on.isoformat(),
        evidence=len(evidence),
        reason=description,
    )
    tell_firm(case, "recovery_opened", due=case.statement_due_on.isoformat())
    db.session.flush()
    return case


@service
def submit_statement(
    case: RecoveryCase, *, text: str, files: Sequence[CheckedFile], actor: Any
) -> RecoveryCase:
    """The firm states its case (陈述申辩) with files, by the deadline, once."""
    case = lock_row(RecoveryCase, case.id)
    if getattr(actor, "enterprise_id", None) != case.enterprise_id:
        raise RecoveryRefused(_l("Only the enterprise concerned can state its case."))
    if case.status is S.STATEMENT_RECEIVED:
        raise RecoveryRefused(_l("You have already stated your case."))
    if not rules.statement_open(case.statement_due_on, bureau_today()):
        raise RecoveryRefused(
            _l(
                "The time to state your case ended on %(day)s: the bureau decides on what it has.",
                day=case.statement_due_on.isoformat(),
            ),
            field="statement",
        )
    statement = _text(text, "statement", _l("Write your statement: what you say to the facts."))
    _move(case, "submit_statement")
    case.statement = statement
    case.statement_at = utcnow()
    case.statement_by_id = actor.id
    _store_files(case, STATEMENT, files, actor)
    audit.record(
        Action.RECOVERY_STATEMENT_SUBMITTED,
        case,
        actor=actor,
        application_id=case.application_id,
        case_id=case.id,
        files=len(files),
    )
    db.session.flush()
    return case


def decision_refusal(case: RecoveryCase, approver: Any, today: date) -> Any | None:
    """Why this approver may not decide this case now (None: they may)."""
    if getattr(approver, "role", None) is not Role.APPROVER:
        return _l("Only an approver can decide a recovery case.")
    if approver.id == case.opened_by_id:
        return _l("You opened this case: another approver must decide it.")
    if case.status is S.STATEMENT_DUE and rules.statement_open(case.statement_due_on, today):
        return _l(
            "The enterprise may state its case until %(day)s: decide once it has, or after "
            "that day.",
            day=case.statement_due_on.isoformat(),
        )
    if case.status not in TRANSITIONS["decide_recover"][0]:
        return _l("This case is already decided.")
    return None


def check_decision(
    case: RecoveryCase,
    *,
    decision: RecoveryDecision,
    amount: Decimal | None,
    reason: str,
    approver: Any,
) -> str:
    """Refuse (``RecoveryRefused``, beside its field) a decision that may not be taken; return
    the reasons as they are kept. The confirmation page asks it before the approver confirms."""
    refusal = decision_refusal(case, approver, bureau_today())
    if refusal is not None:
        raise RecoveryRefused(refusal)
    reason = _text(reason, "reason", _l("Give the reasons for the decision."))
    if decision is RecoveryDecision.RECOVER:
        limit = recoverable_of(case)
        problem = rules.decision_problem(amount or rules.ZERO, limit.paid, limit.claimed)
        if problem is rules.AmountProblem.NOT_POSITIVE:
            raise RecoveryRefused(_l("Enter an amount more than 0."), field="amount")
        if problem is not None:
            raise RecoveryRefused(
                _l(
                    "At most %(most)s yuan can be recovered: %(paid)s yuan paid, %(claimed)s "
                    "yuan claimed by earlier decisions.",
                    most=format_money(limit.most),
                    paid=format_money(limit.paid),
                    claimed=format_money(limit.claimed),
                ),
                field="amount",
            )
    return reason


@service
def decide(
    case: RecoveryCase,
    *,
    decision: RecoveryDecision,
    amount: Decimal | None,
    reason: str,
    approver: Any,
    seen_version: int | None = None,
) -> RecoveryCase:
    """The approver's decision. To recover: the amount (at most what was paid less what earlier
    decisions claim) and the ban in the credit record; or no recovery."""
    case = lock_row(RecoveryCase, case.id)
    lock_row(Application, case.application_id)  # one decision on an award at a time
    check_not_stale(case, seen_version)
    today = bureau_today()
    reason = check_decision(
        case, decision=decision, amount=amount, reason=reason, approver=approver
    )
    ban = None
    if decision is RecoveryDecision.RECOVER:
        _move(case, "decide_recover")
        case.decided_amount = amount
    else:
        _move(case, "decide_no_recovery")
    case.decision = decision
    case.decision_reason = reason
    case.decided_at = utcnow()
    case.decided_by_id = approver.id
    application = application_of(case)
    if decision is RecoveryDecision.RECOVER:
        ban = credit_record.record_ban(
            case, years=terms_of(application).ban_years, today=today, actor=approver
        )
    opener = db.session.get(User, case.opened_by_id)
    audit.record(
        Action.RECOVERY_DECIDED,
        case,
        actor=approver,
        application_id=case.application_id,
        case_id=case.id,
        decision=decision.value,
        amount=str(case.decided_amount) if case.decided_amount is not None else None,
        ban_until=ban.ban_until.isoformat() if ban is not None else None,
        opened_by_name=opener.display_name if opener else "",
        decided_by_name=approver.display_name,
        reason=reason,
    )
    tell_firm(
        case,
        "recovery_decided",
        decision=decision.value,
        amount=str(case.decided_amount or ""),
        ban_until=ban.ban_until.isoformat() if ban is not None else "",
    )
    db.session.flush()
    return case


@service
def record_repayment(
    case: RecoveryCase, *, amount: Decimal, paid_on: date, reference: str, actor: Any
) -> Repayment:
    """A repayment as finance confirmed it; the case is settled when the repayments reach the
    decided amount (never beyond it)."""
    case = lock_row(RecoveryCase, case.id)
    if case.status is not S.NOTICE_ISSUED:
        _move(case, "record_repayment")  # refuses, saying where the case is
    decided = case.decided_amount or rules.ZERO
    problem = rules.repayment_problem(amount, decided, case.repaid_amount)
    if problem is rules.AmountProblem.NOT_POSITIVE:
        raise RecoveryRefused(_l("Enter an amount more than 0."), field="amount")
    if problem is not None:
        raise RecoveryRefused(
            _l(
                "Only %(outstanding)s yuan is still to repay (%(decided)s yuan decided, "
                "%(repaid)s yuan repaid).",
                outstanding=format_money(decided - case.repaid_amount),
                decided=format_money(decided),
                repaid=format_money(case.repaid_amount),
            ),
            field="amount",
        )
    if paid_on > bureau_today():
        raise RecoveryRefused(_l("The day of payment cannot be in the future."), field="paid_on")
    reference = (reference or "").strip()
    if not reference or len(reference) > REFERENCE_MAX:
        raise RecoveryRefused(
            _l(
                "Enter the bank's reference of the payment (up to %(count)d characters).",
                count=REFERENCE_MAX,
            ),
            field="reference",
        )
    if db.session.scalar(
        select(Repayment.id).where(Repayment.case_id == case.id, Repayment.reference == reference)
    ):
        raise RecoveryRefused(
            _l("A repayment with this reference is already recorded."), field="reference"
        )
    _move(case, "record_repayment")
    repayment = Repayment(
        case_id=case.id,
        amount=amount,
        paid_on=paid_on,
        reference=reference,
        recorded_at=utcnow(),
        recorded_by_id=getattr(actor, "id", None),
    )
    db.session.add(repayment)
    case.repaid_amount = case.repaid_amount + amount
    db.session.flush()
    balance = rules.Balance(decided, case.repaid_amount)
    audit.record(
        Action.RECOVERY_REPAYMENT_RECORDED,
        repayment,
        actor=actor,
        application_id=case.application_id,
        case_id=case.id,
        amount=str(amount),
        paid_on=paid_on.isoformat(),
        reference=reference,
        repaid=str(balance.repaid),
        outstanding=str(balance.outstanding),
    )
    if balance.settled:
        _move(case, "settle")
        case.settled_at = utcnow()
        audit.record(
            Action.RECOVERY_SETTLED,
            case,
            actor=actor,
            application_id=case.application_id,
            case_id=case.id,
            amount=str(decided),
        )
        tell_firm(case, "recovery_settled", amount=str(decided))
    db.session.flush()
    return repayment
