"""The officers' dashboard: where every programme of the year stands, on one page."""

from __future__ import annotations

from flask import Blueprint, render_template

from portal.core.access import ADMIN, OFFICER, allow
from portal.core.i18n import select_locale
from portal.core.inputs import query_int
from portal.reporting import charts
from portal.reporting import dashboard as services

bp = Blueprint("dashboard", __name__, url_prefix="/staff/dashboard")


@bp.route("")
@allow(OFFICER, ADMIN)
def index():
    board = services.dashboard(query_int("year"), select_locale())
    for programme in board["programmes"]:
        programme["charts"] = charts.programme_charts(programme)
    return render_template("dashboard/index.html", board=board)
