"""Application rules: start, save each section, upload, submit, withdraw, return, resubmit."""

from __future__ import annotations

import copy
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from flask_babel import force_locale
from flask_babel import lazy_gettext as _l
from sqlalchemy import exists, select
from sqlalchemy.exc import IntegrityError

from portal.accounts.models import Enterprise
from portal.applications import lifecycle
from portal.applications import sections as sec
from portal.applications.models import Application, ApplicationSubmission, Attachment, Status
from portal.core import audit
from portal.core.audit import Action
from portal.core.concurrency import lock
from portal.core.domain import DomainError
from portal.core.extensions import db
from portal.core.files import safe_download_name, save_in_transaction
from portal.core.i18n import LANGUAGES
from portal.core.money import format_money
from portal.core.timeutil import bureau_today, utcnow
from portal.core.uploads import DetectedFile
from portal.profiles.services import facts_from_snapshot, profile_snapshot
from portal.profiles.standing import standing_of
from portal.programs import formulas
from portal.programs.facts import FirmFacts
from portal.programs.models import Program, ProgramVersion
from portal.programs.services import Verdict, answer_version_in_use, current_version, judge


class ApplicationRefused(DomainError):
    pass


# --- reading --------------------------------------------------------------------------------


def submitted_under(version: ProgramVersion) -> bool:
    """Whether any application was submitted under this version of a programme's rules (an
    edit to them then makes a new version: submitted applications keep theirs)."""
    return bool(
        db.session.scalar(
            select(
                exists().where(
                    Application.program_version_id == version.id,
                    Application.submission_count > 0,
                )
            )
        )
    )


answer_version_in_use(submitted_under)


def effective_snapshot(application: Application) -> dict[str, Any]:
    """The copied profile figures with the firm's stated changes applied."""
    snapshot = copy.deepcopy(application.figures)
    for path, change in application.figure_changes.items():
        parts = path.split(".")
        if parts[0] == "years":
            snapshot.setdefault("years", {}).setdefault(parts[1], {})[parts[2]] = change["value"]
        else:
            snapshot[parts[0]] = change["value"]
    return snapshot


def application_facts(application: Application) -> FirmFacts:
    project = (
        application.project_figures if sec.reads_project(application.program_version) else None
    )
    today = bureau_today()
    # A firm's standing (overdue reports, bans) stops it applying, so it is read while the
    # firm still acts on the application; a submitted one is judged on its own figures.
    standing = (
        standing_of(application.enterprise_id, today)
        if application.status in (Status.DRAFT, Status.RETURNED)
        else None
    )
    return facts_from_snapshot(effective_snapshot(application), today, project, standing)


def application_verdict(application: Application) -> Verdict:
    return judge(application.program, application.program_version, application_facts(application))


def current_attachments(application_id: int) -> dict[str, Attachment]:
    rows = db.session.scalars(
        select(Attachment).where(
            Attachment.application_id == application_id, Attachment.replaced_at.is_(None)
        )
    ).all()
    return {row.document_key: row for row in rows}


def section_states(application: Application) -> dict[str, bool]:
    docs = set(current_attachments(application.id))
    return {name: sec.section_complete(application, name, docs) for name in sec.SECTIONS}


def active_application(enterprise_id: int, program_id: int) -> Application | None:
    return db.session.scalar(
        select(Application).where(
            Application.enterprise_id == enterprise_id,
            Application.program_id == program_id,
            Application.status != Status.WITHDRAWN,
        )
    )


# --- starting -------------------------------------------------------------------------------


