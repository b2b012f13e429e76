"""Issuing decision letters: numbers, rendering, storage, supersession, all in one transaction.

A decision is final, and its letter due, when a rejection is released (at the formal check,
at the release of a programme's decisions, or when an objection is upheld) and when an award
leaves publicity. ``issue_due_letters`` issues what is due; the background job calls it after
those changes commit, the programme's export calls it for anything still missing, and staff
can call it by hand from the application page.

Everything happens inside the caller's transaction: the sequence numbers are taken, the PDFs
rendered and stored, the rows written. If anything fails, the rollback returns the numbers
(no gap) and deletes the stored files (``save_in_transaction``).
"""

from __future__ import annotations

import hashlib
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from portal.applications.models import Application, Status
from portal.core import audit
from portal.core.audit import Action
from portal.core.concurrency import service
from portal.core.domain import DomainError
from portal.core.extensions import db
from portal.core.files import save_in_transaction
from portal.core.timeutil import bureau_today, utcnow
from portal.letters import content
from portal.letters.models import Letter, LetterKind, LetterStatus
from portal.letters.numbering import (
    allocate_sequences,
    format_notice_number,
    new_verification_code,
)
from portal.letters.pdf import render_many
from portal.review import decisions, sign_off
from portal.review.award_explanation import explain_award

REISSUE_REASON_MAX = 500
# Letters per transaction when issuing many: the write lock (the whole database on SQLite,
# the issuer's sequence row on PostgreSQL) is held while they render, about 0.5 s a letter.
ISSUE_CHUNK = 4


class LetterRefused(DomainError):
    pass


@dataclass
class _Draft:
    application: Application
    kind: LetterKind
    amount: Decimal | None
    reason: str
    supersedes: Letter | None = None
    reissue_reason: str = ""


def kind_due(application: Application) -> LetterKind | None:
    """The letter a final decision calls for, or None while the decision is not final."""
    if application.status is Status.AWARDED:
        return LetterKind.APPROVAL
    if application.status is Status.REJECTED and application.released_at is not None:
        return LetterKind.REJECTION
    return None


def current_letters(application_ids: Sequence[int]) -> dict[int, Letter]:
    if not application_ids:
        return {}
    rows = db.session.scalars(
        select(Letter).where(
            Letter.application_id.in_(list(application_ids)),
            Letter.status == LetterStatus.CURRENT,
        )
    )
    return {letter.application_id: letter for letter in rows}


def letters_of(application_id: int) -> list[Letter]:
    """Every letter of an application, newest first (current and superseded)."""
    return list(
        db.session.scalars(
            select(Letter).where(Letter.application_id == application_id).order_by(Letter.id.desc())
        )
    )


def due_application_ids(program_id: int) -> list[int]:
    """Final decisions of a programme that have no current letter yet (one query)."""
    has_letter = (
        select(Letter.id)
        .where(Letter.application_id == Application.id, Letter.status == LetterStatus.CURRENT)
        .exists()
    )
    return list(
        db.session.scalars(
            select(Application.id)
            .where(
                Application.program_id == program_id,
                (Application.status == Status.AWARDED)
                | ((Application.status == Status.REJECTED) & Application.released_at.is_not(None)),
                ~has_letter,
            )
            .order_by(Application.id)
        )
    )


def _load_locked(application_ids: Sequence[int]) -> list[Application]:
    """The applications, their rows locked until the transaction ends and read again.

    Two issuers of the same applications at once (two hosts' ``letters issue-due``, the job and
    the export) would otherwise both find no current letter and both insert one: the second
    dies on ``uq_letters_current_per_application``. With the lock the second waits for the
    first's commit; its next statement then sees the first's letters (READ COMMITTED) and it
    skips them. Locked in id order, so that two overlapping batches never wait crosswise;
    ``FOR NO KEY UPDATE`` so that rows merely pointing at an application (audit events,
    notifications) are not held up while the letters render. SQLite has no row locks and needs
    none: its writers already queue for the whole database (BEGIN IMMEDIATE).
    """
    return list(
        db.session.scalars(
            select(Application)
            .where(Application.id.in_(list(application_ids)))
            .options(selectinload(Application.program), selectinload(Application.enterprise))
            .order_by(Application.id)
            .with_for_update(key_share=True)
            .execution_options(populate_existing=True)
        )
    )


def issue_due_letters(
    application_ids: Sequence[int],
    *,
    actor: Any = None,
    workers: int = 1,
    today: date | None = None,
) -> list[Letter]:
    """Issue the letter of every given application whose decision is final and which has no
    current letter yet; others are skipped (so running it twice issues nothing twice, and two
    runs at once issue each letter once: see ``_load_locked``)."""
    applications = _load_locked(application_ids)
    existing = current_letters([a.id for a in applications])
    drafts = []
    for application in applications:
        kind = kind_due(application)
        if kind is None or application.id in existing:
            continue
        drafts.append(
            _Draft(
                application,
                kind,
                application.decided_amount if kind is LetterKind.APPROVAL else None,
                application.decision_reason if kind is LetterKind.REJECTION else "",
            )
        )
    return _issue(drafts, actor=actor, workers=workers, today=today)


