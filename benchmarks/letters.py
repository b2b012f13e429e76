"""How fast the portal makes decision letters, against WeasyPrint used well, and how much
memory a render worker needs.

Run from the repository root (about 5 minutes at the defaults; on a quiet machine: it prints the
load average with every figure)::

    .venv/bin/python benchmarks/letters.py [--letters N] [--rss-pdfs 500] [--database-url URL]

It prints (it asserts nothing):

1. **The portal path against a fair baseline, interleaved.** The same HTML (the portal's own
   letters, Chinese and English) through ``portal.letters.pdf.html_to_pdf`` and through
   WeasyPrint used well: one ``FontConfiguration``, the stylesheets parsed once, one layout per
   letter (with the same one-pass page numbers), the installed Noto faces. The two alternate
   document by document (which goes first alternating too), so that a change of load hits both.
   ms per PDF for each language, their ratio (portal / fair; below 1 the portal is faster), and
   the PDF sizes. The naive caller (new objects per letter, as the first version of this
   benchmark compared against) is printed for reference, over fewer letters.
2. **Throughput at 1 and 2 processes**: every PDF of the N letters through warmed workers (the
   portal's own pool of ``render_many``; the fair path in a pool of forked processes, warmed
   alike), in PDFs and letters per second. Then the **batch export** (``run_export``: issue
   and number, render, store, ZIP with its manifest) with 1 and 2 render workers, each from a
   fresh database holding N final decisions without letters.
3. **A render worker's memory** over ``--rss-pdfs`` PDFs: its RSS after the warm-up, the peak
   (VmHWM) and the steady RSS (the median of the last samples), read from ``/proc``: the
   portal's render worker as ``render_many`` starts it (a script importing WeasyPrint, not
   the portal).

Every letter is two PDFs, the Chinese original and its English translation.

The database is wiped: by default a fresh SQLite file per step in a temporary directory; with
``--database-url postgresql+psycopg://...`` the database is created if missing and its
``public`` schema dropped and recreated before each step.
"""

from __future__ import annotations

import argparse
import logging
import os
import random
import re
import secrets
import sys
import tempfile
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


# -- the letters' HTML ------------------------------------------------------------------------


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


# -- the export -------------------------------------------------------------------------------


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
        rss_before_kib = current_rss_kib()
        start = time.perf_counter()
        try:
            run_export(export_id, workers=workers)
        finally:
            seconds = time.perf_counter() - start
            shutdown_pools()
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


@dataclass
class Load:
    """The load average (1 minute) at the start and the end of a measurement."""

    start: float
    end: float = 0.0

    def __str__(self) -> str:
        return f"load {self.start:.2f} -> {self.end:.2f}"


def load_now() -> float:
    return os.getloadavg()[0]


@contextmanager
def measuring(label: str, loads: dict[str, Load]) -> Iterator[None]:
    load = Load(load_now())
    log(f"{label} (load average {load.start:.2f})")
    try:
        yield
    finally:
        load.end = load_now()
        loads[label] = load


# -- 1. the fair baseline and the naive caller --------------------------------------------------

_fair: dict[str, object] = {}


def fair_resources() -> dict[str, object]:
    """WeasyPrint used well: one FontConfiguration (the system's fonts), the stylesheets parsed
    once, the same safe fetcher; nothing of the portal's own preparations."""
    if not _fair:
        from weasyprint import CSS
        from weasyprint.text.fonts import FontConfiguration
        from weasyprint.urls import URLFetcher

        from portal.letters.pdf import LETTER_CSS_PATH, ONE_PASS_PAGE_NUMBER_CSS

        fonts = FontConfiguration()
        fetcher = URLFetcher(allowed_protocols={"data"}, allow_redirects=False)
        _fair["fetcher"] = fetcher
        _fair["css"] = [
            CSS(string=LETTER_CSS_PATH.read_text("utf-8"), font_config=fonts, url_fetcher=fetcher),
            CSS(string=ONE_PASS_PAGE_NUMBER_CSS, font_config=fonts, url_fetcher=fetcher),
        ]
        _fair["fonts"] = fonts
    return _fair


