"""``flask --app portal dispatch send [--week-of YYYY-MM-DD]``: tell the leaders and supervisors
that the weekly dispatch report is ready (run it weekly, e.g. from cron on Friday afternoon).
The week is the one (Monday to Sunday) holding the given day, today by default; a week already
sent is not sent again, so running it twice is harmless, and one run at a time sends (a run on
a second host meanwhile says "already running")."""

from __future__ import annotations

from datetime import date, datetime

import click
from flask.cli import AppGroup

from portal.core.jobs import commit
from portal.core.operator_lock import one_at_a_time
from portal.core.timeutil import bureau_today
from portal.tasks.dispatch import send_weekly_dispatch, week_ending_of

dispatch_cli = AppGroup("dispatch", help="The weekly dispatch report on the key tasks.")


@dispatch_cli.command("send")
@click.option(
    "--week-of",
    "week_of",
    type=click.DateTime(formats=["%Y-%m-%d"]),
    default=None,
    help="A day of the week to report (YYYY-MM-DD); today's week by default.",
)
@one_at_a_time("dispatch send")
def send(week_of: datetime | None) -> None:
    """Send the week's report to the leaders and supervisors (in-app and mail)."""
    day: date = week_of.date() if week_of else bureau_today()
    week_ending = week_ending_of(day)
    sent = send_weekly_dispatch(week_ending)
    commit()
    if sent is None:
        click.echo(f"Nothing to do: the report of the week ending {week_ending} was sent already.")
    else:
        click.echo(f"The report of the week ending {week_ending} was sent to {sent} people.")
