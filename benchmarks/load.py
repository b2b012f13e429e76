"""Deadline-day load test: many firms sign in, fill and submit at once against gunicorn.

    make load                          # one host, then two hosts behind nginx, side by side
    .venv/bin/python benchmarks/load.py [--firms 200] [--users 40] [--spawn-rate 10]
        [--duration 60] [--database-url URL] [--workers 2] [--double-submit 0.1]
        [--hosts 1 | --compare-hosts 1,2] [--redis-url URL]

1. Creates a fresh database (``portal_load`` on PostgreSQL by default; a SQLite URL works
   too), migrates it, loads the demo data and bulk-inserts N firm accounts whose profiles
   qualify for the programme (one password hash shared by all of them).
2. Starts gunicorn (2 sync workers) on a free port of 127.0.0.1 with its own instance
   folder, and waits until /healthz answers. With ``--hosts N`` (N >= 2) it starts N hosts
   instead through ``tools/cluster.py`` (one database, one Redis, one files folder, one secret,
   the workers shared out between them) with nginx in front, and loads the proxy.
3. Runs Locust headless (``benchmarks/locustfile.py``): each virtual user takes firm after
   firm and goes through the whole journey in the browser's requests, with short think times.
   The run ends when every firm has submitted or when the time limit is reached.
4. Prints requests, requests per second and latency percentiles overall and per request, the
   errors (any answer outside 2xx/3xx, any page without what it must show), and checks the
   database: every application a virtual user saw submitted is there once, submitted once;
   no firm has two applications to the programme; nothing was submitted that no user sent.

``--compare-hosts 1,2`` runs the whole test once per number of hosts (each run in a process of
its own, on a fresh database, with the same firms, users, duration and seed) and prints the
figures side by side at the end.

Exits non-zero when there was any error or the check failed. gunicorn, Locust and the database
are removed at the end, on failure and on Ctrl-C too (``--keep-database`` keeps the database).
Progress goes to stderr, the table to stdout.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections import defaultdict
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

BIN = Path(sys.executable).parent
DEFAULT_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/portal_load"
DEFAULT_REDIS = "redis://127.0.0.1:6379/15"  # with several hosts (a database of the run's own)
PASSWORD = "Load-Firm-2026"  # noqa: S105  (made-up accounts in a throw-away database)
EMAIL = "load-firm-{:05d}@example.com"
USCC_PREFIX = "91210900ML"  # Fuxin region; "ML" keeps clear of the demo and seeded firms
KEY_REQUESTS = ("sign-in", "draft save", "upload", "submit", "submit (double click)")
# Every virtual user comes from 127.0.0.1, where a real deadline brings firms from many
# addresses: the per-address sign-in limit (30 per minute) would refuse them, so it is raised
# for the run. The limiter itself stays on, so its cost is part of what is measured.
LOGIN_RATE_LIMIT = "100000 per minute"


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


# --- database -------------------------------------------------------------------------------


def drop_database(url: str) -> None:
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    if url.startswith("sqlite:///"):
        path = url.removeprefix("sqlite:///")
        for suffix in ("", "-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
        return
    target = make_url(url)
    admin = create_engine(target.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{target.database}" WITH (FORCE)'))
    admin.dispose()


def _insert(table, rows: list[dict]) -> None:
    from portal.core.extensions import db

    for start in range(0, len(rows), 2_000):
        db.session.execute(table.insert(), rows[start : start + 2_000])


def seed(app, firms: int, program_code: str) -> tuple[list[str], list[str]]:
    """Migrate, load the demo data, add ``firms`` ready firm accounts; return their emails
    and the keys of the documents the programme requires."""
    import flask_migrate
    from sqlalchemy import select

    from portal.accounts.models import Enterprise, Role, User
    from portal.accounts.passwords import hash_password
    from portal.accounts.uscc import with_check_character
    from portal.applications import sections
    from portal.core.extensions import db
    from portal.core.timeutil import bureau_today, utcnow
    from portal.demo import seed_demo_data
    from portal.profiles.models import EnterpriseRecognition, EnterpriseYear
    from portal.profiles.services import facts_for
    from portal.programs.models import Program
    from portal.programs.services import current_version, judge

    with app.app_context():
        flask_migrate.upgrade()
        seed_demo_data()
        db.session.commit()
        program = db.session.scalar(select(Program).where(Program.code == program_code))
        if program is None:
            raise SystemExit(f"no programme {program_code!r} in the demo data")
        version = current_version(program)
        if sections.reads_project(version):
            raise SystemExit(f"{program_code} asks for project figures; choose another programme")
        now = utcnow()
        today = bureau_today()
        last_year = today.year - 1
        password_hash = hash_password(PASSWORD)  # once: scrypt is slow on purpose
        emails = [EMAIL.format(n) for n in range(firms)]
        _insert(
            Enterprise.__table__,
            [
                {
                    "name": f"阜新冲刺申报测试企业{n:05d}有限公司",
                    "uscc": with_check_character(f"{USCC_PREFIX}{n:07d}"),
                    "contact_person": "张经理",
                    "mobile": f"139{n:08d}",
                    "founded_on": date(2014, 1, 1) + timedelta(days=n % 2000),
                    "in_fluorine_park": n % 4 == 0,
                    "created_at": now,
                    # A full profile: above designated size, high-tech, R&D growing, a gazelle.
                    "high_tech_certificate": True,
                    "high_tech_certificate_no": f"GR2024210{n:05d}",
                    "has_rd_institution": True,
                    "branch_or_trading_company": False,
                    "on_abnormal_list": False,
                    "on_dishonesty_list": False,
                    "ip_class_i": 1 + n % 5,
                    "ip_class_ii": 3 + n % 7,
                    "software_copyrights": n % 4,
                    "profile_updated_at": now,
                }
                for n in range(firms)
            ],
        )
        firm_ids = db.session.scalars(
            select(Enterprise.id)
            .where(Enterprise.uscc.like(f"{USCC_PREFIX}%"))
            .order_by(Enterprise.uscc)
        ).all()
        _insert(
            User.__table__,
            [
                {
                    "email": email,
                    "password_hash": password_hash,
                    "role": Role.ENTERPRISE,
                    "display_name": "张经理",
                    "enterprise_id": firm_id,
                    "locale": "zh_CN",
                    "failed_sign_ins": 0,
                    "session_version": 1,
                    "created_at": now,
                }
                for email, firm_id in zip(emails, firm_ids, strict=True)
            ],
        )
        years = []
        for n, firm_id in enumerate(firm_ids):
            rd = Decimal(1_200_000 + 1_000 * n)
            for back in range(3):
                years.append(
                    {
                        "enterprise_id": firm_id,
                        "year": last_year - back,
                        "revenue": Decimal(60_000_000 - 6_000_000 * back + 10_000 * n),
                        "employees": 200 - 10 * back,
                        "rd_expense": (rd * Decimal(1 - back * 0.2)).quantize(Decimal("1")),
                        "super_deduction_filed": True,
                        "updated_at": now,
                    }
                )
        _insert(EnterpriseYear.__table__, years)
        _insert(
            EnterpriseRecognition.__table__,
            [
                {
                    "enterprise_id": firm_id,
                    "kind": "gazelle",
                    "year": last_year,
                    "certificate_no": f"LNDL-{last_year}-{n:05d}",
                }
                for n, firm_id in enumerate(firm_ids)
            ],
        )
        db.session.commit()
        for firm_id in (firm_ids[0], firm_ids[-1]):
            verdict = judge(program, version, facts_for(db.session.get(Enterprise, firm_id), today))
            if not (verdict.may_start and verdict.eligible):
                raise SystemExit(f"load firm {firm_id} does not qualify for {program_code}")
        documents = [doc["key"] for doc in version.documents if doc.get("required")]
        db.session.remove()
    return emails, documents


def small_pdf() -> bytes:
    """A real one-page PDF (pypdf) that the portal's upload check accepts."""
    import io

    from pypdf import PdfWriter

    from portal.core.uploads import check_upload

    writer = PdfWriter()
    writer.add_blank_page(width=595, height=842)
    writer.add_metadata({"/Title": "研发费用加计扣除优惠明细表"})
    buffer = io.BytesIO()
    writer.write(buffer)
    data = buffer.getvalue()
    check_upload(data, ["pdf"], 10 * 1024 * 1024)  # raises UploadRejected if it would be refused
    return data


