"""Pages for everyone: the landing page and the health check."""

from __future__ import annotations

from flask import Blueprint, jsonify, render_template
from sqlalchemy import text

from portal.core.access import PUBLIC, allow
from portal.core.extensions import db

bp = Blueprint("public", __name__)


@bp.route("/")
@allow(PUBLIC)
def index():
    return render_template("public/index.html")


@bp.route("/healthz")
@allow(PUBLIC)
def healthz():
    try:
        db.session.execute(text("SELECT 1"))
    except Exception:  # any database failure means "not healthy", whatever its type
        # (a GET: the unit of work rolls the failed transaction back, core/database.py)
        return jsonify(status="error", database="unavailable"), 503
    return jsonify(status="ok", database="ok")
