"""Officers' view of a programme's letters and its batch exports (ZIP + CSV manifest)."""

from __future__ import annotations

from dataclasses import dataclass

from flask import (
    Blueprint,
    abort,
    flash,
    jsonify,
    redirect,
    render_template,
    url_for,
)
from flask_login import current_user
from sqlalchemy import func, select

from portal.applications.models import Application, Status
from portal.core.access import ADMIN, OFFICER, allow
from portal.core.domain import DomainError
from portal.core.extensions import db
from portal.core.files import send_stored_file
from portal.core.i18n import select_locale
from portal.core.inputs import query_int
from portal.core.pagination import DEFAULT_PER_PAGE
from portal.letters import export as exports
from portal.letters.access import export_or_404
from portal.letters.models import ExportStatus, Letter, LetterExport, LetterStatus
from portal.programs.models import Program
from portal.web.shared import letter_presenters as presenters
from portal.web.shared.forms import ActionForm

bp = Blueprint("letter_admin", __name__, url_prefix="/staff/letters")

RECENT_EXPORTS = 5
# The page says how many final decisions still lack a letter up to this many ("more than"
# past it): counting further would read every one of a large programme's decisions.
DUE_COUNT_CAP = 100


def _due_count(program_id: int) -> int:
    """Final decisions of the programme without a current letter (as ``due_application_ids``
    lists them for the export), counted up to DUE_COUNT_CAP + 1 in one bounded query."""
    has_letter = (
        select(Letter.id)
        .where(Letter.application_id == Application.id, Letter.status == LetterStatus.CURRENT)
        .exists()
    )
    due = (
        select(Application.id)
        .where(
            Application.program_id == program_id,
            (Application.status == Status.AWARDED)
            | ((Application.status == Status.REJECTED) & Application.released_at.is_not(None)),
            ~has_letter,
        )
        .limit(DUE_COUNT_CAP + 1)
        .subquery()
    )
    return int(db.session.scalar(select(func.count()).select_from(due)) or 0)


@dataclass(frozen=True)
class LetterPage:
    """A page of a programme's letters, newest first, with its neighbours' cursors (letter
    ids): "Older" carries ``?before=`` its last letter, "Newer" ``?after=`` its first."""

    rows: list[Letter]
    first: bool
    older: int | None
    newer: int | None


def _letter_page(program_id: int, per_page: int = DEFAULT_PER_PAGE) -> LetterPage:
    """One range of ``ix_letters_program_issued`` (program_id, id) whatever the page and no
    count: pages go by the letter id (keyset), so a deep page costs what the first does. A
    malformed cursor reads as none (the first page)."""
    before = query_int("before", None, minimum=1)
    after = None if before else query_int("after", None, minimum=1)
    query = select(Letter).where(Letter.program_id == program_id)
    if after:
        newer = db.session.scalars(
            query.where(Letter.id > after).order_by(Letter.id).limit(per_page + 1)
        ).all()
        if len(newer) > per_page:
            rows = list(reversed(newer[:per_page]))
            return LetterPage(rows, first=False, older=rows[-1].id, newer=rows[0].id)
        before = None  # "Newer" reached the newest letters: the first page
    if before:
        query = query.where(Letter.id < before)
    found = db.session.scalars(query.order_by(Letter.id.desc()).limit(per_page + 1)).all()
    rows = list(found[:per_page])
    older = rows[-1].id if len(found) > per_page else None
    return LetterPage(
        rows, first=before is None, older=older, newer=rows[0].id if before and rows else None
    )


@bp.route("")
@allow(OFFICER, ADMIN)
def index():
    """Programmes with their letter counts (two queries)."""
    locale = select_locale()
    programs = db.session.execute(
        select(
            Program.id, Program.code, Program.name_zh, Program.name_en, Program.issuer_code
        ).order_by(Program.opens_at.desc(), Program.id)
    ).all()
    counts = {
        (program_id, status): count
        for program_id, status, count in db.session.execute(
            select(Letter.program_id, Letter.status, func.count(Letter.id)).group_by(
                Letter.program_id, Letter.status
            )
        )
    }
    rows = [
        {
            "id": p.id,
            "name": p.name_en if locale == "en" else p.name_zh,
            "issuer_code": p.issuer_code,
            "current": counts.get((p.id, LetterStatus.CURRENT), 0),
            "superseded": counts.get((p.id, LetterStatus.SUPERSEDED), 0),
        }
        for p in programs
    ]
    return render_template("letter_admin/index.html", rows=rows)


def _program_or_404(program_id: int) -> Program:
    program = db.session.get(Program, program_id)
    if program is None:
        abort(404)
    return program


@bp.route("/programmes/<int:program_id>")
@allow(OFFICER, ADMIN)
def program_letters(program_id: int):
    program = _program_or_404(program_id)
    locale = select_locale()
    page = _letter_page(program.id)
    recent = db.session.scalars(
        select(LetterExport)
        .where(LetterExport.program_id == program.id)
        .order_by(LetterExport.id.desc())
        .limit(RECENT_EXPORTS)
    ).all()
    return render_template(
        "letter_admin/program.html",
        program={"id": program.id, "name": program.name(locale), "code": program.code},
        letters=[presenters.letter_row(letter, locale) for letter in page.rows],
        page=page,
        due=_due_count(program.id),
        due_cap=DUE_COUNT_CAP,
        exports=[exports.export_view(e) for e in recent],
        form=ActionForm(),
    )


@bp.route("/programmes/<int:program_id>/export", methods=["POST"])
@allow(OFFICER, ADMIN)
def start_export(program_id: int):
    program = _program_or_404(program_id)
    if not ActionForm().validate_on_submit():
        abort(400)
    try:
        export = exports.start_export(program, actor=current_user)
    except DomainError as error:  # refused before anything was written (its savepoint)
        flash(str(error.message), "error")
        return redirect(url_for("letter_admin.program_letters", program_id=program_id))
    return redirect(url_for("letter_admin.export_page", export_id=export.id))


def _export_json(export: LetterExport) -> dict:
    view = exports.export_view(export)
    view.pop("created_at")
    view.pop("finished_at")
    view["download_url"] = (
        url_for("letter_admin.download_export", export_id=export.id)
        if export.status is ExportStatus.DONE
        else None
    )
    return view


@bp.route("/exports/<int:export_id>")
@allow(OFFICER, ADMIN)
def export_page(export_id: int):
    export = export_or_404(export_id)
    program = db.session.get(Program, export.program_id)
    return render_template(
        "letter_admin/export.html",
        export=exports.export_view(export),
        status_url=url_for("letter_admin.export_status", export_id=export.id),
        download_url=_export_json(export)["download_url"],
        program={"id": program.id, "name": program.name(select_locale())},
    )


@bp.route("/exports/<int:export_id>/status")
@allow(OFFICER, ADMIN)
def export_status(export_id: int):
    response = jsonify(_export_json(export_or_404(export_id)))
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.route("/exports/<int:export_id>/download")
@allow(OFFICER, ADMIN)
def download_export(export_id: int):
    export = export_or_404(export_id)
    if export.status is not ExportStatus.DONE or not export.file_key:
        abort(404)
    program = db.session.get(Program, export.program_id)
    return send_stored_file(
        export.file_key,
        mimetype="application/zip",
        download_name=f"{program.code}-letters-{export.id}.zip",
    )
