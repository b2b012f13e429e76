"""Plain values for application templates: templates never receive lazy ORM objects."""

from __future__ import annotations

from decimal import InvalidOperation
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from portal.accounts.models import Role
from portal.applications import lifecycle, services, stages
from portal.applications import sections as sec
from portal.applications.award_terms import proposed_until
from portal.applications.models import Application
from portal.core.audit import AuditEvent, action_label
from portal.core.extensions import db
from portal.core.forms import money_message
from portal.core.i18n import select_locale
from portal.core.money import MoneyError, format_money, parse_money, to_cents
from portal.core.timeutil import bureau_today, to_bureau_time
from portal.payments.payment_queries import payment_progress
from portal.profiles.services import profile_years
from portal.programs.files_kinds import kind_labels
from portal.programs.formula_steps import step_sentence
from portal.programs.models import Program
from portal.review.award_explanation import explain_award
from portal.web.shared.forms import bool_to_tri_state, tri_state_to_bool

YEAR_FIGURE_LABELS = {
    "revenue": lambda year: _l("Main-business revenue %(year)s (yuan)", year=year),
    "employees": lambda year: _l("Employees %(year)s", year=year),
    "rd_expense": lambda year: _l("R&D expense %(year)s (yuan)", year=year),
    "super_deduction_filed": lambda year: _l("R&D super-deduction filed for %(year)s", year=year),
}
COUNT_FIGURE_LABELS = {
    "ip_class_i": _l("Class I intellectual property"),
    "ip_class_ii": _l("Class II intellectual property"),
    "software_copyrights": _l("Software copyrights"),
}
MONEY_FIGURES = {"revenue", "rd_expense"}
BOOL_FIGURES = {"super_deduction_filed"}


def program_names(program_ids: list[int], locale: str) -> dict[int, str]:
    if not program_ids:
        return {}
    rows = db.session.execute(
        select(Program.id, Program.name_zh, Program.name_en).where(Program.id.in_(set(program_ids)))
    ).all()
    return {row.id: (row.name_en if locale == "en" else row.name_zh) for row in rows}


def status_view(application: Application) -> dict[str, str]:
    """The status as the person looking may see it: until a decision is released, a firm
    sees only that its application is under review."""
    status = application.status
    if status in lifecycle.UNDER_REVIEW_FOR_FIRM and _viewer_is_firm():
        return {"value": "under_review", "label": str(lifecycle.FIRM_LABEL_UNDER_REVIEW)}
    return {"value": status.value, "label": str(status.label)}


def list_row(application: Application, program_name: str) -> dict[str, Any]:
    return {
        "id": application.id,
        "reference": application.reference,
        "program": program_name,
        "title": application.project_title,
        "status": status_view(application),
        "requested_amount": application.requested_amount,
        "updated_at": application.updated_at,
        "submitted_at": application.last_submitted_at,
    }


def header(application: Application, locale: str) -> dict[str, Any]:
    program = application.program
    return {
        "id": application.id,
        "reference": application.reference,
        "program": program.name(locale),
        "program_code": program.code,
        "closes_at": program.closes_at,
        "status": status_view(application),
        "editable": sorted(sec.editable_sections(application)),
        "returned_sections": [
            str(sec.SECTION_LABELS[name]) for name in application.returned_sections
        ],
        "return_reason": application.return_reason,
        "enterprise": application.enterprise.name,
        "uscc": application.enterprise.uscc,
    }


SECTION_ENDPOINTS = {
    sec.SUMMARY: "applications.summary",
    sec.FIGURES: "applications.figures",
    sec.AMOUNT: "applications.amount",
    sec.ATTACHMENTS: "applications.documents",
    sec.DECLARATION: "applications.declaration",
}


def task_list(
    application: Application, locale: str, events: list[Any] | None = None
) -> dict[str, Any]:
    states = services.section_states(application)
    editable = sec.editable_sections(application)
    return {
        **header(application, locale),
        "sections": [
            {
                "key": name,
                "label": str(sec.SECTION_LABELS[name]),
                "complete": states[name],
                "editable": name in editable,
                "endpoint": SECTION_ENDPOINTS[name],
                "returned": name in application.returned_sections,
            }
            for name in sec.SECTIONS
        ],
        "completed": sum(states.values()),
        "total": len(sec.SECTIONS),
        "can_submit": application.status in lifecycle.EDITABLE_BY_FIRM,
        "can_withdraw": lifecycle.can(application, "withdraw"),
        "requested_amount": application.requested_amount,
        "timeline": timeline(application, events),
        "decision": released_decision(application),
    }


