"""``flask --app portal reports remind``: send today's report reminders (run it daily, e.g.
from cron at 08:00 Asia/Shanghai, on any or every host: each reminder goes once, so running it
twice is harmless, and one run at a time sends, a second meanwhile says "already running")."""

from __future__ import annotations

import click
from flask.cli import AppGroup

from portal.core.jobs import commit
from portal.core.operator_lock import one_at_a_time
from portal.payments.report_queries import send_reminders

reports_cli = AppGroup("reports", help="Progress reports owed on awards.")


@reports_cli.command("remind")
@one_at_a_time("reports remind")
def remind() -> None:
    """Remind firms of reports due in 14 days, in 3 days and today (in-app and mail)."""
    sent = send_reminders()
    commit()
    if sent:
        click.echo(f"{sent} reminder(s) sent.")
    else:
        click.echo("0 reminder(s) sent. Nothing to do: no reminder is due today.")