# --- processes ------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


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


# --- figures --------------------------------------------------------------------------------


def percentile(values: list[float], p: float) -> float:
    """Nearest-rank percentile of sorted ``values``."""
    if not values:
        return float("nan")
    return values[max(0, math.ceil(p / 100 * len(values)) - 1)]


def read_events(path: Path) -> dict:
    requests, sent, submitted, crashed, started, failed = [], set(), [], [], 0, 0
    if path.exists():
        for line in path.read_text(encoding="utf-8").splitlines():
            row = json.loads(line)
            kind = row["kind"]
            if kind == "request":
                requests.append(row)
            elif kind == "submit-sent":
                sent.add(row["id"])
            elif kind == "submitted":
                submitted.append(row)
            elif kind == "journey-started":
                started += 1
            elif kind == "journey-failed":
                failed += 1
            elif kind == "journey-crashed":
                crashed.append(row["error"])
    return {
        "requests": requests,
        "sent": sent,
        "submitted": submitted,
        "started": started,
        "failed": failed,
        "crashed": crashed,
    }


def latency_table(requests: list[dict]) -> tuple[list[str], int, float]:
    by_name: dict[str, list[dict]] = defaultdict(list)
    for row in requests:
        by_name[row["name"]].append(row)
    names = [n for n in KEY_REQUESTS if n in by_name]
    names += sorted((n for n in by_name if n not in KEY_REQUESTS), key=lambda n: -len(by_name[n]))
    header = f"{'request':<22} {'count':>6} {'errors':>6}" + "".join(
        f" {title:>8}" for title in ("p50 ms", "p95 ms", "p99 ms", "max ms")
    )
    lines = [header, "-" * len(header)]

    def line(name: str, rows: list[dict]) -> str:
        times = sorted(r["ms"] for r in rows)
        errors = sum(1 for r in rows if not r["ok"])
        return (
            f"{name:<22} {len(rows):>6} {errors:>6} {percentile(times, 50):>8.0f} "
            f"{percentile(times, 95):>8.0f} {percentile(times, 99):>8.0f} {times[-1]:>8.0f}"
        )

    for index, name in enumerate(names):
        if index == len([n for n in KEY_REQUESTS if n in by_name]) and index:
            lines.append("")
        lines.append(line(name, by_name[name]))
    lines.append("-" * len(header))
    lines.append(line("all requests", requests))
    errors = sum(1 for r in requests if not r["ok"])
    start = min(r["at"] for r in requests)
    end = max(r["at"] + r["ms"] / 1000 for r in requests)
    return lines, errors, end - start


