"""The wall map's settings: departments and the goal tiles."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("task_settings", __name__)
