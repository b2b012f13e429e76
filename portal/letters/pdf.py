"""HTML to PDF with WeasyPrint, safely and cheaply.

Safety: the HTML is ours (a Jinja template with autoescaping), but it carries text that firms
and officers typed. The URL fetcher allows only ``data:`` URLs and no redirects, and there is
no ``base_url``: nothing is read from the network or the disk (no ``file://``, no
``<link rel=attachment>``), whatever got into the text. A refused fetch is fatal, so that a
letter with a hole in it is never issued.

Cost: one ``FontConfiguration`` and one parsed stylesheet per process, made on first use (after
a fork, in each worker): a new FontConfiguration per letter grows the process and is slower.
"""

from __future__ import annotations

import threading

from portal.core.paths import PROJECT_ROOT

LETTER_CSS_PATH = PROJECT_ROOT / "static" / "css" / "letter.css"
# Added when the letter runs past one page: GB/T 9704 page numbers, "— 1 —".
PAGE_NUMBER_CSS = """
@page { @bottom-center { content: "— " counter(page) " —"; font-size: 11pt;
  font-family: "Noto Serif CJK SC", serif; } }
"""


class LetterRenderFailed(Exception):
    """WeasyPrint could not render the letter (or tried to fetch something it may not)."""


_lock = threading.Lock()
_shared: dict[str, object] = {}


def _import_weasyprint():
    """Import WeasyPrint without its side effect on uploads: it switches Pillow's
    LOAD_TRUNCATED_IMAGES on for the whole process, which would let truncated images through
    the upload checks (portal/core/uploads.py). Letters embed only SVG, so off it goes."""
    import weasyprint
    from PIL import ImageFile

    ImageFile.LOAD_TRUNCATED_IMAGES = False
    return weasyprint


def _resources():
    """The process's FontConfiguration, fetcher and stylesheets (made once, on first use)."""
    if "fonts" not in _shared:
        with _lock:
            if "fonts" not in _shared:
                _import_weasyprint()
                from weasyprint import CSS
                from weasyprint.text.fonts import FontConfiguration
                from weasyprint.urls import URLFetcher

                fonts = FontConfiguration()
                fetcher = URLFetcher(
                    allowed_protocols={"data"}, allow_redirects=False, fail_on_errors=True
                )
                _shared["fetcher"] = fetcher
                _shared["letter_css"] = CSS(
                    string=LETTER_CSS_PATH.read_text("utf-8"),
                    font_config=fonts,
                    url_fetcher=fetcher,
                )
                _shared["page_numbers_css"] = CSS(
                    string=PAGE_NUMBER_CSS, font_config=fonts, url_fetcher=fetcher
                )
                _shared["fonts"] = fonts
    return _shared


def html_to_pdf(html: str) -> bytes:
    """Render one letter's HTML to PDF bytes; page numbers only when it needs two pages."""
    from weasyprint import HTML
    from weasyprint.urls import FatalURLFetchingError

    shared = _resources()
    stylesheets = [shared["letter_css"]]
    try:
        # WeasyPrint's layout is not thread-safe with a shared FontConfiguration.
        with _lock:
            document = HTML(string=html, url_fetcher=shared["fetcher"]).render(
                stylesheets=stylesheets, font_config=shared["fonts"]
            )
            if len(document.pages) > 1:
                document = HTML(string=html, url_fetcher=shared["fetcher"]).render(
                    stylesheets=[*stylesheets, shared["page_numbers_css"]],
                    font_config=shared["fonts"],
                )
            return document.write_pdf()
    except FatalURLFetchingError as error:  # a BaseException: `except Exception` misses it
        raise LetterRenderFailed(f"the letter tried to fetch a resource: {error}") from None
    except Exception as error:
        raise LetterRenderFailed(f"{type(error).__name__}: {error}") from error


def render_many(htmls: list[str], workers: int = 1) -> list[bytes]:
    """Render several letters, in ``workers`` processes when more than one."""
    if workers <= 1 or len(htmls) <= 1:
        return [html_to_pdf(html) for html in htmls]
    pool = _pool(workers)
    return list(pool.map(html_to_pdf, htmls, chunksize=max(1, len(htmls) // (workers * 4))))


_pools: dict[int, object] = {}


def _pool(workers: int):
    """A process pool kept for the life of this process (workers warm their fonts once)."""
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    pool = _pools.get(workers)
    if pool is None:
        # fork is cheapest, but is unsafe once other threads run (a held lock is copied).
        method = "fork" if threading.active_count() == 1 else "forkserver"
        pool = ProcessPoolExecutor(
            max_workers=workers,
            mp_context=multiprocessing.get_context(method),
            initializer=_resources,
        )
        _pools[workers] = pool
    return pool


def shutdown_pools() -> None:
    for pool in _pools.values():
        pool.shutdown()
    _pools.clear()
