"""Due tranches, payment batches (approved by the approver), payment orders, confirmations."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("payments", __name__, url_prefix="/staff/payments")
