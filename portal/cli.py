"""Flask commands: ``flask --app portal users create``, ``flask --app portal seed-demo``."""

from __future__ import annotations

import sys

import click
from flask import Flask
from flask.cli import AppGroup, with_appcontext

from portal import demo_applications
from portal.accounts import services
from portal.accounts.models import Role
from portal.core.domain import DomainError
from portal.core.extensions import db
from portal.core.operator_lock import one_at_a_time
from portal.core.uploads import human_size
from portal.demo_post_award import seed_post_award
from portal.demo_tasks import seed_demo as seed_wall_map
from portal.letters.cli import jobs_cli, letters_cli
from portal.payments.cli import payments_cli
from portal.payments.money import check_money_tallies, rebuild_money_tallies
from portal.reporting.file_sweep import sweep_files
from portal.review.cli import publicity_cli
from portal.review.tallies import check_tallies, rebuild_tallies

users_cli = AppGroup("users", help="Manage staff accounts.")


def _read_password() -> str:
    if sys.stdin.isatty():
        return click.prompt("Password", hide_input=True, confirmation_prompt=True)
    return sys.stdin.readline().rstrip("\r\n")


@users_cli.command("create")
@click.argument("email")
@click.option(
    "--role",
    type=click.Choice([role.value for role in Role.staff_roles()]),
    required=True,
    help="Staff role of the new account.",
)
@click.option("--name", default="", help="Display name (defaults to the email address).")
def create_user(email: str, role: str, name: str) -> None:
    """Create a staff account; the password is read from a prompt or from standard input."""
    password = _read_password()
    try:
        user = services.create_staff(email, Role(role), name, password)
        db.session.commit()
    except DomainError as error:
        db.session.rollback()
        raise click.ClickException(str(error.message)) from error
    click.echo(f"Created {user.role.value} account {user.email}.")


@click.command("seed-demo")
@click.option(
    "--migrate",
    is_flag=True,
    help="Bring the database schema up to date first (one process for both, as make run does).",
)
@with_appcontext
def seed_demo(migrate: bool) -> None:
    """Create the demo accounts, firms, programmes and applications at every stage (safe to
    run again: changes nothing then)."""
    if migrate:
        import flask_migrate

        flask_migrate.upgrade()
    result = demo_applications.seed_demo(log=click.echo)
    db.session.commit()
    post_award = seed_post_award(log=click.echo)
    db.session.commit()
    wall_map = seed_wall_map(log=click.echo)
    db.session.commit()
    if result.records or result.applications or post_award or wall_map:
        click.echo(
            f"Demo data: {result.records} new records, {result.applications} new applications,"
            f" {post_award} post-award records, {wall_map} wall-map records."
        )
    else:
        click.echo("Demo data already present.")


tallies_cli = AppGroup(
    "tallies", help="The running counts of applications, reviews and money after the award."
)


@tallies_cli.command("check")
@with_appcontext
def check_tallies_command() -> None:
    """Compare the tallies with a full count; exit 1 when they differ."""
    problems = check_tallies() + check_money_tallies()
    for problem in problems:
        click.echo(problem, err=True)
    if problems:
        raise SystemExit(1)
    click.echo("Tallies agree with a full count.")


@tallies_cli.command("rebuild")
@with_appcontext
@one_at_a_time("tallies rebuild")
def rebuild_tallies_command() -> None:
    """Recount every tally from the applications, assignments and tranches (when any differs
    from a full count)."""
    if not check_tallies() + check_money_tallies():
        click.echo("Nothing to do: the tallies agree with a full count.")
        return
    rebuild_tallies()
    rebuild_money_tallies()
    db.session.commit()
    click.echo("Tallies recounted.")


files_cli = AppGroup("files", help="The file store: uploads, letters and exports.")


@files_cli.command("sweep")
@click.option(
    "--older-than",
    "hours",
    type=click.IntRange(min=1),
    default=24,
    show_default=True,
    help="Only files older than this many hours (younger ones may belong to a running job).",
)
@click.option("--dry-run", is_flag=True, help="Report what would go; delete nothing.")
@with_appcontext
@one_at_a_time("files sweep")
def sweep_files_command(hours: int, dry_run: bool) -> None:
    """Delete stored files no row points at, and writes that never finished (left by a
    process killed mid-way); report rows whose file is missing (exit 1 when there are)."""
    from datetime import timedelta

    report = sweep_files(grace=timedelta(hours=hours), dry_run=dry_run)
    db.session.commit()
    gone = "would be deleted" if dry_run else "deleted"
    click.echo(f"Stored files: {report.stored.count} ({human_size(report.stored.bytes)}).")
    click.echo(
        f"Unreferenced, older than {hours} h: {report.orphans.count}"
        f" ({human_size(report.orphans.bytes)}) {gone}."
    )
    click.echo(f"Unreferenced, younger (kept): {report.young_orphans.count}.")
    click.echo(
        f"Unfinished writes and scratch files, older than {hours} h: {report.leftovers.count}"
        f" ({human_size(report.leftovers.bytes)}) {gone}."
    )
    click.echo(f"Referenced but missing: {len(report.missing)}.")
    if not (report.orphans.count or report.leftovers.count):
        click.echo(f"Nothing to do: no file to delete older than {hours} h.")
    for key in report.missing:
        click.echo(f"missing: {key}", err=True)
    if report.missing:
        raise SystemExit(1)


def register_cli(app: Flask) -> None:
    app.cli.add_command(users_cli)
    app.cli.add_command(tallies_cli)
    app.cli.add_command(files_cli)
    app.cli.add_command(seed_demo)

    app.cli.add_command(publicity_cli)

    app.cli.add_command(letters_cli)
    app.cli.add_command(jobs_cli)
    app.cli.add_command(payments_cli)
