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

This file is the entry point (options, one run from start to clean-up); the parts live beside
it: ``load_database.py`` (seeding, the check, dropping), ``load_hosts.py`` (one gunicorn or N
hosts behind nginx), ``load_processes.py`` (starting and stopping programs), ``load_figures.py``
(events, percentiles, the report) and ``load_compare.py`` (``--compare-hosts``, side by side).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

# After the path: these import `benchmarks.*` and `portal` when run as a script.
from benchmarks.load_compare import compare_hosts  # noqa: E402
from benchmarks.load_database import (  # noqa: E402
    PASSWORD,
    check_database,
    drop_database,
    seed,
    small_pdf,
)
from benchmarks.load_figures import read_events, report  # noqa: E402
from benchmarks.load_hosts import OneHost, ProxiedHosts, forget_queued_jobs  # noqa: E402
from benchmarks.load_processes import BIN, log, spawn, stop, warm_up  # noqa: E402

DEFAULT_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/portal_load"
DEFAULT_REDIS = "redis://127.0.0.1:6379/15"  # with several hosts (a database of the run's own)


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


if __name__ == "__main__":
    sys.exit(main())
