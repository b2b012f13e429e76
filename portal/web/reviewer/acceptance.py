"""An expert's acceptance (验收) assignments: read the project, conclude with comments."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("acceptance_panel", __name__, url_prefix="/reviewer/acceptance")
