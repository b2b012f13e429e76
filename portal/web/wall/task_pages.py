"""A key task: its page, creating and editing it, reporting values and milestones."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("key_tasks", __name__)