def status_page(application: Application, locale: str) -> dict[str, Any]:
    """The firm's page of its application: the task list and history, the stages (from the
    same query of its history) and, once released, how its amount was set."""
    events = history_events(application)
    return {
        **task_list(application, locale, events),
        "stages": stages_view(application, events),
        "amount_explained": explanation_view(application),
    }


def released_decision(application: Application) -> dict[str, Any] | None:
    """The decision as the firm may see it: nothing before it is released."""
    if application.released_at is None or application.decision is None:
        return None
    return {
        "approved": application.decision == "approve",
        "amount": application.decided_amount,
        "reason": application.decision_reason,
        "released_at": application.released_at,
        "publicity_ends_on": application.publicity_ends_on,
        "awarded": application.status is lifecycle.Status.AWARDED,
        # The words every page, mail and export uses while the award is in publicity.
        "proposed_until": (
            proposed_until(application.publicity_ends_on) if application.publicity_ends_on else None
        ),
    }


def history_events(application: Application) -> list[Any]:
    """The events of the application's life (transitions and letters), oldest first."""
    return list(
        db.session.execute(
            select(AuditEvent.occurred_at, AuditEvent.action, AuditEvent.summary)
            .where(
                AuditEvent.application_id == application.id,
                AuditEvent.action.in_(TIMELINE_ACTIONS),
            )
            .order_by(AuditEvent.id)
        ).all()
    )


def timeline(application: Application, events: list[Any] | None = None) -> list[dict[str, Any]]:
    if events is None:
        events = history_events(application)
    rows = []
    firm = _viewer_is_firm()
    for event in events:
        action = event.action.removeprefix("application.")
        if firm and action not in FIRM_TIMELINE_ACTIONS:
            continue  # review internals stay with the bureau
        new = event.summary.get("new")
        label = action_label(event.action)
        status = str(lifecycle.Status(new).label) if new else ""
        if firm and action in FIRM_EVENT_LABELS:
            label, status = str(FIRM_EVENT_LABELS[action]), ""  # the label says where it is now
        elif firm and new and lifecycle.Status(new) in lifecycle.UNDER_REVIEW_FOR_FIRM:
            status = str(lifecycle.FIRM_LABEL_UNDER_REVIEW)
        rows.append(
            {
                "at": event.occurred_at,
                "label": label,
                # "Submitted → Submitted" would say the same thing twice
                "status": "" if status == label else status,
                "reason": event.summary.get("reason", ""),
                "sections": [
                    str(sec.SECTION_LABELS[name]) for name in event.summary.get("sections") or []
                ],
            }
        )
    return rows


# What the firm reads for the steps of the bureau's work (never who did them, nor scores).
FIRM_EVENT_LABELS = {
    "start_formal_check": _l("Formal check started"),
    "send_to_expert_review": _l("Formal check passed: expert review next"),
    "send_to_decision": _l("Formal check passed: the bureau's decision next"),
    "reopen_review": _l("Expert review reopened"),
    "reviews_complete": _l("Expert review finished: the bureau's decision next"),
    "moderate": _l("Expert review finished: the bureau's decision next"),
    "release_approval": _l("Decision released: proposed for support, in publicity"),
    "release_rejection": _l("Decision released: not approved"),
    "objection_received": _l("Objection received: publicity on hold while the bureau examines it"),
    "dismiss_objection": _l("Objection dismissed: publicity continues"),
    "finish_publicity": _l("Publicity ended: the award is final"),
}

# The award's money (portal/payments): the firm's history shows when it accepted the agreement
# and each payment sent.
PAYMENT_TIMELINE_ACTIONS = ("agreement.accepted", "payment.confirmed")

# A recovery case's steps (portal/payments/recovery.py): both timelines show them.
RECOVERY_TIMELINE_ACTIONS = (
    "recovery.opened",
    "recovery.statement_submitted",
    "recovery.decided",
    "recovery.repayment_recorded",
    "recovery.settled",
    "credit.ban_recorded",
    "credit.repaired",
)

FIRM_TIMELINE_ACTIONS = frozenset(
    {
        "started",
        "submit",
        "resubmit",
        "withdraw",
        "return_for_changes",
        "start_formal_check",
        "send_to_expert_review",
        "send_to_decision",
        "reopen_review",
        "reviews_complete",
        "moderate",
        "reject_ineligible",
        "release_approval",
        "release_rejection",
        "objection_received",
        "dismiss_objection",
        "uphold_objection",
        "finish_publicity",
        "letter.issued",
        "letter.reissued",
        *PAYMENT_TIMELINE_ACTIONS,
        *RECOVERY_TIMELINE_ACTIONS,
    }
)


def _viewer_is_firm() -> bool:
    from flask_login import current_user

    return bool(
        current_user and current_user.is_authenticated and current_user.role is Role.ENTERPRISE
    )


