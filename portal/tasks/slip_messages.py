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


def register_slip_writers() -> None:
    register_writer("slip_issued", _slip_issued)