def error_summary(requests: list[dict], limit: int = 8) -> list[str]:
    counts: dict[tuple[str, str], int] = defaultdict(int)
    for row in requests:
        if not row["ok"]:
            counts[(row["name"], (row["error"] or "")[:120])] += 1
    return [
        f"  {count:>4} x {name}: {error}"
        for (name, error), count in sorted(counts.items(), key=lambda item: -item[1])[:limit]
    ]


# --- the check against the database ---------------------------------------------------------


def check_database(app, program_code: str, events: dict) -> tuple[list[str], dict[str, int]]:
    """Problems found (empty when all is well) and a few counts for the report."""
    from sqlalchemy import func, select

    from portal.accounts.models import Enterprise
    from portal.applications.models import Application, ApplicationSubmission, Status
    from portal.core.audit import AuditEvent
    from portal.core.extensions import db
    from portal.programs.models import Program

    problems: list[str] = []
    with app.app_context():
        program_id = db.session.scalar(select(Program.id).where(Program.code == program_code))
        rows = db.session.execute(
            select(
                Application.id,
                Application.reference,
                Application.enterprise_id,
                Application.status,
                Application.submission_count,
            )
            .join(Enterprise, Enterprise.id == Application.enterprise_id)
            .where(Enterprise.uscc.like(f"{USCC_PREFIX}%"), Application.program_id == program_id)
        ).all()
        snapshots = dict(
            db.session.execute(
                select(ApplicationSubmission.application_id, func.count())
                .where(ApplicationSubmission.application_id.in_([r.id for r in rows] or [0]))
                .group_by(ApplicationSubmission.application_id)
            ).all()
        )
        submit_events = dict(
            db.session.execute(
                select(AuditEvent.object_id, func.count())
                .where(
                    AuditEvent.object_type == "applications",
                    AuditEvent.action == "application.submit",
                    AuditEvent.object_id.in_([str(r.id) for r in rows] or ["0"]),
                )
                .group_by(AuditEvent.object_id)
            ).all()
        )
        db.session.remove()

    by_id = {r.id: r for r in rows}
    seen: dict[int, int] = defaultdict(int)
    references: dict[int, str] = {}
    for item in events["submitted"]:
        seen[item["id"]] += 1
        references[item["id"]] = item["reference"]
    for application_id, times in seen.items():
        row = by_id.get(application_id)
        if times > 1:
            problems.append(f"application {application_id} was reported submitted {times} times")
        if row is None:
            problems.append(f"submitted application {application_id} is not in the database")
            continue
        if references[application_id] != row.reference:
            problems.append(
                f"application {application_id}: the run saw {references[application_id]!r}, "
                f"the database holds {row.reference!r}"
            )
        if row.status is not Status.SUBMITTED:
            problems.append(f"{row.reference}: status {row.status.value}, not submitted")
        if row.submission_count != 1 or snapshots.get(row.id, 0) != 1:
            problems.append(
                f"{row.reference}: {row.submission_count} submissions counted, "
                f"{snapshots.get(row.id, 0)} stored (1 expected)"
            )
        if submit_events.get(str(row.id), 0) != 1:
            problems.append(f"{row.reference}: {submit_events.get(str(row.id), 0)} submit events")
    per_firm: dict[int, int] = defaultdict(int)
    for row in rows:
        if row.status is not Status.WITHDRAWN:
            per_firm[row.enterprise_id] += 1
        if row.submission_count and row.id not in events["sent"]:
            problems.append(f"{row.reference} was submitted but no virtual user sent it")
    doubles = [firm for firm, count in per_firm.items() if count > 1]
    if doubles:
        problems.append(f"{len(doubles)} firms have two applications to the programme")
    # The counts the database keeps by trigger (dashboard, queues) still agree with a full
    # count after all those concurrent writes.
    from portal.review.tallies import check_tallies

    with app.app_context():
        problems.extend(f"tallies: {problem}" for problem in check_tallies())
    submitted_in_db = sum(1 for r in rows if r.submission_count)
    counts = {
        "applications": len(rows),
        "submitted": submitted_in_db,
        "drafts": sum(1 for r in rows if r.status is Status.DRAFT),
        "unconfirmed": len({r.id for r in rows if r.submission_count} - set(seen)),
    }
    return problems, counts


