"""Recovery cases (追回): opened with evidence, decided by the approver, notice, repayments."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("recovery", __name__, url_prefix="/staff/recovery")
