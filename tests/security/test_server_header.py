"""No response names the server software or its version (issue 12, item 12): the portal served
as ``make run`` and production serve it, through gunicorn with ``portal/serving.py``."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from portal.core.paths import PROJECT_ROOT

SOFTWARE_NAMES = ("gunicorn", "werkzeug", "python", "flask", "nginx")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_gunicorn_as_configured_names_no_server_software(tmp_path: Path):
    port = free_port()
    env = {
        **os.environ,
        "HOST": "127.0.0.1",
        "PORT": str(port),
        "PORTAL_WEB_WORKERS": "1",
        "PORTAL_INSTANCE_DIR": str(tmp_path / "instance"),
        "PORTAL_DATABASE_URL": f"sqlite:///{tmp_path / 'portal.db'}",
    }
    gunicorn = Path(sys.executable).parent / "gunicorn"
    server = subprocess.Popen(
        [str(gunicorn), "-c", "python:portal.serving", "portal:create_app()"],
        cwd=PROJECT_ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        headers = None
        deadline = time.monotonic() + 30
        while headers is None and time.monotonic() < deadline:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz") as response:
                    headers = dict(response.headers)
            except OSError:
                time.sleep(0.2)
        assert headers is not None, "gunicorn did not answer"
        assert headers.get("Server") == "portal"
        for name, value in headers.items():
            for software in SOFTWARE_NAMES:
                assert software not in f"{name}: {value}".lower(), (name, value)
    finally:
        server.terminate()
        server.wait(timeout=10)
