"""The audit log as a person reads it: labelled events, the object's name with a link, old → new
for every change, filters, keyset pages and a CSV download.

A page costs a fixed number of queries whatever the log's length: one for the events (with
their actors), and one per kind of object named on the page (applications, programmes,
accounts, firms). Pages go by the event id (``?before=`` / ``?after=``), never by an offset
or a count of the whole log, so the thousandth page costs what the first does.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any

from flask import Response, abort, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from sqlalchemy import Select, or_, select
from wtforms import DateField, SelectField, StringField
from wtforms.validators import Length, Optional
from wtforms.widgets import TextInput

from portal.accounts.models import Enterprise, Role, User
from portal.applications.models import Application, Status
from portal.core import audit
from portal.core.access import ADMIN, allow
from portal.core.audit import Action, AuditEvent
from portal.core.csv_safe import csv_text
from portal.core.extensions import db
from portal.core.i18n import select_locale
from portal.core.inputs import query_int
from portal.core.money import format_money
from portal.core.timeutil import BUREAU_ZONE, bureau_today
from portal.programs.models import Program
from portal.web.templating import bureau_time

PER_PAGE = 50
# The CSV holds at most this many events (the newest that match): the filters narrow it.
CSV_LIMIT = 10_000

# Object types an event can point at, for the filter (the stored table names).
OBJECT_TYPES = {
    "applications": _l("Application"),
    "programs": _l("Programme"),
    "users": _l("Account"),
    "enterprises": _l("Enterprise"),
    "assignments": _l("Review assignment"),
    "letters": _l("Letter"),
    "objections": _l("Objection"),
    "system": _l("System"),
}
ACTOR_KINDS = {
    "person": _l("Signed-in people"),
    "system": audit.SYSTEM_ACTOR,
    "visitor": audit.ANONYMOUS_ACTOR,
}
# A programme's editable fields as the editor names them.
PROGRAM_FIELD_LABELS = {
    "code": _l("Code"),
    "name_zh": _l("Name (Chinese)"),
    "name_en": _l("Name (English)"),
    "summary_zh": _l("Summary (Chinese)"),
    "summary_en": _l("Summary (English)"),
    "kind": _l("Kind"),
    "issuer_code": _l("Issuer code"),
    "opens_at": _l("Opens"),
    "closes_at": _l("Closes"),
    "budget": _l("Budget"),
    "per_firm_cap": _l("Cap per firm"),
    "reviewers_per_application": _l("Reviewers per application"),
    "publicity_days": _l("Publicity days"),
    "score_spread_threshold": _l("Score spread threshold"),
    "pro_rata": _l("Pro rata"),
}
MONEY_FIELDS = {"budget", "per_firm_cap", "requested", "decided_amount", "total_amount"}


class AuditFilterForm(FlaskForm):
    """The filters, read from the query string (a GET form: no CSRF token)."""

    class Meta:
        csrf = False

    actor = StringField(
        _l("Who (email or name)"),
        validators=[Optional(), Length(max=100)],
        filters=[lambda value: value.strip() if value else value],
    )
    actor_kind = SelectField(_l("Kind of actor"), default="", validate_choice=True)
    object_type = SelectField(_l("Object"), default="", validate_choice=True)
    action = SelectField(_l("Event"), default="", validate_choice=True)
    date_from = DateField(
        _l("From"),
        validators=[Optional()],
        format="%Y-%m-%d",
        # Text, not type=date: a browser empties a date box it cannot read, and a
        # mistyped date must come back as typed, beside its message.
        widget=TextInput(),
        render_kw={"placeholder": "2026-12-01", "inputmode": "numeric"},
    )
    date_to = DateField(
        _l("To"),
        validators=[Optional()],
        format="%Y-%m-%d",
        widget=TextInput(),
        render_kw={"placeholder": "2026-12-31", "inputmode": "numeric"},
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.actor_kind.choices = [("", _("Anyone"))] + [
            (key, str(label)) for key, label in ACTOR_KINDS.items()
        ]
        self.object_type.choices = [("", _("Any object"))] + [
            (key, str(label)) for key, label in OBJECT_TYPES.items()
        ]
        actions = sorted(Action, key=lambda member: str(member.label))
        self.action.choices = [("", _("All events"))] + [
            (member.value, str(member.label)) for member in actions
        ]

    def validate(self, extra_validators: Any = None) -> bool:
        valid = bool(super().validate(extra_validators))
        # A date that is not one is refused by the field; say it in our words.
        for date_field in (self.date_from, self.date_to):
            if date_field.errors:
                date_field.errors = [_("Enter a date like 2026-12-01.")]
        start, end = self.date_from.data, self.date_to.data
        if valid and start and end and end < start:
            self.date_to.errors = [_("The end date must not be before the start date.")]
            valid = False
        return valid


def _filter_form() -> AuditFilterForm:
    form = AuditFilterForm(formdata=request.args)
    form.submitted = any(request.args.get(name) for name in form._fields)
    form.is_valid = form.validate() if form.submitted else True
    return form


def _filtered(query: Select[Any], form: AuditFilterForm) -> Select[Any]:
    """``query`` narrowed by the filters (none when the form has errors: nothing is guessed)."""
    if not form.is_valid:
        return query
    if form.actor.data:
        pattern = f"%{form.actor.data}%"
        people = select(User.id).where(
            or_(User.email.ilike(pattern), User.display_name.ilike(pattern))
        )
        query = query.where(AuditEvent.actor_id.in_(people))
    kind = form.actor_kind.data
    if kind == "person":
        query = query.where(AuditEvent.actor_id.is_not(None))
    elif kind == "system":
        query = query.where(AuditEvent.actor_id.is_(None), AuditEvent.ip_address.is_(None))
    elif kind == "visitor":
        query = query.where(AuditEvent.actor_id.is_(None), AuditEvent.ip_address.is_not(None))
    if form.object_type.data:
        query = query.where(AuditEvent.object_type == form.object_type.data)
    if form.action.data:
        query = query.where(AuditEvent.action == form.action.data)
    if form.date_from.data:
        query = query.where(AuditEvent.occurred_at >= _start_of(form.date_from.data))
    if form.date_to.data:
        query = query.where(
            AuditEvent.occurred_at < _start_of(form.date_to.data + timedelta(days=1))
        )
    return query


def _start_of(day: date) -> datetime:
    """The first instant of a bureau day (China Standard Time), in UTC."""
    return datetime.combine(day, time(0), tzinfo=BUREAU_ZONE).astimezone(UTC)


def _events_query() -> Select[Any]:
    return select(AuditEvent, User.email, User.display_name).outerjoin(
        User, User.id == AuditEvent.actor_id
    )


@dataclass
class KeysetPage:
    rows: list[Any]
    newer: int | None = None  # ``?after=`` of the "Newer" link
    older: int | None = None  # ``?before=`` of the "Older" link
    is_first: bool = True
    links: dict[str, Any] = field(default_factory=dict)


def _keyset_page(query: Select[Any]) -> KeysetPage:
    """One page of events, newest first, from the cursor in the query string: ``before`` (the
    events older than this id) or ``after`` (those newer, for "Newer"). One query, by the
    primary key: no offset, no count."""
    before = query_int("before", None, minimum=1)
    after = None if before else query_int("after", None, minimum=1)
    if after:
        found = db.session.execute(
            query.where(AuditEvent.id > after).order_by(AuditEvent.id).limit(PER_PAGE + 1)
        ).all()
        more_newer = len(found) > PER_PAGE
        rows = list(reversed(found[:PER_PAGE]))
        page = KeysetPage(rows, is_first=not more_newer)
        page.newer = rows[0][0].id if more_newer and rows else None
        page.older = rows[-1][0].id if rows else None
        return page
    if before:
        query = query.where(AuditEvent.id < before)
    found = db.session.execute(query.order_by(AuditEvent.id.desc()).limit(PER_PAGE + 1)).all()
    rows = found[:PER_PAGE]
    page = KeysetPage(rows, is_first=before is None)
    page.older = rows[-1][0].id if len(found) > PER_PAGE else None
    page.newer = rows[0][0].id if before and rows else None
    return page


# --- naming what the events point at ------------------------------------------------------


@dataclass
class Names:
    """The names and links of the objects a page's events mention, one query per kind."""

    applications: dict[int, str] = field(default_factory=dict)
    programs: dict[int, str] = field(default_factory=dict)
    users: dict[int, tuple[str, bool]] = field(default_factory=dict)
    enterprises: dict[int, str] = field(default_factory=dict)


