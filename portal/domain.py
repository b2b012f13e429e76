"""Errors that services raise when a rule refuses an action; views show their message."""

from __future__ import annotations

from typing import Any


class DomainError(Exception):
    """A refusal a user can act on. ``field`` names the form field the message belongs beside."""

    def __init__(self, message: Any, *, field: str | None = None) -> None:
        super().__init__(str(message))
        self.message = message
        self.field = field
