"""``--compare-hosts 1,2``: the load run once per number of hosts, each in a process of its
own, and their figures side by side."""

from __future__ import annotations

import argparse
import json
import signal
import subprocess
import sys
import tempfile
from pathlib import Path

from benchmarks.load_figures import KEY_REQUESTS
from benchmarks.load_processes import ROOT, log

LOAD_SCRIPT = ROOT / "benchmarks" / "load.py"  # each compared run is this script again


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
            command = [sys.executable, str(LOAD_SCRIPT), *base_argv]
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