def start_application(enterprise: Enterprise, program: Program, *, actor: Any) -> Application:
    now = utcnow()
    if not program.is_open(now):
        raise ApplicationRefused(_l("This programme is not open for applications."))
    if active_application(enterprise.id, program.id) is not None:
        raise ApplicationRefused(
            _l("Your enterprise already has an application for this programme.")
        )
    version = current_version(program)
    snapshot = profile_snapshot(enterprise)
    today = bureau_today()
    facts = facts_from_snapshot(snapshot, today, {}, standing_of(enterprise.id, today))
    verdict = judge(program, version, facts)
    if not verdict.may_start:
        raise ApplicationRefused(
            _l("Your enterprise does not meet this programme's conditions; see why below.")
        )
    application = Application(
        reference=f"TMP-{enterprise.id}-{program.id}-{now.timestamp()}",
        enterprise_id=enterprise.id,
        program_id=program.id,
        program_version_id=version.id,
        figures=snapshot,
    )
    application.program = program
    application.program_version = version
    db.session.add(application)
    try:
        with db.session.begin_nested():
            db.session.flush()
    except IntegrityError as exc:  # a second tab started one at the same moment
        raise ApplicationRefused(
            _l("Your enterprise already has an application for this programme.")
        ) from exc
    application.reference = f"{bureau_today().year}-{program.id:02d}-{application.id:06d}"
    _recompute_amount(application)
    audit.record(Action.APPLICATION_STARTED, application, actor=actor, program=program.code)
    return application


# --- editing --------------------------------------------------------------------------------


def _require_editable(application: Application, section: str) -> None:
    if section not in sec.editable_sections(application):
        raise ApplicationRefused(_l("This section cannot be changed now."))


def _touch(application: Application, section: str) -> None:
    """Changing content after declaring means declaring again (in a draft)."""
    if application.status is Status.DRAFT and section != sec.DECLARATION:
        application.declared_at = None


def save_summary(application: Application, title: str, summary: str, *, actor: Any) -> None:
    _require_editable(application, sec.SUMMARY)
    title, summary = title.strip(), summary.strip()
    if (title, summary) != (application.project_title, application.project_summary):
        application.project_title, application.project_summary = title, summary
        _touch(application, sec.SUMMARY)
        audit.record(
            Action.APPLICATION_SECTION_SAVED, application, actor=actor, section=sec.SUMMARY
        )


@dataclass(frozen=True)
class FigureChange:
    path: str  # "years.2025.rd_expense", "ip_class_i"
    value: Any
    reason: str


def original_figure(application: Application, path: str) -> Any:
    parts = path.split(".")
    if parts[0] == "years":
        return (application.figures.get("years", {}).get(parts[1]) or {}).get(parts[2])
    return application.figures.get(parts[0])


def save_figures(
    application: Application,
    changes: list[FigureChange],
    project: dict[str, Any],
    *,
    confirm: bool,
    actor: Any,
) -> None:
    _require_editable(application, sec.FIGURES)
    new_changes = {}
    for change in changes:
        if _same(change.value, original_figure(application, change.path)):
            continue  # back to the profile's figure: no change to explain
        if not change.reason.strip():
            raise DomainError(
                _l("Say why this figure differs from your profile."), field=change.path
            )
        new_changes[change.path] = {"value": change.value, "reason": change.reason.strip()}
    project = {name: project.get(name) for name in sec.PROJECT_FIGURES} if project else {}
    before = (application.figure_changes, application.project_figures)
    application.figure_changes = new_changes
    if sec.reads_project(application.program_version):
        application.project_figures = project
    application.figures_confirmed = confirm
    if before != (application.figure_changes, application.project_figures):
        _touch(application, sec.FIGURES)
        if application.status is Status.DRAFT:
            application.amount_confirmed = False
        audit.record(
            Action.APPLICATION_SECTION_SAVED,
            application,
            actor=actor,
            section=sec.FIGURES,
            changed=sorted(new_changes),
        )
    _recompute_amount(application)


def _same(a: Any, b: Any) -> bool:
    if a in (None, "") and b in (None, ""):
        return True
    try:
        return Decimal(str(a)) == Decimal(str(b))
    except (ArithmeticError, ValueError):
        return a == b


