"""Officers (and the approvers who signed the releases off) read the minutes: a programme's
earlier releases, each one's ranked list as it stood when released, and its downloads (the
stored PDF 评审结果汇总表, which verifies byte for byte, and an XLSX of the same lines)."""

from __future__ import annotations

import re
from typing import Any

from flask import Blueprint, Response, abort, current_app, render_template, request
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from portal.core.access import ADMIN, APPROVER, OFFICER, allow
from portal.core.extensions import db
from portal.core.files import send_stored_file
from portal.core.i18n import select_locale
from portal.core.pagination import page_arg
from portal.core.timeutil import to_bureau_time
from portal.letters.numbering import display_code
from portal.programs.models import Program
from portal.reporting import formats
from portal.review import release_records
from portal.review.decision_rules import APPROVE, reason_label
from portal.review.release_record_models import ReleaseRecord, ReleaseRecordEntry

bp = Blueprint("release_records", __name__, url_prefix="/staff/release-records")

XLSX_MIMETYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

XLSX_COLUMNS = [
    formats.Column("position", _l("No."), formats.COUNT),
    formats.Column("rank", _l("Rank"), formats.COUNT),
    formats.Column("reference", _l("Reference")),
    formats.Column("enterprise", _l("Enterprise")),
    formats.Column("uscc", _l("USCC")),
    formats.Column("project", _l("Project")),
    formats.Column("score", _l("Score"), formats.SCORE),
    formats.Column("spread", _l("Spread"), formats.SCORE),
    formats.Column("requested", _l("Requested (yuan)"), formats.MONEY),
    formats.Column("proposed", _l("Decided (yuan)"), formats.MONEY),
    formats.Column("released", _l("Released (yuan)"), formats.MONEY),
    formats.Column("running", _l("Running total (yuan)"), formats.MONEY),
    formats.Column("over_budget", _l("Past the budget")),
    formats.Column("decision", _l("Decision")),
    formats.Column("reason", _l("Reason")),
    formats.Column("decided_by", _l("Decided by")),
]


def _program_or_404(program_id: int) -> Program:
    program = db.session.get(Program, program_id)
    if program is None:
        abort(404)
    return program


def _record_or_404(record_id: int) -> ReleaseRecord:
    record = release_records.record_with_entries(record_id)
    if record is None:
        abort(404)
    return record


def _program_name(record: ReleaseRecord) -> str:
    return record.program_name_en if select_locale() == "en" else record.program_name_zh


def _decision_label(entry: ReleaseRecordEntry) -> str:
    return _("Approved") if entry.decision == APPROVE else _("Rejected")


@bp.route("/programmes/<int:program_id>")
@allow(OFFICER, APPROVER, ADMIN)
def programme(program_id: int):
    """The programme's releases, newest first."""
    program = _program_or_404(program_id)
    page = release_records.records_of_program(program.id, page_arg())
    return render_template(
        "release_records/index.html",
        program={"id": program.id, "name": program.name(select_locale())},
        page=page,
    )


@bp.route("/<int:record_id>")
@allow(OFFICER, APPROVER, ADMIN)
def record(record_id: int):
    """One release's ranked list, as it stood."""
    found = _record_or_404(record_id)
    return render_template(
        "release_records/record.html",
        record=found,
        program_name=_program_name(found),
        code=display_code(found.verification_code),
        entries=[_entry_view(entry) for entry in found.entries],
        pro_rata_percent=release_records.pro_rata_percent(found.pro_rata_ratio),
    )


def _entry_view(entry: ReleaseRecordEntry) -> dict[str, Any]:
    approved = entry.decision == APPROVE
    return {
        "position": entry.position,
        "rank": entry.rank,
        "reference": entry.reference,
        "application_id": entry.application_id,
        "enterprise": entry.enterprise,
        "uscc": entry.uscc,
        "project": entry.project_title,
        "score": entry.score,
        "spread": entry.spread,
        "requested": entry.requested_amount,
        "proposed": entry.proposed_amount if approved else None,
        "released": entry.released_amount if approved else None,
        "running": entry.running_total,
        "over_budget": entry.over_budget,
        "budget_line": entry.budget_line,
        "approved": approved,
        "decision": _decision_label(entry),
        "reason": reason_label(entry.reason_code) if entry.reason_code else "",
        "reason_text": entry.reason,
        "decided_by": entry.decided_by_name,
    }


def _file_stem(found: ReleaseRecord) -> str:
    released = to_bureau_time(found.released_at)
    return f"release-record-{found.program_id}-{released:%Y%m%d-%H%M}-{found.id}"


@bp.route("/<int:record_id>.pdf")
@allow(OFFICER, APPROVER, ADMIN)
def pdf(record_id: int):
    """The stored PDF, exactly as rendered (so that its bytes verify)."""
    found = db.session.get(ReleaseRecord, record_id)
    english = request.args.get("lang") == "en"
    key = None if found is None else (found.pdf_en_key if english else found.pdf_key)
    if found is None or not key:
        abort(404)
    return send_stored_file(
        key,
        mimetype="application/pdf",
        download_name=f"{_file_stem(found)}{'-en' if english else ''}.pdf",
    )


@bp.route("/<int:record_id>.xlsx")
@allow(OFFICER, APPROVER, ADMIN)
def xlsx(record_id: int):
    """The same lines as a spreadsheet, in the page's language."""
    found = _record_or_404(record_id)
    rows = [_xlsx_row(entry) for entry in found.entries]
    body = formats.xlsx_bytes(
        XLSX_COLUMNS,
        rows,
        [str(column.label) for column in XLSX_COLUMNS],
        title=_("Release of %(date)s", date=f"{to_bureau_time(found.released_at):%Y-%m-%d}"),
        creator=current_app.config["BUREAU_NAME_ZH"],
    )
    response = Response(body, mimetype=XLSX_MIMETYPE)
    name = re.sub(r"[^A-Za-z0-9._-]", "_", _file_stem(found))
    response.headers["Content-Disposition"] = f'attachment; filename="{name}.xlsx"'
    response.headers["Cache-Control"] = "private, no-store"
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response


def _xlsx_row(entry: ReleaseRecordEntry) -> dict[str, Any]:
    view = _entry_view(entry)
    reason = " — ".join(part for part in (view["reason"], view["reason_text"]) if part)
    return {
        **view,
        "over_budget": _("yes") if entry.over_budget else "",
        "reason": reason,
    }
