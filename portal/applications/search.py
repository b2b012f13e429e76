"""Searching applications by what an officer remembers of one: part of the firm's name, its
USCC, the application's reference or its project title.

Three characters or more are a substring search, answered from an index of trigrams so that
it does not read every row (migration 0010): the FTS5 table ``application_search`` on SQLite,
pg_trgm GIN indexes used by ``ILIKE`` on PostgreSQL. Fewer characters cannot make a trigram,
so they match the start of a reference or a USCC only (read from their unique indexes).

A search runs in two steps (``portal/web/desk/queue.py``): the ids the index finds, at most
1,001; when there are fewer, the page is those rows sorted; when there are more, the term is
broad (most rows match) and the queue is read in its own index order, each row tested, which
finds a page of matches in a few rows. Either way no step reads every row.

What is typed is data, never syntax: LIKE wildcards are escaped and the FTS5 query is one
quoted phrase, so ``%``, ``_``, ``"``, ``*``, ``OR`` or ``NEAR(`` are searched for as they are.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from sqlalchemy import ColumnElement, Select, column, or_, select, table, union_all

from portal.accounts.models import Enterprise
from portal.applications.models import Application

MIN_SUBSTRING = 3  # a trigram index answers substrings of three characters or more
MAX_LENGTH = 100  # longer than any name, USCC, reference or title fragment worth typing
LIKE_ESCAPE = "\\"

# The FTS5 table of migration 0010 (SQLite only; not a model: the database keeps it).
_fts = table("application_search", column("rowid"))
_SPACES = re.compile(r"\s+")


@dataclass(frozen=True)
class SearchTerm:
    """What was typed, cleaned: control characters dropped, spaces collapsed, cut short."""

    text: str

    @classmethod
    def parse(cls, raw: str | None) -> SearchTerm:
        printable = "".join(
            ch for ch in (raw or "") if not unicodedata.category(ch).startswith("C")
        )
        return cls(_SPACES.sub(" ", printable).strip()[:MAX_LENGTH])

    def __bool__(self) -> bool:
        return bool(self.text)

    @property
    def is_substring(self) -> bool:
        """Long enough for the trigram index (else a prefix of a reference or USCC)."""
        return len(self.text) >= MIN_SUBSTRING


def escape_like(text: str) -> str:
    """``text`` with LIKE's wildcards (and the escape character itself) taken literally."""
    return (
        text.replace(LIKE_ESCAPE, LIKE_ESCAPE * 2)
        .replace("%", LIKE_ESCAPE + "%")
        .replace("_", LIKE_ESCAPE + "_")
    )


def fts5_phrase(text: str) -> str:
    """``text`` as one FTS5 phrase: inside double quotes nothing is an operator; a quote is
    written twice."""
    return '"' + text.replace('"', '""') + '"'


def candidate_ids(term: SearchTerm, dialect: str, limit: int) -> Select[tuple[int]]:
    """Ids of applications that ``term`` matches, read from the indexes, at most ``limit`` of
    them (an id may come twice). Few matches come back whole; past ``limit`` the term is
    broad, and ``row_matches`` over the queue in its own order finds a page sooner."""
    if not term.is_substring:
        return _prefix_ids(term.text, limit)
    if dialect == "postgresql":
        return _trigram_ids(term.text, limit)
    # Read from the FTS5 table alone, lazily: a broad term stops after ``limit`` rows.
    match = column("application_search").op("MATCH")(fts5_phrase(term.text))
    return select(_fts.c.rowid).where(match).limit(limit)


def row_matches(term: SearchTerm) -> ColumnElement[bool]:
    """The same match tested on one row of applications joined to its firm (no index)."""
    if not term.is_substring:
        start = escape_like(term.text.upper()) + "%"
        return or_(
            Application.reference.like(start, escape=LIKE_ESCAPE),
            Enterprise.uscc.like(start, escape=LIKE_ESCAPE),
        )
    pattern = f"%{escape_like(term.text)}%"
    return or_(
        *(
            searched.ilike(pattern, escape=LIKE_ESCAPE)
            for searched in (
                Enterprise.name,
                Enterprise.uscc,
                Application.reference,
                Application.project_title,
            )
        )
    )


def _prefix_ids(text: str, limit: int) -> Select[tuple[int]]:
    # References and USCCs are written in capitals; ranges read the unique indexes in order.
    start = text.upper()
    end = start + "\U0010ffff"
    own = (
        select(Application.id.label("id"))
        .where(Application.reference.between(start, end))
        .limit(limit)
        .subquery()
    )
    of_firms = (
        select(Application.id.label("id"))
        .join(Enterprise, Enterprise.id == Application.enterprise_id)
        .where(Enterprise.uscc.between(start, end))
        .limit(limit)
        .subquery()
    )
    both = union_all(select(own.c.id), select(of_firms.c.id)).subquery()
    return select(both.c.id).limit(limit)


def _trigram_ids(text: str, limit: int) -> Select[tuple[int]]:
    pattern = f"%{escape_like(text)}%"
    own = (
        select(Application.id.label("id"))
        .where(
            or_(
                Application.reference.ilike(pattern, escape=LIKE_ESCAPE),
                Application.project_title.ilike(pattern, escape=LIKE_ESCAPE),
            )
        )
        .order_by(Application.id)
        .limit(limit)
        .subquery()
    )
    of_firms = (
        select(Application.id.label("id"))
        .join(Enterprise, Enterprise.id == Application.enterprise_id)
        .where(
            or_(
                Enterprise.name.ilike(pattern, escape=LIKE_ESCAPE),
                Enterprise.uscc.ilike(pattern, escape=LIKE_ESCAPE),
            )
        )
        .order_by(Enterprise.id)
        .limit(limit)
        .subquery()
    )
    # Each side from its table's trigram indexes (a bitmap scan each) when the term is rare.
    # The order by id and the limit let the planner walk the primary key instead when most
    # rows match, stopping after ``limit`` (a hash of every firm would cost as the table
    # grows). UNION ALL: no distinct over the rows.
    both = union_all(select(own.c.id), select(of_firms.c.id)).subquery()
    return select(both.c.id).limit(limit)