def _recompute_amount(application: Application) -> formulas.Computation:
    computation = application_verdict(application).computation
    application.formula_amount = computation.amount
    if application.requested_amount is None or (
        computation.amount is not None and application.requested_amount > computation.amount
    ):
        application.requested_amount = computation.amount
    # Stored in every language: the firm and the bureau may read it in different ones.
    texts = {}
    for locale in LANGUAGES:
        with force_locale(locale):
            texts[locale] = {
                "steps": [
                    {
                        "label": str(step.label),
                        "expression": step.expression,
                        "amount": str(step.amount),
                    }
                    for step in computation.steps
                ],
                "note": str(computation.note) if computation.note else "",
                "missing": [str(item) for item in computation.missing],
            }
    application.computation = {
        "amount": None if computation.amount is None else str(computation.amount),
        "texts": texts,
    }
    return computation


def save_amount(application: Application, requested: Decimal | None, *, actor: Any) -> None:
    _require_editable(application, sec.AMOUNT)
    computation = _recompute_amount(application)
    if computation.amount is None and computation.note is None:
        raise DomainError(
            _l("The amount cannot be computed yet: complete the figures first."),
            field="requested_amount",
        )
    if requested is not None and computation.amount is not None:
        if requested <= 0 or requested > computation.amount:
            raise DomainError(
                _l(
                    "Ask for more than 0 and at most %(amount)s yuan.",
                    amount=format_money(computation.amount),
                ),
                field="requested_amount",
            )
        application.requested_amount = requested
    application.amount_confirmed = True
    _touch(application, sec.AMOUNT)
    audit.record(
        Action.APPLICATION_SECTION_SAVED,
        application,
        actor=actor,
        section=sec.AMOUNT,
        requested=None
        if application.requested_amount is None
        else str(application.requested_amount),
    )


def save_declaration(application: Application, name: str, title: str, *, actor: Any) -> None:
    _require_editable(application, sec.DECLARATION)
    application.declaration_name = name.strip()
    application.declaration_title = title.strip()
    application.declared_at = utcnow()
    audit.record(
        Action.APPLICATION_SECTION_SAVED, application, actor=actor, section=sec.DECLARATION
    )


def document_slot(application: Application, key: str) -> dict:
    for doc in application.program_version.documents:
        if doc["key"] == key:
            return doc
    raise DomainError(_l("This programme asks for no such document."))


def upload_rules(application: Application, key: str) -> tuple[list[str], int]:
    """What the document ``key`` accepts: its kinds and its size limit in bytes."""
    slot = document_slot(application, key)
    return list(slot["kinds"]), int(slot["max_mb"]) * 1024 * 1024


def upload_attachment(
    application: Application,
    key: str,
    filename: str,
    data: bytes,
    *,
    detected: DetectedFile,
    actor: Any,
) -> Attachment:
    """Keep ``data``, already checked against ``upload_rules`` (``detected``, the sandbox's
    verdict: untrusted files are never parsed here, inside the write transaction)."""
    _require_editable(application, sec.ATTACHMENTS)
    kinds, max_bytes = upload_rules(application, key)
    if detected.size != len(data) or detected.kind not in kinds or detected.size > max_bytes:
        # The programme's rules changed while the file was being checked.
        raise DomainError(
            _l("The rules for this document changed while your file was checked; upload it again.")
        )
    storage_key = save_in_transaction(data)
    previous = current_attachments(application.id).get(key)
    if previous is not None:
        previous.replaced_at = utcnow()  # kept on record
        db.session.flush()
    attachment = Attachment(
        application_id=application.id,
        document_key=key,
        original_name=safe_download_name(filename),
        storage_key=storage_key,
        mime_type=detected.mime_type,
        size=detected.size,
        sha256=detected.sha256,
        page_count=detected.page_count,
        uploaded_by_id=getattr(actor, "id", None),
    )
    db.session.add(attachment)
    _touch(application, sec.ATTACHMENTS)
    audit.record(
        Action.APPLICATION_DOCUMENT_UPLOADED,
        application,
        actor=actor,
        document=key,
        sha256=detected.sha256,
        replaced=previous.id if previous else None,
    )
    return attachment


