"""Catalogue upkeep for `make extract-messages`.

English msgids are the English text, so the `en` catalogue is filled from them; Chinese entries
still untranslated are listed so that someone translates them (tests fail until then).
Optionally pass a JSON file {msgid: chinese} to fill Chinese entries in bulk.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from babel.messages.pofile import read_po, write_po

TRANSLATIONS = Path(__file__).resolve().parent.parent / "portal" / "translations"


def _key(message) -> str:
    return message.id if isinstance(message.id, str) else message.id[0]


def _empty(string) -> bool:
    """A plural entry's string is a tuple; it is empty when any form is."""
    if isinstance(string, tuple):
        return not string or not all(string)
    return not string


def main(argv: list[str]) -> int:
    chinese = json.loads(Path(argv[1]).read_text(encoding="utf-8")) if len(argv) > 1 else {}
    missing_total = 0
    for locale_dir in ("zh", "en"):
        path = TRANSLATIONS / locale_dir / "LC_MESSAGES" / "messages.po"
        with path.open("rb") as handle:
            catalogue = read_po(handle)
        for message in catalogue:
            if not message.id:
                continue
            if locale_dir == "en":
                message.string = message.id if isinstance(message.id, str) else tuple(message.id)
                message.flags.discard("fuzzy")
            elif _key(message) in chinese:
                value = chinese[_key(message)]
                # Chinese has one plural form: a plural entry takes a one-element tuple.
                message.string = (value,) if isinstance(message.id, tuple) else value
                message.flags.discard("fuzzy")
        with path.open("wb") as handle:
            write_po(handle, catalogue, width=100)
        missing = [_key(m) for m in catalogue if m.id and (_empty(m.string) or m.fuzzy)]
        missing_total += len(missing)
        for msgid in missing:
            print(f"{locale_dir}: untranslated: {msgid}")
    return 1 if missing_total else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
