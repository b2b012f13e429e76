"""HTML to PDF with WeasyPrint, safely and cheaply.

Safety: the HTML is ours (a Jinja template with autoescaping), but it carries text that firms
and officers typed. The URL fetcher allows only ``data:`` URLs and no redirects, and there is
no ``base_url``: nothing is read from the network or the disk (no ``file://``, no
``<link rel=attachment>``), whatever got into the text. A refused fetch is fatal, so that a
letter with a hole in it is never issued.

Cost (the rendering itself is in ``render_core.py``):

- One ``FontConfiguration`` and one parsed stylesheet per process, made on first use: a new
  FontConfiguration per letter grows the process and is slower.
- The letter fonts are subsets of the Noto CJK faces built once at set-up
  (``tools/build_letter_fonts.py``, run by ``make setup``; built here if missing) and added to
  that FontConfiguration's own fontconfig (the system's is not changed): WeasyPrint subsets
  every font it embeds, for every PDF, and a face of 9,500 glyphs costs a fraction of one of
  65,000. The stylesheet names the full faces after them, for a character the subsets lack.
- One layout per letter: page numbers are decided in CSS (``render_core.END_MARKER``).
- Parsed images are cached per process (the seal is the same on every letter).
- Several letters render in worker processes (``render_many``) started as scripts that import
  WeasyPrint and not the portal, kept for the life of the process (a background job's worker
  reuses them from one job to the next), and warmed by a letter of each language before they
  take work, so that no letter waits for a cold worker.
"""

from __future__ import annotations

import fcntl
import logging
import os
import selectors
import subprocess
import sys
import threading
from pathlib import Path
from typing import IO, Any

from portal.core.paths import PROJECT_ROOT
from portal.letters import render_core
from portal.letters.render_core import (  # noqa: F401 (the names other modules use)
    END_MARKER,
    ONE_PASS_PAGE_NUMBER_CSS,
    PAGE_NUMBER_CSS,
)

LETTER_CSS_PATH = PROJECT_ROOT / "static" / "css" / "letter.css"
FONT_BUILDER = PROJECT_ROOT / "tools" / "build_letter_fonts.py"
FONT_FILES = (
    "PortalLetterSerifSC-Regular.otf",
    "PortalLetterSerifSC-Bold.otf",
    "PortalLetterMono-Regular.otf",
)

logger = logging.getLogger(__name__)


class LetterRenderFailed(Exception):
    """WeasyPrint could not render the letter (or tried to fetch something it may not)."""


_lock = threading.Lock()
_shared: dict[str, Any] = {}


def _import_weasyprint() -> Any:
    return render_core.import_weasyprint()


# --- the letter fonts ---------------------------------------------------------------------------


def fonts_dir() -> Path:
    """Where the letter fonts are built (``PORTAL_LETTER_FONTS_DIR``, else instance/fonts)."""
    configured = os.environ.get("PORTAL_LETTER_FONTS_DIR")
    return Path(configured) if configured else PROJECT_ROOT / "instance" / "fonts"


def letter_font_files() -> list[Path]:
    """The letter fonts, built first if they are missing (a fresh checkout: once, some 40 s,
    one process at a time); [] if they cannot be built (the full faces then serve alone)."""
    folder = fonts_dir()
    files = [folder / name for name in FONT_FILES]
    if all(path.is_file() for path in files):
        return files
    try:
        folder.mkdir(parents=True, exist_ok=True)
        with open(folder / ".build.lock", "w") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)  # another process may be building them
            if not all(path.is_file() for path in files):
                subprocess.run(  # noqa: S603 (our script, no shell)
                    [sys.executable, str(FONT_BUILDER), "--out", str(folder), "--quiet"],
                    check=True,
                    timeout=900,
                )
    except (OSError, subprocess.SubprocessError) as error:
        logger.warning("letter fonts not built (%s): letters use the full Noto faces", error)
        return []
    return files


# --- in this process ----------------------------------------------------------------------------


def _resources() -> dict[str, Any]:
    """The process's renderer: FontConfiguration, fetcher, stylesheets (made on first use)."""
    if "renderer" not in _shared:
        with _lock:
            if "renderer" not in _shared:
                renderer = render_core.Renderer(
                    LETTER_CSS_PATH.read_text("utf-8"), letter_font_files()
                )
                _shared["fonts"] = renderer.fonts
                _shared["renderer"] = renderer
    return _shared


def html_to_pdf(html: str) -> bytes:
    """Render one letter's HTML to PDF bytes; page numbers only when it needs two pages."""
    renderer = _resources()["renderer"]
    try:
        # WeasyPrint's layout is not thread-safe with a shared FontConfiguration.
        with _lock:
            return renderer.render(html)
    except render_core.FetchRefused as error:
        raise LetterRenderFailed(f"the letter tried to fetch a resource: {error}") from None
    except render_core.RenderError as error:
        raise LetterRenderFailed(str(error)) from error


