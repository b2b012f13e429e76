"""The load run's own programs (gunicorn, Locust): start them in a session of their own,
wait until gunicorn answers, warm it up, stop them in order; progress goes to stderr."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


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
    if process is None or process.poll() is not None:
        return
    try:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=grace)
    except subprocess.TimeoutExpired:
        log(f"{name} did not stop in {grace:.0f} s; killing it")
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()
    except ProcessLookupError:
        pass
