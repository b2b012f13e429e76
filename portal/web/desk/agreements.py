"""Officers' agreement pages: agreements awaiting the firm, bank accounts to confirm."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("desk_agreements", __name__, url_prefix="/staff/agreements")
