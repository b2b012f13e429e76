"""The health of this host's shared engines, each reported on its own: the database, Redis (only
where ``PORTAL_REDIS_URL`` is set) and the file store.

``/healthz`` answers 503 when a part this deployment needs is down, so that a load balancer or
an operator takes the host out of service. Every check is bounded: one ``SELECT 1``, one Redis
PING with 1-second socket timeouts, and for the file store a probe file written, read back and
deleted, then the newest stored files the database points at looked up (one query). The last
check is what finds a host whose shared storage is not mounted: its folder exists and takes a
probe, but it is empty, or someone else's.

The endpoint is public (a load balancer asks it without signing in), so a probe that went well
is trusted for ``PROBE_FRESH_SECONDS`` in this process: a client calling it in a loop costs
at most one write (and its fsync) per process in that time. The folder's presence and the
newest files are looked at on every call, and a failed probe is never trusted.
"""

from __future__ import annotations

import secrets
import time
from dataclasses import dataclass
from typing import Any

from flask import current_app
from sqlalchemy import Select, select, text, union_all

from portal.core.extensions import db
from portal.core.files import FileStore, LocalFileStore, file_store, stored_file_columns

OK = "ok"
UNAVAILABLE = "unavailable"
NOT_CONFIGURED = "not configured"

#: The Redis PING's connect and read timeouts (seconds): a dead or hung Redis answers fast.
REDIS_PING_TIMEOUT = 1.0

#: How long a good write probe of a store is trusted in this process (seconds).
PROBE_FRESH_SECONDS = 5.0
# When each store (by its folder) last took a probe file well, on time.monotonic().
_good_probes: dict[str, float] = {}


@dataclass(frozen=True)
class Health:
    database: str
    redis: str
    files: str

    @property
    def healthy(self) -> bool:
        return UNAVAILABLE not in (self.database, self.redis, self.files)

    def as_json(self) -> dict[str, str]:
        return {
            "status": OK if self.healthy else "error",
            "database": self.database,
            "redis": self.redis,
            "files": self.files,
        }


def check_health() -> Health:
    database = check_database()
    health = Health(
        database=database,
        redis=check_redis(),
        # Without the database the probe still runs; only the newest files cannot be named.
        files=check_files(with_newest_files=database == OK),
    )
    for part, status in (("database", health.database), ("redis", health.redis)):
        if status == UNAVAILABLE:
            current_app.logger.warning("health: %s is unavailable", part)
    return health


def check_database() -> str:
    try:
        db.session.execute(text("SELECT 1"))
    except Exception:  # any failure means "not healthy", whatever its type
        db.session.rollback()
        return UNAVAILABLE
    return OK


def check_redis() -> str:
    if not current_app.config.get("REDIS_URL"):
        return NOT_CONFIGURED
    try:
        _redis_client().ping()
    except Exception:  # refused, timed out, refused the password: not usable all the same
        return UNAVAILABLE
    return OK


def _redis_client() -> Any:
    """One client per app (its pool is reused between checks), with short timeouts."""
    client = current_app.extensions.get("portal_health_redis")
    if client is None:
        from redis import Redis

        client = Redis.from_url(
            current_app.config["REDIS_URL"],
            socket_connect_timeout=REDIS_PING_TIMEOUT,
            socket_timeout=REDIS_PING_TIMEOUT,
        )
        current_app.extensions["portal_health_redis"] = client
    return client


def check_files(*, with_newest_files: bool = True) -> str:
    store = file_store()
    newest = _newest_keys() if with_newest_files else set()
    problem = _probe(store, expected=bool(newest))
    if problem is None and newest:
        problem = _newest_files_missing(store, newest)
    if problem is not None:
        current_app.logger.warning("health: files are unavailable: %s", problem)
        return UNAVAILABLE
    return OK


def _probe(store: FileStore, *, expected: bool) -> str | None:
    """Why the store cannot take a file now, or None. A local store's folder must be there
    once the database points at a stored file (a probe would create it, and a share that is
    not mounted would then look healthy); before that, on a new installation, the first file
    stored creates it, and the check leaves it alone."""
    if isinstance(store, LocalFileStore) and not store.root.is_dir():
        return f"the folder {store.root} is not there" if expected else None
    where = str(getattr(store, "root", id(store)))
    now = time.monotonic()
    if now - _good_probes.get(where, -PROBE_FRESH_SECONDS) < PROBE_FRESH_SECONDS:
        return None  # written, read and deleted well a moment ago
    data = secrets.token_bytes(16)
    try:
        key = store.save(data)
        try:
            if store.read(key) != data:
                return "a probe file read back differently"
        finally:
            store.delete(key)
    except OSError as error:
        _good_probes.pop(where, None)
        return f"a probe file could not be written, read and deleted ({error})"
    _good_probes[where] = now
    return None


def _newest_files_missing(store: FileStore, newest: set[str]) -> str | None:
    """Whether the newest file of each kind the database points at is in the store. A miss is
    looked up once more: a letters export run again meanwhile replaces its file (and deletes
    the old one) in the same commit."""
    missing = {key for key in newest if not store.exists(key)}
    if missing:
        missing = {key for key in _newest_keys() if not store.exists(key)}
    if missing:
        return "the newest stored files the database points at are not there: " + ", ".join(
            sorted(missing)
        )
    return None


def _newest_keys() -> set[str]:
    """The newest stored file keys the database points at; none when it cannot tell (a
    database not yet migrated, say: the database check speaks for the database)."""
    statement = newest_stored_keys_query()
    if statement is None:
        return set()
    try:
        return set(db.session.scalars(statement))
    except Exception as error:  # health reports, never raises
        current_app.logger.warning(
            "health: could not read the newest stored files' keys: %s", error
        )
        return set()
    finally:
        db.session.rollback()  # a read only; end it so the check holds no transaction open


def newest_stored_keys_query() -> Select[Any] | None:
    """One query: the key of the newest row (by primary key) of each stored-file column."""
    parts = []
    for table, column in stored_file_columns():
        (primary_key, *others) = table.primary_key.columns
        if others:  # pragma: no cover - every table with files has a single id
            continue
        newest = (
            select(column.label("key"))
            .where(column.is_not(None))
            .order_by(primary_key.desc())
            .limit(1)
            .subquery()
        )
        parts.append(select(newest.c.key))
    if not parts:
        return None
    return select(union_all(*parts).subquery().c.key)