def _int(value: Any) -> int | None:
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if isinstance(value, str) and value.isdigit() and len(value) < 12:
        return int(value)
    return None


def _names_for(events: list[AuditEvent]) -> Names:
    wanted: dict[str, set[int]] = {"applications": set(), "programs": set(), "users": set()}
    wanted["enterprises"] = set()
    for event in events:
        object_id = _int(event.object_id)
        if object_id is not None and event.object_type in wanted:
            wanted[event.object_type].add(object_id)
        if event.application_id:
            wanted["applications"].add(event.application_id)
        summary = event.summary or {}
        for key, kind in (("program_id", "programs"), ("reviewer_id", "users")):
            found = _int(summary.get(key))
            if found is not None:
                wanted[kind].add(found)
    # Each kind is read even when the page names none of it, so that every page costs the
    # same number of queries (an empty IN reads no rows).
    names = Names()
    locale = select_locale()
    names.applications = dict(
        db.session.execute(
            select(Application.id, Application.reference).where(
                Application.id.in_(sorted(wanted["applications"]))
            )
        ).all()
    )
    names.programs = {
        row.id: row.name_en if locale == "en" else row.name_zh
        for row in db.session.execute(
            select(Program.id, Program.name_zh, Program.name_en).where(
                Program.id.in_(sorted(wanted["programs"]))
            )
        )
    }
    names.users = {
        row.id: (row.email, row.role is not Role.ENTERPRISE)
        for row in db.session.execute(
            select(User.id, User.email, User.role).where(User.id.in_(sorted(wanted["users"])))
        )
    }
    names.enterprises = dict(
        db.session.execute(
            select(Enterprise.id, Enterprise.name).where(
                Enterprise.id.in_(sorted(wanted["enterprises"]))
            )
        ).all()
    )
    return names