# --- main -----------------------------------------------------------------------------------


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", default=DEFAULT_URL, help="dropped and created anew")
    parser.add_argument("--firms", type=int, default=200, help="firm accounts (one journey each)")
    parser.add_argument("--users", type=int, default=40, help="concurrent virtual users")
    parser.add_argument("--spawn-rate", type=float, default=10, help="users started per second")
    parser.add_argument("--duration", type=int, default=60, help="time limit of the run, seconds")
    parser.add_argument(
        "--workers", type=int, default=2, help="gunicorn sync workers (in all, over the hosts)"
    )
    parser.add_argument(
        "--hosts",
        type=int,
        default=1,
        help="app hosts; 2 or more: tools/cluster.py hosts behind nginx, Redis required",
    )
    parser.add_argument(
        "--compare-hosts",
        metavar="N,M",
        help="run once per number of hosts (e.g. 1,2) and print the figures side by side",
    )
    parser.add_argument("--summary", help=argparse.SUPPRESS)  # a compared run's figures, JSON
    parser.add_argument("--program", default="rd-post-subsidy-2026", help="programme code")
    parser.add_argument(
        "--double-submit", type=float, default=0.1, help="share of firms that click Submit twice"
    )
    parser.add_argument("--think", default="0.2,1.0", help="think time between steps, min,max s")
    parser.add_argument(
        "--redis-url",
        default="",
        help="rate limits and the job queue in Redis, e.g. redis://127.0.0.1:6379/15 (a "
        "database of its own: the portal's job queue there is emptied at the end)",
    )
    parser.add_argument("--output", help="keep the request log, Locust CSVs and server log here")
    parser.add_argument("--keep-database", action="store_true", help="do not drop it at the end")
    parser.add_argument("--seed", type=int, default=2026, help="random seed of the scenario")
    args = parser.parse_args(argv)
    if (args.hosts > 1 or args.compare_hosts) and not args.redis_url:
        # Hosts share rate limits and the job queue only through Redis; the compared runs
        # both use it, so that the one-host run pays for it too.
        args.redis_url = DEFAULT_REDIS
    return args


