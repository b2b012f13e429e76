"""The load run's figures: the events the virtual users wrote, latency percentiles per
request, the errors, and the one-run report (the table, and its summary for a comparison)."""

from __future__ import annotations

import json
import math
import os
import time
from collections import defaultdict
from pathlib import Path

KEY_REQUESTS = ("sign-in", "draft save", "upload", "submit", "submit (double click)")


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