@service
def reissue_letter(
    letter: Letter,
    *,
    reason: str,
    actor: Any,
    amount: Decimal | None = None,
    rejection_reason: str | None = None,
    today: date | None = None,
    four_eyes: dict[str, Any] | None = None,
) -> Letter:
    """A corrected letter with a new number; the old one is kept, marked superseded.

    For an approval the amount may be corrected, checked as a decision is (the programme's
    caps and its budget line, ``decisions.correct_award``); for a rejection its reason. The
    application's decision is corrected with it. People change an amount through a proposal
    an approver signs off (``propose_reissue``); then ``four_eyes`` names both in the event.
    """
    reason = _check_reissue(letter, reason)
    application = letter.application
    new_amount, new_reason = letter.amount, letter.reason
    details: dict[str, Any] = dict(four_eyes or {})
    if letter.kind is LetterKind.APPROVAL and amount is not None and amount != letter.amount:
        new_amount = decisions.correct_award(application, amount)
        details.update(amount_before=str(letter.amount), amount=str(new_amount))
    if letter.kind is LetterKind.REJECTION and rejection_reason is not None:
        corrected = rejection_reason.strip()
        if not corrected:
            raise LetterRefused(
                _l("Give the reason for the rejection: the enterprise reads it."),
                field="rejection_reason",
            )
        if corrected != letter.reason:
            details["reason_changed"] = True
            new_reason = application.decision_reason = corrected
    draft = _Draft(application, letter.kind, new_amount, new_reason, letter, reason)
    (issued,) = _issue([draft], actor=actor, today=today, details=details)
    return issued


def _check_reissue(letter: Letter, reason: str) -> str:
    """The reason for reissuing, trimmed; LetterRefused when it or the letter will not do."""
    reason = (reason or "").strip()
    if not reason:
        raise LetterRefused(
            _l("Say why the letter is reissued: it is printed on it."), field="reason"
        )
    if len(reason) > REISSUE_REASON_MAX:
        raise LetterRefused(
            _l("Keep the reason under %(count)d characters.", count=REISSUE_REASON_MAX),
            field="reason",
        )
    if letter.status is not LetterStatus.CURRENT:
        raise LetterRefused(_l("Only the current letter can be reissued."))
    if kind_due(letter.application) is not letter.kind:
        raise LetterRefused(_l("The decision of this application is no longer final."))
    return reason


def _issue(
    drafts: list[_Draft],
    *,
    actor: Any,
    workers: int = 1,
    today: date | None = None,
    details: dict[str, Any] | None = None,
) -> list[Letter]:
    if not drafts:
        return []
    today = today or bureau_today()
    now = utcnow()
    letters = _numbered(drafts, today, now, actor)
    pdfs = render_many([html for pair in letters for html in _htmls(*pair)], workers=workers)
    for index, (draft, letter) in enumerate(letters):
        _store(letter, pdfs[2 * index], pdfs[2 * index + 1])
        if draft.supersedes is not None:
            draft.supersedes.status = LetterStatus.SUPERSEDED
            draft.supersedes.superseded_at = now
    # The old letter stops being current before the new one is written (one current each).
    db.session.flush()
    db.session.add_all([letter for _draft, letter in letters])
    db.session.flush()
    for draft, letter in letters:
        _record(draft, letter, actor, details)
    db.session.flush()
    return [letter for _draft, letter in letters]


def _numbered(
    drafts: list[_Draft], today: date, now: datetime, actor: Any
) -> list[tuple[_Draft, Letter]]:
    """A letter for each draft, numbered in its issuer's sequence for the year (the issuers in
    one order, the drafts by application, so that two batches never wait on each other)."""
    by_issuer: dict[str, list[_Draft]] = defaultdict(list)
    for draft in sorted(drafts, key=lambda d: d.application.id):
        by_issuer[draft.application.program.issuer_code].append(draft)
    letters: list[tuple[_Draft, Letter]] = []
    for issuer in sorted(by_issuer):
        group = by_issuer[issuer]
        sequences = allocate_sequences(issuer, today.year, len(group))
        for draft, sequence in zip(group, sequences, strict=True):
            letters.append((draft, _letter(draft, issuer, sequence, today, now, actor)))
    return letters


def _letter(
    draft: _Draft, issuer: str, sequence: int, today: date, now: datetime, actor: Any
) -> Letter:
    application = draft.application
    return Letter(
        application_id=application.id,
        program_id=application.program_id,
        kind=draft.kind,
        status=LetterStatus.CURRENT,
        version=(draft.supersedes.version + 1) if draft.supersedes else 1,
        supersedes_id=draft.supersedes.id if draft.supersedes else None,
        issuer_code=issuer,
        year=today.year,
        sequence=sequence,
        number=format_notice_number(issuer, today.year, sequence),
        verification_code=new_verification_code(),
        issue_date=today,
        issued_at=now,
        issued_by_id=getattr(actor, "id", None),
        enterprise_name=application.enterprise.name,
        uscc=application.enterprise.uscc,
        program_name_zh=application.program.name_zh,
        program_name_en=application.program.name_en,
        amount=draft.amount,
        reason=draft.reason,
        reissue_reason=draft.reissue_reason,
    )


