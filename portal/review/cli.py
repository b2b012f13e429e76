"""``flask --app portal publicity advance``: make final the awards whose publicity has ended.

Meant to run once a day (cron or a systemd timer), on any or every host: one run at a time
moves the awards (a second run meanwhile says "already running"), and running it twice moves
nothing the second time.
"""

from __future__ import annotations

from datetime import date

import click
from flask.cli import AppGroup

from portal.core.extensions import db
from portal.core.jobs import commit
from portal.core.operator_lock import one_at_a_time
from portal.core.timeutil import bureau_today
from portal.review.publicity import advance_publicity

publicity_cli = AppGroup("publicity", help="Publicity periods of released awards.")


@publicity_cli.command("advance")
@click.option(
    "--today",
    "today_text",
    default="",
    metavar="YYYY-MM-DD",
    help="The date to count from (default: today in Asia/Shanghai).",
)
@one_at_a_time("publicity advance")
def advance(today_text: str) -> None:
    """Award every approval whose publicity period has ended without an open objection."""
    try:
        today = date.fromisoformat(today_text) if today_text else bureau_today()
    except ValueError as error:
        raise click.BadParameter("expected a date like 2026-10-09", param_hint="--today") from error
    try:
        moved = advance_publicity(today)
        commit()  # and queue the letters of the awards made final
    except Exception:
        db.session.rollback()
        raise
    if moved:
        click.echo(f"{moved} award(s) made final (publicity ended before {today.isoformat()}).")
    else:
        click.echo(f"Nothing to do: no publicity period ended before {today.isoformat()}.")