def _interrupt(*_) -> None:
    """Ctrl-C and SIGTERM (a timeout, kill) unwind through main's clean-up."""
    raise KeyboardInterrupt


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    signal.signal(signal.SIGTERM, _interrupt)
    signal.signal(signal.SIGINT, _interrupt)  # even where a shell started it ignoring SIGINT
    if args.compare_hosts:
        return compare_hosts(args, argv if argv is not None else sys.argv[1:])
    return run_once(args)


def run_once(args: argparse.Namespace) -> int:
    think_min, think_max = (float(x) for x in args.think.split(","))
    work = Path(tempfile.mkdtemp(prefix="portal-load-"))
    output = Path(args.output) if args.output else work / "output"
    output.mkdir(parents=True, exist_ok=True)
    instance = work / "instance"
    os.environ["PORTAL_INSTANCE_DIR"] = str(instance)
    os.environ.setdefault("PORTAL_LOG_LEVEL", "WARNING")  # the set-up's own app
    load_before = os.getloadavg()
    locust = None
    server: OneHost | ProxiedHosts | None = None
    url = args.database_url
    ok = False
    try:
        started = time.perf_counter()
        log(f"database: {url} (fresh)")
        from benchmarks.seed_large import make_app, prepare_database

        url = prepare_database(url, recreate=True)
        app = make_app(url)
        emails, documents = seed(app, args.firms, args.program)
        (output / "firms.json").write_text(json.dumps(emails))
        (output / "upload.pdf").write_bytes(small_pdf())
        log(f"seeded {len(emails)} firms in {time.perf_counter() - started:.1f} s")

        if args.hosts > 1:
            server = ProxiedHosts(args, url, output / "hosts")
        else:
            server = OneHost(args, url, instance, output)
        server.start()
        base = server.base
        warm_up(base, rounds=2 * args.workers)
        events_path = output / "events.jsonl"
        events_path.unlink(missing_ok=True)
        env = {
            **os.environ,
            "LOAD_FIRMS": str(output / "firms.json"),
            "LOAD_PASSWORD": PASSWORD,
            "LOAD_PROGRAM": args.program,
            "LOAD_DOCUMENTS": ",".join(documents),
            "LOAD_PDF": str(output / "upload.pdf"),
            "LOAD_EVENTS": str(events_path),
            "LOAD_DOUBLE_SUBMIT": str(args.double_submit),
            "LOAD_THINK_MIN": str(think_min),
            "LOAD_THINK_MAX": str(think_max),
            "LOAD_SEED": str(args.seed),
        }
        command = [
            str(BIN / "locust"),
            "-f",
            str(ROOT / "benchmarks" / "locustfile.py"),
            "--headless",
            "--only-summary",
            "-u",
            str(args.users),
            "-r",
            str(args.spawn_rate),
            "-t",
            f"{args.duration}s",
            "--stop-timeout",
            "20",
            "--host",
            base,
            "--csv",
            str(output / "locust"),
            "--logfile",
            str(output / "locust.log"),
        ]
        log(f"locust: {args.users} users ({args.spawn_rate:g}/s), at most {args.duration} s ...")
        with open(output / "locust.out", "wb") as locust_out:
            locust = spawn(command, env, locust_out)
            locust.wait(timeout=args.duration + 120)
        events = read_events(events_path)
        if not events["requests"]:
            tail = (output / "locust.out").read_text(errors="replace")[-3000:]
            raise RuntimeError(f"Locust sent no request (exit {locust.returncode}):\n{tail}")
        problems, counts = check_database(app, args.program, events)
        server.stop()
        server_text = server.log_text()
        ok, summary = report(args, url, events, problems, counts, server_text, load_before, started)
        if args.summary:
            Path(args.summary).write_text(json.dumps(summary))
        return 0 if ok else 1
    except KeyboardInterrupt:
        log("interrupted")
        return 130
    finally:
        stop(locust, "locust")
        if server is not None:
            server.stop()
        if not args.keep_database:
            try:
                drop_database(url)
            except Exception as error:  # cleaning up: report it and go on
                log(f"could not drop the database: {error}")
        if args.redis_url:
            forget_queued_jobs(args.redis_url)
        shutil.rmtree(instance, ignore_errors=True)
        if ok and not args.output:
            shutil.rmtree(work, ignore_errors=True)
        else:
            log(f"logs kept in {output}")