TIMELINE_ACTIONS = (
    "application.started",
    *(f"application.{a}" for a in lifecycle.TRANSITIONS),
    "letter.issued",
    "letter.reissued",
    *PAYMENT_TIMELINE_ACTIONS,
    *RECOVERY_TIMELINE_ACTIONS,
)


def stages_view(application: Application, events: list[Any]) -> dict[str, Any]:
    """The stages for the page: each with its state and dates, and what comes next."""
    history = [
        stages.Event(event.action.removeprefix("application."), event.occurred_at)
        for event in events
    ]
    program = application.program
    actions = {event.action for event in history}
    if "send_to_expert_review" in actions:
        expert_review = True  # what happened, whatever the programme says today
    elif "send_to_decision" in actions:
        expert_review = False
    else:
        expert_review = program.reviewers_per_application > 0
    progress = stages.stage_progress(
        application.status,
        history,
        stages.ProgrammeDates(
            closes_on=to_bureau_time(program.closes_at).date() if program.closes_at else None,
            publicity_days=program.publicity_days,
            expert_review=expert_review,
            publicity_ends_on=application.publicity_ends_on,
        ),
        bureau_today(),
        # the money matters once the award is final (one statement, only then)
        payment_progress(application.id)
        if application.status is lifecycle.Status.AWARDED
        else None,
    )
    return {
        "stages": [
            {
                "key": view.stage.value,
                "label": str(view.label),
                "state": view.state.value,
                "current": view.stage is progress.current,
                "reached_at": view.reached_at,
                "finished_at": view.finished_at,
                "outcome": str(view.outcome) if view.outcome else "",
            }
            for view in progress.stages
        ],
        "next_step": str(progress.next_step) if progress.next_step else "",
    }


def explanation_view(application: Application) -> dict[str, Any] | None:
    """How the award's amount came about, once the decision is released (None before)."""
    explanation = explain_award(application)
    if explanation is None:
        return None
    return {
        "formula_amount": explanation.formula_amount,
        "approved_amount": explanation.approved_amount,
        "scaled": explanation.scaled,
        "ratio": explanation.pro_rata_ratio,
        "scaled_amount": explanation.scaled_amount,
        "rounding_step": explanation.rounding_step,
        "final_amount": explanation.final_amount,
        "sentences": list(explanation.sentences),
    }


# --- figures --------------------------------------------------------------------------------


def _display(value: Any, kind: str) -> str:
    if value in (None, ""):
        return ""
    if kind == "bool":
        return bool_to_tri_state(value)
    if kind == "money":
        return f"{to_cents(value):.2f}"
    return str(value)


def _readable(value: Any, kind: str) -> str:
    """For reading, not editing: amounts with thousands separators. What a firm typed and the
    form refused ("abc", "1,200") is shown as typed."""
    if kind == "money" and value not in (None, ""):
        try:
            return format_money(value)
        except InvalidOperation:
            return str(value)
    return _display(value, kind)


def figure_rows(application: Application, formdata=None) -> list[dict[str, Any]]:
    years = sorted(
        {int(y) for y in application.figures.get("years", {})} | set(profile_years(bureau_today())),
        reverse=True,
    )[:3]
    rows = []
    for year in years:
        for name, label in YEAR_FIGURE_LABELS.items():
            kind = "money" if name in MONEY_FIGURES else "bool" if name in BOOL_FIGURES else "int"
            rows.append(_row(application, f"years.{year}.{name}", str(label(year)), kind, formdata))
    for name, label in COUNT_FIGURE_LABELS.items():
        rows.append(_row(application, name, str(label), "int", formdata))
    return rows


def _row(application, path, label, kind, formdata) -> dict[str, Any]:
    original = services.original_figure(application, path)
    change = application.figure_changes.get(path)
    value = change["value"] if change else original
    reason = change["reason"] if change else ""
    if formdata is not None:
        value = formdata.get(f"value__{path}", "")
        reason = formdata.get(f"reason__{path}", "")
        shown = value
    else:
        shown = _display(value, kind)
    return {
        "path": path,
        "id": path.replace(".", "-"),
        "label": label,
        "kind": kind,
        "original": _display(original, kind),
        "original_text": _readable(original, kind),
        "value_text": _readable(value, kind),
        "value": shown,
        "reason": reason,
        "changed": change is not None,
    }


