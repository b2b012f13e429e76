"""Enums that carry their own human names.

A member is declared with its stored value and its label, ``DRAFT = "draft", _l("Draft")``; the
value is what the database and URLs hold, ``member.label`` what a person reads (a lazy
translation, resolved in the language of the moment it is shown). One enum, one set of words:
no second dictionary elsewhere that could name the same member differently.
"""

from __future__ import annotations

import enum
from typing import Any

from flask_babel import LazyString


class LabelledEnum(enum.StrEnum):
    label: LazyString | str

    def __new__(cls, value: str, label: LazyString | str | None = None) -> LabelledEnum:
        member = str.__new__(cls, value)
        member._value_ = value
        member.label = label if label is not None else value
        return member

    @classmethod
    def choices(cls) -> list[tuple[str, Any]]:
        """``(value, label)`` pairs in declaration order, for a select or radio field."""
        return [(member.value, member.label) for member in cls]
