"""The funding agreement of a final award: offered when the award becomes final (with its
tranches planned from the programme's plan), accepted by the firm with its declaration once it
has entered the bank account (the PDF 阜科协〔年〕N号 is issued then), and what the payments
part asks of it (``ready_for_payment``, ``current_bank_account``).

An agreement keeps the plan's terms as they stood when it was offered. One agreement per
application: offering again gives the one there is.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from portal.accounts.models import Enterprise
from portal.applications.models import Application, Status
from portal.core import audit
from portal.core.audit import Action
from portal.core.concurrency import check_not_stale, lock_row, service
from portal.core.domain import DomainError
from portal.core.extensions import db
from portal.core.timeutil import utcnow
from portal.core.urls import path_for
from portal.notifications.services import notify
from portal.payments import bank_accounts
from portal.payments.agreement_text import (
    acceptance_day,
    agreement_html,
    agreement_values,
    titles,
)
from portal.payments.documents import DocumentSubject, issue_document
from portal.payments.models import (
    Agreement,
    AgreementStatus,
    BankAccount,
    BankAccountStatus,
    DocumentKind,
    PostAwardDocument,
    Tranche,
    TrancheStatus,
)
from portal.payments.plan import PlanTerms, TrancheTerm, plan_for, split_amount
from portal.programs.models import Program

# What the firm declares when it accepts (kept on the agreement as it was shown).
DECLARATION_ZH = (
    "本单位已阅读并同意本协议的全部条款，承诺所填收款账户为本单位名下账户，资金专款专用，"
    "按期报送报告、接受验收和监督检查；如违反约定，同意甲方追回资金并记入信用记录。"
)
DECLARATION_EN = (
    "We have read and agree to every term of this agreement. The bank account we entered is in "
    "our enterprise's own name; we will use the funds for their purpose, report on time and "
    "accept the bureau's acceptance and inspections. If we break these terms, we agree that the "
    "bureau recovers the funds and records the breach in the credit record."
)
FINAL_AWARD = Status.AWARDED


# --- queries ----------------------------------------------------------------------------------


def agreement_of_application(application_id: int) -> Agreement | None:
    return db.session.scalar(select(Agreement).where(Agreement.application_id == application_id))


def tranches_of(agreement_id: int) -> list[Tranche]:
    return list(
        db.session.scalars(
            select(Tranche).where(Tranche.agreement_id == agreement_id).order_by(Tranche.position)
        )
    )


def current_bank_account(agreement_id: int) -> BankAccount | None:
    """The confirmed account the agreement's award is paid into (None until an officer has
    confirmed one). A change waiting for confirmation does not count until it is confirmed."""
    return bank_accounts.confirmed_account(agreement_id)


def ready_for_payment(agreement: Agreement) -> bool:
    """Accepted by the firm, with a bank account an officer has confirmed."""
    if agreement.status is not AgreementStatus.ACCEPTED:
        return False
    account = current_bank_account(agreement.id)
    return account is not None and account.status is BankAccountStatus.CONFIRMED


def document_of(agreement: Agreement) -> PostAwardDocument | None:
    if agreement.document_id is None:
        return None
    return db.session.get(PostAwardDocument, agreement.document_id)


def awaiting_firm(enterprise_id: int) -> list[Agreement]:
    """The firm's agreements waiting for its acceptance, oldest first (a handful at most)."""
    return list(
        db.session.scalars(
            select(Agreement)
            .where(
                Agreement.enterprise_id == enterprise_id,
                Agreement.status == AgreementStatus.OFFERED,
            )
            .order_by(Agreement.id)
            .limit(50)
        )
    )


def final_awards_without_agreement(limit: int = 500) -> list[Application]:
    return list(
        db.session.scalars(
            select(Application)
            .outerjoin(Agreement, Agreement.application_id == Application.id)
            .where(
                Application.status == FINAL_AWARD,
                Application.decided_amount > 0,
                Agreement.id.is_(None),
            )
            .order_by(Application.id)
            .limit(limit)
        )
    )


# --- offering ---------------------------------------------------------------------------------


def _tranche_parts(terms: PlanTerms, amount: Decimal) -> list[tuple[TrancheTerm, Decimal]]:
    """The plan's tranches with their amounts; a share too small to be a cent is left out (the
    amounts still add up to the award: the last part takes the rounding)."""
    if not terms.tranches:
        return []
    amounts = split_amount(amount, [t.share_percent for t in terms.tranches])
    return [(term, part) for term, part in zip(terms.tranches, amounts, strict=True) if part > 0]