def read_figure_changes(formdata, rows) -> tuple[list[services.FigureChange], dict[str, str]]:
    changes, errors = [], {}
    for row in rows:
        if f"value__{row['path']}" not in formdata:
            raw, reason = row["value"], row["reason"]  # not sent: leave it as it is
        else:
            raw = (formdata.get(f"value__{row['path']}") or "").strip()
            reason = formdata.get(f"reason__{row['path']}") or ""
        try:
            value = _parse(raw, row["kind"])
        except MoneyError as error:  # an amount says why it is refused
            errors[row["path"]] = money_message(error.reason)
            continue
        except ValueError:
            errors[row["path"]] = str(_l("Enter a number of 0 or more, without units."))
            continue
        changes.append(services.FigureChange(row["path"], value, reason))
    return changes, errors


def _parse(raw: str, kind: str) -> Any:
    if raw == "":
        return None
    if kind == "bool":
        if raw not in ("yes", "no"):
            raise ValueError(raw)
        return tri_state_to_bool(raw)
    if kind == "money":
        return str(parse_money(raw))  # the same spellings as every money field
    value = int(raw.replace(",", ""))
    if value < 0:
        raise ValueError(raw)
    return value


# --- amount, documents, full view -------------------------------------------------------------


def computation_view(application: Application, locale: str | None = None) -> dict[str, Any]:
    texts = (application.computation or {}).get("texts", {})
    data = texts.get(locale or select_locale()) or next(iter(texts.values()), {})
    steps = [
        {
            **step,
            "sentence": str(
                step_sentence(step.get("label", ""), step.get("expression", ""), step["amount"])
            ),
        }
        for step in data.get("steps", [])
    ]
    return {
        "formula_amount": application.formula_amount,
        "requested_amount": application.requested_amount,
        "steps": steps,
        "note": data.get("note", ""),
        "missing": data.get("missing", []),
        "confirmed": application.amount_confirmed,
    }


def document_slots(application: Application, locale: str) -> list[dict[str, Any]]:
    current = services.current_attachments(application.id)
    required = {
        doc["key"] for doc in sec.required_documents(application.program_version, application)
    }
    slots = []
    for doc in application.program_version.documents:
        attachment = current.get(doc["key"])
        slots.append(
            {
                "key": doc["key"],
                "name": doc["name_en"] if locale == "en" else doc["name_zh"],
                "kinds": kind_labels(doc["kinds"]),
                "accept": ",".join(_accept(kind) for kind in doc["kinds"]),
                "max_mb": doc["max_mb"],
                "required": doc["key"] in required,
                "file": None
                if attachment is None
                else {
                    "id": attachment.id,
                    "name": attachment.original_name,
                    "size": attachment.size,
                    "uploaded_at": attachment.uploaded_at,
                    "pages": attachment.page_count,
                },
            }
        )
    return slots


def _accept(kind: str) -> str:
    return {
        "pdf": ".pdf,application/pdf",
        "image": ".jpg,.jpeg,.png,image/jpeg,image/png",
        "xlsx": ".xlsx",
    }.get(kind, "")


def full_view(application: Application, locale: str) -> dict[str, Any]:
    view = task_list(application, locale)
    view.update(
        project_title=application.project_title,
        project_summary=application.project_summary,
        figures=[row for row in figure_rows(application) if row["value"] != ""],
        changed_figures=[
            {**row, "reason": row["reason"]} for row in figure_rows(application) if row["changed"]
        ],
        project_figures=application.project_figures,
        project_answers=project_answers(application.project_figures or {}),
        needs_project=sec.reads_project(application.program_version),
        computation=computation_view(application),
        documents=document_slots(application, locale),
        declaration={
            "name": application.declaration_name,
            "title": application.declaration_title,
            "at": application.declared_at,
        },
    )
    return view


NOT_ANSWERED = _l("Not answered")

PROJECT_QUESTIONS = (
    ("eligible_investment", _l("Eligible investment (yuan)"), "money"),
    ("digital_level", _l("Digital level (assessment)"), "text"),
    ("project_accepted", _l("Project accepted (acceptance report)"), "bool"),
    ("other_public_funding", _l("Other public funding received for this project"), "bool"),
)


def answer_text(value: Any, kind: str) -> str:
    """An answer as read back to the firm: a question left open is "Not answered", never "No"
    (a missing yes/no is not a no); a yes/no answered False is "No"."""
    if value is None or value == "":
        return str(NOT_ANSWERED)
    if kind == "bool":
        if isinstance(value, str):  # "yes" / "no" as a form sends it
            value = tri_state_to_bool(value)
            if value is None:
                return str(NOT_ANSWERED)
        return str(_l("Yes")) if value else str(_l("No"))
    if kind == "money":
        return _readable(value, "money")
    return str(value)


def project_answers(project: dict[str, Any]) -> list[dict[str, str]]:
    """The project questions with their answers, in the form's order."""
    return [
        {"key": key, "label": str(label), "text": answer_text(project.get(key), kind)}
        for key, label, kind in PROJECT_QUESTIONS
    ]
