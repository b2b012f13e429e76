"""HTML to PDF with WeasyPrint: the part that renders, in the portal's process or in a render
worker of its own. It imports only the standard library and WeasyPrint (never the portal), so
that a worker started as a script (``python render_core.py``, by ``pdf.py``) holds WeasyPrint,
the letter fonts and a letter or two, not a copy of the whole application: some 80 MiB instead
of 170.

The worker reads requests on stdin and answers on stdout, one at a time, in frames: a kind byte
and a 4-byte big-endian length, then that many bytes. Requests: ``R`` (render this HTML) and
``W`` (render it to warm up, answer nothing). Answers: ``P`` (the PDF), ``F`` (the document
tried to fetch something), ``E`` (it could not be rendered; the message). The worker ends when
stdin closes, so it never outlives the process that started it.
"""

from __future__ import annotations

import argparse
import struct
import sys
from pathlib import Path
from typing import Any, BinaryIO

# GB/T 9704 page numbers, "— 1 —", on a document that runs past one page.
PAGE_NUMBER_CSS = """
@page { @bottom-center { content: "— " counter(page) " —"; font-size: 11pt;
  font-family: "Portal Letter Serif SC", "Noto Serif CJK SC", serif; } }
"""
# A document that marks its end (``END_MARKER``: letters, notices) has them decided in its one
# layout: pages after the first are numbered; the first shows the string the body sets, unless
# the end marker, which sets it empty, is on the first page too. A document without the marker
# is laid out again with PAGE_NUMBER_CSS when it runs past one page.
END_MARKER = '<div class="document-end"></div>'
ONE_PASS_PAGE_NUMBER_CSS = (
    PAGE_NUMBER_CSS
    + """
@page :first { @bottom-center { content: string(page-one, last); } }
body { string-set: page-one "— 1 —"; }
.document-end { string-set: page-one ""; }
"""
)
# Parsed images kept by URL (the seal is the same on every letter); QR codes differ per letter.
IMAGE_CACHE_SIZE = 64

HEADER = struct.Struct(">cI")


class RenderError(Exception):
    """WeasyPrint could not render the document."""


class FetchRefused(RenderError):
    """The document tried to fetch a resource (only ``data:`` URLs are allowed)."""


def import_weasyprint() -> Any:
    """Import WeasyPrint without its side effect on uploads: it switches Pillow's
    LOAD_TRUNCATED_IMAGES on for the whole process, which would let truncated images through
    the upload checks (portal/core/uploads.py). Letters embed only SVG and PNG we made."""
    import weasyprint
    from PIL import ImageFile

    ImageFile.LOAD_TRUNCATED_IMAGES = False
    return weasyprint


class Renderer:
    """One FontConfiguration (with the letter fonts in its own fontconfig), the stylesheets
    parsed once, a fetcher of ``data:`` URLs only, an image cache. Not thread-safe."""

    def __init__(self, css: str, font_files: list[Path]) -> None:
        import_weasyprint()
        from weasyprint import CSS
        from weasyprint.text.fonts import FontConfiguration
        from weasyprint.urls import URLFetcher

        self.fonts = FontConfiguration()
        add_fonts(self.fonts, font_files)
        self.fetcher = URLFetcher(
            allowed_protocols={"data"}, allow_redirects=False, fail_on_errors=True
        )
        self.css = CSS(string=css, font_config=self.fonts, url_fetcher=self.fetcher)
        self.page_numbers = CSS(
            string=PAGE_NUMBER_CSS, font_config=self.fonts, url_fetcher=self.fetcher
        )
        self.one_pass = CSS(
            string=ONE_PASS_PAGE_NUMBER_CSS, font_config=self.fonts, url_fetcher=self.fetcher
        )
        self.images: dict[str, Any] = {}

    def render(self, html: str) -> bytes:
        from weasyprint import HTML
        from weasyprint.urls import FatalURLFetchingError

        one_pass = END_MARKER in html
        stylesheets = [self.css, self.one_pass] if one_pass else [self.css]
        if len(self.images) > IMAGE_CACHE_SIZE:
            self.images.clear()
        try:
            document = HTML(string=html, url_fetcher=self.fetcher).render(
                stylesheets=stylesheets, font_config=self.fonts, cache=self.images
            )
            if not one_pass and len(document.pages) > 1:
                document = HTML(string=html, url_fetcher=self.fetcher).render(
                    stylesheets=[*stylesheets, self.page_numbers],
                    font_config=self.fonts,
                    cache=self.images,
                )
            return bytes(document.write_pdf())
        except FatalURLFetchingError as error:  # a BaseException: `except Exception` misses it
            raise FetchRefused(str(error)) from None
        except Exception as error:
            raise RenderError(f"{type(error).__name__}: {error}") from error


def add_fonts(fonts: Any, font_files: list[Path]) -> None:
    """Add fonts to a FontConfiguration's own fontconfig configuration (not the system's)."""
    from weasyprint.text.ffi import ffi, fontconfig, pangoft2

    added = False
    for path in font_files:
        added |= bool(fontconfig.FcConfigAppFontAddFile(fonts._config, str(path).encode()))
    if added:
        pangoft2.pango_fc_font_map_config_changed(ffi.cast("PangoFcFontMap *", fonts.font_map))


# --- the worker's frames ----------------------------------------------------------------------


def write_frame(stream: BinaryIO, kind: bytes, payload: bytes) -> None:
    stream.write(HEADER.pack(kind, len(payload)))
    stream.write(payload)
    stream.flush()


def read_exactly(stream: BinaryIO, size: int) -> bytes:
    data = b""
    while len(data) < size:
        chunk = stream.read(size - len(data))
        if not chunk:
            raise EOFError
        data += chunk
    return data


def read_frame(stream: BinaryIO) -> tuple[bytes, bytes]:
    kind, size = HEADER.unpack(read_exactly(stream, HEADER.size))
    return kind, read_exactly(stream, size)


def serve(renderer: Renderer, requests: BinaryIO, answers: BinaryIO) -> None:
    while True:
        try:
            kind, payload = read_frame(requests)
        except EOFError:
            return
        try:
            pdf = renderer.render(payload.decode("utf-8"))
        except FetchRefused as error:
            answer, body = b"F", str(error).encode("utf-8")
        except RenderError as error:
            answer, body = b"E", str(error).encode("utf-8")
        else:
            answer, body = b"P", pdf
        if kind == b"R":
            write_frame(answers, answer, body)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="A letter render worker (frames on stdio).")
    parser.add_argument("--css", type=Path, required=True)
    parser.add_argument("--font", type=Path, action="append", default=[])
    args = parser.parse_args(argv)
    answers = sys.stdout.buffer
    sys.stdout = sys.stderr  # nothing else may write into the answers
    renderer = Renderer(args.css.read_text("utf-8"), args.font)
    serve(renderer, sys.stdin.buffer, answers)


if __name__ == "__main__":
    main()
