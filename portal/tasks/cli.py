"""``flask --app portal tasks evaluate|remind|daily [--on YYYY-MM-DD]``: the wall map's daily run
(from cron, e.g. at 07:00 Asia/Shanghai: ``tasks daily``). The jobs worker runs no periodic
tasks, so cron runs this, on any or every host; running it twice on a day does nothing the
second time, and a run started while another runs (a second host) says "already running" and
exits 0: the three commands share one cluster-wide lock (``one_at_a_time``), and the evaluation
and the reminders keep their own transaction locks for callers other than these commands."""

from __future__ import annotations

from datetime import date, datetime

import click
from flask.cli import AppGroup

from portal.core.jobs import commit
from portal.core.operator_lock import one_at_a_time
from portal.core.timeutil import bureau_today
from portal.tasks.evaluation import EvaluationResult, evaluate
from portal.tasks.reminders import ReminderResult, send_reminders

# One name for the three commands: ``daily`` runs the other two, so one host's ``evaluate``
# must not run beside another host's ``daily`` either.
LOCK_NAME = "tasks daily"

tasks_cli = AppGroup("tasks", help="The key-task wall map: the daily evaluation and reminders.")

_ON = click.option(
    "--on",
    "on",
    type=click.DateTime(formats=["%Y-%m-%d"]),
    default=None,
    help="The day to run for (YYYY-MM-DD); default: today in Asia/Shanghai.",
)


def _day(on: datetime | None) -> date:
    return on.date() if on is not None else bureau_today()


def _plural(count: int, one: str, many: str) -> str:
    return f"{count} {one if count == 1 else many}"


def _run_evaluation(day: date) -> EvaluationResult:
    result = evaluate(day)
    commit()
    if result.already_running:
        click.echo("Evaluation already running elsewhere: nothing done.")
    elif result.nothing_done:
        click.echo(f"Evaluated {_plural(result.evaluated, 'task', 'tasks')}: nothing to do.")
    else:
        click.echo(
            f"Evaluated {_plural(result.evaluated, 'task', 'tasks')}: "
            f"{_plural(len(result.changed), 'task', 'tasks')} changed status, "
            f"{_plural(len(result.slips), 'slip', 'slips')} raised."
        )
    return result


def _run_reminders(day: date) -> ReminderResult:
    result = send_reminders(day)
    commit()
    if result.already_running:
        click.echo("Reminders already running elsewhere: nothing done.")
    elif result.nothing_done:
        click.echo("Reminders: nothing to do.")
    else:
        click.echo(
            f"Reminders sent: {_plural(result.milestones, 'milestone', 'milestones')}, "
            f"{_plural(result.slips, 'slip', 'slips')}."
        )
    return result


@tasks_cli.command("evaluate")
@_ON
@one_at_a_time(LOCK_NAME)
def evaluate_command(on: datetime | None) -> None:
    """Judge every key task of the year, keep the month's history and raise slips by rule."""
    _run_evaluation(_day(on))


@tasks_cli.command("remind")
@_ON
@one_at_a_time(LOCK_NAME)
def remind_command(on: datetime | None) -> None:
    """Remind of milestones and slip deadlines due within three days (in-app and mail)."""
    _run_reminders(_day(on))


@tasks_cli.command("daily")
@_ON
@one_at_a_time(LOCK_NAME)
def daily_command(on: datetime | None) -> None:
    """The evaluation, then the reminders (so that today's slips are reminded too)."""
    day = _day(on)
    _run_evaluation(day)
    _run_reminders(day)
