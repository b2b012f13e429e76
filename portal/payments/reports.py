"""Progress reports: made from the agreement's terms when the firm accepts it; the firm fills
in figures and text, attaches files and submits; an officer accepts it or returns it with a
reason, and a returned report is submitted again.

Commands flush and never commit; each change is recorded in the audit trail (with the
application's id, so the application's history shows it) and tells the people concerned.
Every move goes through ``report_rules.TRANSITIONS``.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from portal.accounts.models import User
from portal.core import audit
from portal.core.audit import Action
from portal.core.concurrency import check_not_stale, flush_or_refuse
from portal.core.domain import DomainError
from portal.core.extensions import db
from portal.core.files import safe_download_name, save_in_transaction
from portal.core.timeutil import to_bureau_time, utcnow
from portal.core.uploads import DetectedFile
from portal.core.urls import path_for
from portal.notifications.services import notify
from portal.payments.models import Agreement, AgreementStatus
from portal.payments.plan import PlanTerms
from portal.payments.report_models import (
    KIND_EN,
    KIND_ZH,
    ProgressReport,
    ReportFile,
    ReportKind,
    ReportStatus,
)
from portal.payments.report_rules import EDITABLE, TRANSITIONS, add_months
from portal.programs.models import Program

#: What a report's files may be, and how large.
FILE_KINDS = ("pdf", "image", "xlsx")
FILE_MAX_BYTES = 20 * 1024 * 1024
MAX_FILES = 10


class ReportRefused(DomainError):
    pass


@dataclass(frozen=True)
class ReportFigures:
    """What the firm states: None means not given (a submitted report gives them all)."""

    rd_spend: Decimal | None
    revenue: Decimal | None
    patents_filed: int | None
    patents_granted: int | None
    jobs_created: int | None
    narrative: str


REQUIRED_ON_SUBMIT = ("rd_spend", "revenue", "patents_filed", "patents_granted", "jobs_created")


# --- titles -----------------------------------------------------------------------------------


def titles_from_names(kind: ReportKind, name_zh: str, name_en: str) -> tuple[str, str]:
    """(Chinese, English) name of a report, e.g. 中期进展报告 (数字化转型后补助)."""
    return f"{KIND_ZH[kind]} ({name_zh})", f"{KIND_EN[kind]} ({name_en})"


def report_titles(kind: ReportKind, program: Program) -> tuple[str, str]:
    return titles_from_names(kind, program.name_zh, program.name_en)


# --- made with the agreement --------------------------------------------------------------------


def create_reports(agreement: Agreement) -> list[ProgressReport]:
    """The reports of the agreement's terms, due so many months after the day (Asia/Shanghai)
    the firm accepted it. Made once: an agreement that has its reports gets no more."""
    existing = db.session.scalar(
        select(ProgressReport.id).where(ProgressReport.agreement_id == agreement.id).limit(1)
    )
    if existing is not None:
        return []
    accepted_on = to_bureau_time(agreement.accepted_at or utcnow()).date()
    made = []
    for position, term in enumerate(PlanTerms.from_json(agreement.terms or {}).reports, start=1):
        report = ProgressReport(
            agreement_id=agreement.id,
            application_id=agreement.application_id,
            program_id=agreement.program_id,
            enterprise_id=agreement.enterprise_id,
            kind=ReportKind(term.kind),
            position=position,
            due_on=add_months(accepted_on, term.months),
            status=ReportStatus.DUE,
            narrative="",
            return_reason="",
        )
        db.session.add(report)
        made.append(report)
    if made:
        db.session.flush()
    return made


def on_agreement_accepted(event: Any, obj: Any) -> None:
    """Audit listener: an accepted agreement brings its reports."""
    if event.action != Action.AGREEMENT_ACCEPTED.value:
        return
    agreement = obj if isinstance(obj, Agreement) else None
    if agreement is None and event.summary.get("application_id") is not None:
        agreement = db.session.scalar(
            select(Agreement).where(Agreement.application_id == event.summary["application_id"])
        )
    if agreement is not None and agreement.status is AgreementStatus.ACCEPTED:
        create_reports(agreement)


# --- the firm's side ----------------------------------------------------------------------------


def _require(move: str, report: ProgressReport) -> None:
    if report.status not in TRANSITIONS[move][0]:
        raise ReportRefused(
            _l("This report is %(status)s: it cannot be changed now.", status=report.status.label)
        )


def _move(move: str, report: ProgressReport) -> None:
    _require(move, report)
    report.status = TRANSITIONS[move][1]


def _require_editable(report: ProgressReport) -> None:
    if report.status not in EDITABLE:
        raise ReportRefused(
            _l("This report is %(status)s: it cannot be changed now.", status=report.status.label)
        )


def _apply(report: ProgressReport, figures: ReportFigures) -> bool:
    changed = False
    for name in (*REQUIRED_ON_SUBMIT, "narrative"):
        value = getattr(figures, name)
        if name == "narrative":
            value = (value or "").strip()
        if getattr(report, name) != value:
            setattr(report, name, value)
            changed = True
    return changed


def save_report(
    report: ProgressReport, figures: ReportFigures, *, actor: Any, seen_version: int | None = None
) -> bool:
    """Keep what the firm typed without submitting it. Returns whether anything changed."""
    _require_editable(report)
    check_not_stale(report, seen_version)
    if not _apply(report, figures):
        return False
    report.saved_at = utcnow()
    flush_or_refuse()
    audit.record(Action.REPORT_SAVED, report, actor=actor, application_id=report.application_id)
    return True


def submit_report(
    report: ProgressReport, figures: ReportFigures, *, actor: Any, seen_version: int | None = None
) -> None:
    missing = [name for name in REQUIRED_ON_SUBMIT if getattr(figures, name) is None]
    if missing:
        raise ReportRefused(_l("Give every figure before you submit."), field=missing[0])
    if not figures.narrative.strip():
        raise ReportRefused(_l("Describe the progress before you submit."), field="narrative")
    _require("submit", report)
    check_not_stale(report, seen_version)
    _apply(report, figures)
    resubmitted = report.status is ReportStatus.RETURNED
    _move("submit", report)
    report.submitted_at = utcnow()
    report.submitted_by_id = getattr(actor, "id", None)
    flush_or_refuse()
    audit.record(
        Action.REPORT_SUBMITTED,
        report,
        actor=actor,
        application_id=report.application_id,
        kind=report.kind.value,
        resubmitted=resubmitted,
    )


def current_files(report_id: int) -> list[ReportFile]:
    return list(
        db.session.scalars(
            select(ReportFile)
            .where(ReportFile.report_id == report_id, ReportFile.removed_at.is_(None))
            .order_by(ReportFile.id)
        )
    )


def attach_file(
    report: ProgressReport, filename: str, data: bytes, *, detected: DetectedFile, actor: Any
) -> ReportFile:
    """Keep ``data``, already checked in the sandbox (``detected``) against ``FILE_KINDS`` and
    ``FILE_MAX_BYTES``."""
    _require_editable(report)
    if detected.size != len(data) or detected.kind not in FILE_KINDS:
        raise ReportRefused(_l("The file could not be checked; upload it again."), field="file")
    if len(current_files(report.id)) >= MAX_FILES:
        raise ReportRefused(
            _l("A report takes at most %(count)d files; remove one first.", count=MAX_FILES),
            field="file",
        )
    row = ReportFile(
        report_id=report.id,
        original_name=safe_download_name(filename),
        storage_key=save_in_transaction(data),
        mime_type=detected.mime_type,
        size=detected.size,
        sha256=detected.sha256,
        page_count=detected.page_count,
        uploaded_by_id=getattr(actor, "id", None),
    )
    db.session.add(row)
    db.session.flush()
    audit.record(
        Action.REPORT_FILE_UPLOADED,
        report,
        actor=actor,
        application_id=report.application_id,
        file_id=row.id,
        sha256=detected.sha256,
    )
    return row


def remove_file(report: ProgressReport, file: ReportFile, *, actor: Any) -> None:
    """Take a file off the report (kept on record)."""
    _require_editable(report)
    if file.report_id != report.id or file.removed_at is not None:
        raise ReportRefused(_l("This file is no longer attached."))
    file.removed_at = utcnow()
    audit.record(
        Action.REPORT_FILE_REMOVED,
        report,
        actor=actor,
        application_id=report.application_id,
        file_id=file.id,
    )


# --- the officer's side -------------------------------------------------------------------------


def _firm_users(enterprise_id: int) -> list[int]:
    with db.session.no_autoflush:
        return list(
            db.session.scalars(
                select(User.id).where(
                    User.enterprise_id == enterprise_id, User.disabled_at.is_(None)
                )
            )
        )


def notice_params(report: ProgressReport, program: Program) -> dict[str, Any]:
    title_zh, title_en = report_titles(report.kind, program)
    return {
        "title_zh": title_zh,
        "title_en": title_en,
        "program_zh": program.name_zh,
        "program_en": program.name_en,
        "due_on": report.due_on.isoformat(),
    }


def tell_firm(report: ProgressReport, kind: str, **extra: Any) -> None:
    """An in-app notification (and its mail) to every account of the firm."""
    program = db.session.get_one(Program, report.program_id)
    notify(
        _firm_users(report.enterprise_id),
        kind,
        {**notice_params(report, program), **extra},
        path_for("firm_reports.show", report_id=report.id),
    )


def accept_report(report: ProgressReport, *, actor: Any, seen_version: int | None = None) -> None:
    check_not_stale(report, seen_version)
    _move("accept", report)
    report.decided_at = utcnow()
    report.decided_by_id = getattr(actor, "id", None)
    report.return_reason = ""
    flush_or_refuse()
    audit.record(Action.REPORT_ACCEPTED, report, actor=actor, application_id=report.application_id)
    tell_firm(report, "report_accepted")


def return_report(
    report: ProgressReport, reason: str, *, actor: Any, seen_version: int | None = None
) -> None:
    reason = (reason or "").strip()
    if not reason:
        raise ReportRefused(_l("Say why the report is returned."), field="reason")
    check_not_stale(report, seen_version)
    _move("return", report)
    report.decided_at = utcnow()
    report.decided_by_id = getattr(actor, "id", None)
    report.return_reason = reason
    flush_or_refuse()
    audit.record(
        Action.REPORT_RETURNED,
        report,
        actor=actor,
        application_id=report.application_id,
        reason=reason,
    )
    tell_firm(report, "report_returned", reason=reason)
