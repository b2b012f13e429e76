"""The firm's side of a recovery case: the grounds, stating its case (陈述申辩), the notice."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("firm_recovery", __name__, url_prefix="/recovery")
