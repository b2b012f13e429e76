"""The load run's own programs (gunicorn, Locust): start them in a session of their own,
wait until gunicorn answers, warm it up, stop them in order; progress goes to stderr."""

from __future__ import annotations

import json
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from tools.cluster import stop_process

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def spawn(command: list[str], env: dict[str, str], out) -> subprocess.Popen:
    """Start one of our own venv's programs in ROOT, its output (stderr too) into ``out``.

    A session of its own: Ctrl-C reaches this script, which then stops it in order.
    """
    return subprocess.Popen(  # noqa: S603  (our own venv's gunicorn and locust)
        command, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
    )


def wait_until_healthy(base: str, server: subprocess.Popen, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise RuntimeError(f"gunicorn exited with {server.returncode}")
        try:
            with urllib.request.urlopen(f"{base}/healthz", timeout=2) as response:  # noqa: S310
                if response.status == 200 and json.load(response).get("status") == "ok":
                    return
        except OSError:
            pass
        time.sleep(0.2)
    raise RuntimeError("gunicorn did not answer /healthz in time")


def warm_up(base: str, rounds: int) -> None:
    """Load each worker's templates and catalogues before the clock starts."""
    for _ in range(rounds):
        for path in ("/login", "/programmes", "/"):
            with urllib.request.urlopen(f"{base}{path}", timeout=10) as response:  # noqa: S310
                response.read()


def stop(process: subprocess.Popen | None, name: str, grace: float = 15) -> None:
    """Stop one of them and everything it started (SIGTERM, then SIGKILL after ``grace``)."""
    if process is not None and process.poll() is None:
        log(f"stopping {name}")
    stop_process(process, grace)
