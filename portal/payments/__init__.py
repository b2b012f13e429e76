"""After the award: the funding agreement and bank account, payments in tranches, progress
reports, acceptance (验收), recovery (追回) and the credit record.

Sits above notifications (it notifies firms) and below reporting (the dashboard reads it).
Each part hooks itself up in ``init_payments``: what it follows in the audit trail, its jobs,
and what it tells eligibility about a firm (``portal.profiles.standing``).
"""

from __future__ import annotations

from flask import Flask


def init_payments(app: Flask) -> None:
    # Each part of the stage registers here (listeners, jobs, standing providers), one line
    # or a small block each.
    pass
