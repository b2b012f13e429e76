"""The recovery notice (追回通知书, 阜科追〔年〕N号) of a decision to recover: the firm, its USCC,
the programme, the award's letter number, the grounds and the facts found, the amount in figures
and in capitals, the last day to repay and the account to repay to, the ban, and the legal
remedies (administrative reconsideration within 60 days, a lawsuit within 6 months), in the
Chinese official text and its English translation; numbered, rendered and stored by
``documents.issue_document`` and verifiable at ``/verify`` like a letter.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from flask import current_app
from sqlalchemy import select

from portal.core import audit
from portal.core.audit import Action
from portal.core.concurrency import lock_row, service
from portal.core.extensions import db
from portal.core.paths import PROJECT_ROOT
from portal.core.timeutil import bureau_today
from portal.letters.artwork import qr_data_uri, seal_data_uri
from portal.letters.content import (
    amount_in_capitals,
    amount_in_figures,
    bureau_names,
    letter_date,
    verify_url,
)
from portal.letters.models import Letter, LetterKind, LetterStatus
from portal.letters.numbering import display_code
from portal.payments import credit_record
from portal.payments import recovery_rules as rules
from portal.payments.documents import DocumentSubject, issue_document
from portal.payments.models import DocumentKind, PostAwardDocument
from portal.payments.recovery import _move, tell_firm
from portal.payments.recovery_models import CreditRecord, RecoveryCase
from portal.payments.recovery_queries import application_of, enterprise_of, program_of, terms_of

NOTICE_CSS_PATH = PROJECT_ROOT / "static" / "css" / "recovery_notice.css"


def award_letter_number(application_id: int) -> str:
    """The number of the award's current approval letter ("" when none was issued)."""
    return (
        db.session.scalar(
            select(Letter.number).where(
                Letter.application_id == application_id,
                Letter.kind == LetterKind.APPROVAL,
                Letter.status == LetterStatus.CURRENT,
            )
        )
        or ""
    )


def titles(program_zh: str, program_en: str) -> tuple[str, str]:
    return (
        f"关于追回“{program_zh}”支持资金的通知",
        f"Notice of the recovery of support under “{program_en}”",
    )


def notice_values(
    case: RecoveryCase,
    document: PostAwardDocument,
    lang: str,
    *,
    record: CreditRecord | None,
) -> dict[str, Any]:
    """The template's values for one notice in one language (plain strings only)."""
    zh = lang != "en"
    language = "zh" if zh else "en"
    config = current_app.config
    bureau = bureau_names()
    application = application_of(case)
    program = program_of(case)
    grounds_zh, grounds_en = credit_record.GROUNDS_WORDS[case.grounds]
    amount = case.decided_amount or rules.ZERO
    url = verify_url(document.verification_code)
    footer = config["SEAL_FOOTER"]
    suffix = "ZH" if zh else "EN"
    return {
        "lang": language,
        "bureau": bureau[language],
        "issuer_mark": f"{bureau['zh']}文件" if zh else bureau["en"],
        "number": document.number,
        "title": document.title_zh if zh else document.title_en,
        "firm": document.enterprise_name,
        "uscc": document.uscc,
        "program": program.name_zh if zh else program.name_en,
        "project": application.project_title or "—",
        "reference": application.reference,
        "letter_number": award_letter_number(application.id) or "—",
        "grounds": grounds_zh if zh else grounds_en,
        "facts": case.description,
        "reason": case.decision_reason,
        "amount": amount_in_figures(amount),
        "amount_capitals": amount_in_capitals(amount),
        "repayment_due_on": letter_date(case.repayment_due_on or document.issue_date, language),
        "account": config[f"RECOVERY_ACCOUNT_{suffix}"],
        "ban_from": letter_date(record.ban_from, language) if record else "",
        "ban_until": letter_date(record.ban_until, language) if record else "",
        "reconsideration_body": config[f"LETTER_RECONSIDERATION_BODY_{suffix}"],
        "reconsideration_days": config["LETTER_RECONSIDERATION_DAYS"],
        "court": config[f"LETTER_COURT_{suffix}"],
        "lawsuit_months": config["LETTER_LAWSUIT_MONTHS"],
        "issue_date": letter_date(document.issue_date, language),
        "code": display_code(document.verification_code),
        "verify_url": url,
        "qr": qr_data_uri(url),
        "seal": seal_data_uri(bureau["zh"], footer),
        "seal_footer": bool(footer.strip()),
        "css": NOTICE_CSS_PATH.read_text("utf-8"),
    }


def notice_html(
    case: RecoveryCase, document: PostAwardDocument, lang: str, record: CreditRecord | None
) -> str:
    template = current_app.jinja_env.get_template("recovery/notice.html")
    return template.render(notice_values(case, document, lang, record=record))


@service
def issue_notice(case: RecoveryCase, *, actor: Any, today: date | None = None) -> PostAwardDocument:
    """Issue the notice of a decision to recover (once); the ban in the credit record takes
    its number; the firm is told, with the last day to repay."""
    case = lock_row(RecoveryCase, case.id)
    _move(case, "issue_notice")
    day = today or bureau_today()
    case.repayment_due_on = rules.repayment_due_on(
        day, terms_of(application_of(case)).repayment_days
    )
    enterprise = enterprise_of(case)
    program = program_of(case)
    title_zh, title_en = titles(program.name_zh, program.name_en)
    record = credit_record.record_of_case(case.id)
    document = issue_document(
        DocumentKind.RECOVERY_NOTICE,
        DocumentSubject(
            application_id=case.application_id,
            program_id=case.program_id,
            enterprise_id=enterprise.id,
            enterprise_name=enterprise.name,
            uscc=enterprise.uscc,
        ),
        title_zh=title_zh,
        title_en=title_en,
        html_of=lambda document, lang: notice_html(case, document, lang, record),
        amount=case.decided_amount,
        issued_by_id=getattr(actor, "id", None),
        issue_date=day,
    )
    case.document_id = document.id
    credit_record.attach_notice(case.id, document.number)
    db.session.flush()
    audit.record(
        Action.POST_AWARD_DOCUMENT_ISSUED,
        document,
        actor=actor,
        application_id=case.application_id,
        document_id=document.id,
        kind=document.kind.value,
        number=document.number,
        case_id=case.id,
        amount=str(case.decided_amount),
        due_on=case.repayment_due_on.isoformat(),
    )
    tell_firm(
        case,
        "recovery_notice_issued",
        number=document.number,
        amount=str(case.decided_amount),
        due=case.repayment_due_on.isoformat(),
    )
    return document