# --- submitting -----------------------------------------------------------------------------


def submission_problems(application: Application) -> list[str]:
    problems = []
    now = utcnow()
    if now >= application.program.closes_at:
        problems.append(str(_l("The programme closed for applications; nothing can be submitted.")))
    states = section_states(application)
    for name in sec.SECTIONS:
        if not states[name]:
            problems.append(
                str(_l("Complete the section “%(section)s”.", section=sec.SECTION_LABELS[name]))
            )
    verdict = application_verdict(application)
    if not verdict.eligible:
        problems.append(str(_l("The figures in this application do not meet the conditions.")))
    return problems


def _snapshot_content(application: Application) -> dict[str, Any]:
    return {
        "project_title": application.project_title,
        "project_summary": application.project_summary,
        "figures": application.figures,
        "figure_changes": application.figure_changes,
        "project_figures": application.project_figures,
        "formula_amount": None
        if application.formula_amount is None
        else str(application.formula_amount),
        "requested_amount": None
        if application.requested_amount is None
        else str(application.requested_amount),
        "computation": application.computation,
        "declaration": [application.declaration_name, application.declaration_title],
        "attachments": {
            key: {"id": row.id, "name": row.original_name, "sha256": row.sha256}
            for key, row in current_attachments(application.id).items()
        },
    }


def _lock_for_submission(application: Application) -> None:
    """Two "Submit" clicks at once: lock the row and reread it, so that the second waits for
    the first and then finds the application submitted (a clear refusal), instead of failing
    on the version counter at commit. SQLite serialises writers anyway."""
    lock(application)


def submit(application: Application, *, actor: Any) -> None:
    """Submit a draft or resubmit a returned application; refuses with every reason."""
    _lock_for_submission(application)
    action = "resubmit" if application.status is Status.RETURNED else "submit"
    if not lifecycle.can(application, action):
        raise lifecycle.IllegalTransition(_l("This application has already been submitted."))
    problems = submission_problems(application)
    if problems:
        raise ApplicationRefused(" ".join(problems))
    now = utcnow()
    application.submission_count += 1
    application.first_submitted_at = application.first_submitted_at or now
    application.last_submitted_at = now
    db.session.add(
        ApplicationSubmission(
            application_id=application.id,
            number=application.submission_count,
            submitted_at=now,
            submitted_by_id=getattr(actor, "id", None),
            content=_snapshot_content(application),
        )
    )
    sections_fixed = list(application.returned_sections)
    application.returned_sections = []
    lifecycle.transition(
        application,
        action,
        actor=actor,
        submission=application.submission_count,
        sections=sections_fixed or None,
    )


def withdraw(application: Application, reason: str, *, actor: Any) -> None:
    if not reason.strip():
        raise DomainError(_l("Say why you withdraw the application."), field="reason")
    application.withdraw_reason = reason.strip()
    lifecycle.transition(application, "withdraw", actor=actor, reason=reason.strip())


def return_for_changes(
    application: Application, sections: list[str], reason: str, *, actor: Any
) -> None:
    sections = [name for name in sec.SECTIONS if name in set(sections)]
    if not sections:
        raise DomainError(_l("Choose at least one section to be changed."), field="sections")
    if not reason.strip():
        raise DomainError(_l("Say what the enterprise should change."), field="reason")
    application.returned_sections = sections
    application.return_reason = reason.strip()
    if sec.FIGURES in sections:
        application.figures_confirmed = False
    lifecycle.transition(
        application, "return_for_changes", actor=actor, sections=sections, reason=reason.strip()
    )


def submissions_of(application_id: int) -> list[ApplicationSubmission]:
    return list(
        db.session.scalars(
            select(ApplicationSubmission)
            .where(ApplicationSubmission.application_id == application_id)
            .order_by(ApplicationSubmission.number)
        )
    )


def program_version(application: Application) -> ProgramVersion:
    return application.program_version
