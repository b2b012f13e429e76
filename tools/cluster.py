"""A portal deployment of several hosts on one machine, as the README's Production section
describes it: N app hosts (gunicorn, each with its own instance folder), a job worker beside
each, one database, one Redis, one shared files folder, one secret, and optionally nginx in
front. ``tests/scale`` proves the topology with it and ``benchmarks/load.py --hosts 2`` loads
it.

    cluster = Cluster(work=Path("/tmp/c"), database_url=..., redis_url=..., hosts=2)
    cluster.start()                    # hosts, workers (and the proxy) answering
    cluster.flask(0, "letters", "issue-due")   # an operator command "on host 0"
    cluster.stop()

Each host's settings are ``host_env(i)``; ``overrides`` changes one host's settings (the tests
use it to misconfigure one host on purpose: its own files folder, its own secret, no Redis).
The processes run in sessions of their own and are stopped (the whole group) by ``stop``.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
NGINX = shutil.which("nginx") or "/usr/sbin/nginx"
OPENSSL = shutil.which("openssl") or "/usr/bin/openssl"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for_port(port: int, timeout: float = 20) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with socket.socket() as sock:
            sock.settimeout(0.5)
            if sock.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.1)
    raise RuntimeError(f"nothing listens on 127.0.0.1:{port} after {timeout:.0f} s")


def health(base: str, timeout: float = 5) -> tuple[int, dict]:
    """``/healthz`` of a host: (status code, JSON body); (0, {}) when it does not answer."""
    try:
        with urllib.request.urlopen(f"{base}/healthz", timeout=timeout) as response:  # noqa: S310
            return response.status, json.load(response)
    except urllib.error.HTTPError as error:
        try:
            return error.code, json.load(error)
        except ValueError:
            return error.code, {}
    except OSError:
        return 0, {}


def stop_process(process: subprocess.Popen | None, grace: float = 15) -> None:
    """Stop a process started by ``spawn`` and everything it started (its session)."""
    if process is None or process.poll() is not None:
        return
    try:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=grace)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()
    except ProcessLookupError:
        pass


@dataclass
class Host:
    index: int
    port: int
    env: dict[str, str]
    web: subprocess.Popen | None = None
    worker: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"


@dataclass
class Cluster:
    work: Path
    database_url: str
    redis_url: str = ""
    hosts: int = 2
    job_workers: bool = True
    proxy: bool = False
    https: bool = False  # what the proxy tells the hosts (X-Forwarded-Proto) and PORTAL_HTTPS
    # nginx ends TLS itself, on a self-signed certificate made for the run (``certificate``):
    # clients speak HTTPS to the proxy, as in a real deployment, so Secure cookies come back.
    tls: bool = False
    web_workers: int = 2
    web_threads: int = 4
    secret: str = field(default_factory=lambda: os.urandom(32).hex())
    settings: Mapping[str, str] = field(default_factory=dict)  # every host's extra PORTAL_*
    overrides: Mapping[int, Mapping[str, str | None]] = field(default_factory=dict)
    log_level: str = "WARNING"
    members: list[Host] = field(default_factory=list)
    proxy_port: int = 0
    nginx: subprocess.Popen | None = None

    def __post_init__(self) -> None:
        if self.tls and not self.proxy:
            raise ValueError("tls=True is TLS at the proxy: it needs proxy=True")
        self.work.mkdir(parents=True, exist_ok=True)
        (self.work / "logs").mkdir(exist_ok=True)
        if self.proxy:
            self.proxy_port = free_port()
        self.members = [Host(i, free_port(), {}) for i in range(self.hosts)]
        for host in self.members:
            host.env = self.host_env(host.index, host.port)

    # --- settings ---------------------------------------------------------------------------

    @property
    def files_dir(self) -> Path:
        return self.work / "files"

    @property
    def public_url(self) -> str:
        """Where people reach the portal: the proxy, else the first host."""
        if self.proxy:
            return f"{'https' if self.tls else 'http'}://127.0.0.1:{self.proxy_port}"
        return self.members[0].url

    @property
    def certificate(self) -> Path:
        """The proxy's self-signed certificate (with ``tls``): what clients verify against."""
        return self.work / "nginx" / "cert.pem"

    def host_env(self, index: int, port: int) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith("PORTAL_")}
        instance = self.work / f"host{index}" / "instance"
        env.update(
            HOST="127.0.0.1",
            PORT=str(port),
            PORTAL_DATABASE_URL=self.database_url,
            PORTAL_SECRET_KEY=self.secret,
            PORTAL_INSTANCE_DIR=str(instance),
            PORTAL_FILES_DIR=str(self.files_dir),
            PORTAL_BASE_URL=self.public_url if self.proxy else f"http://127.0.0.1:{port}",
            PORTAL_LOG_LEVEL=self.log_level,
            PORTAL_WEB_WORKERS=str(self.web_workers),
            PORTAL_WEB_THREADS=str(self.web_threads),
            PORTAL_LETTER_WORKERS="1",
        )
        if self.redis_url:
            env["PORTAL_REDIS_URL"] = self.redis_url
        if self.proxy:
            env["PORTAL_PROXY_HOPS"] = "1"
        if self.https:
            env["PORTAL_HTTPS"] = "true"
        env.update(self.settings)
        for name, value in self.overrides.get(index, {}).items():
            if value is None:
                env.pop(name, None)
            else:
                env[name] = value
        Path(env["PORTAL_INSTANCE_DIR"]).mkdir(parents=True, exist_ok=True)
        return env

    # --- processes --------------------------------------------------------------------------

    def spawn(self, command: Sequence[str], env: Mapping[str, str], log_name: str):
        log = open(self.work / "logs" / log_name, "ab")  # noqa: SIM115 (the child keeps it)
        try:
            return subprocess.Popen(  # noqa: S603  (our own venv's programs)
                list(command),
                cwd=ROOT,
                env=dict(env),
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        finally:
            log.close()

    def flask(
        self, index: int, *args: str, timeout: float = 300, env: Mapping[str, str] | None = None
    ) -> subprocess.CompletedProcess[str]:
        """Run ``flask --app portal ARGS`` with host ``index``'s settings (as its cron would)."""
        return subprocess.run(  # noqa: S603
            [str(BIN / "flask"), "--app", "portal", *args],
            cwd=ROOT,
            env={**self.members[index].env, **(env or {})},
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )

    def popen_flask(self, index: int, *args: str) -> subprocess.Popen[str]:
        """Start an operator command without waiting (to run two at once)."""
        return subprocess.Popen(  # noqa: S603
            [str(BIN / "flask"), "--app", "portal", *args],
            cwd=ROOT,
            env=self.members[index].env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )

    def start_host(self, index: int, timeout: float = 90) -> None:
        host = self.members[index]
        host.web = self.spawn(
            [str(BIN / "gunicorn"), "-c", "python:portal.serving", "portal:create_app()"],
            host.env,
            f"host{index}-web.log",
        )
        if self.job_workers:
            host.worker = self.spawn(
                [str(BIN / "flask"), "--app", "portal", "jobs", "worker"],
                host.env,
                f"host{index}-worker.log",
            )
        self.wait_until_up(index, timeout)

    def wait_until_up(self, index: int, timeout: float = 90) -> None:
        host = self.members[index]
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if host.web is not None and host.web.poll() is not None:
                raise RuntimeError(f"host {index} exited: {self.log_tail(f'host{index}-web.log')}")
            code, _ = health(host.url, timeout=2)
            if code:  # it answers (503 too: a test may start a host with a part missing)
                return
            time.sleep(0.2)
        raise RuntimeError(f"host {index} did not answer /healthz in {timeout:.0f} s")

    def stop_host(self, index: int) -> None:
        host = self.members[index]
        stop_process(host.web)
        stop_process(host.worker)
        host.web = host.worker = None

    def start(self) -> Cluster:
        for host in self.members:
            self.start_host(host.index)
        if self.proxy:
            self.start_proxy()
        return self

    def stop(self) -> None:
        stop_process(self.nginx, grace=5)
        self.nginx = None
        for host in self.members:
            self.stop_host(host.index)

    def __enter__(self) -> Cluster:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def log_tail(self, name: str, chars: int = 3000) -> str:
        path = self.work / "logs" / name
        return path.read_text(errors="replace")[-chars:] if path.exists() else ""

    def logs(self) -> str:
        return "\n".join(
            f"--- {path.name}\n{path.read_text(errors='replace')}"
            for path in sorted((self.work / "logs").glob("*.log"))
        )

    # --- the proxy --------------------------------------------------------------------------

    def nginx_conf(self) -> str:
        """nginx as a site's reverse proxy: round robin over the hosts, the client's address
        appended to X-Forwarded-For, the scheme in X-Forwarded-Proto (https: TLS is ended at
        the proxy in a real deployment; here it says so without a certificate)."""
        proxy_dir = self.work / "nginx"
        upstreams = "\n".join(f"    server 127.0.0.1:{h.port};" for h in self.members)
        scheme = "https" if self.https else "$scheme"
        listen = f"127.0.0.1:{self.proxy_port}"
        if self.tls:
            listen += f""" ssl;
    ssl_certificate {self.certificate};
    ssl_certificate_key {proxy_dir}/key.pem"""
        return f"""
worker_processes 1;
pid {proxy_dir}/nginx.pid;
error_log {proxy_dir}/error.log warn;
user root;
events {{ worker_connections 1024; }}
http {{
  # Which host answered each request (``proxied_to``): the round robin made visible.
  log_format upstream '$remote_addr "$request" $status $upstream_addr';
  access_log {proxy_dir}/access.log upstream;
  client_body_temp_path {proxy_dir}/body;
  proxy_temp_path {proxy_dir}/proxy;
  fastcgi_temp_path {proxy_dir}/fastcgi;
  uwsgi_temp_path {proxy_dir}/uwsgi;
  scgi_temp_path {proxy_dir}/scgi;
  client_max_body_size 30m;
  upstream portal {{
{upstreams}
    keepalive 16;
  }}
  server {{
    listen {listen};
    location / {{
      proxy_pass http://portal;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      proxy_set_header Host $http_host;
      proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
      proxy_set_header X-Forwarded-Proto {scheme};
      proxy_set_header X-Forwarded-Host $http_host;
      proxy_read_timeout 120s;
      proxy_next_upstream error timeout http_502;
    }}
  }}
}}
"""

    def start_proxy(self) -> None:
        proxy_dir = self.work / "nginx"
        proxy_dir.mkdir(exist_ok=True)
        conf = proxy_dir / "nginx.conf"
        if self.tls and not self.certificate.exists():
            self.make_certificate()
        conf.write_text(self.nginx_conf())
        self.nginx = self.spawn(
            [NGINX, "-p", str(proxy_dir), "-c", str(conf), "-g", "daemon off;"],
            os.environ,
            "nginx.log",
        )
        wait_for_port(self.proxy_port)

    def proxied_to(self, client: str, request: str) -> list[int]:
        """The hosts (indexes) the proxy sent ``client``'s ``request`` lines to so far, in
        order, e.g. ``proxied_to("127.0.0.2", "POST /login")``, from nginx's access log."""
        ports = {f"127.0.0.1:{host.port}": host.index for host in self.members}
        log = self.work / "nginx" / "access.log"
        lines = log.read_text().splitlines() if log.exists() else []
        return [
            ports.get(line.rsplit(" ", 1)[-1], -1)
            for line in lines
            if line.startswith(f'{client} "{request} ')
        ]

    def make_certificate(self) -> None:
        """A one-day self-signed certificate for 127.0.0.1 (its name and its address)."""
        proxy_dir = self.work / "nginx"
        subject = ["-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1"]
        files = ["-keyout", str(proxy_dir / "key.pem"), "-out", str(self.certificate)]
        subprocess.run(  # noqa: S603
            [
                OPENSSL,
                "req",
                "-x509",
                "-newkey",
                "rsa:2048",
                "-nodes",
                *subject,
                "-days",
                "1",
                *files,
            ],
            check=True,
            capture_output=True,
        )
