"""Server time and SQL statements of the busiest pages at two data sizes, on SQLite and on
PostgreSQL, and the ratio between the sizes.

    .venv/bin/python benchmarks/pages.py [--sizes 1000,100000] [--repeat 15]
        [--postgresql-url postgresql+psycopg://postgres@127.0.0.1:5432/portal_pages]
        [--no-postgresql]

For each database and size it fills a fresh database with ``seed_large.py``, signs in as an
officer, a reviewer and a firm through the real sign-in form, requests each page ``--repeat``
times through Flask's test client (no network, so the figure is the server's own time), and
prints the median milliseconds and the number of SQL statements of one request. The ratio
column is the median at the largest size over the median at the smallest: a page whose cost
does not grow with the data stays near 1.0. It prints figures; it asserts nothing.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks import seed_large  # noqa: E402

PASSWORD = "Demo-Portal-2026"  # noqa: S105  (the demo accounts' documented password)
PAGES = (
    ("officer queue", "officer", lambda ids: "/staff/applications"),
    ("reviewer queue", "reviewer", lambda ids: "/review"),
    ("ranked list", "officer", lambda ids: f"/staff/decisions/programmes/{ids['key_program']}"),
    ("dashboard", "officer", lambda ids: "/staff/dashboard"),
    ("firm's applications", "firm", lambda ids: "/applications"),
    ("application page", "officer", lambda ids: f"/staff/applications/{ids['application']}"),
    # The public list (any visitor; the firm's client is one): its first page and a page
    # half-way down, reached by the cursor a visitor's "Next" links would carry there.
    ("publicity", "firm", lambda ids: "/publicity"),
    ("publicity, deep page", "firm", lambda ids: f"/publicity?after={ids['publicity_deep']}"),
)
ACCOUNTS = {
    "officer": "officer@example.com",
    "reviewer": "reviewer1@example.com",
    "firm": "ent1@example.com",
}


def _client(app, email: str):
    import re

    client = app.test_client()
    page = client.get("/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page)
    data = {"email": email, "password": PASSWORD}
    if token:
        data["csrf_token"] = token.group(1)
    response = client.post("/login", data=data)
    assert response.status_code == 302, f"sign-in as {email} failed"
    return client


def _ids(app) -> dict[str, int]:
    from sqlalchemy import select

    from portal.applications.models import Application, Status
    from portal.core.extensions import db
    from portal.programs.models import Program

    with app.app_context():
        key = db.session.scalar(select(Program.id).where(Program.code == "key-above-size-2026"))
        application = db.session.scalar(
            select(Application.id)
            .where(Application.program_id == key, Application.status == Status.EXPERT_REVIEW)
            .order_by(Application.id.desc())
            .limit(1)
        )
        publicity_deep = _publicity_cursor_half_way()
    return {"key_program": key, "application": application, "publicity_deep": publicity_deep}


def _publicity_cursor_half_way() -> str:
    """The public list's cursor after the row half-way down the list (as "Next" links say)."""
    from sqlalchemy import func, select

    from portal.applications.models import Application
    from portal.core.extensions import db
    from portal.review import publicity

    in_list = select(func.count()).select_from(Application).where(publicity._in_publicity())
    half = (db.session.scalar(in_list) or 0) // 2
    row = db.session.execute(
        select(*publicity._LIST_KEY)
        .where(publicity._in_publicity())
        .order_by(*(column.desc() for column in publicity._LIST_KEY))
        .offset(half)
        .limit(1)
    ).one()
    return publicity.Cursor(*row).encode()


def measure(app, repeat: int) -> dict[str, tuple[float, int]]:
    from sqlalchemy import event

    from portal.core.extensions import db

    with app.app_context():
        engine = db.engine
    clients = {role: _client(app, email) for role, email in ACCOUNTS.items()}
    ids = _ids(app)
    results = {}
    for name, role, url_of in PAGES:
        client, url = clients[role], url_of(ids)
        statements: list[str] = []

        def count(_conn, _cursor, statement, *_args, into=statements):
            into.append(statement)

        assert client.get(url).status_code == 200, (name, url)  # warm caches once
        event.listen(engine, "before_cursor_execute", count)
        try:
            client.get(url)
        finally:
            event.remove(engine, "before_cursor_execute", count)
        times = []
        for _ in range(repeat):
            started = time.perf_counter()
            response = client.get(url)
            times.append((time.perf_counter() - started) * 1000)
            assert response.status_code == 200, (name, url)
        results[name] = (statistics.median(times), len(statements))
    return results


def run(url: str, sizes: list[int], repeat: int) -> dict[int, dict[str, tuple[float, int]]]:
    import random

    by_size = {}
    for size in sizes:
        print(f"  seeding {size:,} applications into {url.split('://')[0]} ...", file=sys.stderr)
        database = seed_large.prepare_database(url)
        app = seed_large.make_app(database)
        started = time.perf_counter()
        seed_large.seed(app, size, random.Random(2026))
        print(f"  seeded in {time.perf_counter() - started:.0f} s; measuring", file=sys.stderr)
        by_size[size] = measure(app, repeat)
        with app.app_context():
            from portal.core.extensions import db

            db.session.remove()
            db.engine.dispose()
    return by_size


def print_table(database: str, sizes: list[int], by_size) -> None:
    small, large = sizes[0], sizes[-1]
    print(f"\n{database}: median ms of one request (SQL statements)")
    header = f"{'page':<22}" + "".join(f"{f'{s:,}':>18}" for s in sizes) + f"{'ratio':>9}"
    print(header)
    print("-" * len(header))
    for name, _role, _url in PAGES:
        cells = "".join(f"{by_size[s][name][0]:>11.1f} ({by_size[s][name][1]:>3})" for s in sizes)
        ratio = by_size[large][name][0] / by_size[small][name][0]
        print(f"{name:<22}{cells}{ratio:>9.2f}")


def main(argv: list[str] | None = None) -> int:
    import tempfile

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="1000,100000", help="comma-separated, smallest first")
    parser.add_argument("--repeat", type=int, default=15)
    parser.add_argument(
        "--postgresql-url", default="postgresql+psycopg://postgres@127.0.0.1:5432/portal_pages"
    )
    parser.add_argument("--no-postgresql", action="store_true", help="SQLite only")
    args = parser.parse_args(argv)
    sizes = sorted(int(s) for s in args.sizes.split(","))
    targets = [("SQLite", f"sqlite:///{Path(tempfile.gettempdir()) / 'portal-pages.db'}")]
    if not args.no_postgresql:
        targets.append(("PostgreSQL", args.postgresql_url))
    results = {name: run(url, sizes, args.repeat) for name, url in targets}
    for name, by_size in results.items():
        print_table(name, sizes, by_size)
    return 0


if __name__ == "__main__":
    sys.exit(main())
