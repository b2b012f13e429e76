"""Private database and Redis servers that a fault test may stop and start again.

The machine's own PostgreSQL and Redis serve every other test, so a test that takes an engine
away starts one of its own on a free loopback port: ``PrivateRedis`` (``redis-server`` without
persistence) and ``PrivatePostgres`` (a throw-away cluster made by ``initdb``, run as the
``postgres`` OS user because PostgreSQL refuses to run as root). ``missing()`` says why they
cannot be had here, for ``pytest.skip``.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path

from tools.cluster import free_port, wait_for_port

PG_BIN = Path("/usr/lib/postgresql/15/bin")
REDIS_SERVER = shutil.which("redis-server") or "/usr/bin/redis-server"


def missing() -> str:
    """Why private engines cannot be started here ("" when they can)."""
    if os.geteuid() != 0:
        return "private PostgreSQL runs as the postgres OS user, which needs root to switch to"
    if shutil.which("runuser") is None:
        return "runuser is missing"
    for program in (PG_BIN / "initdb", PG_BIN / "pg_ctl", Path(REDIS_SERVER)):
        if not program.exists():
            return f"{program} is missing"
    if shutil.which("psql") is None:
        return "psql is missing"
    return ""


class PrivateRedis:
    """``redis-server`` on a free port, nothing saved to disk."""

    def __init__(self) -> None:
        self.port = free_port()
        self.process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        self.process = subprocess.Popen(
            [
                REDIS_SERVER,
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
        wait_for_port(self.port)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.process = None
        _wait_until_closed(self.port)


class PrivatePostgres:
    """A PostgreSQL cluster of its own in a temporary folder owned by ``postgres``."""

    def __init__(self) -> None:
        self.port = free_port()
        self.dir = Path(tempfile.mkdtemp(prefix="portal-private-pg-"))
        self.data = self.dir / "data"
        shutil.chown(self.dir, "postgres", "postgres")
        self._as_postgres(PG_BIN / "initdb", "-D", str(self.data), "-A", "trust", "-U", "postgres")

    def _as_postgres(self, *command: str | Path) -> subprocess.CompletedProcess[str]:
        result = subprocess.run(
            ["runuser", "-u", "postgres", "--", *map(str, command)],
            capture_output=True,
            text=True,
            check=False,
            timeout=120,
        )
        if result.returncode != 0:
            raise RuntimeError(f"{command[0]} failed: {result.stdout}{result.stderr}")
        return result

    def url(self, database: str) -> str:
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/{database}"

    def start(self) -> None:
        options = (
            f"-p {self.port} -k {self.dir} -c listen_addresses=127.0.0.1 -c fsync=off"
            " -c max_connections=200"
        )
        self._as_postgres(
            PG_BIN / "pg_ctl",
            "-D",
            str(self.data),
            "-o",
            options,
            "-l",
            str(self.dir / "server.log"),
            "-w",
            "start",
        )

    def stop(self) -> None:
        """A fast shutdown: open connections are cut, as when a database server restarts."""
        self._as_postgres(PG_BIN / "pg_ctl", "-D", str(self.data), "-m", "fast", "-w", "stop")

    def psql(self, sql: str, database: str = "postgres") -> str:
        result = subprocess.run(
            [
                "psql",
                f"postgresql://postgres@127.0.0.1:{self.port}/{database}",
                "-qAt",
                "-v",
                "ON_ERROR_STOP=1",
                "-c",
                sql,
            ],
            capture_output=True,
            text=True,
            check=True,
            timeout=60,
        )
        return result.stdout.strip()

    def remove(self) -> None:
        if (self.data / "postmaster.pid").exists():
            with contextlib.suppress(RuntimeError):  # already stopped: nothing to undo
                self.stop()
        shutil.rmtree(self.dir, ignore_errors=True)


def _wait_until_closed(port: int, timeout: float = 10) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with socket.socket() as sock:
            sock.settimeout(0.5)
            if sock.connect_ex(("127.0.0.1", port)) != 0:
                return
        time.sleep(0.1)
