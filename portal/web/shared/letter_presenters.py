"""Plain values of letters for pages (templates never touch ORM objects)."""

from __future__ import annotations

from typing import Any

from flask import url_for

from portal.letters.issuing import kind_due, letters_of
from portal.letters.models import ExportStatus, Letter, LetterStatus
from portal.letters.numbering import display_code

_EXPORT_STATES = frozenset(state.value for state in ExportStatus)


def export_status_label(status: str) -> str:
    return str(ExportStatus(status).label) if status in _EXPORT_STATES else status


def letter_row(letter: Letter, locale: str) -> dict[str, Any]:
    return {
        "id": letter.id,
        "number": letter.number,
        "kind": letter.kind.value,
        "kind_label": str(letter.kind.label),
        "current": letter.status is LetterStatus.CURRENT,
        "status_label": str(letter.status.label),
        "version": letter.version,
        "enterprise": letter.enterprise_name,
        "uscc": letter.uscc,
        "program": letter.program_name_en if locale == "en" else letter.program_name_zh,
        "amount": letter.amount,
        "reason": letter.reason,
        "reissue_reason": letter.reissue_reason,
        "issue_date": letter.issue_date,
        "issued_at": letter.issued_at,
        "superseded_at": letter.superseded_at,
        "code": display_code(letter.verification_code),
        "application_id": letter.application_id,
        "pdf_url": url_for("letters.download", letter_id=letter.id, lang="zh"),
        "pdf_en_url": url_for("letters.download", letter_id=letter.id, lang="en"),
        "verify_url": url_for("verify.by_code", code=letter.verification_code),
        "size": letter.pdf_size,
    }


def application_letters(application, locale: str) -> dict[str, Any]:
    """The letters panel of one application (one query)."""
    rows = [letter_row(letter, locale) for letter in letters_of(application.id)]
    return {
        "letters": rows,
        "letter_due": kind_due(application) is not None,
        "has_current_letter": any(row["current"] for row in rows),
        "application_id": application.id,
    }
