"""The officers' dashboard (being built)."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("dashboard", __name__, url_prefix="/staff/dashboard")
