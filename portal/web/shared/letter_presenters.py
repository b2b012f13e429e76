"""Plain values of letters for pages (templates never touch ORM objects)."""

from __future__ import annotations

from typing import Any

from flask import url_for
from flask_babel import lazy_gettext as _l

from portal.letters.models import Letter, LetterKind, LetterStatus
from portal.letters.numbering import display_code

KIND_LABELS = {
    LetterKind.APPROVAL: _l("Approval notice"),
    LetterKind.REJECTION: _l("Rejection notice"),
}
STATUS_LABELS = {
    LetterStatus.CURRENT: _l("Current"),
    LetterStatus.SUPERSEDED: _l("Superseded"),
}


EXPORT_STATUS_LABELS = {
    "queued": _l("Waiting to start"),
    "running": _l("In progress"),
    "done": _l("Ready"),
    "failed": _l("Failed"),
}


def export_status_label(status: str) -> str:
    return str(EXPORT_STATUS_LABELS.get(status, status))


def letter_row(letter: Letter, locale: str) -> dict[str, Any]:
    return {
        "id": letter.id,
        "number": letter.number,
        "kind": letter.kind.value,
        "kind_label": str(KIND_LABELS[letter.kind]),
        "current": letter.status is LetterStatus.CURRENT,
        "status_label": str(STATUS_LABELS[letter.status]),
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
    from portal.letters.issuing import kind_due, letters_of

    rows = [letter_row(letter, locale) for letter in letters_of(application.id)]
    return {
        "letters": rows,
        "letter_due": kind_due(application) is not None,
        "has_current_letter": any(row["current"] for row in rows),
        "application_id": application.id,
    }
