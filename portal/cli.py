"""Flask commands: ``flask --app portal users create``, ``flask --app portal seed-demo``."""

from __future__ import annotations

import sys

import click
from flask import Flask
from flask.cli import AppGroup, with_appcontext

from portal.accounts import services
from portal.accounts.models import Role
from portal.domain import DomainError
from portal.extensions import db

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
@with_appcontext
def seed_demo() -> None:
    """Create the demo accounts and enterprises (safe to run again: changes nothing then)."""
    from portal.demo import seed_demo_data

    created = seed_demo_data()
    db.session.commit()
    click.echo(f"Demo data: {created} new records." if created else "Demo data already present.")


tallies_cli = AppGroup("tallies", help="The running counts of applications and reviews.")


@tallies_cli.command("check")
@with_appcontext
def check_tallies_command() -> None:
    """Compare the tallies with a full count; exit 1 when they differ."""
    from portal.applications.tallies import check_tallies

    problems = check_tallies()
    for problem in problems:
        click.echo(problem, err=True)
    if problems:
        raise SystemExit(1)
    click.echo("Tallies agree with a full count.")


@tallies_cli.command("rebuild")
@with_appcontext
def rebuild_tallies_command() -> None:
    """Recount every tally from the applications and assignments."""
    from portal.applications.tallies import rebuild_tallies

    rebuild_tallies()
    db.session.commit()
    click.echo("Tallies recounted.")


def register_cli(app: Flask) -> None:
    app.cli.add_command(users_cli)
    app.cli.add_command(tallies_cli)
    app.cli.add_command(seed_demo)
    from portal.review.cli import publicity_cli

    app.cli.add_command(publicity_cli)
    from portal.letters.cli import jobs_cli, letters_cli

    app.cli.add_command(letters_cli)
    app.cli.add_command(jobs_cli)
