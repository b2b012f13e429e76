"""Plain values for application templates: templates never receive lazy ORM objects."""

from __future__ import annotations

from decimal import InvalidOperation
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from portal.accounts.models import Role
from portal.applications import lifecycle, services
from portal.applications import sections as sec
from portal.applications.models import Application
from portal.core.audit import AuditEvent, action_label
from portal.core.extensions import db
from portal.core.forms import money_message
from portal.core.i18n import select_locale
from portal.core.money import MoneyError, format_money, parse_money, to_cents
from portal.core.timeutil import bureau_today
from portal.profiles.services import profile_years
from portal.programs.files_kinds import kind_labels
from portal.programs.models import Program
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


def task_list(application: Application, locale: str) -> dict[str, Any]:
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
        "timeline": timeline(application),
        "decision": released_decision(application),
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
    }


def timeline(application: Application) -> list[dict[str, Any]]:
    events = db.session.execute(
        select(AuditEvent.occurred_at, AuditEvent.action, AuditEvent.summary)
        .where(
            AuditEvent.object_type == "applications",
            AuditEvent.object_id == str(application.id),
            AuditEvent.action.in_(TIMELINE_ACTIONS),
        )
        .order_by(AuditEvent.id)
    ).all()
    rows = []
    firm = _viewer_is_firm()
    for event in events:
        if firm and event.action.removeprefix("application.") not in FIRM_TIMELINE_ACTIONS:
            continue  # review internals stay with the bureau until a decision is released
        new = event.summary.get("new")
        label = action_label(event.action)
        status = str(lifecycle.Status(new).label) if new else ""
        if firm and new and lifecycle.Status(new) in lifecycle.UNDER_REVIEW_FOR_FIRM:
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


FIRM_TIMELINE_ACTIONS = frozenset(
    {
        "started",
        "submit",
        "resubmit",
        "withdraw",
        "return_for_changes",
        "start_formal_check",
        "reject_ineligible",
        "release_approval",
        "release_rejection",
        "uphold_objection",
        "finish_publicity",
        "letter.issued",
        "letter.reissued",
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
)


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
    return {
        "formula_amount": application.formula_amount,
        "requested_amount": application.requested_amount,
        "steps": data.get("steps", []),
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
