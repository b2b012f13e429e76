"""Exports for officers and admins (being built)."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("exports", __name__, url_prefix="/staff/exports")
