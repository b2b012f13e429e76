"""Officers' acceptance (验收) pages: form a panel, follow its conclusions, issue the notice."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("desk_acceptance", __name__, url_prefix="/staff/acceptance")
