"""How fast the portal makes decision letters, and how much memory a render worker needs.

Run from the repository root::

    .venv/bin/python benchmarks/letters.py [--letters N] [--database-url URL]

It measures, in one run, and prints (it asserts nothing):

1. Rendering: N letters through the portal's ``portal.letters.pdf.html_to_pdf``, which keeps
   one ``FontConfiguration`` and one parsed stylesheet per process and fetches only ``data:``
   URLs, against the same HTML through bare WeasyPrint with new objects per letter, as a naive
   caller would write it. The naive caller loads the fonts and parses the stylesheet again
   for every PDF, and a new ``FontConfiguration`` per letter grows the process (here by
   over a gigabyte in 400 PDFs, until the garbage collector catches up); the ratio
   shows what the sharing saves in time.
2. The programme export (``portal.letters.export.run_export``) with 1 and 2 worker processes,
   each from a fresh database holding N final decisions without letters: the export issues
   (renders and stores) every missing letter, then packs them all into a ZIP with a CSV
   manifest. The speed-up of 2 workers over 1 is what a second core buys.
3. Peak memory (RSS) of a render worker of the 2-worker export, and of this process.

Every letter is two PDFs, the Chinese original and its English translation: all figures are
per letter, that is per pair of PDFs.

Order: the portal path is timed first, so that its first render is a cold one (imports, fonts,
stylesheet); then come the two exports, both starting with the fonts loaded; the bare path comes
last, because the memory it leaves behind would otherwise be copied into the forked workers and
inflate their peak RSS.

The database is wiped: by default a fresh SQLite file per export in a temporary directory; with
``--database-url postgresql+psycopg://...`` the database is created if missing and its
``public`` schema dropped and recreated before each step (the HTML, each export).
"""

from __future__ import annotations

import argparse
import logging
import os
import random
import resource
import secrets
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from flask import Flask

    from portal.programs.models import Program

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))  # for `portal` and `tests.helpers` when run as a script

PROGRAM_CODE = "rd-post-subsidy-2026"
APPROVAL_SHARE = 0.75
SEED = 2026

PLACES = ("阜新", "海州", "细河", "太平", "清河门", "新邱", "彰武", "阜蒙", "辽西", "玉龙")
TRADES = (
    "氟化工",
    "新材料",
    "智能装备",
    "云数据",
    "绿色能源",
    "精密机械",
    "生物医药",
    "农业科技",
    "电子信息",
    "节能环保",
)
FORMS = ("有限公司", "股份有限公司", "科技有限公司", "集团有限公司")
REASONS = (
    "综合评分未达到60分。",
    "研发费用归集不符合申报指南要求，专家评审综合评分未达到60分。",
    "申报项目与本专项支持方向不符。",
    "上年度研发投入增长率未达到申报条件。",
)


def log(message: str) -> None:
    """Progress on stderr, so that the figures on stdout stay a clean table."""
    print(f"... {message}", file=sys.stderr, flush=True)


def mib(kib: int) -> float:
    return kib / 1024


