"""The wall, the timeline (进度图) and the responsibility view (责任图)."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("wall", __name__)


# Placeholders until the wall's helper replaces them (the navigation links to these endpoints).
from portal.core.access import WALL_READERS, allow  # noqa: E402


@bp.route("/")
@allow(*WALL_READERS)
def index():
    return "wall"


@bp.route("/timeline")
@allow(*WALL_READERS)
def timeline():
    return "timeline"


@bp.route("/responsibility")
@allow(*WALL_READERS)
def responsibility():
    return "responsibility"
