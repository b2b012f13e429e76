"""The multi-host tests: real gunicorn hosts, job workers and nginx (``tools/cluster.py``) on
PostgreSQL and Redis.

They run whenever PostgreSQL and Redis answer (``make test`` on CI, and on a developer's machine
that has both); elsewhere they are skipped, except on CI (``CI`` set), where a missing engine
is a failure. ``PORTAL_SCALE_TESTS=skip`` skips them (``.ci/run`` runs them once, in its
PostgreSQL round).

Each module gets a cluster of its own: a fresh PostgreSQL database with the demo data, a Redis
database number of its own (flushed before and after), a work folder. The engines are found at
``PORTAL_SCALE_POSTGRES`` (default ``postgresql+psycopg://postgres@127.0.0.1:5432``) and
``PORTAL_SCALE_REDIS`` (default ``redis://127.0.0.1:6379``).

``PORTAL_SCALE_MISCONFIGURE`` breaks one shared setting on host 1 on purpose, to show that the
tests notice: ``own-files`` (a files folder of its own), ``own-secret`` (a secret of its own)
or ``no-redis`` (no Redis: rate limits in its memory, jobs in a local queue).
"""

from __future__ import annotations

import os
import re
import shutil
import socket
import subprocess
import tempfile
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from tools.cluster import Cluster

POSTGRES = os.environ.get("PORTAL_SCALE_POSTGRES", "postgresql+psycopg://postgres@127.0.0.1:5432")
REDIS = os.environ.get("PORTAL_SCALE_REDIS", "redis://127.0.0.1:6379")
DEMO_PASSWORD = "Demo-Portal-2026"
MISCONFIGURATIONS = {"own-files", "own-secret", "no-redis"}


def _answers(url: str, default_port: int) -> bool:
    parts = urlsplit(url)
    try:
        with socket.create_connection((parts.hostname, parts.port or default_port), timeout=2):
            return True
    except OSError:
        return False


def engines_missing() -> str:
    missing = []
    if not _answers(POSTGRES, 5432):
        missing.append(f"PostgreSQL at {POSTGRES}")
    if not _answers(REDIS, 6379):
        missing.append(f"Redis at {REDIS}")
    return ", ".join(missing)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    scale_items = [item for item in items if "tests/scale/" in item.nodeid]
    if not scale_items:
        return
    reason = ""
    if os.environ.get("PORTAL_SCALE_TESTS", "").lower() == "skip":
        reason = "PORTAL_SCALE_TESTS=skip (CI runs the multi-host tests in its PostgreSQL round)"
    elif missing := engines_missing():
        if os.environ.get("CI"):
            raise pytest.UsageError(f"the multi-host tests need {missing}, which do not answer")
        reason = f"the multi-host tests need {missing}"
    if reason:
        for item in scale_items:
            item.add_marker(pytest.mark.skip(reason=reason))


def misconfiguration() -> dict[int, dict[str, str | None]]:
    """Host 1's settings broken on purpose (``PORTAL_SCALE_MISCONFIGURE``), or none."""
    wrong = os.environ.get("PORTAL_SCALE_MISCONFIGURE", "")
    if not wrong:
        return {}
    if wrong not in MISCONFIGURATIONS:
        raise pytest.UsageError(f"PORTAL_SCALE_MISCONFIGURE must be one of {MISCONFIGURATIONS}")
    return {
        "own-files": {1: {"PORTAL_FILES_DIR": None}},  # set below, to the host's own folder
        "own-secret": {1: {"PORTAL_SECRET_KEY": os.urandom(32).hex()}},
        "no-redis": {1: {"PORTAL_REDIS_URL": None}},
    }[wrong]


def create_database(name: str) -> str:
    subprocess.run(
        ["psql", _psql_url("postgres"), "-q", "-c", f'CREATE DATABASE "{name}"'],
        check=True,
        capture_output=True,
    )
    return f"{POSTGRES}/{name}"


def drop_database(name: str) -> None:
    subprocess.run(
        [
            "psql",
            _psql_url("postgres"),
            "-q",
            "-c",
            f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)',
        ],
        check=False,
        capture_output=True,
    )


def _psql_url(database: str) -> str:
    return re.sub(r"^postgresql\+\w+://", "postgresql://", POSTGRES) + f"/{database}"


def flush_redis(url: str) -> None:
    import redis

    client = redis.Redis.from_url(url)
    try:
        client.flushdb()
    finally:
        client.close()


ClusterFactory = Callable[..., Cluster]


@pytest.fixture(scope="module")
def make_cluster() -> Iterator[ClusterFactory]:
    """Build (and seed, and start) clusters for a module; everything is removed afterwards.

    ``make_cluster(redis_db=N, **Cluster options)``: ``redis_db`` picks the Redis database
    (give each module its own number; ``None`` for no Redis at all); ``seed=False`` leaves the
    database empty but migrated; ``start=False`` returns it unstarted. The module's hosts get
    ``PORTAL_SCALE_MISCONFIGURE`` unless ``misconfigure=False``.
    """
    made: list[tuple[Cluster, str, str]] = []

    def make(
        redis_db: int | None,
        *,
        seed: bool = True,
        start: bool = True,
        misconfigure: bool = True,
        **options,
    ) -> Cluster:
        name = f"portal_scale_{uuid.uuid4().hex[:10]}"
        redis_url = f"{REDIS}/{redis_db}" if redis_db is not None else ""
        if redis_url:
            flush_redis(redis_url)
        work = Path(tempfile.mkdtemp(prefix=f"{name}-"))
        overrides = dict(options.pop("overrides", {}))
        if misconfigure:
            for index, changes in misconfiguration().items():
                changes = dict(changes)
                if "PORTAL_FILES_DIR" in changes:
                    changes["PORTAL_FILES_DIR"] = str(work / f"host{index}" / "files")
                overrides[index] = {**overrides.get(index, {}), **changes}
        cluster = Cluster(
            work=work,
            database_url=create_database(name),
            redis_url=redis_url,
            overrides=overrides,
            **options,
        )
        made.append((cluster, name, redis_url))
        step = (
            cluster.flask(0, "seed-demo", "--migrate")
            if seed
            else cluster.flask(0, "db", "upgrade")
        )
        assert step.returncode == 0, step.stderr[-3000:]
        if start:
            cluster.start()
        return cluster

    yield make
    for cluster, name, redis_url in made:
        cluster.stop()
        drop_database(name)
        if redis_url:
            flush_redis(redis_url)
        shutil.rmtree(cluster.work, ignore_errors=True)
