"""The wall as an A3 PDF, the weekly dispatch report, and the year-end accountability export."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("task_prints", __name__)
