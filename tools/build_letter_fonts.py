"""Build the letter fonts once, at set-up: subsets of the installed Noto CJK faces.

    python tools/build_letter_fonts.py [--out FOLDER] [--force] [--quiet]

A letter names these faces first (``static/css/letter.css``) and the full Noto faces after
them, so a character outside the subsets (a rare one in a firm's name) still prints, from the
full face. WeasyPrint subsets every font it embeds, for every PDF: a face of 65,000 glyphs costs
a third of a letter's time and makes PDFs of 420 KB; a face of 9,000 glyphs costs little.

The characters: the 8,105 of the Table of General Standard Chinese Characters (通用规范汉字表,
read from Unihan's kTGH field, Debian's unicode-data; without it the whole CJK Unified
Ideographs block, a superset of all but its 196 characters outside that block), GB 2312 (its
ideographs and symbols), ASCII, Latin-1, general and CJK punctuation, full-width forms. The
faces: Noto Serif CJK SC Regular and Bold (the letter's text, title and issuer's mark) and
Noto Sans Mono CJK SC (the verification code), ASCII only.

The fonts are renamed ("Portal Letter Serif SC", "Portal Letter Mono"): the full faces keep
their names, so that both can be installed side by side in the renderer's private fontconfig
(``portal/letters/pdf.py``). Nothing is written outside ``--out``; the system's fonts and
fontconfig are left as they are. Run again, it does nothing when the fonts are up to date.

It imports only fontTools and the standard library (never the portal): the portal runs it as a
script when the fonts are missing (a fresh checkout running the tests).
"""

from __future__ import annotations

import argparse
import bz2
import json
import os
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_OUT = ROOT / "instance" / "fonts"
VERSION = 2  # bump to rebuild after changing what is built
FONT_FOLDERS = ("/usr/share/fonts", "/usr/local/share/fonts", "~/.local/share/fonts")
UNIHAN = Path("/usr/share/unicode/Unihan_OtherMappings.txt.bz2")
STAMP = "fonts.json"

# (output file, source file, face family in the collection, new family, full name part)
FACES = (
    ("PortalLetterSerifSC-Regular.otf", "NotoSerifCJK-Regular.ttc", "Noto Serif CJK SC", "text"),
    ("PortalLetterSerifSC-Bold.otf", "NotoSerifCJK-Bold.ttc", "Noto Serif CJK SC", "text"),
    ("PortalLetterMono-Regular.otf", "NotoSansCJK-Regular.ttc", "Noto Sans Mono CJK SC", "ascii"),
)
RENAMES = {
    "Noto Serif CJK SC": "Portal Letter Serif SC",
    "NotoSerifCJKsc": "PortalLetterSerifSC",
    "Noto Sans Mono CJK SC": "Portal Letter Mono",
    "NotoSansMonoCJKsc": "PortalLetterMono",
}


def general_standard_characters() -> tuple[set[int], str]:
    """The 通用规范汉字表 (Unihan kTGH), else the CJK Unified Ideographs block."""
    try:
        with bz2.open(UNIHAN, "rt", encoding="utf-8") as lines:
            found = {int(line.split("\t", 1)[0][2:], 16) for line in lines if "\tkTGH\t" in line}
        if len(found) >= 8000:
            return found, f"通用规范汉字表 ({len(found)}, Unihan kTGH)"
    except OSError:
        pass
    return set(
        range(0x4E00, 0xA000)
    ), "CJK Unified Ideographs (no Unihan: apt-get install unicode-data)"


def gb2312() -> set[int]:
    found = set()
    for first in range(0xA1, 0xF8):
        for second in range(0xA1, 0xFF):
            try:
                found.add(ord(bytes((first, second)).decode("gb2312")))
            except UnicodeDecodeError:
                continue
    return found


def text_characters() -> tuple[set[int], str]:
    hanzi, source = general_standard_characters()
    chars = hanzi | gb2312()
    for start, end in (
        (0x20, 0x7F),  # ASCII
        (0xA0, 0x100),  # Latin-1
        (0x2000, 0x2070),  # general punctuation (— … ‘ ’ “ ” ‰ ※)
        (0x20A0, 0x20C0),  # currency signs
        (0x2100, 0x2190),  # letterlike symbols, number forms (℃ № Ⅰ)
        (0x2460, 0x24A0),  # enclosed numbers ①
        (0x3000, 0x3040),  # CJK symbols and punctuation
        (0xFE30, 0xFE50),  # CJK compatibility forms
        (0xFF00, 0xFFF0),  # full-width forms
    ):
        chars.update(range(start, end))
    return chars, source


def find_font(name: str) -> Path:
    for folder in FONT_FOLDERS:
        found = sorted(Path(folder).expanduser().glob(f"**/{name}"))
        if found:
            return found[0]
    raise SystemExit(f"{name} not found (Debian: apt-get install fonts-noto-cjk)")