# --- in worker processes ------------------------------------------------------------------------


def render_many(htmls: list[str], workers: int = 1) -> list[bytes]:
    """Render several letters, in ``workers`` processes when more than one."""
    if workers <= 1 or len(htmls) <= 1:
        return [html_to_pdf(html) for html in htmls]
    with _pool_lock:
        pool = _pool(workers, _samples(htmls))
        try:
            return pool.render(htmls)
        except _WorkerDied:
            shutdown_pools()  # the next call starts fresh workers
            raise LetterRenderFailed("a letter render worker stopped") from None


def _samples(htmls: list[str]) -> tuple[str, ...]:
    """One document of each language among ``htmls`` (a worker's warm-up)."""
    english = [html for html in htmls if '<html lang="en"' in html[:400]]
    other = [html for html in htmls if '<html lang="en"' not in html[:400]]
    return tuple(found[0] for found in (other, english) if found)


class _WorkerDied(Exception):
    pass


class _Worker:
    """A render worker: ``render_core.py`` run as a script, framed requests on its stdin."""

    def __init__(self, samples: tuple[str, ...]) -> None:
        command = [sys.executable, "-I", str(Path(render_core.__file__).resolve())]
        command += ["--css", str(LETTER_CSS_PATH)]
        for path in letter_font_files():
            command += ["--font", str(path)]
        self.process = subprocess.Popen(  # noqa: S603 (our script, no shell)
            command, stdin=subprocess.PIPE, stdout=subprocess.PIPE
        )
        self.stdin: IO[bytes] = self.process.stdin  # type: ignore[assignment]
        self.stdout: IO[bytes] = self.process.stdout  # type: ignore[assignment]
        for html in samples:  # rendered before any work, answered with nothing
            self.send(b"W", html)

    @property
    def pid(self) -> int:
        return self.process.pid

    def send(self, kind: bytes, html: str) -> None:
        try:
            render_core.write_frame(self.stdin, kind, html.encode("utf-8"))
        except (BrokenPipeError, OSError):
            raise _WorkerDied from None

    def receive(self) -> tuple[bytes, bytes]:
        try:
            return render_core.read_frame(self.stdout)
        except (EOFError, OSError):
            raise _WorkerDied from None

    def close(self) -> None:
        try:
            self.stdin.close()  # the worker ends at the end of its input
            self.process.wait(timeout=10)
        except (OSError, subprocess.TimeoutExpired):
            self.process.kill()
            self.process.wait()
        self.stdout.close()


class _Pool:
    def __init__(self, workers: int, samples: tuple[str, ...]) -> None:
        self.workers = [_Worker(samples) for _ in range(workers)]

    def render(self, htmls: list[str]) -> list[bytes]:
        """Each document to the next free worker; the PDFs in the documents' order."""
        results: list[bytes | None] = [None] * len(htmls)
        failure: LetterRenderFailed | None = None
        todo = iter(enumerate(htmls))
        busy: dict[int, int] = {}  # worker index -> document index
        with selectors.DefaultSelector() as selector:
            for index, worker in enumerate(self.workers):
                selector.register(worker.stdout, selectors.EVENT_READ, index)
            for index, worker in enumerate(self.workers):
                self._give(worker, index, todo, busy)
            while busy:
                for key, _events in selector.select():
                    index = key.data
                    kind, payload = self.workers[index].receive()
                    document = busy.pop(index)
                    if kind == b"P":
                        results[document] = payload
                    elif failure is None:
                        message = payload.decode("utf-8", "replace")
                        if kind == b"F":
                            message = f"the letter tried to fetch a resource: {message}"
                        failure = LetterRenderFailed(message)
                    if failure is None:
                        self._give(self.workers[index], index, todo, busy)
        if failure is not None:
            raise failure
        return [pdf for pdf in results if pdf is not None]

    @staticmethod
    def _give(worker: _Worker, index: int, todo: Any, busy: dict[int, int]) -> None:
        for document, html in todo:
            worker.send(b"R", html)
            busy[index] = document
            return

    def close(self) -> None:
        for worker in self.workers:
            worker.close()


_pool_lock = threading.Lock()
_pools: dict[int, _Pool] = {}


def _pool(workers: int, samples: tuple[str, ...] = ()) -> _Pool:
    """Worker processes kept for the life of this process, warmed once."""
    pool = _pools.get(workers)
    if pool is None:
        pool = _pools[workers] = _Pool(workers, samples)
    return pool


def worker_pids() -> list[int]:
    """The render workers' process ids (the benchmark reads their memory)."""
    return [worker.pid for pool in _pools.values() for worker in pool.workers]


def shutdown_pools() -> None:
    for pool in _pools.values():
        pool.close()
    _pools.clear()
