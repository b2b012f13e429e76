"""Publicity (公示): the public list of released awards, signed objections, their resolution,
and the daily move of awards whose period has ended without an open objection.

Objections must be signed (name and a way to contact the objector); anonymous ones are not
accepted. An objection puts the award on hold until an officer upholds it (the award is
rejected) or dismisses it (back in publicity, the period's end date unchanged).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import exists, select

from portal.accounts.models import Enterprise
from portal.applications import lifecycle
from portal.applications.models import Application, Status
from portal.core import audit
from portal.core.audit import Action
from portal.core.concurrency import flush_or_refuse, service
from portal.core.domain import DomainError
from portal.core.extensions import db
from portal.core.pagination import Page, paginate
from portal.core.timeutil import bureau_today, utcnow
from portal.programs.models import Program
from portal.programs.parameters import Text
from portal.review.models import Objection, ObjectionStatus

PUBLIC_STATUSES = (Status.PUBLICITY, Status.ON_HOLD)
UPHELD = "upheld"
DISMISSED = "dismissed"

# Names that sign nothing: an objection signed like this is anonymous.
_ANONYMOUS_NAMES = {"匿名", "无名", "佚名", "不详", "某某", "anonymous", "anon", "n/a", "none"}
_PHONE = re.compile(r"\+?[0-9][0-9 \-]{5,18}[0-9]")
_EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")


class ObjectionRefused(DomainError):
    pass


@dataclass(frozen=True)
class ObjectionInput:
    name: str
    contact: str
    reason: str


# --- the public list ------------------------------------------------------------------------


def open_for_objection(application: Application, today: date | None = None) -> bool:
    """Objections are taken while the award is in publicity and its period has not ended."""
    today = today or bureau_today()
    return application.status is Status.PUBLICITY and (
        application.publicity_ends_on is None or application.publicity_ends_on >= today
    )


def public_list(locale: str, page: int = 1, per_page: int = 50) -> tuple[Page, list[dict]]:
    """Awards in publicity or on hold, grouped by programme (two queries per page)."""
    query = (
        select(
            Application.id,
            Application.status,
            Application.decided_amount,
            Application.publicity_starts_on,
            Application.publicity_ends_on,
            Enterprise.name.label("enterprise"),
            Program.id.label("program_id"),
            Program.name_zh,
            Program.name_en,
        )
        .join(Enterprise, Enterprise.id == Application.enterprise_id)
        .join(Program, Program.id == Application.program_id)
        .where(Application.status.in_(PUBLIC_STATUSES))
        .order_by(Program.id, Application.decided_amount.desc(), Enterprise.name, Application.id)
    )
    result = paginate(query, page=page, per_page=per_page)
    today = bureau_today()
    groups: list[dict[str, Any]] = []
    for row in result.rows:
        if not groups or groups[-1]["program_id"] != row.program_id:
            groups.append(
                {
                    "program_id": row.program_id,
                    "program": row.name_en if locale == "en" else row.name_zh,
                    "rows": [],
                }
            )
        groups[-1]["rows"].append(
            {
                "id": row.id,
                "enterprise": row.enterprise,
                "amount": row.decided_amount,
                "starts_on": row.publicity_starts_on,
                "ends_on": row.publicity_ends_on,
                "on_hold": row.status is Status.ON_HOLD,
                "open": row.status is Status.PUBLICITY
                and (row.publicity_ends_on is None or row.publicity_ends_on >= today),
            }
        )
    return result, groups


def public_row(application: Application, locale: str) -> dict[str, Any]:
    return {
        "id": application.id,
        "enterprise": application.enterprise.name,
        "program": application.program.name(locale),
        "amount": application.decided_amount,
        "starts_on": application.publicity_starts_on,
        "ends_on": application.publicity_ends_on,
    }


# --- objections -----------------------------------------------------------------------------


def name_problem(name: str) -> Text | None:
    name = (name or "").strip()
    if len(name) < 2 or name.casefold() in _ANONYMOUS_NAMES:
        return _l("Give your full name: anonymous objections are not accepted.")
    return None


def contact_problem(contact: str) -> Text | None:
    contact = (contact or "").strip()
    if not (_PHONE.fullmatch(contact) or _EMAIL.fullmatch(contact)):
        return _l("Give a phone number or an email address at which the bureau can reach you.")
    return None


def check_objection(data: ObjectionInput) -> ObjectionInput:
    """The objection with its text trimmed, or ObjectionRefused naming the field."""
    problem = name_problem(data.name)
    if problem:
        raise ObjectionRefused(problem, field="name")
    problem = contact_problem(data.contact)
    if problem:
        raise ObjectionRefused(problem, field="contact")
    reason = (data.reason or "").strip()
    if not reason:
        raise ObjectionRefused(
            _l("Explain your objection: what is wrong with this award, and how you know."),
            field="reason",
        )
    return ObjectionInput(data.name.strip(), data.contact.strip(), reason)


@service
def raise_objection(
    application: Application, data: ObjectionInput, *, ip_address: str | None
) -> Objection:
    """Record a signed objection and put the award on hold."""
    if not open_for_objection(application):
        raise ObjectionRefused(_l("This award is not open for objections."))
    data = check_objection(data)
    objection = Objection(
        application_id=application.id,
        name=data.name,
        contact=data.contact,
        reason=data.reason,
        ip_address=ip_address,
        status=ObjectionStatus.OPEN,
    )
    db.session.add(objection)
    db.session.flush()
    lifecycle.transition(application, "objection_received", actor=None, objection_id=objection.id)
    audit.record(
        Action.PUBLICITY_OBJECTION_RECEIVED,
        objection,
        actor=None,
        application_id=application.id,
    )
    # The award moved on meanwhile (an officer's change, the end of publicity).
    flush_or_refuse(_l("This award is not open for objections."))
    return objection


def open_objections(locale: str, page: int = 1) -> tuple[Page, list[dict[str, Any]]]:
    query = (
        select(
            Objection,
            Application.reference,
            Application.decided_amount,
            Application.publicity_ends_on,
            Application.id.label("application_id"),
            Enterprise.name.label("enterprise"),
            Program.name_zh,
            Program.name_en,
        )
        .join(Application, Application.id == Objection.application_id)
        .join(Enterprise, Enterprise.id == Application.enterprise_id)
        .join(Program, Program.id == Application.program_id)
        .where(Objection.status == ObjectionStatus.OPEN)
        .order_by(Objection.submitted_at, Objection.id)
    )
    result = paginate(query, page=page)
    rows = [
        {
            "id": objection.id,
            "application_id": application_id,
            "reference": reference,
            "enterprise": enterprise,
            "program": name_en if locale == "en" else name_zh,
            "amount": amount,
            "ends_on": ends_on,
            "name": objection.name,
            "contact": objection.contact,
            "reason": objection.reason,
            "submitted_at": objection.submitted_at,
        }
        for (
            objection,
            reference,
            amount,
            ends_on,
            application_id,
            enterprise,
            name_zh,
            name_en,
        ) in result.rows
    ]
    return result, rows


@service
def resolve_objection(objection: Objection, outcome: str, note: str, *, actor: Any) -> Objection:
    """Uphold (the award is rejected) or dismiss (back in publicity) an open objection."""
    note = (note or "").strip()
    if outcome not in (UPHELD, DISMISSED):
        raise ObjectionRefused(
            _l("Choose whether the objection is upheld or dismissed."), field="outcome"
        )
    if not note:
        raise ObjectionRefused(_l("Write down what you found and why."), field="note")
    if objection.status is not ObjectionStatus.OPEN:
        raise ObjectionRefused(_l("This objection has already been resolved."))
    application = db.session.get(Application, objection.application_id)
    if outcome == UPHELD:
        amount = application.decided_amount
        lifecycle.transition(application, "uphold_objection", actor=actor, reason=note)
        application.decision = "reject"
        application.decided_amount = None
        application.decision_reason_code = "objection_upheld"
        application.decision_reason = note
        application.decided_by_id = getattr(actor, "id", None)
        application.decided_at = utcnow()
        objection.status = ObjectionStatus.UPHELD
        previous = {"previous_amount": None if amount is None else str(amount)}
        action = Action.PUBLICITY_OBJECTION_UPHELD
    else:
        lifecycle.transition(application, "dismiss_objection", actor=actor)
        objection.status = ObjectionStatus.DISMISSED
        previous = {}
        action = Action.PUBLICITY_OBJECTION_DISMISSED
    objection.resolved_by_id = getattr(actor, "id", None)
    objection.resolved_at = utcnow()
    objection.resolution_note = note
    audit.record(
        action,
        objection,
        actor=actor,
        application_id=application.id,
        note=note,
        **previous,
    )
    flush_or_refuse(_l("Someone else changed this application meanwhile. Open the list again."))
    return objection


# --- the end of publicity -------------------------------------------------------------------


def advance_publicity(today: date | None = None, *, actor: Any = None) -> int:
    """Make final every award whose publicity period ended before ``today`` (Asia/Shanghai)
    without an open objection; return how many. Running it again moves nothing."""
    today = today or bureau_today()
    has_open_objection = exists().where(
        Objection.application_id == Application.id, Objection.status == ObjectionStatus.OPEN
    )
    due = list(
        db.session.scalars(
            select(Application)
            .where(
                Application.status == Status.PUBLICITY,
                Application.publicity_ends_on < today,
                ~has_open_objection,
            )
            .order_by(Application.id)
            .with_for_update(skip_locked=True)
        )
    )
    now = utcnow()
    for application in due:
        lifecycle.transition(application, "finish_publicity", actor=actor)
        application.awarded_at = now
    if due:
        audit.record(
            Action.PUBLICITY_ADVANCED,
            actor=actor,
            object_type="system",
            count=len(due),
            today=today.isoformat(),
        )
    db.session.flush()
    return len(due)
