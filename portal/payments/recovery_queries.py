"""Reading recovery cases: the award's recovery settings and what may still be recovered on
it, the staff's list (keyset pages, one statement), a firm's own cases, and everything one
case's page shows (a fixed number of statements)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import aliased

from portal.accounts.models import Enterprise, User
from portal.applications.models import Application
from portal.core.extensions import db
from portal.core.money import sum_from_db
from portal.core.timeutil import bureau_today
from portal.payments import recovery_rules as rules
from portal.payments.models import Agreement, PostAwardDocument
from portal.payments.plan import PlanTerms, plan_for
from portal.payments.recovery_models import (
    CreditRecord,
    RecoveryCase,
    RecoveryDecision,
    RecoveryFile,
    RecoveryStatus,
    Repayment,
)
from portal.payments.tranches import paid_total
from portal.programs.models import Program

S = RecoveryStatus
UNFINISHED = frozenset({S.STATEMENT_DUE, S.STATEMENT_RECEIVED, S.DECIDED, S.NOTICE_ISSUED})


def _row_of(model: Any, ident: int) -> Any:
    found = db.session.get(model, ident)
    if found is None:
        raise LookupError(f"no {model.__name__} {ident}")
    return found


def application_of(case: RecoveryCase) -> Application:
    return _row_of(Application, case.application_id)


def enterprise_of(case: RecoveryCase) -> Enterprise:
    return _row_of(Enterprise, case.enterprise_id)


def program_of(case: RecoveryCase) -> Program:
    return _row_of(Program, case.program_id)


def agreement_of(application_id: int) -> Agreement | None:
    return db.session.scalar(select(Agreement).where(Agreement.application_id == application_id))


def terms_of(application: Application) -> PlanTerms:
    """The recovery settings of the award: its agreement's terms, else the programme's plan."""
    agreement = agreement_of(application.id)
    if agreement is not None and agreement.terms:
        return PlanTerms.from_json(agreement.terms)
    return plan_for(application.program)


def claimed_by_decisions(application_id: int, *, besides: int | None = None) -> Decimal:
    """What decisions to recover on the award already claim (besides case ``besides``)."""
    query = select(func.sum(RecoveryCase.decided_amount)).where(
        RecoveryCase.application_id == application_id,
        RecoveryCase.decision == RecoveryDecision.RECOVER,
    )
    if besides is not None:
        query = query.where(RecoveryCase.id != besides)
    return sum_from_db(db.session.scalar(query))


def unfinished_case(application_id: int) -> RecoveryCase | None:
    return db.session.scalar(
        select(RecoveryCase).where(
            RecoveryCase.application_id == application_id, RecoveryCase.status.in_(UNFINISHED)
        )
    )


@dataclass(frozen=True)
class Recoverable:
    paid: Decimal
    claimed: Decimal

    @property
    def most(self) -> Decimal:
        return rules.recoverable(self.paid, self.claimed)


def recoverable_of(case: RecoveryCase) -> Recoverable:
    """What was paid on the case's award and what other decisions on it claim."""
    return Recoverable(
        paid_total(case.application_id), claimed_by_decisions(case.application_id, besides=case.id)
    )


def ban_preview(case: RecoveryCase) -> tuple[int, date, date]:
    """The ban a decision to recover today would write: its years, first and last day."""
    years = terms_of(application_of(case)).ban_years
    today = bureau_today()
    return years, today, rules.ban_until(today, years)


PAGE_SIZE = 25


@dataclass(frozen=True)
class CasePage:
    rows: list[dict[str, Any]]
    next_after: int | None  # the id to continue after (older cases), None on the last page


def _row(
    case: RecoveryCase, firm: str, reference: str, program: Program, locale: str
) -> dict[str, Any]:
    return {
        "case": case,
        "firm": firm,
        "reference": reference,
        "program": program.name(locale),
    }


def cases_page(
    locale: str,
    *,
    after: int | None = None,
    status: RecoveryStatus | None = None,
    enterprise_id: int | None = None,
    limit: int = PAGE_SIZE,
) -> CasePage:
    """Cases newest first, ``limit`` at a time after case ``after`` (one statement)."""
    query = (
        select(RecoveryCase, Enterprise.name, Application.reference, Program)
        .join(Enterprise, Enterprise.id == RecoveryCase.enterprise_id)
        .join(Application, Application.id == RecoveryCase.application_id)
        .join(Program, Program.id == RecoveryCase.program_id)
        .order_by(RecoveryCase.id.desc())
        .limit(limit + 1)
    )
    if after is not None:
        query = query.where(RecoveryCase.id < after)
    if status is not None:
        query = query.where(RecoveryCase.status == status)
    if enterprise_id is not None:
        query = query.where(RecoveryCase.enterprise_id == enterprise_id)
    found = db.session.execute(query).all()
    rows = [_row(case, firm, ref, program, locale) for case, firm, ref, program in found[:limit]]
    more = len(found) > limit
    return CasePage(rows, rows[-1]["case"].id if more and rows else None)


def cases_of_application(application_id: int) -> list[RecoveryCase]:
    return list(
        db.session.scalars(
            select(RecoveryCase)
            .where(RecoveryCase.application_id == application_id)
            .order_by(RecoveryCase.id)
        )
    )


def case_of_enterprise(case_id: int, enterprise_id: int | None) -> RecoveryCase | None:
    """The case if it is the enterprise's own; None otherwise (so that the page is a 404)."""
    case = db.session.get(RecoveryCase, case_id)
    if case is None or enterprise_id is None or case.enterprise_id != enterprise_id:
        return None
    return case


def file_of_case(case_id: int, file_id: int) -> RecoveryFile | None:
    found = db.session.get(RecoveryFile, file_id)
    return found if found is not None and found.case_id == case_id else None


def case_details(case: RecoveryCase, locale: str) -> dict[str, Any]:
    """The case with its award, firm, people, files, repayments, notice and credit record."""
    opener, statement_by, decider = aliased(User), aliased(User), aliased(User)
    head = db.session.execute(
        select(
            Application,
            Enterprise,
            Program,
            opener.display_name,
            statement_by.display_name,
            decider.display_name,
        )
        .join(Enterprise, Enterprise.id == Application.enterprise_id)
        .join(Program, Program.id == Application.program_id)
        .join(opener, opener.id == case.opened_by_id)
        .outerjoin(statement_by, statement_by.id == case.statement_by_id)
        .outerjoin(decider, decider.id == case.decided_by_id)
        .where(Application.id == case.application_id)
    ).one()
    application, enterprise, program, opened_by, stated_by, decided_by = head
    files = list(
        db.session.scalars(
            select(RecoveryFile).where(RecoveryFile.case_id == case.id).order_by(RecoveryFile.id)
        )
    )
    repayments = list(
        db.session.scalars(
            select(Repayment).where(Repayment.case_id == case.id).order_by(Repayment.id)
        )
    )
    record = db.session.scalar(select(CreditRecord).where(CreditRecord.case_id == case.id))
    notice = db.session.get(PostAwardDocument, case.document_id) if case.document_id else None
    return {
        "case": case,
        "application": application,
        "enterprise": enterprise,
        "program": program.name(locale),
        "opened_by": opened_by,
        "statement_by": stated_by or "",
        "decided_by": decided_by or "",
        "evidence": [f for f in files if f.purpose == "evidence"],
        "statement_files": [f for f in files if f.purpose == "statement"],
        "repayments": repayments,
        "record": record,
        "notice": notice,
        "outstanding": (case.decided_amount or 0) - case.repaid_amount,
    }
