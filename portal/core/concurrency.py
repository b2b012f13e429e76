"""Two people acting on the same thing at once: the one refusal, row locks, the stale-page
check, and savepoints that make a refused service call undo its own work.

- ``ConcurrentChange`` is the refusal every domain raises when a row changed after it was read
  (by this request or by the page the user sent the form from). It says, when known, who
  changed it (``by``), when (``at``) and the row's version now (``current_version``: a page that
  sends it back saves over that change knowingly).
- ``lock_row`` / ``lock`` take a row lock until the transaction ends: ``SELECT … FOR UPDATE``
  on PostgreSQL. SQLite has no row locks and needs none: every writing request begins with
  ``BEGIN IMMEDIATE`` (core/extensions.py), so writers queue for the whole database.
- ``check_not_stale`` refuses a form drawn at an older version of its row.
- ``refuse_stale_writes`` is the one place that turns SQLAlchemy's ``StaleDataError`` (a flush
  whose versioned UPDATE matched no row: someone committed a change meanwhile) into
  ``ConcurrentChange``.
- ``service`` / ``refusable`` run a service call in a savepoint: when it is refused (a
  ``DomainError``, or anything else that escapes), the database is back where it was before
  the call, while the request's earlier work stays. A view can then catch the refusal, show
  the form again and answer 200 or 302 without committing anything half-written.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import Any, ParamSpec, TypeVar

from flask_babel import lazy_gettext as _l
from sqlalchemy.orm.exc import StaleDataError

from portal.core.domain import DomainError
from portal.core.extensions import db

CHANGED_MEANWHILE_TITLE = _l("Changed meanwhile")
CHANGED_MEANWHILE = _l(
    "Someone changed this at the same moment, so nothing you sent was saved. "
    "Open the page again to see the latest version, then make your change again."
)

Row = TypeVar("Row")
P = ParamSpec("P")
R = TypeVar("R")


class ConcurrentChange(DomainError):
    """Someone changed the row after it was read. ``by``: who (a name; None when unknown or a
    script), ``at``: when, ``current_version``: the row's version now."""

    def __init__(
        self,
        message: Any = None,
        *,
        field: str | None = None,
        by: str | None = None,
        at: datetime | None = None,
        current_version: int | None = None,
    ) -> None:
        super().__init__(CHANGED_MEANWHILE if message is None else message, field=field)
        self.by = by
        self.at = at
        self.current_version = current_version


# --- row locks --------------------------------------------------------------------------------


def lock_row(model: type[Row], ident: Any) -> Row:
    """The row of ``model`` with primary key ``ident``, locked until the transaction ends, and
    read again: another transaction may have changed it while this one waited for the lock.

    The row must exist (``LookupError`` otherwise: callers lock what they have just found)."""
    row = db.session.get(model, ident, with_for_update=True, populate_existing=True)
    if row is None:
        raise LookupError(f"no {model.__name__} with id {ident!r} to lock")
    return row


def lock(obj: Row) -> Row:
    """``obj``'s row locked until the transaction ends, and ``obj`` refreshed from it."""
    db.session.refresh(obj, with_for_update=True)
    return obj


# --- stale pages and stale writes -------------------------------------------------------------


def version_of(obj: Any) -> int:
    """The row's version counter (every versioned model calls it ``lock_version``)."""
    return obj.lock_version


def check_not_stale(
    obj: Any,
    seen_version: int | None,
    *,
    message: Any = None,
    required: bool = False,
    changed_by: Callable[[Any], tuple[str | None, datetime | None]] | None = None,
) -> None:
    """Refuse a form drawn at version ``seen_version`` of ``obj`` when the row has moved on.

    ``seen_version`` None (a script, a test) is not checked, unless ``required`` (a form that
    always carries it: None then means the page is not one we drew). Lock the row first when
    the check must hold until the commit. ``changed_by(obj)`` names who changed it and when;
    it is only asked when the form is stale."""
    current = version_of(obj)
    if seen_version == current or (seen_version is None and not required):
        return
    by, at = changed_by(obj) if changed_by is not None else (None, None)
    raise ConcurrentChange(message, by=by, at=at, current_version=current)


@contextmanager
def refuse_stale_writes(message: Any = None) -> Iterator[None]:
    """A ``StaleDataError`` inside becomes ``ConcurrentChange`` (with ``message``, or the
    general one). Flush inside it, so that a conflict surfaces where it can be refused."""
    try:
        yield
    except StaleDataError:
        raise ConcurrentChange(message) from None


def flush_or_refuse(message: Any = None) -> None:
    """Write now, so that a change made meanwhile is refused here (``ConcurrentChange``), not
    found at the commit."""
    with refuse_stale_writes(message):
        db.session.flush()


# --- refusable service calls ------------------------------------------------------------------


@contextmanager
def refusable(message: Any = None) -> Iterator[None]:
    """Run the block in a savepoint. When an exception escapes it, the database goes back to
    the savepoint (the session's objects changed inside are expired and read again when next
    used) and the exception goes on; otherwise the savepoint is released and its work waits
    for the request's commit. A stale write inside becomes ``ConcurrentChange(message)``.

    On SQLite this relies on the engine beginning its own transactions (core/extensions.py):
    pysqlite's own transaction handling would break SAVEPOINT."""
    try:
        with db.session.begin_nested():
            yield
    except StaleDataError:
        # Found when the savepoint was released (its closing flush); it has rolled back.
        raise ConcurrentChange(message) from None


def service(func: Callable[P, R]) -> Callable[P, R]:
    """Decorate a service: each call runs in its own savepoint (``refusable``), so that a
    refused call leaves nothing behind and the caller may go on in the same transaction."""

    @functools.wraps(func)
    def run(*args: P.args, **kwargs: P.kwargs) -> R:
        with refusable():
            return func(*args, **kwargs)

    return run
