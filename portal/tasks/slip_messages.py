"""What the slip notifications say (registered with ``notifications.messages`` at start-up)."""

from __future__ import annotations

from typing import Any

from flask_babel import get_locale
from flask_babel import gettext as _

from portal.notifications.messages import Message, register_writer


def _task(p: dict[str, Any]) -> str:
    locale = str(get_locale() or "zh_CN")
    return p.get("task_en" if locale.startswith("en") else "task_zh", "")


def _slip_issued(p, _program, url) -> Message:
    return Message(
        _("Supervision slip %(code)s on “%(task)s”", code=p["code"], task=_task(p)),
        [
            p.get("reason", ""),
            _(
                "Sign for it, then answer with the progress and evidence by %(deadline)s.",
                deadline=p.get("deadline", ""),
            ),
        ],
        _("Open the slip"),
        url,
    )


def _slip_answered(p, _program, url) -> Message:
    return Message(
        _("Supervision slip %(code)s answered: review it", code=p["code"]),
        [
            _(
                "%(person)s answered the slip on “%(task)s” with the progress made and evidence.",
                person=p.get("by", ""),
                task=_task(p),
            ),
            _("Close it, or send it back with a note saying what is missing."),
        ],
        _("Review the answer"),
        url,
    )


def _slip_returned(p, _program, url) -> Message:
    paragraphs = [
        _(
            "The supervisor sent back the answer to the slip on “%(task)s”.",
            task=_task(p),
        )
    ]
    if p.get("note"):
        paragraphs.append(_("What is missing: %(note)s", note=p["note"]))
    paragraphs.append(
        _("Answer again with the progress and evidence by %(deadline)s.", deadline=p["deadline"])
    )
    return Message(
        _("Supervision slip %(code)s sent back", code=p["code"]),
        paragraphs,
        _("Answer again"),
        url,
    )


def _slip_closed(p, _program, url) -> Message:
    paragraphs = [_("The supervisor closed the slip on “%(task)s”.", task=_task(p))]
    if p.get("note"):
        paragraphs.append(p["note"])
    return Message(
        _("Supervision slip %(code)s closed", code=p["code"]),
        paragraphs,
        _("Open the slip"),
        url,
    )


def register_slip_writers() -> None:
    register_writer("slip_issued", _slip_issued)
    register_writer("slip_answered", _slip_answered)
    register_writer("slip_returned", _slip_returned)
    register_writer("slip_closed", _slip_closed)