def render_fair(html: str) -> bytes:
    from weasyprint import HTML

    shared = fair_resources()
    return HTML(string=html, url_fetcher=shared["fetcher"]).write_pdf(
        stylesheets=shared["css"], font_config=shared["fonts"]
    )


def warm_fair(samples: tuple[str, ...]) -> None:
    """The fair pool's initializer, as warm as the portal's."""
    for html in samples:
        render_fair(html)


def render_naive(html: str) -> bytes:
    import weasyprint

    from portal.letters.pdf import LETTER_CSS_PATH

    return weasyprint.HTML(string=html).write_pdf(
        stylesheets=[weasyprint.CSS(filename=str(LETTER_CSS_PATH))]
    )


@dataclass
class Interleaved:
    portal_ms: dict[str, list[float]]
    fair_ms: dict[str, list[float]]
    portal_bytes: dict[str, list[int]]
    fair_bytes: dict[str, list[int]]
    pages: dict[str, list[int]]


def interleave(pairs: list[tuple[str, str]]) -> Interleaved:
    """Each document through both paths, one after the other, alternating which goes first."""
    from portal.letters.pdf import html_to_pdf

    result = Interleaved(*({"zh": [], "en": []} for _ in range(5)))
    paths = (("portal", html_to_pdf), ("fair", render_fair))
    for index, (zh, en) in enumerate(pairs):
        for lang, html in (("zh", zh), ("en", en)):
            order = paths if (index + (lang == "en")) % 2 == 0 else paths[::-1]
            for name, render in order:
                start = time.perf_counter()
                data = render(html)
                elapsed = 1000 * (time.perf_counter() - start)
                getattr(result, f"{name}_ms")[lang].append(elapsed)
                getattr(result, f"{name}_bytes")[lang].append(len(data))
                if name == "portal":
                    result.pages[lang].append(pdf_pages(data))
    return result


def pdf_pages(data: bytes) -> int:
    return len(re.findall(rb"/Type\s*/Page[^s]", data))


# -- 2. throughput in pools of warmed workers -----------------------------------------------------


def pool_of(workers: int, initializer: Callable[..., None], samples: tuple[str, ...]):
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    pool = ProcessPoolExecutor(
        max_workers=workers,
        mp_context=multiprocessing.get_context("fork"),
        initializer=initializer,
        initargs=(samples,),
    )
    # Start and warm every worker before the clock runs (the portal's pool does so too).
    list(pool.map(time.sleep, [0.3] * workers))
    return pool


