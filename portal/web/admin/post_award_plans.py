"""An admin edits a programme's post-award plan: tranches, reports, acceptance, recovery."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("post_award_plans", __name__, url_prefix="/admin/post-award-plans")
