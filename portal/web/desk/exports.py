"""Exports for officers and admins: applications as CSV or XLSX, final awards as open data.

The page is a GET; each download is a POST from it (CSRF only), because a download writes an
audit event and only non-GET requests commit (portal/core/database.py). The programme is chosen on
the page and carried in the query string: ``?program=<id>``, none for all programmes.
"""

from __future__ import annotations

import re
from typing import Any

from flask import Blueprint, Response, abort, current_app, render_template, request
from flask_babel import gettext as _
from flask_login import current_user
from flask_wtf import FlaskForm
from sqlalchemy import select

from portal.applications.award_terms import IN_PUBLICITY_STATUSES
from portal.applications.models import Status
from portal.applications.tallies import ApplicationTally
from portal.core import audit
from portal.core.access import ADMIN, OFFICER, allow
from portal.core.audit import Action
from portal.core.extensions import db
from portal.core.i18n import select_locale
from portal.core.inputs import parse_int
from portal.core.timeutil import bureau_today
from portal.payments.money import money_by_year
from portal.programs.models import Program
from portal.reporting import exports as services
from portal.reporting import formats, open_data

bp = Blueprint("exports", __name__, url_prefix="/staff/exports")

CSV_MIMETYPE = "text/csv; charset=utf-8"
XLSX_MIMETYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
JSON_MIMETYPE = "application/json; charset=utf-8"


class DownloadForm(FlaskForm):
    """A download button: CSRF only."""


def _chosen_program() -> Program | None:
    """The programme of ``?program=``; none given means all. An unknown one is a 404, never a
    silent export of everything."""
    raw = request.args.get("program", "").strip()
    if not raw:
        return None
    # Digits only, and within an integer column's range (PostgreSQL refuses larger ones).
    program_id = parse_int(raw)
    program = db.session.get(Program, program_id) if program_id is not None else None
    if program is None:
        abort(404)
    return program


@bp.route("")
@allow(OFFICER, ADMIN)
def index():
    program = _chosen_program()
    program_id = program.id if program else None
    choices = programme_choices(select_locale())
    return render_template(
        "exports/index.html",
        choices=choices,
        chosen=next((c for c in choices if c["id"] == program_id), None),
        totals=services.totals(choices, program_id),
        program_id=program_id,
    )


def programme_choices(locale: str) -> list[dict[str, Any]]:
    """Programmes with what each export would hold, as ``services.programme_choices`` counts
    them, but read from the tallies the database keeps (``applications.tallies``): two small
    queries, so the page costs the same at 100,000 applications as at 1,000 (counting the
    applications themselves grew with their number)."""
    programs = db.session.execute(
        select(Program.id, Program.code, Program.name_zh, Program.name_en).order_by(
            Program.opens_at.desc(), Program.id.desc()
        )
    ).all()
    counted = {p.id: dict.fromkeys(_COUNTED, 0) for p in programs}
    in_publicity = {status.value for status in IN_PUBLICITY_STATUSES}
    final = {str(getattr(status, "value", status)) for status in services.OPEN_DATA_STATUSES}
    for program_id, status, decision, number in db.session.execute(
        select(
            ApplicationTally.program_id,
            ApplicationTally.status,
            ApplicationTally.decision,
            ApplicationTally.applications,
        ).where(ApplicationTally.status != Status.DRAFT.value, ApplicationTally.applications > 0)
    ):
        counts = counted.get(program_id)
        if counts is None:
            continue
        counts["applications"] += number
        if status == Status.DECIDED.value and decision == "approve":
            counts["proposed"] += number
        if status in in_publicity:
            counts["publicity"] += number
        if status in final:
            counts["awards"] += number
    return [
        {
            "id": p.id,
            "code": p.code,
            "name": p.name_en if locale == "en" else p.name_zh,
            **counted[p.id],
        }
        for p in programs
    ]


# What the page counts per programme (the keys ``services.totals`` sums).
_COUNTED = ("applications", "proposed", "publicity", "awards")