def open_face(path: Path, family: str) -> Any:
    from fontTools.ttLib import TTCollection

    for face in TTCollection(path).fonts:
        if face["name"].getDebugName(1) == family:
            return face
    raise SystemExit(f"no face {family!r} in {path}")


def rename(font: Any) -> None:
    """New family, full and PostScript names (a modified font is not the original)."""
    for record in font["name"].names:
        if record.nameID not in (1, 3, 4, 6, 16, 18, 21):
            continue
        value = record.toUnicode()
        for old, new in RENAMES.items():
            value = value.replace(old, new)
        record.string = value
    if "CFF " in font:
        cff = font["CFF "].cff
        old_name = cff.fontNames[0]
        new_name = old_name
        for old, new in RENAMES.items():
            new_name = new_name.replace(old, new)
        cff.fontNames[0] = new_name
        top = cff.topDictIndex[0]
        for key in ("FullName", "FamilyName"):
            value = getattr(top, key, None)
            if isinstance(value, str):
                for old, new in RENAMES.items():
                    value = value.replace(old, new)
                setattr(top, key, value)


def only_simplified_chinese(font: Any) -> None:
    """Keep the layout rules of Simplified Chinese (and the defaults) only: the collection's
    SC face also maps each character to its Japanese, Korean and Traditional forms (``locl``),
    which would more than double the glyphs kept. Letters are zh-CN or en (the defaults)."""
    for tag in ("GSUB", "GPOS"):
        if tag not in font:
            continue
        for record in font[tag].table.ScriptList.ScriptRecord:
            script = record.Script
            script.LangSysRecord = [
                lang for lang in script.LangSysRecord if lang.LangSysTag == "ZHS "
            ]
            script.LangSysCount = len(script.LangSysRecord)


def build_face(source: Path, family: str, unicodes: set[int], target: Path) -> int:
    from fontTools import subset

    font = open_face(source, family)
    only_simplified_chinese(font)
    options = subset.Options()  # the layout features a shaper applies by default (horizontal)
    options.name_IDs = ["*"]
    options.name_languages = ["*"]
    options.notdef_outline = True
    subsetter = subset.Subsetter(options)
    subsetter.populate(unicodes=unicodes & set(font.getBestCmap()))
    subsetter.subset(font)
    rename(font)
    handle, temp = tempfile.mkstemp(dir=target.parent, suffix=".otf.part")
    os.close(handle)
    try:
        font.save(temp)
        os.replace(temp, target)
    finally:
        Path(temp).unlink(missing_ok=True)
    return int(font["maxp"].numGlyphs)


def wanted(sources: dict[str, Path]) -> dict[str, Any]:
    """What the stamp records: rebuilt when the tool's version or a source font changes."""
    return {
        "version": VERSION,
        "sources": {
            name: [str(path), path.stat().st_size, int(path.stat().st_mtime)]
            for name, path in sorted(sources.items())
        },
    }


def up_to_date(out: Path) -> bool:
    """The fonts are there and were built from the installed faces by this version."""
    stamp = out / STAMP
    try:
        recorded = json.loads(stamp.read_text("utf-8"))
        sources = {name: find_font(name) for _out, name, _family, _set in FACES}
    except (OSError, ValueError, SystemExit):
        return False
    return all((out / name).is_file() for name, *_rest in FACES) and {
        key: recorded.get(key) for key in ("version", "sources")
    } == wanted(sources)


def build(out: Path, *, force: bool = False, quiet: bool = False) -> bool:
    """Build the fonts into ``out`` unless up to date; True when something was built."""
    if not force and up_to_date(out):
        return False
    out.mkdir(parents=True, exist_ok=True)
    sources = {name: find_font(name) for _out, name, _family, _set in FACES}
    text, source = text_characters()
    sets = {"text": text, "ascii": set(range(0x20, 0x7F)) | {0xA0}}
    built = {}
    for name, font_file, family, which in FACES:
        start = time.perf_counter()
        glyphs = build_face(sources[font_file], family, sets[which], out / name)
        built[name] = glyphs
        if not quiet:
            size = (out / name).stat().st_size / 2**20
            print(
                f"letter fonts: {name}: {glyphs} glyphs, {size:.1f} MiB, "
                f"{time.perf_counter() - start:.1f} s",
                file=sys.stderr,
            )
    stamp = {**wanted(sources), "characters": source, "glyphs": built}
    (out / STAMP).write_text(json.dumps(stamp, ensure_ascii=False, indent=1), "utf-8")
    return True


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Build the letter fonts (subsets of Noto CJK).")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help=f"default: {DEFAULT_OUT}")
    parser.add_argument("--force", action="store_true", help="build even when up to date")
    parser.add_argument("--quiet", action="store_true")
    args = parser.parse_args(argv)
    if not build(args.out, force=args.force, quiet=args.quiet) and not args.quiet:
        print(f"letter fonts: up to date in {args.out}", file=sys.stderr)


if __name__ == "__main__":
    main()
