"""Issuing and finding the verifiable documents of the post-award stage (agreements,
acceptance notices, recovery notices).

A document is numbered in the GB/T 9704 style from its own sequence per kind and year
(``阜科协〔2026〕3号`` for agreements, ``阜科验`` for acceptance notices, ``阜科追`` for recovery
notices), rendered in the issuing request as the Chinese official text and its English
translation through the letters' PDF rendering, stored with both SHA-256 digests, and found by
``/verify`` by its code or byte for byte, exactly as a decision letter is.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy import or_, select

from portal.core.extensions import db
from portal.core.files import save_in_transaction
from portal.core.timeutil import bureau_today, utcnow
from portal.letters.content import LANGUAGES
from portal.letters.numbering import (
    allocate_sequences,
    display_code,
    format_notice_number,
    new_verification_code,
    normalise_code,
)
from portal.letters.pdf import render_many
from portal.payments.models import DocumentKind, PostAwardDocument

# The issuer codes of the bureau's post-award documents (协 agreement, 验 acceptance, 追 recovery).
ISSUER_CODES = {
    DocumentKind.AGREEMENT: "阜科协",
    DocumentKind.ACCEPTANCE_NOTICE: "阜科验",
    DocumentKind.RECOVERY_NOTICE: "阜科追",
}


@dataclass(frozen=True)
class DocumentSubject:
    """Who and what a document is about, copied onto it so later renames never change it."""

    application_id: int
    program_id: int
    enterprise_id: int
    enterprise_name: str
    uscc: str


def issue_document(
    kind: DocumentKind,
    subject: DocumentSubject,
    *,
    title_zh: str,
    title_en: str,
    html_of: Callable[[PostAwardDocument, str], str],
    amount: Decimal | None = None,
    issued_by_id: int | None = None,
    supersedes: PostAwardDocument | None = None,
    issue_date: date | None = None,
) -> PostAwardDocument:
    """Number, render and store a document in this transaction (files are removed again if the
    transaction rolls back). ``html_of(document, lang)`` gives the page for "zh" and "en"; the
    document's number, code and date are set before it is called."""
    day = issue_date or bureau_today()
    issuer = ISSUER_CODES[kind]
    (sequence,) = allocate_sequences(issuer, day.year, 1)
    document = PostAwardDocument(
        kind=kind,
        application_id=subject.application_id,
        program_id=subject.program_id,
        enterprise_id=subject.enterprise_id,
        enterprise_name=subject.enterprise_name,
        uscc=subject.uscc,
        number=format_notice_number(issuer, day.year, sequence),
        verification_code=new_verification_code(),
        title_zh=title_zh,
        title_en=title_en,
        amount=amount,
        issue_date=day,
        issued_at=utcnow(),
        issued_by_id=issued_by_id,
        supersedes_id=supersedes.id if supersedes is not None else None,
    )
    zh_pdf, en_pdf = render_many([html_of(document, lang) for lang in LANGUAGES])
    document.pdf_key = save_in_transaction(zh_pdf)
    document.pdf_sha256 = hashlib.sha256(zh_pdf).hexdigest()
    document.pdf_size = len(zh_pdf)
    document.pdf_en_key = save_in_transaction(en_pdf)
    document.pdf_en_sha256 = hashlib.sha256(en_pdf).hexdigest()
    document.pdf_en_size = len(en_pdf)
    if supersedes is not None:
        supersedes.superseded_at = document.issued_at
    db.session.add(document)
    db.session.flush()
    return document


def document_by_code(typed: str) -> PostAwardDocument | None:
    code = normalise_code(typed)
    if code is None:
        return None
    return db.session.scalar(
        select(PostAwardDocument).where(PostAwardDocument.verification_code == code)
    )


def document_by_file(data: bytes) -> tuple[PostAwardDocument, str] | None:
    """The document whose stored Chinese or English PDF is exactly ``data``, and which one."""
    digest = hashlib.sha256(data).hexdigest()
    document = db.session.scalar(
        select(PostAwardDocument).where(
            or_(PostAwardDocument.pdf_sha256 == digest, PostAwardDocument.pdf_en_sha256 == digest)
        )
    )
    if document is None:
        return None
    return document, ("zh" if document.pdf_sha256 == digest else "en")


def public_view(document: PostAwardDocument, locale: str) -> dict[str, Any]:
    """What the verification page shows of a document: what the document itself says."""
    return {
        "id": document.id,
        "kind": document.kind,
        "kind_label": document.kind.label,
        "code": display_code(document.verification_code),
        "number": document.number,
        "title": document.title_en if locale == "en" else document.title_zh,
        "enterprise_name": document.enterprise_name,
        "uscc": document.uscc,
        "amount": document.amount,
        "issue_date": document.issue_date,
        "current": document.superseded_at is None,
        "superseded_at": document.superseded_at,
    }


def documents_of_application(application_id: int) -> list[PostAwardDocument]:
    return list(
        db.session.scalars(
            select(PostAwardDocument)
            .where(PostAwardDocument.application_id == application_id)
            .order_by(PostAwardDocument.id)
        )
    )