def report(
    args, url, events, problems, counts, server_text, load_before, started
) -> tuple[bool, dict]:
    requests = events["requests"]
    lines, errors, seconds = latency_table(requests)
    engine = "PostgreSQL" if url.startswith("postgresql") else "SQLite"
    print()
    print(
        f"Deadline-day load test: {args.firms} firms, {args.users} virtual users "
        f"({args.spawn_rate:g}/s), limit {args.duration} s, {serving(args)}, "
        f"{engine}, programme {args.program}"
    )
    print()
    print("\n".join(lines))
    print()
    print(
        f"requests per second : {len(requests) / seconds:.1f} ({len(requests)} in {seconds:.1f} s)"
    )
    crashed = events["crashed"]
    errors += len(crashed)
    print(f"errors              : {errors}")
    for line in error_summary(requests):
        print(line)
    for error in crashed[:5]:
        print(f"     scenario crashed: {error}")
    abandoned = events["started"] - len(events["submitted"]) - events["failed"] - len(crashed)
    print(
        f"journeys            : {events['started']} started, {len(events['submitted'])} submitted, "
        f"{events['failed']} failed, {abandoned} cut off by the time limit"
    )
    tracebacks = server_text.count("Traceback (most recent call last)")
    lost_jobs = server_text.count("could not queue job")
    print(f"server log          : {tracebacks} tracebacks, {lost_jobs} jobs not queued")
    print(
        f"database            : {counts['applications']} applications of load firms, "
        f"{counts['submitted']} submitted, {counts['drafts']} drafts left"
    )
    if counts["unconfirmed"]:
        print(f"                      {counts['unconfirmed']} submitted without the user seeing it")
    if problems:
        print(f"database check      : FAILED ({len(problems)} problems)")
        for problem in problems[:20]:
            print(f"  {problem}")
    else:
        print(
            f"database check      : OK, {len(events['submitted'])} submissions present once each, "
            "status submitted; no firm with two applications; tallies agree with a full count"
        )
    load_after = os.getloadavg()
    print(
        f"load average        : {load_before[0]:.2f} before, {load_after[0]:.2f} after "
        f"(1 min; {os.cpu_count()} cores)"
    )
    print(f"total time          : {time.perf_counter() - started:.0f} s")
    if not events["submitted"]:
        print("FAILED: no application was submitted within the time limit")
    ok = errors == 0 and not problems and bool(events["submitted"])
    summary = {
        "hosts": args.hosts,
        "serving": serving(args),
        "requests": len(requests),
        "per_second": len(requests) / seconds,
        "latency": {
            name: [percentile(times, p) for p in (50, 95, 99)]
            for name, times in latencies(requests).items()
        },
        "errors": errors,
        "started": events["started"],
        "submitted": len(events["submitted"]),
        "database_check": f"FAILED ({len(problems)})" if problems else "OK",
        "tracebacks": tracebacks,
        "load_before": load_before[0],
        "load_after": load_after[0],
        "ok": ok,
    }
    return ok, summary


