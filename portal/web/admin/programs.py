"""Officers' programme pages: the list of programmes (the editor lives in editor_routes)."""

from __future__ import annotations

from flask import Blueprint, render_template
from sqlalchemy import func, select

from portal.applications.models import Status
from portal.applications.tallies import ApplicationTally
from portal.core.access import ADMIN, OFFICER, allow
from portal.core.extensions import db
from portal.core.i18n import select_locale
from portal.core.timeutil import utcnow
from portal.programs import services

bp = Blueprint("program_admin", __name__, url_prefix="/staff/programmes")


@bp.route("")
@allow(OFFICER, ADMIN)
def index():
    programs = services.list_programs()
    # From the tallies (migration 0006): a few rows per programme, not one per application.
    counts = dict(
        db.session.execute(
            select(ApplicationTally.program_id, func.sum(ApplicationTally.applications))
            .where(ApplicationTally.status != Status.DRAFT.value)
            .group_by(ApplicationTally.program_id)
        ).all()
    )
    locale = select_locale()
    now = utcnow()
    rows = [
        {
            "id": program.id,
            "code": program.code,
            "name": program.name(locale),
            "opens_at": program.opens_at,
            "closes_at": program.closes_at,
            "open": program.is_open(now),
            "budget": program.budget,
            "version": program.current_version_number,
            "reviewers": program.reviewers_per_application,
            "applications": counts.get(program.id, 0),
        }
        for program in programs
    ]
    return render_template("program_admin/index.html", rows=rows)
