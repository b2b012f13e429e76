"""Unified social credit code (统一社会信用代码, GB 32100-2015).

``check_uscc`` says exactly which rule a code breaks so that the form can tell the user.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"  # 31 characters: no I, O, S, V, Z
VALUES = {char: index for index, char in enumerate(ALPHABET)}
WEIGHTS = tuple(pow(3, i, 31) for i in range(17))  # 1 3 9 27 19 26 16 17 20 29 25 13 8 24 10 30 28
LENGTH = 18


class UsccProblem(enum.StrEnum):
    EMPTY = "empty"
    LENGTH = "length"
    CHARACTER = "character"
    REGION = "region"
    CHECK_CHARACTER = "check_character"


@dataclass(frozen=True)
class UsccCheck:
    code: str  # normalised
    problem: UsccProblem | None = None
    position: int | None = None  # 1-based position of the offending character
    character: str | None = None
    expected: str | None = None  # the check character the code should end with

    @property
    def ok(self) -> bool:
        return self.problem is None


def normalise_uscc(raw: str) -> str:
    """Strip every kind of white space (people paste codes with spaces) and upper-case."""
    return "".join(raw.split()).upper()


def check_character(first17: str) -> str:
    total = sum(VALUES[char] * weight for char, weight in zip(first17, WEIGHTS, strict=True))
    return ALPHABET[(31 - total % 31) % 31]


def check_uscc(raw: str) -> UsccCheck:
    code = normalise_uscc(raw or "")
    if not code:
        return UsccCheck(code, UsccProblem.EMPTY)
    if len(code) != LENGTH:
        return UsccCheck(code, UsccProblem.LENGTH)
    for position, char in enumerate(code, start=1):
        if char not in VALUES:
            return UsccCheck(code, UsccProblem.CHARACTER, position=position, character=char)
    for position in range(3, 9):  # the administrative region code (GB/T 2260) is six digits
        char = code[position - 1]
        if not char.isdigit():
            return UsccCheck(code, UsccProblem.REGION, position=position, character=char)
    expected = check_character(code[:17])
    if code[17] != expected:
        return UsccCheck(
            code, UsccProblem.CHECK_CHARACTER, position=18, character=code[17], expected=expected
        )
    return UsccCheck(code)


def with_check_character(first17: str) -> str:
    """Complete 17 characters into a valid code (used by demo data and tests)."""
    first17 = normalise_uscc(first17)
    return first17 + check_character(first17)