def current_rss_kib() -> int:
    """This process's resident set size now (Linux ``/proc``), in KiB."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


def firm_name(rng: random.Random, index: int) -> str:
    """A made-up firm name; the index keeps it unique."""
    return f"{rng.choice(PLACES)}{rng.choice(TRADES)}{index + 1:03d}{rng.choice(FORMS)}"


def random_amount(rng: random.Random) -> Decimal:
    """Between 50 000 and 2 000 000 yuan, in hundreds (with cents, as the portal stores it)."""
    return Decimal(rng.randrange(500, 20_001) * 100).quantize(Decimal("0.01"))


@dataclass
class RenderTimes:
    first_ms: float  # the warm-up letter (two PDFs)
    per_letter_ms: float


@dataclass
class ExportTimes:
    workers: int
    seconds: float
    letters: int
    zip_mib: float
    rss_before_kib: int  # this process just before the export (and so before any fork)

    @property
    def letters_per_second(self) -> float:
        return self.letters / self.seconds


# -- databases --------------------------------------------------------------------------------


def prepare_postgres(url: str) -> None:
    """Create the database if it does not exist, then drop and recreate its public schema."""
    from sqlalchemy import create_engine, make_url, text

    target = make_url(url)
    admin = create_engine(target.set(database="postgres"), isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            exists = conn.scalar(
                text("SELECT 1 FROM pg_database WHERE datname = :name"),
                {"name": target.database},
            )
            if not exists:
                name = admin.dialect.identifier_preparer.quote(target.database)
                conn.execute(text(f"CREATE DATABASE {name}"))
    finally:
        admin.dispose()
    engine = create_engine(target)
    try:
        with engine.begin() as conn:
            conn.execute(text("DROP SCHEMA public CASCADE"))
            conn.execute(text("CREATE SCHEMA public"))
    finally:
        engine.dispose()


def fresh_database_url(base_url: str | None, scratch: Path, label: str) -> str:
    """An empty database: a new SQLite file (removed first if it exists) or a reset PG schema."""
    from sqlalchemy import make_url

    if base_url is None:
        path = scratch / f"portal-{label}.db"
        url = f"sqlite:///{path}"
    else:
        url = base_url
        parsed = make_url(url)
        if parsed.get_backend_name() == "postgresql":
            prepare_postgres(url)
            return url
        if parsed.get_backend_name() != "sqlite" or not parsed.database:
            raise SystemExit(f"unsupported database URL (SQLite or PostgreSQL only): {url}")
        path = Path(parsed.database)
    for suffix in ("", "-wal", "-shm", "-journal"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)
    return url


@contextmanager
def portal_app(url: str, files_dir: Path) -> Iterator[Flask]:
    """A portal app on a freshly migrated database with the demo data, inside an app context."""
    import flask_migrate

    from portal import create_app
    from portal.core.extensions import db
    from portal.demo import seed_demo_data

    app = create_app(
        {
            "SQLALCHEMY_DATABASE_URI": url,
            "FILES_DIR": str(files_dir),
            "JOBS_IMMEDIATE": True,
            "REDIS_URL": "",
            "RATELIMIT_STORAGE_URI": "memory://",
            "LOG_LEVEL": "WARNING",
        }
    )
    with app.app_context():
        logging.disable(logging.INFO)  # Alembic's own logging config would print every step
        try:
            flask_migrate.upgrade()
        finally:
            logging.disable(logging.NOTSET)
        seed_demo_data()
        db.session.commit()
        try:
            yield app
        finally:
            db.session.remove()
            db.engine.dispose()


def demo_program() -> Program:
    from sqlalchemy import select

    from portal.core.extensions import db
    from portal.programs.models import Program

    program = db.session.scalar(select(Program).where(Program.code == PROGRAM_CODE))
    if program is None:
        raise SystemExit(f"the demo data has no programme {PROGRAM_CODE!r}")
    return program


# -- 1. portal code vs bare WeasyPrint --------------------------------------------------------


def letter_htmls(count: int, rng: random.Random) -> list[tuple[str, str]]:
    """(Chinese, English) HTML of ``count`` varied, unsaved letters (needs an app context)."""
    from portal.accounts.uscc import with_check_character
    from portal.letters.content import letter_html, letter_values
    from portal.letters.models import Letter, LetterKind
    from portal.letters.numbering import format_notice_number, new_verification_code

    program = demo_program()
    pairs = []
    for index in range(count):
        approved = rng.random() < APPROVAL_SHARE
        letter = Letter(
            kind=LetterKind.APPROVAL if approved else LetterKind.REJECTION,
            number=format_notice_number(program.issuer_code, 2026, index + 1),
            verification_code=new_verification_code(),
            issue_date=date(2026, 3, 2) + timedelta(days=index % 60),
            enterprise_name=firm_name(rng, index),
            uscc=with_check_character(f"91210900MR{index:07d}"),
            program_name_zh=program.name_zh,
            program_name_en=program.name_en,
            amount=random_amount(rng) if approved else None,
            reason="" if approved else rng.choice(REASONS),
            reissue_reason="",
        )
        reference = f"RD-2026-{index + 1:05d}"
        zh, en = (
            letter_html(letter_values(letter, lang, reference=reference, process="expert_review"))
            for lang in ("zh", "en")
        )
        pairs.append((zh, en))
    return pairs


def render_portal(html: str) -> bytes:
    from portal.letters.pdf import html_to_pdf

    return html_to_pdf(html)


def render_bare(html: str) -> bytes:
    import weasyprint

    from portal.letters.pdf import LETTER_CSS_PATH

    return weasyprint.HTML(string=html).write_pdf(
        stylesheets=[weasyprint.CSS(filename=str(LETTER_CSS_PATH))]
    )


def time_renders(
    render: Callable[[str], bytes], warm_up: tuple[str, str], pairs: list[tuple[str, str]]
) -> RenderTimes:
    """One warm-up letter (timed on its own), then every letter of ``pairs``."""
    start = time.perf_counter()
    for html in warm_up:
        render(html)
    first = time.perf_counter() - start
    start = time.perf_counter()
    for zh, en in pairs:
        render(zh)
        render(en)
    elapsed = time.perf_counter() - start
    return RenderTimes(first_ms=1000 * first, per_letter_ms=1000 * elapsed / len(pairs))


# -- 2. the export ----------------------------------------------------------------------------


def add_decisions(app: Flask, count: int, rng: random.Random) -> None:
    """``count`` final decisions without letters on the demo programme, 3 in 4 approvals."""
    from tests.helpers import add_final_decision

    for index in range(count):
        approved = rng.random() < APPROVAL_SHARE
        add_final_decision(
            app,
            PROGRAM_CODE,
            firm_name=firm_name(rng, index),
            approved=approved,
            amount=str(random_amount(rng)),
            reason=rng.choice(REASONS),
        )


def time_export(
    base_url: str | None, scratch: Path, count: int, workers: int, seed: int
) -> ExportTimes:
    from portal.core.extensions import db
    from portal.letters.export import run_export
    from portal.letters.issuing import due_application_ids
    from portal.letters.models import ExportStatus, LetterExport
    from portal.letters.pdf import shutdown_pools

    url = fresh_database_url(base_url, scratch, f"export-{workers}")
    with portal_app(url, scratch / f"files-{workers}") as app:
        log(f"export with {workers} worker(s): adding {count} final decisions")
        add_decisions(app, count, random.Random(seed))
        program = demo_program()
        due = len(due_application_ids(program.id))
        export = LetterExport(program_id=program.id)
        db.session.add(export)
        db.session.commit()
        export_id = export.id
        log(f"export with {workers} worker(s): issuing and packing {due} letters")
        if workers > 1 and threading.active_count() > 1:
            log("other threads run: the pool uses forkserver, its workers' RSS goes unseen")
        rss_before_kib = current_rss_kib()
        start = time.perf_counter()
        try:
            run_export(export_id, workers=workers)
        finally:
            seconds = time.perf_counter() - start
            shutdown_pools()  # joins the workers, so that RUSAGE_CHILDREN counts them
        db.session.expire_all()
        export = db.session.get(LetterExport, export_id)
        if export.status is not ExportStatus.DONE:
            raise SystemExit(f"export {export_id} ended {export.status.value}: {export.error}")
        return ExportTimes(
            workers=workers,
            seconds=seconds,
            letters=export.letter_count,
            zip_mib=(export.file_size or 0) / 2**20,
            rss_before_kib=rss_before_kib,
        )


# -- the run ----------------------------------------------------------------------------------


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description="Time the portal's letter rendering and export; print the figures.",
    )
    parser.add_argument(
        "--letters",
        type=int,
        default=200,
        metavar="N",
        help="letters per measurement, each a Chinese and an English PDF (default: 200)",
    )
    parser.add_argument(
        "--database-url",
        metavar="URL",
        help="database to use, WIPED before each export (default: a fresh SQLite file in a "
        "temporary directory), e.g. postgresql+psycopg://postgres@127.0.0.1:5432/portal_bench",
    )
    args = parser.parse_args(argv)
    if args.letters < 1:
        parser.error("--letters must be at least 1")
    return args


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    count: int = args.letters
    with tempfile.TemporaryDirectory(prefix="portal-bench-") as scratch_name:
        scratch = Path(scratch_name)
        # Before the portal is imported: keep it away from instance/ and the developer's keys.
        os.environ["PORTAL_INSTANCE_DIR"] = str(scratch / "instance")
        os.environ["PORTAL_SECRET_KEY"] = secrets.token_hex(16)
        from portal.config import normalise_database_url

        base_url = normalise_database_url(args.database_url) if args.database_url else None
        rng = random.Random(SEED)

        # 1a. HTML from the portal, then the portal path, cold first.
        url = fresh_database_url(base_url, scratch, "render")
        with portal_app(url, scratch / "files-render"):
            log(f"building the HTML of {count + 1} letters")
            warm_up, *pairs = letter_htmls(count + 1, rng)
        log(f"rendering {count} letters through the portal code")
        portal = time_renders(render_portal, warm_up, pairs)

        # 2. The export, 1 worker then 2.
        one = time_export(base_url, scratch, count, workers=1, seed=SEED + 1)
        two = time_export(base_url, scratch, count, workers=2, seed=SEED + 2)
        main_after_exports_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        worker_kib = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss

        # 1b. Bare WeasyPrint last: the memory it leaves would be copied into forked workers.
        log(f"rendering {count} letters through bare WeasyPrint")
        bare = time_renders(render_bare, warm_up, pairs)
        main_end_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss

    database = base_url or "SQLite (fresh temporary files)"
    worker_text = f"{mib(worker_kib):.0f} MiB" if worker_kib else "n/a (not a child process)"
    rows = [
        ("letters", f"{count} (each a Chinese and an English PDF; figures are per letter)"),
        ("database", database),
        ("first render, portal code", f"{portal.first_ms:.1f} ms (cold: imports, fonts, CSS)"),
        ("first render, bare WeasyPrint", f"{bare.first_ms:.1f} ms"),
        ("render, portal code", f"{portal.per_letter_ms:.1f} ms/letter"),
        ("render, bare WeasyPrint", f"{bare.per_letter_ms:.1f} ms/letter"),
        ("ratio portal / bare", f"{portal.per_letter_ms / bare.per_letter_ms:.2f}"),
    ]
    for export in (one, two):
        label = f"export, {export.workers} worker" + ("s" if export.workers > 1 else "")
        rows.append(
            (
                label,
                f"{export.seconds:.1f} s ({export.letters_per_second:.2f} letters/s, "
                f"{export.letters} letters, ZIP {export.zip_mib:.1f} MiB)",
            )
        )
    rows += [
        ("speed-up 2 / 1", f"{one.seconds / two.seconds:.2f}"),
        ("peak RSS, render worker", f"{worker_text} (largest worker of the 2-worker export)"),
        ("  main process RSS at fork", f"{mib(two.rss_before_kib):.0f} MiB (shared copy-on-write)"),
        ("peak RSS, main process", f"{mib(main_after_exports_kib):.0f} MiB (up to the exports)"),
        ("peak RSS, main process, end", f"{mib(main_end_kib):.0f} MiB (after bare WeasyPrint)"),
    ]
    width = max(len(label) for label, _value in rows)
    for label, value in rows:
        print(f"{label:<{width}} : {value}")


if __name__ == "__main__":
    main()
