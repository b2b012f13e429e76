"""Public verification: by the code printed on a letter, or by the file itself (SHA-256)."""

from __future__ import annotations

import hashlib
from typing import Any

from sqlalchemy import or_, select

from portal.core.extensions import db
from portal.letters.models import Letter, LetterKind, LetterStatus
from portal.letters.numbering import display_code, normalise_code


def letter_by_code(typed: str) -> Letter | None:
    code = normalise_code(typed)
    if code is None:
        return None
    return db.session.scalar(select(Letter).where(Letter.verification_code == code))


def letter_by_file(data: bytes) -> tuple[Letter, str] | None:
    """The letter whose stored Chinese or English PDF is exactly ``data``, and which one."""
    digest = hashlib.sha256(data).hexdigest()
    letter = db.session.scalar(
        select(Letter).where(or_(Letter.pdf_sha256 == digest, Letter.pdf_en_sha256 == digest))
    )
    if letter is None:
        return None
    return letter, ("zh" if letter.pdf_sha256 == digest else "en")


def public_view(letter: Letter, locale: str) -> dict[str, Any]:
    """What a stranger may read about a letter: what the letter itself says, and its status."""
    successor = None
    if letter.status is LetterStatus.SUPERSEDED:
        successor = db.session.scalar(
            select(Letter.number).where(Letter.supersedes_id == letter.id)
        )
    return {
        "number": letter.number,
        "code": display_code(letter.verification_code),
        "enterprise": letter.enterprise_name,
        "uscc": letter.uscc,
        "program": letter.program_name_en if locale == "en" else letter.program_name_zh,
        "approved": letter.kind is LetterKind.APPROVAL,
        "amount": letter.amount,
        "issue_date": letter.issue_date,
        "current": letter.status is LetterStatus.CURRENT,
        "superseded_at": letter.superseded_at,
        "superseded_by": successor,
    }
