"""Print the outlines of some characters of a font as JSON: run as a script, in a process of
its own, by ``artwork.py`` (the seal). A CJK font's tables take some 70 MiB once parsed, which
a letter-rendering process would otherwise keep for its whole life; this process gives it all
back when it ends. It imports only fontTools (never the portal).

    python glyph_outlines.py FONT_FILE CHARACTERS
    -> {"units": 1000, "glyphs": {"阜": ["M...Z", 1000], ...}}
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any


def open_font(path: Path) -> Any:
    """The Simplified Chinese face of ``path`` (a collection holds SC, TC, JP, KR and HK)."""
    from fontTools.ttLib import TTCollection, TTFont

    if path.suffix.lower() != ".ttc":
        return TTFont(path, lazy=True)
    faces = TTCollection(path, lazy=True).fonts
    for face in faces:
        if face["name"].getDebugName(1).endswith(" SC"):
            return face
    return faces[0]


def outlines(path: Path, chars: str) -> dict[str, Any]:
    from fontTools.pens.svgPathPen import SVGPathPen

    font = open_font(path)
    cmap = font.getBestCmap()
    glyph_set = font.getGlyphSet()
    glyphs = {}
    for char in sorted(set(chars)):
        name = cmap.get(ord(char))
        if name is None:
            continue  # a character the font lacks: the seal shows a gap
        pen = SVGPathPen(glyph_set)
        glyph_set[name].draw(pen)
        glyphs[char] = [pen.getCommands(), float(glyph_set[name].width)]
    return {"units": float(font["head"].unitsPerEm), "glyphs": glyphs}


if __name__ == "__main__":
    json.dump(outlines(Path(sys.argv[1]), sys.argv[2]), sys.stdout, ensure_ascii=False)
