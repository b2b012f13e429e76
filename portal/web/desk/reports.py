"""Officers' report pages: reports due, overdue (red), submitted ones to accept or return."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("desk_reports", __name__, url_prefix="/staff/reports")
