"""Lists a transaction keeps in ``session.info`` for after it ends (jobs to queue once it
commits, files to delete once it commits, files to delete if it rolls back), made to follow
savepoints: what a block added inside a savepoint that is then rolled back is taken out of the
list again (and handed to ``on_dropped``: a file written there is deleted), while what came
before the savepoint stays. Without this, a service refused inside its savepoint
(``core.concurrency.refusable``) would still send the mail it had queued.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy import event
from sqlalchemy.orm import Session, SessionTransaction

_MARKS = "portal_savepoint_marks"
_LISTS: dict[str, Callable[[list[Any]], None] | None] = {}


def follow_savepoints(name: str, on_dropped: Callable[[list[Any]], None] | None = None) -> None:
    """Make the list kept as ``session.info[name]`` follow savepoints."""
    _LISTS[name] = on_dropped


@event.listens_for(Session, "after_transaction_create")
def _mark_lengths(session: Session, transaction: SessionTransaction) -> None:
    if transaction.nested:
        marks = session.info.setdefault(_MARKS, {})
        marks[transaction] = {name: len(session.info.get(name, ())) for name in _LISTS}


@event.listens_for(Session, "after_soft_rollback")
def _drop_what_the_savepoint_added(session: Session, previous: SessionTransaction) -> None:
    if not previous.nested:
        return
    for name, length in session.info.get(_MARKS, {}).pop(previous, {}).items():
        items = session.info.get(name)
        if not items or len(items) <= length:
            continue
        dropped = items[length:]
        del items[length:]
        if (on_dropped := _LISTS[name]) is not None:
            on_dropped(dropped)


@event.listens_for(Session, "after_transaction_end")
def _forget_marks(session: Session, transaction: SessionTransaction) -> None:
    # A savepoint's mark is read when it rolls back, which SQLAlchemy reports after the
    # savepoint has ended; so marks go when the whole transaction ends.
    if transaction.parent is None:
        session.info.pop(_MARKS, None)
