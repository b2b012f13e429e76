"""What the load run loads: one gunicorn reached directly (``OneHost``), or N hosts of
``tools/cluster.py`` behind nginx (``ProxiedHosts``); both start, stop and give their log."""

from __future__ import annotations

import os
import subprocess
import time
from pathlib import Path

from benchmarks.load_processes import BIN, log, spawn, stop, wait_until_healthy
from tools.cluster import free_port

# Every virtual user comes from 127.0.0.1, where a real deadline brings firms from many
# addresses: the per-address sign-in limit (30 per minute) would refuse them, so it is raised
# for the run. The limiter itself stays on, so its cost is part of what is measured.
LOGIN_RATE_LIMIT = "100000 per minute"


def server_env(url: str, instance: Path, port: int, redis_url: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PORTAL_")}
    env.update(
        PORTAL_DATABASE_URL=url,
        PORTAL_SECRET_KEY=os.urandom(24).hex(),
        PORTAL_INSTANCE_DIR=str(instance),
        PORTAL_BASE_URL=f"http://127.0.0.1:{port}",
        PORTAL_LOGIN_RATE_LIMIT=LOGIN_RATE_LIMIT,
        PORTAL_LOG_LEVEL="WARNING",
    )
    if redis_url:  # rate limits shared by the workers, and the job queue, in Redis
        env["PORTAL_REDIS_URL"] = redis_url
    return env


def start_server(env: dict[str, str], port: int, workers: int, log_file) -> subprocess.Popen:
    command = [
        str(BIN / "gunicorn"),
        "-w",
        str(workers),
        "-b",
        f"127.0.0.1:{port}",
        "--timeout",
        "60",
        "--graceful-timeout",
        "10",
        "portal:create_app()",
    ]
    return spawn(command, env, log_file)


def forget_queued_jobs(redis_url: str) -> None:
    """The run's mails wait in Redis with no consumer: drop the portal's queue there (which is
    why the run wants a Redis database of its own)."""
    try:
        from huey import RedisHuey

        RedisHuey("portal", url=redis_url).flush()
    except Exception as error:  # cleaning up: report it and go on
        log(f"could not empty the job queue in {redis_url}: {error}")


class OneHost:
    """gunicorn alone, reached directly: the one-host run."""

    def __init__(self, args, url: str, instance: Path, output: Path) -> None:
        self.args, self.url, self.instance, self.output = args, url, instance, output
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.process: subprocess.Popen | None = None
        self.log_file = None

    def start(self) -> None:
        env = server_env(self.url, self.instance, self.port, self.args.redis_url)
        self.log_file = open(self.output / "gunicorn.log", "wb")  # noqa: SIM115 (see stop)
        self.process = start_server(env, self.port, self.args.workers, self.log_file)
        wait_until_healthy(self.base, self.process)
        log(f"gunicorn: {self.args.workers} workers on {self.base}")

    def stop(self) -> None:
        stop(self.process, "gunicorn")
        if self.log_file is not None:
            self.log_file.close()
            self.log_file = None

    def log_text(self) -> str:
        path = self.output / "gunicorn.log"
        return path.read_text(errors="replace") if path.exists() else ""


class ProxiedHosts:
    """N hosts (``tools/cluster.py``) behind nginx, sharing the run's workers out: the same
    number of gunicorn sync workers in all as the one-host run, and no job worker beside them
    either (the mails wait in the queue in both runs)."""

    def __init__(self, args, url: str, work: Path) -> None:
        from tools.cluster import Cluster

        self.args = args
        per_host = max(1, args.workers // args.hosts)
        self.cluster = Cluster(
            work=work,
            database_url=url,
            redis_url=args.redis_url,
            hosts=args.hosts,
            job_workers=False,
            proxy=True,
            web_workers=per_host,
            web_threads=1,
            settings={
                "PORTAL_LOGIN_RATE_LIMIT": LOGIN_RATE_LIMIT,
                # The one-host run's worker class and timeout (portal.serving has gthread).
                "GUNICORN_CMD_ARGS": "--worker-class sync --timeout 60",
            },
        )
        self.base = self.cluster.public_url

    def start(self) -> None:
        from tools.cluster import health

        # The one shared files folder (the tests' seed makes it; here no host has run yet).
        self.cluster.files_dir.mkdir(parents=True, exist_ok=True)
        self.cluster.start()
        deadline = time.monotonic() + 60
        while health(self.base)[0] != 200:  # every host answers through the proxy
            if time.monotonic() > deadline:
                raise RuntimeError(f"the proxy did not answer /healthz:\n{self.log_text()[-3000:]}")
            time.sleep(0.2)
        per_host = self.cluster.web_workers
        log(f"{self.args.hosts} hosts x {per_host} workers behind nginx at {self.base}")

    def stop(self) -> None:
        self.cluster.stop()

    def log_text(self) -> str:
        return self.cluster.logs()
