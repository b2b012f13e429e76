"""Supervision slips (督办单): the list, a slip, and each step of its loop."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("slips", __name__)


# Placeholder until the slips' helper replaces it (the navigation links to this endpoint).
from portal.core.access import WALL_READERS, allow  # noqa: E402


@bp.route("/")
@allow(*WALL_READERS)
def index():
    return "slips"
