"""The pictures on a letter, drawn here and embedded as ``data:`` URIs (the PDF renderer
fetches nothing): the bureau's seal and the QR code of the verification address.

The seal's characters are drawn as outlines taken from the font (fontTools), not as SVG
``<text>``: a PDF renderer turns SVG text into real text, so the seal's words would be
selectable, found by search and copied twice with the printed sign-off. A stamped seal is
ink, not words.
"""

from __future__ import annotations

import base64
import json
import math
import subprocess
import sys
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import segno

from portal.letters.pdf import LetterRenderFailed

SEAL_RED = "#d0021b"
# The seal's characters: a bold Song face, else a bold Hei face (Debian's fonts-noto-cjk).
SEAL_FONT_FILES = ("NotoSerifCJK-Bold.ttc", "NotoSansCJK-Bold.ttc", "NotoSerifSC-Bold.otf")
FONT_FOLDERS = ("/usr/share/fonts", "/usr/local/share/fonts", "~/.local/share/fonts")
# Seal characters are narrower than they are tall, as engraved seals cut them.
SEAL_CHAR_SQUEEZE = 0.82

# The seal's geometry, in the SVG's units (200 across; letter.css sizes it). The printed name
# and date sit in the lower half, below the star and clear of the characters on the upper arc:
# the arc spans at most ARC_MAX_SPREAD degrees, so it ends just below the horizontal.
SIZE = 200.0
CENTRE = SIZE / 2
RING_RADIUS = 95.0
ARC_RADIUS = 72.0
ARC_CHAR = 29.0
ARC_MAX_SPREAD = 196.0
STAR_RADIUS = 25.0
STAR_Y = CENTRE - 6.0
FOOTER_CHAR = 15.0
FOOTER_Y = CENTRE + 33.0


class SealFontMissing(LetterRenderFailed):
    """No CJK font to draw the seal's characters with (install fonts-noto-cjk)."""


def _data_uri(svg: str) -> str:
    return "data:image/svg+xml;base64," + base64.b64encode(svg.encode("utf-8")).decode("ascii")


def _star(cx: float, cy: float, outer: float) -> str:
    inner = outer * 0.382
    points = []
    for i in range(10):
        radius = outer if i % 2 == 0 else inner
        angle = math.pi / 5 * i - math.pi / 2
        points.append(f"{cx + radius * math.cos(angle):.2f},{cy + radius * math.sin(angle):.2f}")
    return f'<polygon points="{" ".join(points)}" fill="{SEAL_RED}"/>'


def _font_file() -> Path:
    """The first seal font found (a bold Song face, else a bold Hei face)."""
    for pattern in SEAL_FONT_FILES:
        for folder in FONT_FOLDERS:
            found = sorted(Path(folder).expanduser().glob(f"**/{pattern}"))
            if found:
                return found[0]
    raise SealFontMissing("no CJK font for the seal (Debian: apt-get install fonts-noto-cjk)")


@dataclass(frozen=True)
class _Glyph:
    path: str  # SVG path data in font units, y upwards
    advance: float


@dataclass(frozen=True)
class _Outlines:
    """The outlines of some characters in the seal font, in font units."""

    units: float
    middle: float  # the middle of the ideographic em box, above the baseline
    glyphs: dict[str, _Glyph]


def _read_outlines(chars: str) -> _Outlines:
    """The outlines of ``chars`` in the seal font, read by ``glyph_outlines.py`` in a process of
    its own: a parsed CJK font takes some 70 MiB that this process would never give back."""
    if not chars:
        return _Outlines(1000.0, 380.0, {})
    script = Path(__file__).with_name("glyph_outlines.py")
    try:
        done = subprocess.run(  # noqa: S603 (our script and font path, no shell)
            [sys.executable, str(script), str(_font_file()), chars],
            capture_output=True,
            check=True,
            timeout=60,
        )
        read = json.loads(done.stdout)
    except (OSError, subprocess.SubprocessError, ValueError) as error:
        raise LetterRenderFailed(f"could not read the seal's characters: {error}") from error
    units = float(read["units"])
    glyphs = {
        char: _Glyph(path, float(advance)) for char, (path, advance) in read["glyphs"].items()
    }
    # Centre characters on the middle of the ideographic em box, not on the baseline.
    return _Outlines(units, units * 0.38, glyphs)


