"""Enterprise profile: editing (audited) and turning it into facts that rules read."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy import select

from portal.accounts.models import Enterprise
from portal.core import audit
from portal.core.audit import Action
from portal.core.extensions import db
from portal.core.timeutil import utcnow
from portal.profiles.models import EnterpriseRecognition, EnterpriseYear
from portal.profiles.standing import standing_of
from portal.programs.facts import FirmFacts, ProjectFigures, Standing, YearFigures

PROFILE_FIELDS = (
    "founded_on",
    "in_fluorine_park",
    "high_tech_certificate",
    "high_tech_certificate_no",
    "has_rd_institution",
    "branch_or_trading_company",
    "on_abnormal_list",
    "on_dishonesty_list",
    "ip_class_i",
    "ip_class_ii",
    "software_copyrights",
)
YEAR_FIELDS = ("revenue", "employees", "rd_expense", "super_deduction_filed")
PROFILE_YEARS = 3  # the last three financial years


def profile_years(today: date) -> list[int]:
    """The financial years a profile asks for, newest first (last year and two before)."""
    return [today.year - offset for offset in range(1, PROFILE_YEARS + 1)]


def _jsonable(value: Any) -> Any:
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, date):
        return value.isoformat()
    return value


def load_years(enterprise_id: int) -> dict[int, EnterpriseYear]:
    rows = db.session.scalars(
        select(EnterpriseYear).where(EnterpriseYear.enterprise_id == enterprise_id)
    ).all()
    return {row.year: row for row in rows}


def load_recognitions(enterprise_id: int) -> list[EnterpriseRecognition]:
    return list(
        db.session.scalars(
            select(EnterpriseRecognition)
            .where(EnterpriseRecognition.enterprise_id == enterprise_id)
            .order_by(EnterpriseRecognition.year.desc(), EnterpriseRecognition.kind)
        )
    )


def update_profile(
    enterprise: Enterprise,
    fields: dict[str, Any],
    years: dict[int, dict[str, Any]],
    recognitions: list[tuple[str, int, str]],
    *,
    actor: Any,
) -> dict[str, Any]:
    """Write the profile; audit exactly what changed. Returns the change summary."""
    changes: dict[str, Any] = {}
    for name in PROFILE_FIELDS:
        if name in fields and getattr(enterprise, name) != fields[name]:
            changes[name] = [_jsonable(getattr(enterprise, name)), _jsonable(fields[name])]
            setattr(enterprise, name, fields[name])

    existing_years = load_years(enterprise.id)
    for year, values in years.items():
        row = existing_years.get(year)
        if row is None:
            if all(values.get(name) is None for name in YEAR_FIELDS):
                continue
            row = EnterpriseYear(enterprise_id=enterprise.id, year=year)
            db.session.add(row)
        for name in YEAR_FIELDS:
            if getattr(row, name) != values.get(name):
                changes[f"{year}.{name}"] = [
                    _jsonable(getattr(row, name)),
                    _jsonable(values.get(name)),
                ]
                setattr(row, name, values.get(name))

    wanted = {(kind, year): number for kind, year, number in recognitions}
    current = {(r.kind, r.year): r for r in load_recognitions(enterprise.id)}
    for key, row in current.items():
        if key not in wanted:
            changes[f"recognition.{key[0]}.{key[1]}"] = [row.certificate_no, None]
            db.session.delete(row)
        elif row.certificate_no != wanted[key]:
            changes[f"recognition.{key[0]}.{key[1]}"] = [row.certificate_no, wanted[key]]
            row.certificate_no = wanted[key]
    for (kind, year), number in wanted.items():
        if (kind, year) not in current:
            changes[f"recognition.{kind}.{year}"] = [None, number]
            db.session.add(
                EnterpriseRecognition(
                    enterprise_id=enterprise.id, kind=kind, year=year, certificate_no=number
                )
            )

    if changes:
        enterprise.profile_updated_at = utcnow()
        audit.record(Action.PROFILE_UPDATED, enterprise, actor=actor, changes=changes)
    return changes


# --- facts ---------------------------------------------------------------------------------


def profile_snapshot(enterprise: Enterprise) -> dict[str, Any]:
    """A JSON copy of everything rules and formulas read; applications keep one."""
    years = load_years(enterprise.id)
    return {
        "uscc": enterprise.uscc,
        **{name: _jsonable(getattr(enterprise, name)) for name in PROFILE_FIELDS},
        "years": {
            str(year): {name: _jsonable(getattr(row, name)) for name in YEAR_FIELDS}
            for year, row in sorted(years.items())
        },
        "recognitions": [[r.kind, r.year] for r in load_recognitions(enterprise.id)],
    }


def _decimal(value: Any) -> Decimal | None:
    return None if value is None or value == "" else Decimal(str(value))


def facts_from_snapshot(
    snapshot: dict[str, Any],
    as_of: date,
    project: dict[str, Any] | None = None,
    standing: Standing | None = None,
) -> FirmFacts:
    years = {
        int(year): YearFigures(
            year=int(year),
            revenue=_decimal(values.get("revenue")),
            employees=values.get("employees"),
            rd_expense=_decimal(values.get("rd_expense")),
            super_deduction_filed=values.get("super_deduction_filed"),
        )
        for year, values in (snapshot.get("years") or {}).items()
    }
    founded = snapshot.get("founded_on")
    project_figures = None
    if project is not None:
        project_figures = ProjectFigures(
            eligible_investment=_decimal(project.get("eligible_investment")),
            digital_level=project.get("digital_level"),
            project_accepted=project.get("project_accepted"),
            other_public_funding=project.get("other_public_funding"),
        )
    return FirmFacts(
        as_of=as_of,
        uscc=snapshot.get("uscc") or "",  # an application made without a snapshot (old data)
        founded_on=date.fromisoformat(founded) if founded else None,
        in_fluorine_park=snapshot.get("in_fluorine_park"),
        high_tech_certificate=snapshot.get("high_tech_certificate"),
        has_rd_institution=snapshot.get("has_rd_institution"),
        branch_or_trading_company=snapshot.get("branch_or_trading_company"),
        on_abnormal_list=snapshot.get("on_abnormal_list"),
        on_dishonesty_list=snapshot.get("on_dishonesty_list"),
        ip_class_i=snapshot.get("ip_class_i"),
        ip_class_ii=snapshot.get("ip_class_ii"),
        software_copyrights=snapshot.get("software_copyrights"),
        years=years,
        recognitions=tuple((kind, int(year)) for kind, year in snapshot.get("recognitions", [])),
        project=project_figures,
        standing=standing or Standing(),
    )


def facts_for(enterprise: Enterprise, as_of: date, project: dict | None = None) -> FirmFacts:
    """The firm's facts today, with its standing (overdue reports, bans) read live."""
    standing = standing_of(enterprise.id, as_of)
    return facts_from_snapshot(profile_snapshot(enterprise), as_of, project, standing)
