"""Server time and SQL statements of the busiest pages at two data sizes, on SQLite and on
PostgreSQL, and the ratio between the sizes.

    .venv/bin/python benchmarks/pages.py [--sizes 1000,100000] [--repeat 15]
        [--postgresql-url postgresql+psycopg://postgres@127.0.0.1:5432/portal_pages]
        [--no-postgresql] [--pages wall,timeline]

For each database it fills a fresh database per size with ``seed_large.py``, signs in as an
officer, a reviewer and a firm through the real sign-in form, requests each page ``--repeat``
times at every size through Flask's test client (no network, so the figure is the server's
own time), the sizes' requests interleaved so that the machine's load weighs on both alike,
and prints the median milliseconds and the number of SQL statements of one request. The ratio
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
    # The officer queue's search (part of one seeded firm's name, part of its USCC, a prefix
    # of two characters, a word every firm's name holds) and a page near the last the queue
    # lists (page 40: 1,000 rows), one that 1,000 applications fill too.
    ("queue search, name", "officer", lambda ids: "/staff/applications?q=企业000123"),
    ("queue search, USCC", "officer", lambda ids: "/staff/applications?q=MB0000123"),
    ("queue search, 2 chars", "officer", lambda ids: "/staff/applications?q=L0"),
    ("queue search, broad", "officer", lambda ids: "/staff/applications?q=有限公司&sort=score"),
    ("officer queue, deep page", "officer", lambda ids: "/staff/applications?page=36"),
    # Every other list page, and a page half-way down each paginated one (``HALF_WAY``).
    ("audit log", "admin", lambda ids: "/admin/audit"),
    ("audit log, deep page", "admin", lambda ids: f"/admin/audit?before={ids['audit_deep']}"),
    ("staff accounts", "admin", lambda ids: "/admin/accounts"),
    ("firm accounts", "admin", lambda ids: "/admin/accounts?kind=enterprise"),
    ("firm accounts, deep", "admin", lambda ids: ids["half"]["firm accounts"]),
    ("exports", "officer", lambda ids: "/staff/exports"),
    ("decisions", "officer", lambda ids: "/staff/decisions"),
    ("decisions, deep page", "officer", lambda ids: ids["half"]["decisions"]),
    ("ranked list, deep", "officer", lambda ids: ids["half"]["ranked list"]),
    ("objections", "officer", lambda ids: "/staff/decisions/objections"),
    ("letters", "officer", lambda ids: "/staff/letters"),
    ("letters, deep page", "officer", lambda ids: ids["half"]["letters"]),
    ("programme letters", "officer", lambda ids: f"/staff/letters/programmes/{ids['key_program']}"),
    ("programme letters, deep", "officer", lambda ids: ids["half"]["programme letters"]),
    ("staff programmes", "officer", lambda ids: "/staff/programmes"),
    ("reviewers", "officer", lambda ids: "/staff/review/reviewers"),
    ("reviewers, deep page", "officer", lambda ids: ids["reviewers_deep"]),
    ("review overview", "officer", lambda ids: f"/staff/review/programmes/{ids['key_program']}"),
    ("review overview, deep", "officer", lambda ids: ids["overview_deep"]),
    ("reviewer queue, deep", "reviewer", lambda ids: ids["half"]["reviewer queue"]),
    ("notifications", "firm", lambda ids: "/notifications"),
    ("public programmes", "firm", lambda ids: "/programmes"),
    # After the award (``seed_post_award.py`` fills them): the lists of each part and the
    # money. A page whose route is not there (a part not built yet) is skipped, not failed.
    ("payments due", "officer", lambda ids: "/staff/payments"),
    ("payment batches", "officer", lambda ids: "/staff/payments/batches"),
    ("agreements", "officer", lambda ids: "/staff/agreements"),
    ("reports", "officer", lambda ids: "/staff/reports"),
    ("acceptance", "officer", lambda ids: "/staff/acceptance"),
    ("recovery", "officer", lambda ids: "/staff/recovery"),
    ("dashboard, with money", "officer", lambda ids: f"/staff/dashboard?year={ids['year']}"),
    ("post-award plan", "admin", lambda ids: f"/staff/post-award-plans/{ids['key_program']}"),
    # The key-task wall map (the demo's 12 tasks, seeded into every size's database): its
    # indicators read the tallies, so the wall costs the same at 100,000 applications.
    ("wall", "admin", lambda ids: "/tasks/"),
    ("wall, meeting-room screen", "admin", lambda ids: "/tasks/?screen=1"),
    ("wall timeline", "admin", lambda ids: "/tasks/timeline"),
    ("wall responsibility", "admin", lambda ids: "/tasks/responsibility"),
)
# Paginated lists (?page=): the deep entry requests the page half-way down, read from the
# "page 1 of N" line of the first page as the account sees it.
HALF_WAY = {
    "firm accounts": ("admin", lambda ids: "/admin/accounts?kind=enterprise"),
    "decisions": ("officer", lambda ids: "/staff/decisions"),
    "ranked list": ("officer", lambda ids: f"/staff/decisions/programmes/{ids['key_program']}"),
    "letters": ("officer", lambda ids: "/staff/letters"),
    "programme letters": (
        "officer",
        lambda ids: f"/staff/letters/programmes/{ids['key_program']}",
    ),
    "reviewer queue": ("reviewer", lambda ids: "/review"),
}
ACCOUNTS = {
    "admin": "admin@example.com",
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
    from portal.core.timeutil import to_bureau_time, utcnow
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
        audit_deep = _audit_event_half_way()
        review_deep = _review_cursors_half_way(key)
    return {
        **review_deep,
        "year": to_bureau_time(utcnow()).year,
        "key_program": key,
        "application": application,
        "publicity_deep": publicity_deep,
        "audit_deep": audit_deep,
    }


def _audit_event_half_way() -> int:
    """The id of the audit event half-way down the log (the cursor its "Older" link carries)."""
    from sqlalchemy import func, select

    from portal.core.audit import AuditEvent
    from portal.core.extensions import db

    half = (db.session.scalar(select(func.count()).select_from(AuditEvent)) or 0) // 2
    return int(
        db.session.scalar(select(AuditEvent.id).order_by(AuditEvent.id.desc()).offset(half)) or 0
    )


def _half_way_pages(clients, ids) -> dict[str, str]:
    """The URL of the page half-way down each list of ``HALF_WAY`` ("page 1 of N" -> N // 2)."""
    import re

    urls = {}
    for key, (role, url_of) in HALF_WAY.items():
        url = url_of(ids)
        html = clients[role].get(url).get_data(as_text=True)
        line = re.search(r'<nav class="pagination".*?<span>(.*?)</span>', html, re.S)
        numbers = [int(n) for n in re.findall(r"\d+", line.group(1))] if line else [1]
        half = max(1, max(numbers) // 2)
        urls[key] = f"{url}{'&' if '?' in url else '?'}page={half}"
    return urls


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


def _review_cursors_half_way(program_id: int) -> dict[str, str]:
    """The reviewers page and the review overview half-way down, by the cursors their "Next"
    links carry (keyset pages: ``?after=<name>|<id>``, ``?after=<submitted at>|<id>``)."""
    from urllib.parse import urlencode

    from sqlalchemy import func, select

    from portal.accounts.models import User
    from portal.applications.models import Application
    from portal.core.extensions import db
    from portal.review.assignment import REVIEW_STATES
    from portal.web.desk.review_pages import _ACTIVE_REVIEWER

    reviewers = select(User.display_name, User.id).where(*_ACTIVE_REVIEWER)
    half = (db.session.scalar(select(func.count()).select_from(reviewers.subquery())) or 0) // 2
    name, user_id = db.session.execute(
        reviewers.order_by(User.display_name, User.id).offset(half).limit(1)
    ).one()
    in_review = select(Application.first_submitted_at, Application.id).where(
        Application.program_id == program_id, Application.status.in_(REVIEW_STATES)
    )
    half = (db.session.scalar(select(func.count()).select_from(in_review.subquery())) or 0) // 2
    submitted_at, application_id = db.session.execute(
        in_review.order_by(Application.first_submitted_at, Application.id).offset(half).limit(1)
    ).one()
    return {
        "reviewers_deep": f"/staff/review/reviewers?{urlencode({'after': f'{name}|{user_id}'})}",
        "overview_deep": f"/staff/review/programmes/{program_id}?"
        + urlencode({"after": f"{submitted_at.isoformat()}|{application_id}"}),
    }


def _routed(app, url: str) -> bool:
    """Whether the app has a GET route for ``url`` (pages of parts not built yet are skipped)."""
    from werkzeug.exceptions import MethodNotAllowed, NotFound

    try:
        app.url_map.bind("localhost").match(url.split("?")[0], method="GET")
    except (NotFound, MethodNotAllowed):
        return False
    return True


class Site:
    """One seeded database of one size, with its app, signed-in clients and the ids its pages
    name."""

    def __init__(self, app) -> None:
        from portal.core.extensions import db

        self.app = app
        with app.app_context():
            self.engine = db.engine
        self.clients = {role: _client(app, email) for role, email in ACCOUNTS.items()}
        self.ids = _ids(app)
        self.ids["half"] = _half_way_pages(self.clients, self.ids)

    def statements_of(self, role: str, url: str) -> int:
        from sqlalchemy import event

        statements: list[str] = []

        def count(_conn, _cursor, statement, *_args, into=statements):
            into.append(statement)

        client = self.clients[role]
        assert client.get(url).status_code == 200, url  # warm caches once
        event.listen(self.engine, "before_cursor_execute", count)
        try:
            client.get(url)
        finally:
            event.remove(self.engine, "before_cursor_execute", count)
        return len(statements)

    def time_once(self, role: str, url: str) -> float:
        started = time.perf_counter()
        response = self.clients[role].get(url)
        elapsed = (time.perf_counter() - started) * 1000
        assert response.status_code == 200, (url, response.status_code)
        return elapsed

    def close(self) -> None:
        from portal.core.extensions import db

        with self.app.app_context():
            db.session.remove()
            db.engine.dispose()


def measure(
    sites: dict[int, Site], repeat: int, only: tuple[str, ...] = ()
) -> dict[int, dict[str, tuple[float, int]]]:
    """Each page at every size, the sizes' requests interleaved (small, large, large, small,
    ...), so that whatever else the machine is doing weighs on every size alike: measured one
    size after the other, minutes apart, a busy spell makes a flat page look as if it grew."""
    results: dict[int, dict[str, tuple[float, int]]] = {size: {} for size in sites}
    for name, role, url_of in PAGES:
        if only and not any(word in name for word in only):
            continue
        urls = {size: url_of(site.ids) for size, site in sites.items()}
        if not all(_routed(site.app, urls[size]) for size, site in sites.items()):
            print(f"  skipped {name}: no such page yet", file=sys.stderr)
            continue
        counts = {size: site.statements_of(role, urls[size]) for size, site in sites.items()}
        times: dict[int, list[float]] = {size: [] for size in sites}
        order = list(sites)
        for round_ in range(repeat):
            for size in order if round_ % 2 == 0 else reversed(order):
                times[size].append(sites[size].time_once(role, urls[size]))
        for size in sites:
            results[size][name] = (statistics.median(times[size]), counts[size])
    return results


def _url_of_size(url: str, size: int) -> str:
    """A database of its own for each size, so that all sizes are there at once."""
    if url.startswith("sqlite:///"):
        path = Path(url.removeprefix("sqlite:///"))
        return f"sqlite:///{path.with_name(f'{path.stem}-{size}{path.suffix}')}"
    from sqlalchemy.engine import make_url

    given = make_url(url)
    return given.set(database=f"{given.database}_{size}").render_as_string(hide_password=False)


def _seed_wall_map(app) -> None:
    """The wall map's demo (the 12 tasks, milestones, slips, goal tiles), as ``flask seed-demo``
    seeds it after the applications. The demo's own stories of last year's round are not here
    (the sizes' applications are made up), so its check for them is passed over: the
    indicators read the tallies of whatever awards and payments the database holds."""
    import portal.demo_tasks as wall_demo
    from portal.core.extensions import db

    with app.app_context():
        wall_demo._post_award_demo_present = lambda: True
        assert wall_demo.seed_demo(log=lambda line: print(f"  {line}", file=sys.stderr)) > 0
        db.session.commit()


def run(
    url: str, sizes: list[int], repeat: int, only: tuple[str, ...] = ()
) -> dict[int, dict[str, tuple[float, int]]]:
    import random

    sites = {}
    for size in sizes:
        print(f"  seeding {size:,} applications into {url.split('://')[0]} ...", file=sys.stderr)
        database = seed_large.prepare_database(_url_of_size(url, size))
        app = seed_large.make_app(database)
        started = time.perf_counter()
        seed_large.seed(app, size, random.Random(2026))
        _seed_wall_map(app)
        print(f"  seeded in {time.perf_counter() - started:.0f} s", file=sys.stderr)
        sites[size] = Site(app)
    print("  measuring, the sizes interleaved", file=sys.stderr)
    try:
        return measure(sites, repeat, only)
    finally:
        for site in sites.values():
            site.close()


def print_table(database: str, sizes: list[int], by_size) -> None:
    small, large = sizes[0], sizes[-1]
    print(f"\n{database}: median ms of one request (SQL statements)")
    header = f"{'page':<26}" + "".join(f"{f'{s:,}':>18}" for s in sizes) + f"{'ratio':>9}"
    print(header)
    print("-" * len(header))
    for name, _role, _url in PAGES:
        if any(name not in by_size[s] for s in sizes):
            continue  # skipped: no such page
        cells = "".join(f"{by_size[s][name][0]:>11.1f} ({by_size[s][name][1]:>3})" for s in sizes)
        ratio = by_size[large][name][0] / by_size[small][name][0]
        print(f"{name:<26}{cells}{ratio:>9.2f}")


def main(argv: list[str] | None = None) -> int:
    import tempfile

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="1000,100000", help="comma-separated, smallest first")
    parser.add_argument("--repeat", type=int, default=15)
    parser.add_argument(
        "--postgresql-url", default="postgresql+psycopg://postgres@127.0.0.1:5432/portal_pages"
    )
    parser.add_argument("--no-postgresql", action="store_true", help="SQLite only")
    parser.add_argument(
        "--pages", default="", help="comma-separated words: only the pages whose name has one"
    )
    args = parser.parse_args(argv)
    only = tuple(word for word in args.pages.split(",") if word)
    sizes = sorted(int(s) for s in args.sizes.split(","))
    targets = [("SQLite", f"sqlite:///{Path(tempfile.gettempdir()) / 'portal-pages.db'}")]
    if not args.no_postgresql:
        targets.append(("PostgreSQL", args.postgresql_url))
    results = {name: run(url, sizes, args.repeat, only) for name, url in targets}
    for name, by_size in results.items():
        print_table(name, sizes, by_size)
    return 0


if __name__ == "__main__":
    sys.exit(main())
