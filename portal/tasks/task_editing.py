"""Creating and editing a key task: its owners, requirements, indicators and milestones.

Only a supervisor (督查) or an administrator keeps the tasks. A refusal is a ``DomainError``
beside its field: the task's own fields by name (``number``, ``owner``), a row's as
``indicators-<row>-<field>`` or ``milestones-<row>-<field>``, where ``row`` is the place of the
row on the page. Editing keeps each row that comes back with its id (indicator reports and
slips point at them); a row that does not come back is removed, unless something hangs on it:
an indicator with reported values, a milestone with slips or one already done.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select

from portal.accounts.models import Department, Role, User
from portal.core import audit
from portal.core.audit import Action
from portal.core.concurrency import check_not_stale, flush_or_refuse, lock_row, service
from portal.core.domain import DomainError
from portal.core.extensions import db
from portal.core.timeutil import utcnow
from portal.programs.facts import Recognition
from portal.programs.models import Program
from portal.tasks import indicator_kinds
from portal.tasks.models import (
    Direction,
    IndicatorReport,
    KeyTask,
    Milestone,
    SupervisionSlip,
    TaskIndicator,
)

EDITORS = (Role.SUPERVISOR, Role.ADMIN)
NUMBER_MIN, NUMBER_MAX = 1, 99
YEAR_MIN, YEAR_MAX = 2000, 2100
TITLE_MAX = 200
TEXT_MAX = 4000
UNIT_MAX = 20
VALUE_MAX = Decimal("999999999999")  # VALUE is Numeric(16, 4)


class TaskRefused(DomainError):
    pass


@dataclass
class TaskFields:
    title: str
    year: int
    number: int
    leader_id: int | None
    department_id: int | None
    owner_id: int | None
    title_en: str = ""
    cooperating_units: str = ""
    requirements: str = ""
    requirements_en: str = ""


@dataclass
class IndicatorRow:
    name: str
    kind: str
    target: Decimal | None
    name_en: str = ""
    programs: list[str] = field(default_factory=list)
    recognition: str = ""
    unit: str = ""  # "" : the kind's unit
    direction: str = ""  # "" : the kind's direction
    baseline: Decimal | None = None
    id: int | None = None  # the stored row this one edits
    row: int = 0  # its place on the page, for messages


@dataclass
class MilestoneRow:
    due_on: date | None
    title: str
    title_en: str = ""
    id: int | None = None
    row: int = 0


def may_edit(user: Any) -> bool:
    return getattr(user, "role", None) in EDITORS


# --- checks ---------------------------------------------------------------------------------


def _text(value: str, name: str, *, required: Any = None, limit: int = TITLE_MAX) -> str:
    text = (value or "").strip()
    if required is not None and not text:
        raise TaskRefused(required, field=name)
    if len(text) > limit:
        raise TaskRefused(_l("Keep it under %(count)d characters.", count=limit), field=name)
    return text


def _user(user_id: int | None) -> User | None:
    return db.session.get(User, user_id) if user_id is not None else None


def _check_fields(fields: TaskFields, task: KeyTask | None) -> dict[str, Any]:
    values: dict[str, Any] = {
        "title": _text(fields.title, "title", required=_l("Enter the task's title in Chinese.")),
        "title_en": _text(fields.title_en, "title_en"),
        "cooperating_units": _text(fields.cooperating_units, "cooperating_units", limit=TEXT_MAX),
        "requirements": _text(fields.requirements, "requirements", limit=TEXT_MAX),
        "requirements_en": _text(fields.requirements_en, "requirements_en", limit=TEXT_MAX),
    }
    if not isinstance(fields.year, int) or not YEAR_MIN <= fields.year <= YEAR_MAX:
        raise TaskRefused(
            _l("Enter a year from %(low)d to %(high)d.", low=YEAR_MIN, high=YEAR_MAX), field="year"
        )
    if not isinstance(fields.number, int) or not NUMBER_MIN <= fields.number <= NUMBER_MAX:
        raise TaskRefused(
            _l("Enter a number from %(low)d to %(high)d.", low=NUMBER_MIN, high=NUMBER_MAX),
            field="number",
        )
    taken = db.session.scalar(
        select(KeyTask.id).where(
            KeyTask.year == fields.year,
            KeyTask.number == fields.number,
            KeyTask.id != (task.id if task is not None else -1),
        )
    )
    if taken is not None:
        raise TaskRefused(
            _l(
                "Task %(number)d of %(year)d already exists: choose another number.",
                number=fields.number,
                year=fields.year,
            ),
            field="number",
        )
    values["year"], values["number"] = fields.year, fields.number

    leader = _user(fields.leader_id)
    if leader is None or leader.role is not Role.APPROVER or leader.disabled_at is not None:
        raise TaskRefused(_l("Choose the leader in charge: an approver's account."), field="leader")
    department = (
        db.session.get(Department, fields.department_id)
        if fields.department_id is not None
        else None
    )
    if department is None:
        raise TaskRefused(_l("Choose the lead department."), field="department")
    owner = _user(fields.owner_id)
    if owner is None or not owner.role.is_staff or owner.role is Role.REVIEWER:
        raise TaskRefused(
            _l("Choose the responsible person: a member of the bureau's staff."), field="owner"
        )
    if owner.disabled_at is not None:
        raise TaskRefused(
            _l("This account is disabled: choose someone who can act on the task."), field="owner"
        )
    if owner.department_id != department.id:
        raise TaskRefused(
            _l("The responsible person must be a member of the lead department."), field="owner"
        )
    values.update(leader_id=leader.id, department_id=department.id, owner_id=owner.id)
    return values


def _indicator_values(row: IndicatorRow, known_programs: set[str]) -> dict[str, Any]:
    prefix = f"indicators-{row.row}-"
    kind = indicator_kinds.KINDS.get(row.kind)
    if kind is None:
        raise TaskRefused(_l("Choose how the indicator is measured."), field=prefix + "kind")
    values: dict[str, Any] = {
        "name": _text(row.name, prefix + "name", required=_l("Enter the indicator's name.")),
        "name_en": _text(row.name_en, prefix + "name_en"),
        "kind": kind.key,
        "unit": _text(row.unit, prefix + "unit", limit=UNIT_MAX) or kind.unit,
    }
    params: dict[str, Any] = {}
    if "programs" in kind.params:
        codes = list(dict.fromkeys(c.strip() for c in row.programs if c and c.strip()))
        if not codes:
            raise TaskRefused(
                _l("Enter the code of at least one programme."), field=prefix + "programs"
            )
        unknown = [c for c in codes if c not in known_programs]
        if unknown:
            raise TaskRefused(
                _l("No programme has the code %(codes)s.", codes=", ".join(unknown)),
                field=prefix + "programs",
            )
        params["programs"] = codes
    if "recognition" in kind.params:
        if row.recognition not in Recognition.ALL:
            raise TaskRefused(_l("Choose a recognition."), field=prefix + "recognition")
        params["recognition"] = row.recognition
    values["params"] = params
    if row.direction:
        try:
            values["direction"] = Direction(row.direction)
        except ValueError:
            raise TaskRefused(_l("Choose a direction."), field=prefix + "direction") from None
    else:
        values["direction"] = kind.direction
    for name, number, required in (
        ("target", row.target, True),
        ("baseline", row.baseline, False),
    ):
        if number is None and not required:
            number = Decimal(0)
        if number is None or not number.is_finite() or not 0 <= number <= VALUE_MAX:
            raise TaskRefused(
                _l("Enter a number of 0 or more, for example 20."), field=prefix + name
            )
        values[name] = number
    return values


def _milestone_values(row: MilestoneRow, year: int) -> dict[str, Any]:
    prefix = f"milestones-{row.row}-"
    if row.due_on is None or row.due_on.year != year:
        raise TaskRefused(
            _l("Enter a day in %(year)d, the task's year.", year=year), field=prefix + "due_on"
        )
    return {
        "due_on": row.due_on,
        "title": _text(row.title, prefix + "title", required=_l("Say what is to be done.")),
        "title_en": _text(row.title_en, prefix + "title_en"),
    }


def _known_programs(rows: Sequence[IndicatorRow]) -> set[str]:
    codes = sorted({c.strip() for r in rows for c in r.programs if c and c.strip()})
    if not codes:
        return set()
    return set(db.session.scalars(select(Program.code).where(Program.code.in_(codes))))


def _check_rows(
    indicators: Sequence[IndicatorRow], milestones: Sequence[MilestoneRow], year: int
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    known = _known_programs(indicators)
    indicator_values = [_indicator_values(row, known) for row in indicators]
    if not milestones:
        raise TaskRefused(_l("Add at least one milestone."), field="milestones")
    milestone_values = [_milestone_values(row, year) for row in milestones]
    return indicator_values, milestone_values


def _refuse_editor(by: Any) -> None:
    if not may_edit(by):
        raise TaskRefused(_l("Only a supervisor or an administrator keeps the key tasks."))


# --- commands -------------------------------------------------------------------------------


@service
def create_task(
    by: Any,
    fields: TaskFields,
    indicators: Sequence[IndicatorRow],
    milestones: Sequence[MilestoneRow],
) -> KeyTask:
    _refuse_editor(by)
    values = _check_fields(fields, None)
    indicator_values, milestone_values = _check_rows(indicators, milestones, values["year"])
    task = KeyTask(created_by_id=by.id, **values)
    db.session.add(task)
    db.session.flush()
    for position, row in enumerate(indicator_values):
        db.session.add(TaskIndicator(task_id=task.id, position=position, **row))
    for row in milestone_values:
        db.session.add(Milestone(task_id=task.id, **row))
    db.session.flush()
    audit.record(
        Action.TASK_CREATED,
        task,
        actor=by,
        year=task.year,
        number=task.number,
        title=task.title,
        indicators=len(indicator_values),
        milestones=len(milestone_values),
    )
    return task


def _plain(value: Any) -> Any:
    if isinstance(value, Decimal):
        normal = value.normalize()
        return f"{normal:f}"
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Direction):
        return value.value
    return value


def _changes(obj: Any, values: dict[str, Any]) -> dict[str, list[Any]]:
    changed = {}
    for name, new in values.items():
        old = getattr(obj, name)
        if _plain(old) != _plain(new):
            changed[name] = [_plain(old), _plain(new)]
    return changed


def _counts(model: Any, column: Any, ids: list[int]) -> dict[int, int]:
    if not ids:
        return {}
    rows = db.session.execute(
        select(column, func.count()).where(column.in_(ids)).group_by(column)
    ).all()
    return {key: int(n) for key, n in rows}


@service
def edit_task(
    task: KeyTask,
    by: Any,
    seen_version: int | None,
    fields: TaskFields,
    indicators: Sequence[IndicatorRow],
    milestones: Sequence[MilestoneRow],
) -> KeyTask:
    _refuse_editor(by)
    task = lock_row(KeyTask, task.id)
    check_not_stale(task, seen_version)
    values = _check_fields(fields, task)
    indicator_values, milestone_values = _check_rows(indicators, milestones, values["year"])

    stored_indicators = {
        i.id: i
        for i in db.session.scalars(select(TaskIndicator).where(TaskIndicator.task_id == task.id))
    }
    stored_milestones = {
        m.id: m for m in db.session.scalars(select(Milestone).where(Milestone.task_id == task.id))
    }
    reports = _counts(IndicatorReport, IndicatorReport.indicator_id, list(stored_indicators))
    slips = _counts(SupervisionSlip, SupervisionSlip.milestone_id, list(stored_milestones))

    kept_indicators = {r.id for r in indicators if r.id in stored_indicators}
    for indicator_id, indicator in stored_indicators.items():
        if indicator_id not in kept_indicators and reports.get(indicator_id):
            raise TaskRefused(
                _l(
                    "“%(name)s” has reported values: it cannot be removed.",
                    name=indicator.name,
                ),
                field="indicators",
            )
    for row, new in zip(indicators, indicator_values, strict=True):
        old = stored_indicators.get(row.id) if row.id is not None else None
        if old is not None and reports.get(old.id) and new["kind"] != old.kind:
            raise TaskRefused(
                _l("This indicator has reported values: its kind cannot change."),
                field=f"indicators-{row.row}-kind",
            )
    kept_milestones = {r.id for r in milestones if r.id in stored_milestones}
    for milestone_id, milestone in stored_milestones.items():
        if milestone_id in kept_milestones:
            continue
        if milestone.done_on is not None:
            raise TaskRefused(
                _l("“%(title)s” is done: it cannot be removed.", title=milestone.title),
                field="milestones",
            )
        if slips.get(milestone_id):
            raise TaskRefused(
                _l(
                    "“%(title)s” has supervision slips: it cannot be removed.",
                    title=milestone.title,
                ),
                field="milestones",
            )

    changes = _changes(task, values)
    for name, value in values.items():
        setattr(task, name, value)

    rows_changed: dict[str, int] = {"added": 0, "changed": 0, "removed": 0}
    for position, (row, new) in enumerate(zip(indicators, indicator_values, strict=True)):
        new = {**new, "position": position}
        old = stored_indicators.get(row.id) if row.id is not None else None
        if old is None:
            db.session.add(TaskIndicator(task_id=task.id, **new))
            rows_changed["added"] += 1
        elif _changes(old, new):
            for name, value in new.items():
                setattr(old, name, value)
            rows_changed["changed"] += 1
    for indicator_id, indicator in stored_indicators.items():
        if indicator_id not in kept_indicators:
            db.session.delete(indicator)
            rows_changed["removed"] += 1

    milestones_changed: dict[str, int] = {"added": 0, "changed": 0, "removed": 0}
    for row, new in zip(milestones, milestone_values, strict=True):
        old_m = stored_milestones.get(row.id) if row.id is not None else None
        if old_m is None:
            db.session.add(Milestone(task_id=task.id, **new))
            milestones_changed["added"] += 1
        elif _changes(old_m, new):
            for name, value in new.items():
                setattr(old_m, name, value)
            milestones_changed["changed"] += 1
    for milestone_id, milestone in stored_milestones.items():
        if milestone_id not in kept_milestones:
            db.session.delete(milestone)
            milestones_changed["removed"] += 1

    touched = any(rows_changed.values()) or any(milestones_changed.values())
    if not changes and not touched:
        return task
    task.updated_at = utcnow()  # a new lock version, also when only rows changed
    flush_or_refuse()
    audit.record(
        Action.TASK_EDITED,
        task,
        actor=by,
        changes=changes,
        indicators={k: v for k, v in rows_changed.items() if v},
        milestones={k: v for k, v in milestones_changed.items() if v},
    )
    return task
