"""What the weekly dispatch report's notification says (registered with
``notifications.messages`` at start-up, in ``tasks.init_tasks``)."""

from __future__ import annotations

from datetime import date
from typing import Any

from flask_babel import get_locale
from flask_babel import gettext as _

from portal.applications.award_terms import short_day
from portal.notifications.messages import Message, register_writer


def _day(iso: str) -> str:
    try:
        return short_day(date.fromisoformat(iso))
    except (TypeError, ValueError):
        return iso or ""


def _dispatch_ready(p: dict[str, Any], _program: str, url: str) -> Message:
    paragraphs = [
        _(
            "The weekly dispatch report on the key tasks for %(start)s to %(end)s is ready.",
            start=_day(p.get("week_start", "")),
            end=_day(p.get("week_ending", "")),
        ),
        _(
            "Tasks overdue: %(red)s; behind or due soon: %(yellow)s; on schedule: %(green)s.",
            red=p.get("red", 0),
            yellow=p.get("yellow", 0),
            green=p.get("green", 0),
        ),
        _(
            "Milestones overdue: %(milestones)s; supervision slips overdue: %(slips)s.",
            milestones=p.get("milestones_overdue", 0),
            slips=p.get("slips_overdue", 0),
        ),
    ]
    worst = p.get("worst_en" if str(get_locale() or "").startswith("en") else "worst_zh")
    if worst:
        paragraphs.append(_("Most overdue items this month: %(department)s.", department=worst))
    return Message(
        _("Weekly dispatch report: week ending %(day)s", day=_day(p.get("week_ending", ""))),
        paragraphs,
        _("Open the report (PDF)"),
        url,
    )


def register_dispatch_writers() -> None:
    register_writer("dispatch_ready", _dispatch_ready)