def serving(args) -> str:
    if args.hosts > 1:
        per_host = max(1, args.workers // args.hosts)
        return f"{args.hosts} hosts x {per_host} gunicorn sync workers behind nginx"
    return f"gunicorn {args.workers} sync workers, no proxy"


def latencies(requests: list[dict]) -> dict[str, list[float]]:
    """Sorted times (ms) of the key requests and of all requests."""
    by_name: dict[str, list[float]] = defaultdict(list)
    for row in requests:
        if row["name"] in KEY_REQUESTS:
            by_name[row["name"]].append(row["ms"])
        by_name["all requests"].append(row["ms"])
    return {name: sorted(times) for name, times in by_name.items()}


# --- several numbers of hosts, side by side --------------------------------------------------


def compare_hosts(args: argparse.Namespace, argv: list[str]) -> int:
    """Run the test once per number of hosts, each in a process of its own with the same
    options (firms, users, duration, seed, workers in all), then print the figures side by
    side."""
    counts = [int(n) for n in args.compare_hosts.split(",")]
    base_argv = _without(argv, "--compare-hosts")
    if "--redis-url" not in " ".join(argv):
        base_argv += ["--redis-url", args.redis_url]
    summaries: list[dict] = []
    failed = False
    with tempfile.TemporaryDirectory(prefix="portal-load-compare-") as folder:
        for hosts in counts:
            summary_path = Path(folder) / f"hosts-{hosts}.json"
            command = [sys.executable, str(Path(__file__).resolve()), *base_argv]
            command += ["--hosts", str(hosts), "--summary", str(summary_path)]
            if args.output:
                command += ["--output", str(Path(args.output) / f"hosts-{hosts}")]
            log(f"=== {hosts} host(s) ===")
            run = subprocess.Popen(command, cwd=ROOT)  # noqa: S603 (this script)
            try:
                code = run.wait()
            except KeyboardInterrupt:
                run.send_signal(signal.SIGTERM)  # it cleans up after itself
                run.wait()
                return 130
            failed = failed or code != 0
            if summary_path.exists():
                summaries.append(json.loads(summary_path.read_text()))
            else:
                log(f"the {hosts}-host run ended (exit {code}) without figures")
                failed = True
    print_side_by_side(args, summaries)
    return 1 if failed else 0


def _without(argv: list[str], option: str) -> list[str]:
    """``argv`` less ``option`` and its value (``--option V`` or ``--option=V``)."""
    kept, skip = [], False
    for item in argv:
        if skip:
            skip = False
        elif item == option:
            skip = True
        elif not item.startswith(f"{option}="):
            kept.append(item)
    return kept


def print_side_by_side(args: argparse.Namespace, summaries: list[dict]) -> None:
    if not summaries:
        return
    width, title_width = 22, 36
    print()
    print(
        f"Side by side: {args.firms} firms, {args.users} virtual users, limit {args.duration} s, "
        f"{args.workers} gunicorn sync workers in all, Redis {args.redis_url}"
    )
    hosts = [f"{s['hosts']} host" + ("s" if s["hosts"] > 1 else "") for s in summaries]
    print(" " * title_width + "".join(title.rjust(width) for title in hosts))

    def row(title: str, cells: list[str]) -> None:
        print(title.ljust(title_width) + "".join(cell.rjust(width) for cell in cells))

    row("serving", ["proxy: nginx" if s["hosts"] > 1 else "proxy: none" for s in summaries])
    row("requests per second", [f"{s['per_second']:.1f} ({s['requests']})" for s in summaries])
    for name in ("all requests", *KEY_REQUESTS):
        if any(name in s["latency"] for s in summaries):
            cells = [
                "/".join(f"{ms:.0f}" for ms in s["latency"][name]) if name in s["latency"] else "-"
                for s in summaries
            ]
            row(f"{name} p50/95/99 ms", cells)
    row("errors", [str(s["errors"]) for s in summaries])
    row("journeys submitted", [f"{s['submitted']} of {s['started']}" for s in summaries])
    row("server tracebacks", [str(s["tracebacks"]) for s in summaries])
    row("database check", [s["database_check"] for s in summaries])
    row(
        "load average (1 min)",
        [f"{s['load_before']:.2f} -> {s['load_after']:.2f}" for s in summaries],
    )


if __name__ == "__main__":
    sys.exit(main())
