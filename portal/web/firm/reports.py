"""The firm's reports on its awards: what is due, the report form, what was returned."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("firm_reports", __name__, url_prefix="/reports")