def _link(kind: str, object_id: int | None, names: Names) -> dict[str, str] | None:
    """``{"text", "href"}`` for an object the log names, None when it is not known."""
    if object_id is None:
        return None
    if kind == "applications" and object_id in names.applications:
        href = url_for("staff_applications.show", application_id=object_id)
        return {"text": names.applications[object_id], "href": href}
    if kind == "programs" and object_id in names.programs:
        href = url_for("program_editor.edit", program_id=object_id)
        return {"text": names.programs[object_id], "href": href}
    if kind == "users" and object_id in names.users:
        email, is_staff = names.users[object_id]
        href = url_for("admin.accounts", kind="staff" if is_staff else "enterprise")
        return {"text": email, "href": href}
    if kind == "enterprises" and object_id in names.enterprises:
        href = url_for("admin.accounts", kind="enterprise")
        return {"text": names.enterprises[object_id], "href": href}
    return None


def _object_of(event: AuditEvent, names: Names) -> dict[str, Any]:
    object_id = _int(event.object_id)
    kind_label = OBJECT_TYPES.get(event.object_type)
    kind = str(kind_label) if kind_label is not None else event.object_type
    link = _link(event.object_type, object_id, names)
    # An assignment, objection or letter is shown with the application it belongs to.
    application = None
    if event.object_type != "applications" and event.application_id:
        application = _link("applications", event.application_id, names)
    if event.object_type == "system":
        text = ""
    elif link:
        text = link["text"]
    else:
        text = f"#{event.object_id}" if event.object_id else ""
    return {
        "kind": kind,
        "text": text,
        "href": link["href"] if link else None,
        "application": application,
    }


def _shown(key: str | None, value: Any, action: str) -> str:
    """A recorded value as a person reads it: statuses and roles by name, amounts with
    separators, hashes shortened, yes/no for booleans, lists joined."""
    if value is None or value == "":
        return "—"
    if isinstance(value, bool):
        return _("Yes") if value else _("No")
    if isinstance(value, list):
        return ", ".join(_shown(key, item, action) for item in value)
    if key is None:  # a bare old/new pair: a status or a role
        enum = Role if action == Action.STAFF_ROLE_CHANGED.value else Status
        try:
            return str(enum(value).label)
        except ValueError:
            return str(value)
    if key in MONEY_FIELDS:
        try:
            return format_money(Decimal(str(value)))
        except (InvalidOperation, ValueError):
            return str(value)
    if key == "sha256" and isinstance(value, str) and len(value) > 16:
        return value[:12] + "…"
    if key in ("opens_at", "closes_at", "due_at") and isinstance(value, str):
        try:
            return bureau_time(datetime.fromisoformat(value))
        except ValueError:
            return value
    return str(value)


def _label(key: str | None) -> str:
    if key is None:
        return _("Status")
    program_label = PROGRAM_FIELD_LABELS.get(key)
    return str(program_label) if program_label is not None else audit.summary_label(key)


