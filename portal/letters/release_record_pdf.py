"""The printable record of a release (评审结果汇总表): the ranked list of the applications
released together, as it stood, for the minutes. Rendered once after the release commits
(Chinese, and its English translation) through the letters' PDF rendering, and verifiable like
a letter: by the code printed on it (``/verify/<code>``) or byte for byte.

This module follows the audit trail: a release of decisions takes its record in the same
transaction (``review.release_records``), gives it a verification code and queues the PDFs.
"""

from __future__ import annotations

import hashlib
from typing import Any

from flask import current_app
from flask_babel import force_locale

from portal.core.audit import AuditEvent
from portal.core.extensions import db
from portal.core.files import save_in_transaction
from portal.core.jobs import commit, enqueue_after_commit, job
from portal.core.money import format_money
from portal.core.paths import PROJECT_ROOT
from portal.core.timeutil import to_bureau_time, utcnow
from portal.letters.artwork import qr_data_uri
from portal.letters.content import LANGUAGES, bureau_names, letter_date, verify_url
from portal.letters.numbering import display_code, new_verification_code, normalise_code
from portal.letters.pdf import render_many
from portal.review import release_records
from portal.review.decision_rules import APPROVE, reason_label
from portal.review.release_record_models import ReleaseRecord, ReleaseRecordEntry

RECORD_CSS_PATH = PROJECT_ROOT / "static" / "css" / "release_record.css"


# --- after a release --------------------------------------------------------------------------


def keep_after_release(event: AuditEvent, _obj: Any) -> None:
    """Audit listener: a release keeps its ranked list now and renders it once it commits."""
    if not release_records.is_release(event):
        return
    record = release_records.snapshot_release(event, new_verification_code())
    if record is not None:
        enqueue_after_commit(render_release_record, record.id)


@job
def render_release_record(record_id: int) -> bool:
    try:
        rendered = render_record(record_id)
        commit()
    except BaseException:
        db.session.rollback()
        raise
    return rendered


def render_record(record_id: int) -> bool:
    """Render and store the record's PDFs in this transaction; False when there is nothing
    to do (no such record, or rendered already)."""
    record = release_records.record_with_entries(record_id)
    if record is None or record.pdf_key:
        return False
    zh_pdf, en_pdf = render_many([record_html(record, lang) for lang in LANGUAGES])
    record.pdf_key = save_in_transaction(zh_pdf)
    record.pdf_sha256 = hashlib.sha256(zh_pdf).hexdigest()
    record.pdf_size = len(zh_pdf)
    record.pdf_en_key = save_in_transaction(en_pdf)
    record.pdf_en_sha256 = hashlib.sha256(en_pdf).hexdigest()
    record.pdf_en_size = len(en_pdf)
    record.rendered_at = utcnow()
    db.session.flush()
    return True


# --- the document -----------------------------------------------------------------------------


def _money(value: Any) -> str:
    return "—" if value is None else format_money(value)


def _score(value: Any) -> str:
    return "—" if value is None else f"{value:.2f}"


def entry_values(entry: ReleaseRecordEntry, lang: str) -> dict[str, Any]:
    approved = entry.decision == APPROVE
    zh = lang != "en"
    with force_locale("en" if not zh else "zh_CN"):
        reason = reason_label(entry.reason_code) if entry.reason_code else ""
    return {
        "position": entry.position,
        "rank": "—" if entry.rank is None else str(entry.rank),
        "enterprise": entry.enterprise,
        "uscc": entry.uscc,
        "reference": entry.reference,
        "project": entry.project_title or "—",
        "score": _score(entry.score),
        "spread": _score(entry.spread),
        "requested": _money(entry.requested_amount),
        "proposed": _money(entry.proposed_amount) if approved else "—",
        "released": _money(entry.released_amount) if approved else "—",
        "running": _money(entry.running_total),
        "decision": ("同意支持" if zh else "Approved")
        if approved
        else ("不予支持" if zh else "Rejected"),
        "reason": reason,
        "decided_by": entry.decided_by_name,
        "over_budget": entry.over_budget,
        "budget_line": entry.budget_line,
    }


def record_values(record: ReleaseRecord, lang: str) -> dict[str, Any]:
    """The template's values for one record in one language (plain strings only)."""
    zh = lang != "en"
    bureau = bureau_names()
    program = record.program_name_zh if zh else record.program_name_en
    released_at = to_bureau_time(record.released_at)
    url = verify_url(record.verification_code)
    return {
        "lang": "zh" if zh else "en",
        "bureau": bureau["zh"] if zh else bureau["en"],
        "title": f"“{program}”评审结果汇总表"
        if zh
        else f"Summary of the review results: {program}",
        "program": program,
        "expert_review": record.expert_review,
        "released_on": letter_date(released_at.date(), lang),
        "released_time": released_at.strftime("%H:%M"),
        "budget": _money(record.budget),
        "released_before": _money(record.released_before),
        "proposed_total": _money(record.proposed_total),
        "released_total": _money(record.released_total),
        "pro_rata": bool(record.pro_rata_ratio),
        "pro_rata_percent": release_records.pro_rata_percent(record.pro_rata_ratio),
        "approved_count": record.approved_count,
        "rejected_count": record.rejected_count,
        "publicity_starts_on": letter_date(record.publicity_starts_on, lang)
        if record.publicity_starts_on
        else "",
        "publicity_ends_on": letter_date(record.publicity_ends_on, lang)
        if record.publicity_ends_on
        else "",
        "proposed_by": record.proposed_by_name or "—",
        "approved_by": record.approved_by_name or "—",
        "entries": [entry_values(entry, lang) for entry in record.entries],
        "code": display_code(record.verification_code),
        "verify_url": url,
        "qr": qr_data_uri(url),
        "css": RECORD_CSS_PATH.read_text("utf-8"),
    }


def record_html(record: ReleaseRecord, lang: str) -> str:
    """The record's HTML (autoescaped; rendered without a request, as letters are)."""
    template = current_app.jinja_env.get_template("letters/release_record.html")
    return template.render(record_values(record, lang))


# --- verification -----------------------------------------------------------------------------


def record_by_code(typed: str) -> ReleaseRecord | None:
    return release_records.record_by_code(normalise_code(typed))


def record_by_file(data: bytes) -> tuple[ReleaseRecord, str] | None:
    return release_records.record_by_file(data)


def public_view(record: ReleaseRecord, locale: str) -> dict[str, Any]:
    """What the verification page shows of a record: what identifies it, not its contents
    (the ranked list is the bureau's internal record, scores and deciders included)."""
    return {
        "id": record.id,
        "code": display_code(record.verification_code),
        "program": record.program_name_en if locale == "en" else record.program_name_zh,
        "released_at": record.released_at,
        "entry_count": record.entry_count,
        "approved_count": record.approved_count,
        "rejected_count": record.rejected_count,
    }
