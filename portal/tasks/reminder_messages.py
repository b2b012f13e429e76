"""What the wall map's reminders and warnings say (registered with ``notifications.messages``
at start-up): a milestone due soon, a slip's deadline near, a task turned red."""

from __future__ import annotations

from datetime import date
from typing import Any

from flask_babel import get_locale, ngettext
from flask_babel import gettext as _

from portal.applications.award_terms import short_day
from portal.notifications.messages import Message, register_writer


def _english() -> bool:
    return str(get_locale() or "zh_CN").startswith("en")


def _pick(p: dict[str, Any], name: str) -> str:
    """``name_en`` or ``name_zh`` of the params, in the message's language."""
    return str(p.get(f"{name}_en" if _english() else f"{name}_zh", "") or p.get(f"{name}_zh", ""))


def _day(value: Any) -> str:
    try:
        return short_day(date.fromisoformat(str(value)))
    except ValueError:
        return str(value or "")


def _in_days(days: int, day: str) -> str:
    if days <= 0:
        return _("today (%(date)s)", date=day)
    return ngettext("in %(num)d day, on %(date)s", "in %(num)d days, on %(date)s", days, date=day)


def _milestone_due_soon(p: dict[str, Any], _program: str, url: str) -> Message:
    task, milestone = _pick(p, "task"), _pick(p, "milestone")
    day = _day(p.get("due_on"))
    return Message(
        _("Milestone due %(when)s: %(milestone)s", when=day, milestone=milestone),
        [
            _(
                "The milestone “%(milestone)s” of the key task “%(task)s” is due %(when)s and "
                "is not marked done yet.",
                milestone=milestone,
                task=task,
                when=_in_days(int(p.get("days") or 0), day),
            ),
            _(
                "Mark it done with a note once it is finished; a milestone past its date turns "
                "the task red and raises a red supervision slip."
            ),
        ],
        _("Open the task"),
        url,
    )


def _slip_deadline_soon(p: dict[str, Any], _program: str, url: str) -> Message:
    task, code = _pick(p, "task"), str(p.get("code", ""))
    day = _day(p.get("deadline"))
    paragraphs = [
        _(
            "The supervision slip %(code)s on the key task “%(task)s” must be answered %(when)s.",
            code=code,
            task=task,
            when=_in_days(int(p.get("days") or 0), day),
        )
    ]
    if p.get("reason"):
        paragraphs.append(_("The slip's reason: %(reason)s", reason=p["reason"]))
    paragraphs.append(_("Sign for it if you have not, then answer with the progress and evidence."))
    return Message(
        _("Slip %(code)s: deadline %(date)s", code=code, date=day),
        paragraphs,
        _("Open the slip"),
        url,
    )


def _task_turned_red(p: dict[str, Any], _program: str, url: str) -> Message:
    task = _pick(p, "task")
    paragraphs = [
        _(
            "The key task “%(task)s” turned red at the evaluation of %(date)s.",
            task=task,
            date=_day(p.get("on")),
        )
    ]
    for milestone in p.get("overdue") or []:
        paragraphs.append(
            _(
                "Overdue since %(date)s: %(milestone)s",
                date=_day(milestone.get("due_on")),
                milestone=_pick(milestone, "title"),
            )
        )
    paragraphs.append(
        _(
            "It returns to yellow once the overdue milestones are done and its indicators have "
            "caught up."
        )
    )
    return Message(_("Key task overdue: %(task)s", task=task), paragraphs, _("Open the task"), url)


def register_reminder_writers() -> None:
    register_writer("milestone_due_soon", _milestone_due_soon)
    register_writer("slip_deadline_soon", _slip_deadline_soon)
    register_writer("task_turned_red", _task_turned_red)