def time_pool(pool, render: Callable[[str], bytes], htmls: list[str], workers: int) -> float:
    """PDFs per second through ``pool``."""
    start = time.perf_counter()
    list(pool.map(render, htmls, chunksize=max(1, len(htmls) // (workers * 8))))
    return len(htmls) / (time.perf_counter() - start)


# -- 3. a render worker's memory ------------------------------------------------------------------


def proc_status_kib(pid: int, field: str) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(f"{field}:"):
            return int(line.split()[1])
    return 0


@dataclass
class WorkerMemory:
    after_warm_up_kib: int
    peak_kib: int
    steady_kib: int
    samples_kib: list[int]
    pdfs: int
    pdfs_per_second: float


def worker_memory(htmls: list[str], total: int, samples: tuple[str, ...]) -> WorkerMemory:
    """One portal render worker (``render_many``'s, warmed by a letter of each language) over
    ``total`` PDFs, its RSS read every 50; also the 1-process throughput over them."""
    from portal.letters import pdf

    pool = pdf._pool(1, samples)
    pool.render(list(samples))  # the warm-up is done
    (pid,) = pdf.worker_pids()
    after_warm_up = proc_status_kib(pid, "VmRSS")
    rss = []
    done = 0
    start = time.perf_counter()
    while done < total:
        batch = [htmls[(done + i) % len(htmls)] for i in range(min(50, total - done))]
        pool.render(batch)
        done += len(batch)
        rss.append(proc_status_kib(pid, "VmRSS"))
    elapsed = time.perf_counter() - start
    peak = proc_status_kib(pid, "VmHWM")
    pdf.shutdown_pools()
    tail = sorted(rss[-5:])
    return WorkerMemory(after_warm_up, peak, tail[len(tail) // 2], rss, done, done / elapsed)


def portal_throughput(htmls: list[str], workers: int, samples: tuple[str, ...]) -> float:
    """PDFs per second through the portal's own worker pool (``render_many``), warmed."""
    from portal.letters import pdf

    pool = pdf._pool(workers, samples)
    try:
        pool.render(list(samples) * workers)
        start = time.perf_counter()
        pool.render(htmls)
        return len(htmls) / (time.perf_counter() - start)
    finally:
        pdf.shutdown_pools()


# -- the run ----------------------------------------------------------------------------------


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description="Time the portal's letters against WeasyPrint used well; print the figures.",
    )
    parser.add_argument(
        "--letters",
        type=int,
        default=100,
        metavar="N",
        help="letters per measurement, each a Chinese and an English PDF (default: 100)",
    )
    parser.add_argument(
        "--rss-pdfs",
        type=int,
        default=500,
        metavar="M",
        help="PDFs through one render worker for its memory (default: 500)",
    )
    parser.add_argument(
        "--naive",
        type=int,
        default=10,
        metavar="K",
        help="letters through the naive caller, for reference (default: 10; 0 to skip)",
    )
    parser.add_argument("--skip-export", action="store_true", help="skip the batch export")
    parser.add_argument(
        "--database-url",
        metavar="URL",
        help="database to use, WIPED before each step (default: a fresh SQLite file in a "
        "temporary directory), e.g. postgresql+psycopg://postgres@127.0.0.1:5432/portal_bench",
    )
    args = parser.parse_args(argv)
    if args.letters < 1:
        parser.error("--letters must be at least 1")
    return args


def mean(values: list[float]) -> float:
    return sum(values) / len(values) if values else 0.0


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    count: int = args.letters
    loads: dict[str, Load] = {}
    rows: list[tuple[str, str]] = []
    with tempfile.TemporaryDirectory(prefix="portal-bench-") as scratch_name:
        scratch = Path(scratch_name)
        # Before the portal is imported: keep it away from instance/ and the developer's keys.
        os.environ["PORTAL_INSTANCE_DIR"] = str(scratch / "instance")
        os.environ["PORTAL_SECRET_KEY"] = secrets.token_hex(16)
        from portal.config import normalise_database_url
        from portal.letters import pdf

        pdf.letter_font_files()  # built now if missing (make setup builds them)
        base_url = normalise_database_url(args.database_url) if args.database_url else None
        rng = random.Random(SEED)
        url = fresh_database_url(base_url, scratch, "render")
        with portal_app(url, scratch / "files-render"):
            log(f"building the HTML of {count + 1} letters")
            warm_up, *pairs = letter_htmls(count + 1, rng)
        htmls = [html for pair in pairs for html in pair]

        # Memory and the 1-process throughput first: the worker forks from a process that has
        # rendered nothing, as the jobs worker's pool does.
        with measuring("render worker memory", loads):
            memory = worker_memory(htmls, args.rss_pdfs, warm_up)

        throughput: dict[tuple[str, int], float] = {}
        for workers in (1, 2):
            for name in ("portal", "fair"):
                label = f"throughput {name}, {workers} process" + ("es" if workers > 1 else "")
                with measuring(label, loads):
                    if name == "portal":
                        throughput[name, workers] = portal_throughput(htmls, workers, warm_up)
                        continue
                    pool = pool_of(workers, warm_fair, warm_up)
                    try:
                        throughput[name, workers] = time_pool(pool, render_fair, htmls, workers)
                    finally:
                        pool.shutdown()

        with measuring("interleaved, 1 process", loads):
            for html in warm_up:
                pdf.html_to_pdf(html)
                render_fair(html)
            compared = interleave(pairs)

        exports = []
        if not args.skip_export:
            for workers in (1, 2):
                label = f"export, {workers} worker" + ("s" if workers > 1 else "")
                with measuring(label, loads):
                    exports.append(
                        time_export(base_url, scratch, count, workers, seed=SEED + workers)
                    )

        naive_ms = 0.0
        if args.naive:
            with measuring("naive caller", loads):
                some = htmls[: 2 * args.naive]
                start = time.perf_counter()
                for html in some:
                    render_naive(html)
                naive_ms = 1000 * (time.perf_counter() - start) / len(some)

    rows.append(("letters", f"{count} (each a Chinese and an English PDF)"))
    rows.append(("database", base_url or "SQLite (fresh temporary files)"))
    rows.append(("cores", str(os.cpu_count())))
    load = loads["interleaved, 1 process"]
    for lang in ("zh", "en"):
        portal_ms, fair_ms = mean(compared.portal_ms[lang]), mean(compared.fair_ms[lang])
        pages = compared.pages[lang]
        rows.append(
            (
                f"render {lang}, portal / fair",
                f"{portal_ms:.1f} / {fair_ms:.1f} ms per PDF, ratio {portal_ms / fair_ms:.2f} "
                f"({len(pages)} PDFs, {sum(p > 1 for p in pages)} of 2+ pages; {load})",
            )
        )
        sizes, fair_sizes = compared.portal_bytes[lang], compared.fair_bytes[lang]
        rows.append(
            (
                f"PDF size {lang}, portal / fair",
                f"mean {mean(sizes) / 1024:.0f} KB, max {max(sizes) / 1024:.0f} KB / "
                f"mean {mean(fair_sizes) / 1024:.0f} KB",
            )
        )
    if naive_ms:
        rows.append(
            ("render, naive caller", f"{naive_ms:.1f} ms per PDF ({loads['naive caller']})")
        )
    for workers in (1, 2):
        for name in ("portal", "fair"):
            per_second = throughput[name, workers]
            label = f"throughput {name}, {workers} process" + ("es" if workers > 1 else "")
            rows.append(
                (
                    label,
                    f"{per_second:.1f} PDFs/s = {per_second / 2:.1f} letters/s ({loads[label]})",
                )
            )
        rows.append(
            (
                f"  ratio portal / fair time, {workers}",
                f"{throughput['fair', workers] / throughput['portal', workers]:.2f}",
            )
        )
    for export in exports:
        label = f"export, {export.workers} worker" + ("s" if export.workers > 1 else "")
        rows.append(
            (
                label,
                f"{2 * export.letters_per_second:.1f} PDFs/s = {export.letters_per_second:.2f} "
                f"letters/s ({export.letters} letters in {export.seconds:.1f} s, "
                f"ZIP {export.zip_mib:.1f} MiB; {loads[label]})",
            )
        )
    rows += [
        (
            "render worker RSS",
            f"{mib(memory.after_warm_up_kib):.0f} MiB after warm-up, steady "
            f"{mib(memory.steady_kib):.0f} MiB, peak {mib(memory.peak_kib):.0f} MiB over "
            f"{memory.pdfs} PDFs ({loads['render worker memory']})",
        ),
        ("  RSS every 50 PDFs", " ".join(f"{mib(kib):.0f}" for kib in memory.samples_kib)),
        ("  1 process over them", f"{memory.pdfs_per_second:.1f} PDFs/s"),
    ]
    width = max(len(label) for label, _value in rows)
    for label, value in rows:
        print(f"{label:<{width}} : {value}")


if __name__ == "__main__":
    main()
