"""One run at a time of an operator command, across every host of the deployment.

Scheduled commands (``letters issue-due``, ``publicity advance``, ``files sweep``, ``tallies
rebuild``, ``tasks daily``, ``dispatch send``, ``reports remind`` ...) may be started by cron
on each host at once. Each takes a lock named after it for the whole run:

- on PostgreSQL, a session advisory lock (``pg_try_advisory_lock``) on a connection of its own,
  outside the command's transactions, so that every host sharing the database sees it; a
  process that dies loses its connection and with it the lock;
- on SQLite (one host by design), an ``flock`` on a file in the instance folder, released by
  the kernel when the process ends.

A run that finds the lock taken says "already running" and exits 0: the other run is doing the
work. The commands are also idempotent, so a run that starts after the first has finished
finds nothing to do.
"""

from __future__ import annotations

import fcntl
import functools
import hashlib
import os
import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import click
from flask import current_app
from sqlalchemy import Connection, text
from sqlalchemy.exc import SQLAlchemyError

from portal.core.extensions import db

_TRY_LOCK = text("SELECT pg_try_advisory_lock(:key)")
_UNLOCK = text("SELECT pg_advisory_unlock(:key)")


def lock_key(name: str) -> int:
    """A stable signed 64-bit key for PostgreSQL's advisory locks from a command's name."""
    return int.from_bytes(
        hashlib.sha256(f"portal:{name}".encode()).digest()[:8], "big", signed=True
    )


@contextmanager
def single_run(name: str) -> Iterator[bool]:
    """Hold the cluster-wide lock ``name`` while the block runs; yields False (and holds
    nothing) when another process holds it."""
    if db.engine.dialect.name == "postgresql":
        with _advisory_lock(lock_key(name)) as mine:
            yield mine
    else:
        with _file_lock(name) as mine:
            yield mine


@contextmanager
def _advisory_lock(key: int) -> Iterator[bool]:
    with db.engine.connect() as connection:
        mine = bool(connection.execute(_TRY_LOCK, {"key": key}).scalar())
        connection.commit()  # the lock is the session's, not the transaction's
        try:
            yield mine
        finally:
            if mine:
                _release(connection, key)


def _release(connection: Connection, key: int) -> None:
    """Unlock. When that fails, the connection was lost meanwhile (PostgreSQL restarted, the
    backend terminated) and the lock went with it, so the command's own outcome stands; the
    connection is dropped rather than pooled, so that no lock can outlive it."""
    try:
        connection.execute(_UNLOCK, {"key": key})
        connection.commit()
    except SQLAlchemyError:
        connection.invalidate()


@contextmanager
def _file_lock(name: str) -> Iterator[bool]:
    folder = Path(current_app.instance_path) / "locks"
    folder.mkdir(parents=True, exist_ok=True)
    with exclusive_flock(
        folder / (re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-") + ".lock")
    ) as mine:
        yield mine


@contextmanager
def exclusive_flock(path: Path, *, remove_when_done: bool = False) -> Iterator[bool]:
    """Hold an exclusive ``flock`` on ``path`` (made 0600 if missing) for the block; yields
    False, holding nothing, when another open file holds it (another process, or another
    ``open`` in this one). The kernel lets go when the process dies. ``remove_when_done``
    deletes the file before letting go, for a lock whose file others look for."""
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            yield False
            return
        try:
            yield True
        finally:
            if remove_when_done:
                path.unlink(missing_ok=True)
    finally:
        os.close(fd)  # lets go of the lock


ALREADY_RUNNING = "{name}: already running elsewhere (another host or process): nothing done."


def one_at_a_time(name: str) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Make a click command take the lock ``name`` (put it right above the ``def``, below
    the options); a second run prints ``ALREADY_RUNNING`` and exits 0."""

    def decorate(command: Callable[..., Any]) -> Callable[..., Any]:
        @functools.wraps(command)
        def run(*args: Any, **kwargs: Any) -> Any:
            with single_run(name) as mine:
                if not mine:
                    click.echo(ALREADY_RUNNING.format(name=name))
                    return None
                return command(*args, **kwargs)

        return run

    return decorate