def _char(
    outlines: _Outlines, char: str, x: float, y: float, size: float, degrees: float = 0.0
) -> str:
    """One character as a filled outline, centred on (x, y) and turned by ``degrees``."""
    glyph = outlines.glyphs.get(char)
    if glyph is None or not glyph.path:
        return ""  # a space, or a character the font lacks
    scale = size / outlines.units
    return (
        f'<path fill="{SEAL_RED}" transform="translate({x:.2f} {y:.2f}) rotate({degrees:.2f}) '
        f"scale({scale * SEAL_CHAR_SQUEEZE:.5f} {-scale:.5f}) "
        f'translate({-glyph.advance / 2:.1f} {-outlines.middle:.1f})" d="{glyph.path}"/>'
    )


@lru_cache(maxsize=32)
def seal_svg(name: str, footer: str, *, ring: bool = True) -> str:
    """A round seal: ``name`` along the upper arc, a star, ``footer`` (if any) under it.

    Without its ring (``ring=False``) the seal shows only what must stay clear of the printed
    sign-off: the layout test draws it so, since the ring alone may cross the date."""
    chars = list(name.strip())
    footer_chars = list(footer.strip())
    outlines = _read_outlines("".join(chars + footer_chars))
    count = len(chars)
    size = ARC_CHAR if count <= 10 else max(16.0, ARC_CHAR * 10 / count)
    spread = min(ARC_MAX_SPREAD, size * 0.95 * count + 20.0)
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{SIZE:.0f}" height="{SIZE:.0f}" '
        f'viewBox="0 0 {SIZE:.0f} {SIZE:.0f}">',
        f'<circle cx="{CENTRE}" cy="{CENTRE}" r="{RING_RADIUS}" fill="none" '
        f'stroke="{SEAL_RED if ring else "none"}" stroke-width="5.5"/>',
        _star(CENTRE, STAR_Y, STAR_RADIUS),
    ]
    step = spread / (count - 1) if count > 1 else 0.0
    for index, char in enumerate(chars):
        degrees = -spread / 2 + index * step if count > 1 else 0.0
        theta = math.radians(degrees)
        x = CENTRE + ARC_RADIUS * math.sin(theta)
        y = CENTRE - ARC_RADIUS * math.cos(theta)
        parts.append(_char(outlines, char, x, y, size, degrees))
    for index, char in enumerate(footer_chars):
        x = CENTRE + (index - (len(footer_chars) - 1) / 2) * FOOTER_CHAR * 0.9
        parts.append(_char(outlines, char, x, FOOTER_Y, FOOTER_CHAR))
    parts.append("</svg>")
    return "".join(parts)


@lru_cache(maxsize=32)
def seal_data_uri(name: str, footer: str = "") -> str:
    """The seal as a data URI: the same string for every letter, so the renderer's image cache
    (portal/letters/pdf.py) parses its SVG once per process."""
    return _data_uri(seal_svg(name, footer))


@lru_cache(maxsize=256)
def qr_data_uri(url: str) -> str:
    """The QR code of ``url`` as a PNG data URI (error correction M, a quiet zone of 2): one
    pixel a module, some 400 bytes, drawn unsmoothed (``image-rendering: pixelated`` in
    letter.css), so its edges stay as sharp as a vector's at any size; as a PNG it costs the
    renderer nothing to draw, where an SVG path is parsed again for every PDF."""
    return segno.make(url, error="m", micro=False).png_data_uri(scale=1, border=2)
