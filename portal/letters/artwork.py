"""The pictures on a letter, drawn here and embedded as ``data:`` URIs (the PDF renderer
fetches nothing): the bureau's seal and the QR code of the verification address."""

from __future__ import annotations

import base64
import math
from functools import lru_cache
from xml.sax.saxutils import escape

import segno

SEAL_RED = "#d0021b"
SEAL_FONT = "Noto Serif CJK SC, Noto Sans CJK SC, serif"


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


@lru_cache(maxsize=32)
def seal_svg(name: str, footer: str) -> str:
    """A round seal: ``name`` along the upper arc, a star, ``footer`` across the bottom.

    Each character is placed and turned on its own: no reliance on SVG textPath support.
    """
    size, centre, ring = 200, 100.0, 94.0
    chars = list(name.strip()) or [" "]
    radius = 72.0
    font = 25.0 if len(chars) <= 10 else max(14.0, 250.0 / len(chars))
    spread = min(250.0, 22.0 * len(chars) + 20.0)
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{size}" height="{size}" '
        f'viewBox="0 0 {size} {size}">',
        f'<circle cx="{centre}" cy="{centre}" r="{ring}" fill="none" stroke="{SEAL_RED}" '
        'stroke-width="6"/>',
        _star(centre, centre, 30.0),
    ]
    for index, char in enumerate(chars):
        step = spread / (len(chars) - 1) if len(chars) > 1 else 0.0
        degrees = -spread / 2 + index * step
        theta = math.radians(degrees)
        x = centre + radius * math.sin(theta)
        y = centre - radius * math.cos(theta)
        parts.append(
            f'<text x="{x:.2f}" y="{y + font * 0.36:.2f}" font-size="{font:.1f}" '
            f'font-family="{SEAL_FONT}" font-weight="bold" fill="{SEAL_RED}" '
            f'text-anchor="middle" transform="rotate({degrees:.2f} {x:.2f} {y:.2f})">'
            f"{escape(char)}</text>"
        )
    if footer:
        parts.append(
            f'<text x="{centre}" y="{centre + 58}" font-size="15" font-family="{SEAL_FONT}" '
            f'font-weight="bold" fill="{SEAL_RED}" text-anchor="middle">{escape(footer)}</text>'
        )
    parts.append("</svg>")
    return "".join(parts)


def seal_data_uri(name: str, footer: str = "") -> str:
    return _data_uri(seal_svg(name, footer))


def qr_data_uri(url: str) -> str:
    """The QR code of ``url`` as an SVG data URI (error correction M, a quiet zone of 2)."""
    return segno.make(url, error="m", micro=False).svg_data_uri(scale=4, border=2)