def _download(body: bytes, mimetype: str, name: str) -> Response:
    response = Response(body, mimetype=mimetype)
    response.headers["Content-Disposition"] = f'attachment; filename="{name}"'
    response.headers["Cache-Control"] = "private, no-store"
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response


def _file_name(kind: str, program: Program | None, extension: str) -> str:
    # Codes are slugs already; this keeps the header well-formed whatever an editor allowed.
    scope = re.sub(r"[^A-Za-z0-9._-]", "_", program.code) if program else "all"
    return f"{kind}-{scope}-{bureau_today():%Y%m%d}.{extension}"


def _audit(fmt: str, program: Program | None, rows: int, kind: str = "applications") -> None:
    audit.record(
        Action.EXPORT_DOWNLOADED,
        actor=current_user,
        object_type="system",
        format=fmt,
        program_id=program.id if program else None,
        rows=rows,
        **({"export": kind} if kind != "applications" else {}),
    )


def _checked_program() -> Program | None:
    program = _chosen_program()
    if not DownloadForm().validate_on_submit():
        abort(400)
    return program


def _headers() -> list[str]:
    return [str(column.label) for column in services.APPLICATION_COLUMNS]


@bp.route("/applications.csv", methods=["POST"])
@allow(OFFICER, ADMIN)
def applications_csv():
    program = _checked_program()
    rows = services.application_rows(program.id if program else None)
    body = formats.csv_bytes(services.APPLICATION_COLUMNS, rows, _headers())
    _audit("csv", program, len(rows))
    return _download(body, CSV_MIMETYPE, _file_name("applications", program, "csv"))


@bp.route("/applications.xlsx", methods=["POST"])
@allow(OFFICER, ADMIN)
def applications_xlsx():
    program = _checked_program()
    rows = services.application_rows(program.id if program else None)
    body = formats.xlsx_bytes(
        services.APPLICATION_COLUMNS,
        rows,
        _headers(),
        title=_("Applications"),
        creator=current_app.config["BUREAU_NAME_ZH"],
    )
    _audit("xlsx", program, len(rows))
    return _download(body, XLSX_MIMETYPE, _file_name("applications", program, "xlsx"))


def _money_headers() -> list[str]:
    return [str(column.label) for column in services.MONEY_COLUMNS]


@bp.route("/money.csv", methods=["POST"])
@allow(OFFICER, ADMIN)
def money_csv():
    """Awarded, paid, due and recovered per programme and year (from the money tallies)."""
    program = _checked_program()
    rows = money_by_year(program.id if program else None)
    body = formats.csv_bytes(services.MONEY_COLUMNS, rows, _money_headers())
    _audit("csv", program, len(rows), "money")
    return _download(body, CSV_MIMETYPE, _file_name("money", program, "csv"))


@bp.route("/money.xlsx", methods=["POST"])
@allow(OFFICER, ADMIN)
def money_xlsx():
    program = _checked_program()
    rows = money_by_year(program.id if program else None)
    body = formats.xlsx_bytes(
        services.MONEY_COLUMNS,
        rows,
        _money_headers(),
        title=_("Money by year"),
        creator=current_app.config["BUREAU_NAME_ZH"],
    )
    _audit("xlsx", program, len(rows), "money")
    return _download(body, XLSX_MIMETYPE, _file_name("money", program, "xlsx"))


@bp.route("/awards.json", methods=["POST"])
@allow(OFFICER, ADMIN)
def awards_json():
    program = _checked_program()
    rows = services.award_rows(program.id if program else None)
    config = current_app.config
    prefix = config.get("OPEN_DATA_PREFIX", open_data.DEFAULT_PREFIX)
    package = open_data.grants_package(
        rows,
        prefix=prefix,
        funder_id=config.get("OPEN_DATA_FUNDER_ID") or prefix,
        funder_name=config["BUREAU_NAME_ZH"],
        base_url=config.get("BASE_URL", ""),
    )
    _audit("json", program, len(rows))
    return _download(
        formats.json_bytes(package), JSON_MIMETYPE, _file_name("awards", program, "json")
    )
