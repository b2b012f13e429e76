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
    # Agreements: a final award gets its funding agreement and planned tranches.
    from portal.applications import lifecycle
    from portal.payments import agreements

    lifecycle.on_final_decision(agreements.offer_after_final_decision)
    # Tranches: an accepted agreement, a confirmed account, a passed acceptance make them due.
    from portal.core import audit
    from portal.payments import tranches

    audit.on_record(tranches.on_audit_event)
    # Reports: made when an agreement is accepted; overdue ones stop new applications;
    # `flask --app portal reports remind` (daily) sends the reminders.
    from portal.core import audit
    from portal.payments import report_queries, reports
    from portal.payments.report_cli import reports_cli
    from portal.profiles.standing import register_standing_provider

    audit.on_record(reports.on_agreement_accepted)
    register_standing_provider(report_queries.standing_from_reports)
    app.cli.add_command(reports_cli)
    # Recovery: bans written by decisions to recover stop new applications until they end.
    from portal.payments import credit_record
    from portal.profiles.standing import register_standing_provider

    register_standing_provider(credit_record.standing)
    pass
