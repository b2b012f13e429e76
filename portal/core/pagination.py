"""Pagination that costs two queries per page whatever the table size."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import Select, func, select

from portal.core.extensions import db
from portal.core.inputs import query_int

DEFAULT_PER_PAGE = 25
# No list has this many pages: a page number beyond it (typed into the address bar) would only
# make an offset the database cannot hold.
MAX_PAGE = 1_000_000


def page_arg(name: str = "page") -> int:
    """The page number of ``?page=``: 1 when absent, malformed ("abc", "NaN", "-1") or beyond
    ``MAX_PAGE``. Every paged view reads it so."""
    return query_int(name, 1, minimum=1, maximum=MAX_PAGE) or 1


@dataclass(frozen=True)
class Page:
    rows: list[Any]
    page: int
    per_page: int
    total: int

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.per_page))

    @property
    def has_prev(self) -> bool:
        return self.page > 1

    @property
    def has_next(self) -> bool:
        return self.page < self.pages


def paginate(
    query: Select[Any], *, page: int = 1, per_page: int = DEFAULT_PER_PAGE, total: int | None = None
) -> Page:
    """One page of ``query``. Pass ``total`` when it is known without counting (a tally, a
    summary already read): counting every row costs as much as the table is long."""
    page = min(max(1, page), MAX_PAGE)
    if total is None:
        total = (
            db.session.scalar(select(func.count()).select_from(query.order_by(None).subquery()))
            or 0
        )
    result = db.session.execute(query.limit(per_page).offset((page - 1) * per_page)).all()
    # A query of one entity pages its objects; a query of several columns pages its rows.
    rows = [row[0] for row in result] if len(query.column_descriptions) == 1 else list(result)
    return Page(rows=rows, page=page, per_page=per_page, total=total)
