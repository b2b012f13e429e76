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
