"""The printable notice (公示) of one programme's release: the list of awards proposed, with
where and how to object, rendered once (Chinese, the official text, and its English
translation) through the letters' PDF rendering and verifiable like a letter: by the code
printed on it (``/verify/<code>``) or byte for byte.

A notice is issued by a background job once a release of decisions with approvals commits
(this module follows the audit trail); issuing again issues nothing twice. Its list is the
release's awards as they stand then: the notice is what the bureau published on that day.
"""

from __future__ import annotations

import hashlib
from datetime import date
from typing import Any

from flask import current_app
from sqlalchemy import or_, select

from portal.core.audit import Action, AuditEvent
from portal.core.extensions import db
from portal.core.files import save_in_transaction
from portal.core.jobs import commit, enqueue_after_commit, job
from portal.core.paths import PROJECT_ROOT
from portal.core.timeutil import utcnow
from portal.letters.artwork import qr_data_uri, seal_data_uri
from portal.letters.content import LANGUAGES, amount_in_figures, bureau_names, letter_date
from portal.letters.numbering import display_code, new_verification_code, normalise_code
from portal.letters.pdf import render_many
from portal.letters.titles import support_given_zh
from portal.programs.models import Program
from portal.review import publicity
from portal.review.models import PublicityNotice

NOTICE_CSS_PATH = PROJECT_ROOT / "static" / "css" / "publicity_notice.css"


def notice_for(program_id: int, starts_on: date) -> PublicityNotice | None:
    return db.session.scalar(
        select(PublicityNotice).where(
            PublicityNotice.program_id == program_id, PublicityNotice.starts_on == starts_on
        )
    )


def notice_by_code(typed: str) -> PublicityNotice | None:
    code = normalise_code(typed)
    if code is None:
        return None
    return db.session.scalar(
        select(PublicityNotice).where(PublicityNotice.verification_code == code)
    )


def notice_by_file(data: bytes) -> tuple[PublicityNotice, str] | None:
    """The notice whose stored Chinese or English PDF is exactly ``data``, and which one."""
    digest = hashlib.sha256(data).hexdigest()
    notice = db.session.scalar(
        select(PublicityNotice).where(
            or_(PublicityNotice.pdf_sha256 == digest, PublicityNotice.pdf_en_sha256 == digest)
        )
    )
    if notice is None:
        return None
    return notice, ("zh" if notice.pdf_sha256 == digest else "en")


def public_view(notice: PublicityNotice, locale: str) -> dict[str, Any]:
    """What the verification page shows of a notice: what the notice itself says."""
    return {
        "id": notice.id,
        "code": display_code(notice.verification_code),
        "program": notice.program_name_en if locale == "en" else notice.program_name_zh,
        "starts_on": notice.starts_on,
        "ends_on": notice.ends_on,
        "entry_count": notice.entry_count,
        "issued_at": notice.issued_at,
    }


# --- issuing --------------------------------------------------------------------------------


def issue_notice(program_id: int, starts_on: date) -> PublicityNotice | None:
    """Render and store the release's notice in this transaction; None when the release has
    no award or already has its notice."""
    if notice_for(program_id, starts_on) is not None:
        return None
    program = db.session.get(Program, program_id)
    entries = publicity.release_entries(program_id, starts_on)
    if program is None or not entries:
        return None
    notice = PublicityNotice(
        program_id=program.id,
        starts_on=starts_on,
        ends_on=max(e.publicity_ends_on for e in entries if e.publicity_ends_on) or starts_on,
        entry_count=len(entries),
        program_name_zh=program.name_zh,
        program_name_en=program.name_en,
        verification_code=new_verification_code(),
        issued_at=utcnow(),
    )
    zh_pdf, en_pdf = render_many([notice_html(notice, entries, lang) for lang in LANGUAGES])
    notice.pdf_key = save_in_transaction(zh_pdf)
    notice.pdf_sha256 = hashlib.sha256(zh_pdf).hexdigest()
    notice.pdf_size = len(zh_pdf)
    notice.pdf_en_key = save_in_transaction(en_pdf)
    notice.pdf_en_sha256 = hashlib.sha256(en_pdf).hexdigest()
    notice.pdf_en_size = len(en_pdf)
    db.session.add(notice)
    db.session.flush()
    return notice


def notice_values(notice: PublicityNotice, entries: list[Any], lang: str) -> dict[str, Any]:
    """The template's values for one notice in one language (plain strings only)."""
    zh = lang != "en"
    bureau = bureau_names()
    contact = publicity.contact("zh" if zh else "en")
    program = notice.program_name_zh if zh else notice.program_name_en
    reviewed_by_experts = db.session.get(Program, notice.program_id).reviewers_per_application > 0
    url = f"{current_app.config['BASE_URL'].rstrip('/')}/verify/{notice.verification_code}"
    object_url = f"{current_app.config['BASE_URL'].rstrip('/')}/publicity"
    return {
        "lang": "zh" if zh else "en",
        "bureau": bureau["zh"] if zh else bureau["en"],
        "title": f"关于“{program}”拟支持名单的公示"
        if zh
        else f"Public notice of the awards proposed: {program}",
        "program": program,
        "support_given": support_given_zh(program) if zh else program,
        "reviewed_by_experts": reviewed_by_experts,
        "starts_on": letter_date(notice.starts_on, lang),
        "ends_on": letter_date(notice.ends_on, lang),
        "count": notice.entry_count,
        "entries": [
            {
                "number": index,
                "enterprise": entry.enterprise,
                "uscc": entry.uscc,
                "project": entry.project_title or "—",
                "amount": amount_in_figures(entry.decided_amount),
            }
            for index, entry in enumerate(entries, start=1)
        ],
        "contact": contact,
        "object_url": object_url,
        "issue_date": letter_date(notice.starts_on, lang),
        "code": display_code(notice.verification_code),
        "verify_url": url,
        "qr": qr_data_uri(url),
        "seal": seal_data_uri(bureau["zh"], current_app.config["SEAL_FOOTER"]),
        "seal_footer": bool(current_app.config["SEAL_FOOTER"]),
        "css": NOTICE_CSS_PATH.read_text("utf-8"),
    }


def notice_html(notice: PublicityNotice, entries: list[Any], lang: str) -> str:
    """The notice's HTML (autoescaped; rendered without a request, as letters are)."""
    template = current_app.jinja_env.get_template("letters/publicity_notice.html")
    return template.render(notice_values(notice, entries, lang))


# --- after a release ------------------------------------------------------------------------


def issue_after_release(event: AuditEvent, _obj: Any) -> None:
    """Audit listener: a release with approvals calls for its notice once it commits."""
    if event.action != Action.DECISION_RELEASED.value or not event.summary.get("approved"):
        return
    starts_on = event.summary.get("publicity_starts_on")
    if event.object_id and starts_on:
        enqueue_after_commit(issue_publicity_notice, int(event.object_id), str(starts_on))


@job
def issue_publicity_notice(program_id: int, starts_on: str) -> bool:
    try:
        notice = issue_notice(program_id, date.fromisoformat(starts_on))
        commit()
    except BaseException:
        db.session.rollback()
        raise
    return notice is not None
