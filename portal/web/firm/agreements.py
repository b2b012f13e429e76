"""The firm's funding agreements: review the agreement, enter the bank account, accept."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("firm_agreements", __name__, url_prefix="/agreements")
