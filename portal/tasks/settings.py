"""The wall map's settings: the bureau's departments (科室) and the city's goal tiles (e.g.
双千双百). Kept by the supervisor (and the admin); every save is audited. A department is never
deleted (its members and tasks point at it), so there is no delete at all.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select

from portal.accounts.models import Department, User
from portal.core import audit
from portal.core.audit import Action
from portal.core.concurrency import service
from portal.core.domain import DomainError
from portal.core.extensions import db
from portal.programs.facts import Recognition
from portal.programs.models import Program
from portal.tasks import indicator_kinds
from portal.tasks.models import GoalTile, KeyTask

YEARS = (2000, 2100)
MAX_TARGET = Decimal("999999999999")


@dataclass(frozen=True)
class DepartmentRow:
    department: Department
    members: int
    tasks: int


def department_rows() -> list[DepartmentRow]:
    """Every department in the bureau's order with its members and tasks: one query."""
    members = (
        select(func.count(User.id))
        .where(User.department_id == Department.id)
        .correlate(Department)
        .scalar_subquery()
    )
    tasks = (
        select(func.count(KeyTask.id))
        .where(KeyTask.department_id == Department.id)
        .correlate(Department)
        .scalar_subquery()
    )
    rows = db.session.execute(
        select(Department, members, tasks).order_by(Department.position, Department.id)
    ).all()
    return [DepartmentRow(d, int(m or 0), int(t or 0)) for d, m, t in rows]


def goal_tiles() -> list[GoalTile]:
    """Every goal tile, the latest year first, then in the wall's order: one query."""
    return list(
        db.session.scalars(
            select(GoalTile).order_by(GoalTile.year.desc(), GoalTile.position, GoalTile.id)
        )
    )


def tile_kinds() -> list[indicator_kinds.IndicatorKind]:
    """The kinds a goal tile may use: every computed kind (a tile has no hand reports)."""
    return [k for k in indicator_kinds.KINDS.values() if k.key != indicator_kinds.MANUAL]


# --- departments -----------------------------------------------------------------------------


@service
def save_department(
    department: Department | None, *, name: str, name_en: str, position: int, actor: User
) -> Department:
    """Create (``department`` None) or edit a department; names are unique."""
    name, name_en = name.strip(), name_en.strip()
    if not name:
        raise DomainError(_l("Enter the department's name."), field="name")
    if len(name) > 100 or len(name_en) > 100:
        raise DomainError(_l("Keep the name within 100 characters."), field="name")
    if not 0 <= position <= 9999:
        raise DomainError(_l("Enter an order from 0 to 9999."), field="position")
    clash = db.session.scalar(
        select(Department.id).where(
            func.lower(Department.name) == name.lower(),
            Department.id != (department.id if department else -1),
        )
    )
    if clash is not None:
        raise DomainError(_l("There is already a department of that name."), field="name")
    created = department is None
    if department is None:
        department = Department(name=name, name_en=name_en, position=position)
        db.session.add(department)
    else:
        department.name, department.name_en, department.position = name, name_en, position
    db.session.flush()
    audit.record(
        Action.DEPARTMENT_SAVED,
        department,
        actor=actor,
        name=name,
        name_en=name_en,
        position=position,
        created=created,
    )
    return department


# --- goal tiles -------------------------------------------------------------------------------


def tile_params(kind_key: str, programs: str, recognition: str) -> dict[str, Any]:
    """A kind's parameters from what the form gives: programme codes separated by commas or
    spaces, or one recognition. Refused beside the field when they are wrong."""
    kind = indicator_kinds.KINDS.get(kind_key)
    if kind is None or kind.key == indicator_kinds.MANUAL:
        raise DomainError(_l("Choose one of the kinds."), field="kind")
    params: dict[str, Any] = {}
    if "programs" in kind.params:
        codes = [c for c in programs.replace("，", ",").replace(",", " ").split() if c]
        if not codes:
            raise DomainError(_l("Enter at least one programme code."), field="programs")
        codes = list(dict.fromkeys(codes))
        known = set(db.session.scalars(select(Program.code).where(Program.code.in_(codes))))
        unknown = [c for c in codes if c not in known]
        if unknown:
            raise DomainError(
                _l("No programme has the code %(codes)s.", codes=", ".join(unknown)),
                field="programs",
            )
        params["programs"] = codes
    if "recognition" in kind.params:
        if recognition not in Recognition.ALL:
            raise DomainError(_l("Choose a recognition."), field="recognition")
        params["recognition"] = recognition
    return params


@service
def save_goal_tile(
    tile: GoalTile | None,
    *,
    title: str,
    title_en: str,
    kind: str,
    params: dict[str, Any],
    unit: str,
    target: Decimal,
    year: int,
    position: int,
    actor: User,
) -> GoalTile:
    """Create (``tile`` None) or edit a goal tile; ``params`` from ``tile_params``."""
    title, title_en, unit = title.strip(), title_en.strip(), unit.strip()
    if not title:
        raise DomainError(_l("Enter the tile's title."), field="title")
    if len(title) > 200 or len(title_en) > 200:
        raise DomainError(_l("Keep the title within 200 characters."), field="title")
    if len(unit) > 20:
        raise DomainError(_l("Keep the unit within 20 characters."), field="unit")
    if kind not in indicator_kinds.KINDS or kind == indicator_kinds.MANUAL:
        raise DomainError(_l("Choose one of the kinds."), field="kind")
    try:
        target = Decimal(target)
    except (InvalidOperation, TypeError, ValueError):
        raise DomainError(_l("Enter a target of 0 or more."), field="target") from None
    if not target.is_finite() or target < 0 or target > MAX_TARGET:
        raise DomainError(_l("Enter a target of 0 or more."), field="target")
    if not YEARS[0] <= year <= YEARS[1]:
        raise DomainError(_l("Enter a year from 2000 to 2100."), field="year")
    if not 0 <= position <= 9999:
        raise DomainError(_l("Enter an order from 0 to 9999."), field="position")
    created = tile is None
    values = dict(
        title=title,
        title_en=title_en,
        kind=kind,
        params=params,
        unit=unit or indicator_kinds.KINDS[kind].unit,
        target=target,
        year=year,
        position=position,
    )
    if tile is None:
        tile = GoalTile(**values)
        db.session.add(tile)
    else:
        for key, value in values.items():
            setattr(tile, key, value)
    db.session.flush()
    audit.record(
        Action.GOAL_TILE_SAVED,
        tile,
        actor=actor,
        title=title,
        kind=kind,
        target=str(target),
        year=year,
        created=created,
    )
    return tile