def offer_agreement(application: Application, *, actor: Any = None) -> Agreement | None:
    """Offer the agreement of a final award with its tranches; the agreement there is when it
    was offered before; None when the application has no final award."""
    if application.status is not FINAL_AWARD or not application.decided_amount:
        return None
    if application.decided_amount <= 0:
        return None
    existing = agreement_of_application(application.id)
    if existing is not None:
        return existing
    program = db.session.get(Program, application.program_id)
    terms = plan_for(program)
    amount = application.decided_amount
    agreement = Agreement(
        application_id=application.id,
        program_id=application.program_id,
        enterprise_id=application.enterprise_id,
        status=AgreementStatus.OFFERED,
        amount=amount,
        terms=terms.as_json(),
        offered_at=utcnow(),
    )
    db.session.add(agreement)
    db.session.flush()
    for position, (term, part) in enumerate(_tranche_parts(terms, amount), start=1):
        db.session.add(
            Tranche(
                agreement_id=agreement.id,
                application_id=application.id,
                program_id=application.program_id,
                enterprise_id=application.enterprise_id,
                position=position,
                share_percent=term.share_percent,
                amount=part,
                condition=term.condition,
                status=TrancheStatus.PLANNED,
            )
        )
    db.session.flush()
    audit.record(
        Action.AGREEMENT_OFFERED,
        agreement,
        actor=actor,
        application_id=application.id,
        amount=str(amount),
        tranches=len(terms.tranches),
    )
    notify(
        bank_accounts.firm_users(application.enterprise_id),
        "agreement_offered",
        {
            "reference": application.reference,
            "program_zh": program.name_zh,
            "program_en": program.name_en,
            "amount": str(amount),
        },
        path_for("firm_agreements.show", agreement_id=agreement.id),
    )
    return agreement


def offer_after_final_decision(application: Application, actor: Any) -> None:
    """``lifecycle.on_final_decision`` listener: a final award gets its agreement."""
    if application.status is FINAL_AWARD:
        offer_agreement(application, actor=actor)


def offer_missing(limit: int = 500) -> list[Agreement]:
    """Offer the agreements of final awards that have none (awards made before this part)."""
    made = []
    for application in final_awards_without_agreement(limit):
        agreement = offer_agreement(application)
        if agreement is not None:
            made.append(agreement)
    return made


# --- accepting --------------------------------------------------------------------------------


def declaration_text(lang: str) -> str:
    return DECLARATION_EN if lang == "en" else DECLARATION_ZH


@service
def accept_agreement(
    agreement: Agreement,
    *,
    actor: Any,
    lang: str = "zh",
    seen_version: int | None = None,
) -> PostAwardDocument:
    """The firm accepts with its declaration: the agreement's PDF is issued (numbered, rendered
    in Chinese and English, hashed) in this transaction. Needs a bank account entered."""
    agreement = lock_row(Agreement, agreement.id)
    if agreement.status is AgreementStatus.ACCEPTED:
        raise DomainError(_l("This agreement has already been accepted."))
    check_not_stale(
        agreement,
        seen_version,
        message=_l("The agreement changed since you opened it. Read it again and accept."),
    )
    account = bank_accounts.latest_account(agreement.id)
    if account is None or account.status is BankAccountStatus.REJECTED:
        raise DomainError(
            _l("Enter the bank account the award is paid into before you accept the agreement."),
            field="declaration",
        )
    enterprise = db.session.get(Enterprise, agreement.enterprise_id)
    agreement.status = AgreementStatus.ACCEPTED
    agreement.accepted_at = utcnow()
    agreement.accepted_by_id = getattr(actor, "id", None)
    agreement.declaration = declaration_text(lang)
    program = db.session.get(Program, agreement.program_id)
    title = titles(program)
    accepted_by = getattr(actor, "display_name", "") or ""

    def html_of(document: PostAwardDocument, language: str) -> str:
        return agreement_html(
            agreement_values(
                agreement,
                language,
                account=account,
                document=document,
                accepted_on=acceptance_day(agreement),
                accepted_by=accepted_by,
                for_pdf=True,
            )
        )

    document = issue_document(
        DocumentKind.AGREEMENT,
        DocumentSubject(
            application_id=agreement.application_id,
            program_id=agreement.program_id,
            enterprise_id=agreement.enterprise_id,
            enterprise_name=enterprise.name,
            uscc=enterprise.uscc,
        ),
        title_zh=title["zh"],
        title_en=title["en"],
        html_of=html_of,
        amount=agreement.amount,
        issued_by_id=getattr(actor, "id", None),
    )
    agreement.document_id = document.id
    db.session.flush()
    audit.record(
        Action.POST_AWARD_DOCUMENT_ISSUED,
        document,
        actor=actor,
        application_id=agreement.application_id,
        kind=document.kind.value,
        number=document.number,
    )
    audit.record(
        Action.AGREEMENT_ACCEPTED,
        agreement,
        actor=actor,
        application_id=agreement.application_id,
        number=document.number,
        amount=str(agreement.amount),
    )
    return document
