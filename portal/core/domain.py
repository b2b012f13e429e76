"""Errors that services raise when a rule refuses an action; views show their message."""

from __future__ import annotations

from typing import Any


class DomainError(Exception):
    """A refusal a user can act on. ``field`` names the form field the message belongs beside."""

    def __init__(self, message: Any, *, field: str | None = None) -> None:
        # Keep a lazy message lazy: translating it here would read the signed-in user, which a
        # failed flush may just have expired.
        super().__init__(message)
        self.message = message
        self.field = field
