"""Notice numbers in the GB/T 9704-2012 style and verification codes.

A number is the issuer code, the year in 〔〕 and the sequence with 号: ``阜科发〔2026〕12号``
(no leading zeros, no 第). Sequences run per issuer and year and are never reused: they come
from one counter row that is incremented inside the issuing transaction, so a render that
fails rolls the increment back with everything else (no gap), and two transactions issuing at
once queue on that row (no duplicate).
"""

from __future__ import annotations

import re
import secrets

from sqlalchemy import update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from portal.core.extensions import db
from portal.letters.models import LetterSequence

# Verification codes: no 0/O, 1/I/L, so that a code read off paper is typed right.
CODE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
CODE_LENGTH = 12
CODE_GROUP = 4
_CODE_INPUT = re.compile(r"[\s\-_]+")


def format_notice_number(issuer_code: str, year: int, sequence: int) -> str:
    if sequence < 1:
        raise ValueError("a notice sequence starts at 1")
    return f"{issuer_code}〔{year}〕{sequence}号"


def new_verification_code() -> str:
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))


def display_code(code: str) -> str:
    """``ABCD-EFGH-JKMN``: groups of four, as printed on the letter."""
    return "-".join(code[i : i + CODE_GROUP] for i in range(0, len(code), CODE_GROUP))


def normalise_code(typed: str) -> str | None:
    """The stored form of a code as someone typed it, or None when it cannot be one."""
    code = _CODE_INPUT.sub("", typed or "").upper()
    if len(code) != CODE_LENGTH or any(ch not in CODE_ALPHABET for ch in code):
        return None
    return code


def allocate_sequences(issuer_code: str, year: int, count: int) -> list[int]:
    """Take the next ``count`` sequence numbers of an issuer's year, in this transaction.

    The row is created on first use (a race to create it is settled by the primary key:
    ON CONFLICT DO NOTHING), then incremented with UPDATE ... RETURNING, which on PostgreSQL
    holds the row lock until commit and on SQLite runs under the BEGIN IMMEDIATE write lock.
    """
    if count < 1:
        return []
    dialect = db.session.get_bind().dialect.name
    insert = pg_insert if dialect == "postgresql" else sqlite_insert
    db.session.execute(
        insert(LetterSequence)
        .values(issuer_code=issuer_code, year=year, last_number=0)
        .on_conflict_do_nothing(index_elements=["issuer_code", "year"])
    )
    last = db.session.execute(
        update(LetterSequence)
        .where(LetterSequence.issuer_code == issuer_code, LetterSequence.year == year)
        .values(last_number=LetterSequence.last_number + count)
        .returning(LetterSequence.last_number)
        .execution_options(synchronize_session=False)
    ).scalar_one()
    return list(range(last - count + 1, last + 1))
