"""Pages for everyone: the landing page and the health check."""

from __future__ import annotations

from flask import Blueprint, jsonify, render_template

from portal.core.access import PUBLIC, allow
from portal.core.health import check_health

bp = Blueprint("public", __name__)


@bp.route("/")
@allow(PUBLIC)
def index():
    return render_template("public/index.html")


@bp.route("/healthz")
@allow(PUBLIC)
def healthz():
    # Each engine on its own (portal/core/health.py); 503 when a part this host needs is down.
    health = check_health()
    return jsonify(health.as_json()), 200 if health.healthy else 503
