"""``flask --app portal payments ...``: commands of the post-award stage."""

from __future__ import annotations

import sys

import click
from flask.cli import AppGroup

from portal.core.extensions import db
from portal.core.operator_lock import one_at_a_time
from portal.payments import agreements
from portal.payments.payment_checks import check_payments

payments_cli = AppGroup("payments", help="After the award: agreements, tranches and payments.")


@payments_cli.command("offer-missing")
@click.option("--limit", default=500, type=click.IntRange(min=1), help="At most this many.")
@one_at_a_time("payments offer-missing")
def offer_missing_command(limit: int) -> None:
    """Offer the funding agreements of final awards that have none (awards made before the
    agreements existed); safe to run again, and on several hosts at once (one offers, the
    others say "already running")."""
    made = agreements.offer_missing(limit)
    db.session.commit()
    if made:
        click.echo(f"Agreements offered: {len(made)}.")
    else:
        click.echo("Agreements offered: 0. Nothing to do: every final award has its agreement.")


@payments_cli.command("check")
def check_command() -> None:
    """Check the payment invariants (tranches add up to the award, paid <= awarded,
    recovered <= paid, every payment confirmed with its day and bank reference, batches add
    up); print each problem and exit 1 when there is any."""
    problems = check_payments()
    for problem in problems:
        click.echo(problem)
    if problems:
        click.echo(f"{len(problems)} problem(s) found.", err=True)
        sys.exit(1)
    click.echo("Payments: every invariant holds.")
