"""The key-task wall map (挂图作战): the year's key tasks with owners, indicators and
milestones, status by rule, supervision slips in a closed loop, the wall and its prints.

Sits above reporting and payments (its indicators read awards, payments, profiles and reports)
and below the demo and the web. Each part hooks itself up in ``init_tasks``.
"""

from __future__ import annotations

from flask import Flask


def init_tasks(app: Flask) -> None:
    # Each part registers here (listeners, jobs, commands, notification writers), one small
    # block each.
    # Slips: the notifications they send.
    from portal.tasks.slip_messages import register_slip_writers

    register_slip_writers()
    # Prints: the weekly dispatch report's notification and `flask --app portal dispatch send`.
    from portal.tasks.dispatch_cli import dispatch_cli
    from portal.tasks.dispatch_messages import register_dispatch_writers

    register_dispatch_writers()
    app.cli.add_command(dispatch_cli)
    # Evaluation and reminders: `flask --app portal tasks evaluate|remind|daily` (daily, from
    # cron) and the notifications they send.
    from portal.tasks.cli import tasks_cli
    from portal.tasks.reminder_messages import register_reminder_writers

    register_reminder_writers()
    app.cli.add_command(tasks_cli)
