"""The officers' dashboard: where every programme of the year stands, on one page."""

from __future__ import annotations

from flask import Blueprint, render_template, request

from portal.access import ADMIN, OFFICER, allow
from portal.dashboard import charts, services
from portal.i18n import select_locale

bp = Blueprint("dashboard", __name__, url_prefix="/staff/dashboard")


@bp.route("")
@allow(OFFICER, ADMIN)
def index():
    board = services.dashboard(request.args.get("year", type=int), select_locale())
    for programme in board["programmes"]:
        programme["charts"] = charts.programme_charts(programme)
    return render_template("dashboard/index.html", board=board)