def _details(event: AuditEvent, names: Names) -> list[dict[str, Any]]:
    lines = []
    for item in audit.summary_items(event.summary):
        key = item.key
        label = _label(key)
        if key is None and event.action == Action.STAFF_ROLE_CHANGED.value:
            label = _("Role")
        elif key is None and not event.action.startswith("application."):
            label = _("Value")
        line: dict[str, Any] = {"label": label, "is_change": item.is_change}
        if item.is_change:
            line["old"] = _shown(key, item.old, event.action)
            line["new"] = _shown(key, item.new, event.action)
        elif key == "fields" and isinstance(item.value, list):
            line["value"] = ", ".join(_label(str(name)) for name in item.value)
        elif key in ("program_id", "reviewer_id", "application_id"):
            kind = {"program_id": "programs", "reviewer_id": "users"}.get(key, "applications")
            line["link"] = _link(kind, _int(item.value), names)
            line["value"] = _shown(key, item.value, event.action)
        else:
            line["value"] = _shown(key, item.value, event.action)
            if key == "sha256":
                line["title"] = str(item.value)
        lines.append(line)
    return lines


def _actor_of(event: AuditEvent, email: str | None, name: str | None) -> dict[str, Any]:
    kind = audit.actor_kind(event.actor_id, event.ip_address)
    if kind == "person":
        return {"kind": kind, "text": name or email or f"#{event.actor_id}", "email": email}
    return {"kind": kind, "text": str(ACTOR_KINDS[kind]), "email": None}


def _rows(found: list[Any]) -> list[dict[str, Any]]:
    names = _names_for([row[0] for row in found])
    return [
        {
            "id": event.id,
            "occurred_at": event.occurred_at,
            "actor": _actor_of(event, email, name),
            "action": event.action,
            "action_label": audit.action_label(event.action),
            "object": _object_of(event, names),
            "details": _details(event, names),
            "ip": event.ip_address,
        }
        for event, email, name in found
    ]


def _filter_args(form: AuditFilterForm) -> dict[str, str]:
    """The filters as typed, for the paging and download links."""
    return {name: request.args[name] for name in form._fields if request.args.get(name, "").strip()}


@allow(ADMIN)
def audit_log() -> Any:
    form = _filter_form()
    page = _keyset_page(_filtered(_events_query(), form))
    return render_template(
        "admin/audit.html",
        form=form,
        rows=_rows(page.rows),
        page=page,
        filter_args=_filter_args(form),
    ), (200 if form.is_valid else 422)


def _detail_text(line: dict[str, Any]) -> str:
    if line["is_change"]:
        return f"{line['label']}: {line['old']} → {line['new']}"
    return f"{line['label']}: {line.get('value', '')}"


@allow(ADMIN)
def audit_csv() -> Response:
    """The events the filters select (the newest ``CSV_LIMIT``), as the page words them."""
    form = _filter_form()
    if not form.is_valid:
        abort(400)
    found = db.session.execute(
        _filtered(_events_query(), form).order_by(AuditEvent.id.desc()).limit(CSV_LIMIT)
    ).all()
    header = [
        _("Time (UTC+8)"),
        _("Who"),
        _("Email"),
        _("Event"),
        _("Event code"),
        _("Object"),
        _("Name"),
        _("Application"),
        _("Details"),
        _("IP address"),
    ]
    body = [header] + [
        [
            bureau_time(row["occurred_at"], "yyyy-MM-dd HH:mm:ss"),
            row["actor"]["text"],
            row["actor"]["email"],
            row["action_label"],
            row["action"],
            row["object"]["kind"],
            row["object"]["text"],
            row["object"]["application"]["text"] if row["object"]["application"] else "",
            "; ".join(_detail_text(line) for line in row["details"]),
            row["ip"],
        ]
        for row in _rows(found)
    ]
    response = Response(csv_text(body).encode("utf-8"), mimetype="text/csv; charset=utf-8")
    name = f"audit-log-{bureau_today():%Y%m%d}.csv"
    response.headers["Content-Disposition"] = f'attachment; filename="{name}"'
    response.headers["Cache-Control"] = "private, no-store"
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response


def register(bp: Any) -> None:
    """Put the log's pages on the admin blueprint (their endpoints keep the ``admin.`` names)."""
    bp.add_url_rule("/audit", "audit_log", audit_log)
    bp.add_url_rule("/audit.csv", "audit_csv", audit_csv)
