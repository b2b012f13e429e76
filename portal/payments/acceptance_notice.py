"""The acceptance notice (验收结论通知, 阜科验〔年〕N号) of a concluded round: the firm, its USCC,
the programme and project, what the panel concluded, the outcome (for 限期整改 the deadline),
the number, the date and the verification code with its QR, in the Chinese official text and
its English translation; numbered, rendered and stored by ``documents.issue_document`` and
verifiable at ``/verify`` like a letter.

Issuing tells the firm of the outcome (an in-app notification and a mail).
"""

from __future__ import annotations

from typing import Any

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from portal.accounts.models import Enterprise, User
from portal.applications.models import Application
from portal.core import audit
from portal.core.audit import Action
from portal.core.concurrency import lock_row, service
from portal.core.extensions import db
from portal.core.paths import PROJECT_ROOT
from portal.core.urls import path_for
from portal.letters.artwork import qr_data_uri, seal_data_uri
from portal.letters.content import bureau_names, letter_date, verify_url
from portal.letters.numbering import display_code
from portal.notifications.services import notify
from portal.payments import acceptance_rules as rules
from portal.payments.acceptance import AcceptanceRefused, panel_of
from portal.payments.acceptance_models import (
    AcceptanceOutcome,
    AcceptanceReview,
    AcceptanceStatus,
)
from portal.payments.documents import DocumentSubject, issue_document
from portal.payments.models import DocumentKind, PostAwardDocument
from portal.programs.models import Program

NOTICE_CSS_PATH = PROJECT_ROOT / "static" / "css" / "acceptance_notice.css"

OUTCOME_WORDS = {
    AcceptanceOutcome.PASSED: {"zh": "通过", "en": "Passed"},
    AcceptanceOutcome.FIX: {"zh": "限期整改", "en": "Fix by a deadline"},
    AcceptanceOutcome.FAILED: {"zh": "不通过", "en": "Not passed"},
}


def titles(project: str) -> tuple[str, str]:
    """The notice's Chinese and English titles."""
    zh = f"关于“{project}”项目验收结论的通知" if project else "关于项目验收结论的通知"
    en = (
        f"Notice of the acceptance of the project “{project}”"
        if project
        else ("Notice of the acceptance of the project")
    )
    return zh, en


def notice_values(
    review: AcceptanceReview, document: PostAwardDocument, lang: str
) -> dict[str, Any]:
    """The template's values for one notice in one language (plain strings only)."""
    zh = lang != "en"
    bureau = bureau_names()
    application = db.session.get(Application, review.application_id)
    program = db.session.get(Program, review.program_id)
    panel = panel_of(review.id)
    given = [a for a in panel if a.submitted_at is not None]
    counts = {outcome: 0 for outcome in AcceptanceOutcome}
    for assignment in given:
        if assignment.conclusion is not None:
            counts[assignment.conclusion] += 1
    mean = rules.mean_score(a.score for a in given)
    url = verify_url(document.verification_code)
    footer = current_app.config["SEAL_FOOTER"]
    language = "zh" if zh else "en"
    outcome = review.outcome or AcceptanceOutcome.FAILED
    return {
        "lang": language,
        "bureau": bureau["zh"] if zh else bureau["en"],
        "issuer_mark": f"{bureau['zh']}文件" if zh else bureau["en"],
        "number": document.number,
        "title": document.title_zh if zh else document.title_en,
        "firm": document.enterprise_name,
        "uscc": document.uscc,
        "program": program.name_zh if zh else program.name_en,
        "project": application.project_title or "—",
        "reference": application.reference,
        "round": review.round,
        "panel_size": len(panel),
        "concluded_count": len(given),
        "passed_count": counts[AcceptanceOutcome.PASSED],
        "fix_count": counts[AcceptanceOutcome.FIX],
        "failed_count": counts[AcceptanceOutcome.FAILED],
        "mean_score": str(mean) if mean is not None else "",
        "conclusion": review.conclusion,
        "outcome": outcome.value,
        "outcome_words": OUTCOME_WORDS[outcome][language],
        "fix_deadline": letter_date(review.fix_deadline, language) if review.fix_deadline else "",
        "issue_date": letter_date(document.issue_date, language),
        "code": display_code(document.verification_code),
        "verify_url": url,
        "qr": qr_data_uri(url),
        "seal": seal_data_uri(bureau["zh"], footer),
        "seal_footer": bool(footer.strip()),
        "css": NOTICE_CSS_PATH.read_text("utf-8"),
    }


def notice_html(review: AcceptanceReview, document: PostAwardDocument, lang: str) -> str:
    template = current_app.jinja_env.get_template("acceptance/notice.html")
    return template.render(notice_values(review, document, lang))


@service
def issue_notice(review: AcceptanceReview, *, actor: Any) -> PostAwardDocument:
    """Issue the notice of a concluded round (once) and tell the firm of the outcome."""
    review = lock_row(AcceptanceReview, review.id)
    if review.status is not AcceptanceStatus.CONCLUDED or review.outcome is None:
        raise AcceptanceRefused(_l("Conclude the round before issuing its notice."))
    if review.document_id is not None:
        raise AcceptanceRefused(_l("This round's notice is already issued."))
    application = db.session.get(Application, review.application_id)
    enterprise = db.session.get(Enterprise, review.enterprise_id)
    title_zh, title_en = titles(application.project_title)
    document = issue_document(
        DocumentKind.ACCEPTANCE_NOTICE,
        DocumentSubject(
            application_id=review.application_id,
            program_id=review.program_id,
            enterprise_id=enterprise.id,
            enterprise_name=enterprise.name,
            uscc=enterprise.uscc,
        ),
        title_zh=title_zh,
        title_en=title_en,
        html_of=lambda document, lang: notice_html(review, document, lang),
        issued_by_id=getattr(actor, "id", None),
    )
    review.document_id = document.id
    db.session.flush()
    audit.record(
        Action.POST_AWARD_DOCUMENT_ISSUED,
        document,
        actor=actor,
        application_id=review.application_id,
        document_id=document.id,
        kind=document.kind.value,
        number=document.number,
        review_id=review.id,
    )
    program = application.program
    notify(
        _firm_users(enterprise.id),
        "acceptance_concluded",
        {
            "reference": application.reference,
            "program_zh": program.name_zh,
            "program_en": program.name_en,
            "outcome": review.outcome.value,
            "number": document.number,
            "fix_deadline": review.fix_deadline.isoformat() if review.fix_deadline else "",
        },
        path_for("applications.show", application_id=application.id),
    )
    return document


def _firm_users(enterprise_id: int) -> list[int]:
    return list(
        db.session.scalars(
            select(User.id).where(User.enterprise_id == enterprise_id, User.disabled_at.is_(None))
        )
    )
