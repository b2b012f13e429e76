"""Background jobs (Huey): a SQLite queue file by default, Redis when ``PORTAL_REDIS_URL`` is
set, inline (``PORTAL_JOBS_IMMEDIATE``, and in tests) when asked.

Jobs are side effects of a change, so they are queued only once that change has committed:
services call ``enqueue_after_commit`` (or ``batch_after_commit``) and the request's unit of
work, or a command's ``commit``, dispatches them after its commit. A rollback forgets them.
Dispatch never fails the request: a queue that cannot be reached is logged, and what the job
would have done can be caught up (letters: the programme export and the staff button).

Run a consumer with ``flask --app portal jobs worker`` (``make run`` starts one).
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from flask import Flask, current_app, has_app_context
from sqlalchemy import event, inspect
from sqlalchemy.orm import Session, SessionTransaction

from portal.core.extensions import db
from portal.core.transaction_lists import follow_savepoints

log = logging.getLogger(__name__)

_TASKS: dict[str, tuple[Callable[..., Any], dict[str, Any]]] = {}
_PENDING = "portal_jobs_pending"
_BATCHES = "portal_jobs_batches"
_READY = "portal_jobs_ready"


def job(fn: Callable[..., Any] | None = None, *, retries: int = 2, retry_delay: int = 5) -> Any:
    """Declare a function as a background job (it runs inside an app context); a job that
    raises is tried again ``retries`` times, ``retry_delay`` seconds apart."""

    def declare(fn: Callable[..., Any]) -> Callable[..., Any]:
        _TASKS[fn.__name__] = (fn, {"retries": retries, "retry_delay": retry_delay})
        return fn

    return declare(fn) if fn is not None else declare


class Jobs:
    """The app's Huey instance and its task wrappers."""

    def __init__(self, app: Flask) -> None:
        from huey import RedisHuey, SqliteHuey

        config = app.config
        immediate = bool(config["JOBS_IMMEDIATE"])
        if config["REDIS_URL"]:
            self.huey = RedisHuey(
                "portal", connection_pool=_redis_pool(config), immediate=immediate
            )
        else:
            Path(config["JOBS_SQLITE_PATH"]).parent.mkdir(parents=True, exist_ok=True)
            self.huey = SqliteHuey(
                "portal", filename=config["JOBS_SQLITE_PATH"], immediate=immediate
            )
        self.huey.results = False  # progress is kept in the database, where pages read it
        self.app = app
        self.tasks = {
            name: self.huey.task(name=name, **options)(self._in_app(fn))
            for name, (fn, options) in _TASKS.items()
        }

    def _in_app(self, fn: Callable[..., Any]) -> Callable[..., Any]:
        app = self.app

        @functools.wraps(fn)
        def run(*args: Any) -> Any:
            if has_app_context():  # immediate mode: inline, after the request's commit
                return fn(*args)
            with app.app_context():
                try:
                    return fn(*args)
                finally:
                    db.session.remove()

        return run


# The consumer waits for work in a blocking pop of this many seconds (Huey's default), which a
# read timeout must outlast.
_BLOCKING_POP_SECONDS = 1


def _redis_pool(config: Mapping[str, Any]) -> Any:
    """The queue's connections, with short timeouts: queuing a job while Redis is down (or
    hung) fails in a couple of seconds, is logged, and the request goes on (``dispatch_ready``)."""
    from redis import ConnectionPool

    timeout = config["REDIS_TIMEOUT_SECONDS"]
    return ConnectionPool.from_url(
        config["REDIS_URL"],
        socket_connect_timeout=timeout,
        socket_timeout=timeout + _BLOCKING_POP_SECONDS,
    )


def init_jobs(app: Flask) -> None:
    """Bind the jobs declared so far to the app's queue: each domain declares its own jobs
    (``@job``) when its task module is imported, before ``create_app`` calls this."""
    app.extensions["portal_jobs"] = Jobs(app)


def jobs() -> Jobs:
    return current_app.extensions["portal_jobs"]


# A job is named by its function (within a domain and below it) or, from a domain below the
# one that declares it, by its declared name; either way an unknown job fails at once, where it
# is queued, not later in a worker.
JobRef = Callable[..., Any] | str


def job_name(ref: JobRef) -> str:
    name = ref if isinstance(ref, str) else ref.__name__
    if name not in _TASKS:
        raise LookupError(f"no background job named {name!r} is declared")
    return name


def enqueue_after_commit(ref: JobRef, *args: Any) -> None:
    db.session.info.setdefault(_PENDING, []).append((job_name(ref), args))


def batch_after_commit(ref: JobRef, item: Any, *args: Any) -> None:
    """Collect ``item`` into one call of job ``ref(items, *args)`` after the commit."""
    db.session.info.setdefault(_BATCHES, []).append(((job_name(ref), args), item))


def _plain(item: Any) -> Any:
    """An ORM object collected before its flush becomes its primary key (known now)."""
    state = inspect(item, raiseerr=False)
    if state is not None and getattr(state, "identity", None):
        return state.identity[0]
    return item


@event.listens_for(Session, "after_commit")
def _ready_after_commit(session: Session) -> None:
    pending = session.info.pop(_PENDING, [])
    batches: dict[tuple[str, tuple[Any, ...]], list[Any]] = {}
    for key, item in session.info.pop(_BATCHES, []):
        batches.setdefault(key, []).append(item)
    for (name, args), items in batches.items():
        pending.append((name, ([_plain(item) for item in items], *args)))
    if pending:
        session.info.setdefault(_READY, []).extend(pending)


@event.listens_for(Session, "after_soft_rollback")
def _forget_on_rollback(session: Session, previous_transaction: SessionTransaction) -> None:
    if not previous_transaction.nested:
        session.info.pop(_PENDING, None)
        session.info.pop(_BATCHES, None)


# A job queued inside a savepoint that rolls back is forgotten with it (a refused service).
follow_savepoints(_PENDING)
follow_savepoints(_BATCHES)


def dispatch_ready() -> None:
    """Hand the jobs of committed changes to the queue (inline in immediate mode)."""
    ready = db.session.info.pop(_READY, [])
    for name, args in ready:
        try:
            jobs().tasks[name](*args)
        except Exception:  # the change is committed; a lost job is caught up later
            log.exception("could not queue job %s", name)


def commit() -> None:
    """Commit the session and dispatch its jobs (for commands and jobs; requests do this in
    their unit of work)."""
    db.session.commit()
    dispatch_ready()


def run_worker(workers: int = 2) -> None:
    from huey.consumer import Consumer

    Consumer(
        jobs().huey, workers=workers, worker_type="thread", periodic=False, max_delay=1.0
    ).run()