def _htmls(draft: _Draft, letter: Letter) -> list[str]:
    """The letter's HTML in each language (``content.LANGUAGES``: Chinese, then English)."""
    application = draft.application
    process = content.process_key(
        kind=draft.kind,
        reason_code=application.decision_reason_code,
        expert_review=application.program.reviewers_per_application > 0,
    )
    # The figures of a pro-rata cut, which an approval explains (its words are the letter's).
    award = explain_award(application) if draft.kind is LetterKind.APPROVAL else None
    return [
        content.letter_html(
            content.letter_values(
                letter,
                lang,
                reference=application.reference,
                process=process,
                supersedes_number=draft.supersedes.number if draft.supersedes else "",
                award=award,
            )
        )
        for lang in content.LANGUAGES
    ]


def _store(letter: Letter, zh_pdf: bytes, en_pdf: bytes) -> None:
    letter.pdf_key = save_in_transaction(zh_pdf)
    letter.pdf_sha256 = hashlib.sha256(zh_pdf).hexdigest()
    letter.pdf_size = len(zh_pdf)
    letter.pdf_en_key = save_in_transaction(en_pdf)
    letter.pdf_en_sha256 = hashlib.sha256(en_pdf).hexdigest()
    letter.pdf_en_size = len(en_pdf)


def _record(draft: _Draft, letter: Letter, actor: Any, details: dict[str, Any] | None) -> None:
    summary: dict[str, Any] = {
        "letter_id": letter.id,
        "number": letter.number,
        "kind": letter.kind.value,
        "sha256": letter.pdf_sha256,
    }
    if draft.supersedes is not None:
        summary.update(supersedes=draft.supersedes.number, reason=draft.reissue_reason)
        summary.update(details or {})
    audit.record(
        Action.LETTER_REISSUED if draft.supersedes else Action.LETTER_ISSUED,
        draft.application,
        actor=actor,
        **summary,
    )


# --- a changed amount as a proposal an approver signs off -------------------------------------


def changes_amount(letter: Letter, amount: Decimal | None) -> bool:
    """Whether reissuing with ``amount`` changes the money awarded (then it needs sign-off)."""
    return letter.kind is LetterKind.APPROVAL and amount is not None and amount != letter.amount


def _letter_fingerprint(letter: Letter) -> str:
    return f"letter:{letter.id}:{letter.status.value}:{letter.amount}"


@service
def propose_reissue(
    letter: Letter, *, reason: str, amount: Decimal, actor: Any
) -> sign_off.Proposal:
    """The officer proposes reissuing an award's letter with a changed amount: checked now as
    the reissue is (reason, caps, budget line; nothing of it is kept), carried out when an
    approver signs off."""
    reason = _check_reissue(letter, reason)
    checked = check_reissue_amount(letter, reason=reason, amount=amount)
    application = letter.application
    return sign_off.propose(
        sign_off.Kind.REISSUE,
        subject_id=letter.id,
        program_id=letter.program_id,
        application_id=letter.application_id,
        fingerprint=_letter_fingerprint(letter),
        payload={
            "letter_number": letter.number,
            "reference": application.reference,
            "firm": letter.enterprise_name,
            "amount_before": str(letter.amount),
            "amount": str(checked),
            "reason": reason,
        },
        actor=actor,
    )


def check_reissue_amount(letter: Letter, *, reason: str, amount: Decimal) -> Decimal:
    """Refuse now what ``propose_reissue`` would refuse, so that the confirmation page is
    shown only for a reissue that can be proposed; returns the amount as it would be recorded.
    Changes nothing."""
    _check_reissue(letter, reason)
    application = letter.application
    recorded = application.decided_amount
    try:
        return decisions.correct_award(application, amount)
    finally:
        # correct_award writes the amount on the application: put the recorded one back.
        application.decided_amount = recorded


def _reissue_fingerprint_now(proposal: sign_off.Proposal) -> str:
    letter = db.session.get(Letter, proposal.subject_id)
    return _letter_fingerprint(letter) if letter is not None else ""


def _carry_out_reissue(proposal: sign_off.Proposal, approver: Any, names: dict[str, Any]) -> None:
    letter = db.session.get(Letter, proposal.subject_id)
    reissue_letter(
        letter,
        reason=proposal.payload["reason"],
        actor=approver,
        amount=Decimal(proposal.payload["amount"]),
        four_eyes=names,
    )


sign_off.register(
    sign_off.Kind.REISSUE, fingerprint=_reissue_fingerprint_now, carry_out=_carry_out_reissue
)
