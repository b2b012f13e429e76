"""Every user-facing string is in both catalogues, translated, with the same placeholders."""

from __future__ import annotations

import re

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.pofile import read_po

from portal.core.paths import PROJECT_ROOT

KEYWORDS = {"_": None, "gettext": None, "ngettext": (1, 2), "_l": None, "lazy_gettext": None}
PLACEHOLDER = re.compile(r"%\(\w+\)[sd]")


def _source_messages() -> set[str]:
    with (PROJECT_ROOT / "babel.cfg").open() as cfg:
        method_map, options_map = parse_mapping_cfg(cfg)
    found = set()
    for _file, _line, message, _comments, _context in extract_from_dir(
        str(PROJECT_ROOT), method_map, options_map, keywords=KEYWORDS
    ):
        found.add(message if isinstance(message, str) else message[0])
    return found


def _catalogue(locale_dir: str):
    path = PROJECT_ROOT / "portal" / "translations" / locale_dir / "LC_MESSAGES" / "messages.po"
    with path.open("rb") as handle:
        return read_po(handle)


SOURCE = _source_messages()


def test_source_has_messages():
    assert len(SOURCE) > 100


@pytest.mark.parametrize("locale_dir", ["zh", "en"])
def test_every_message_is_translated(locale_dir):
    catalogue = _catalogue(locale_dir)
    untranslated = []
    for msgid in sorted(SOURCE):
        message = catalogue.get(msgid)
        if message is None:
            # plural entries are keyed by their singular
            message = next(
                (m for m in catalogue if isinstance(m.id, tuple) and m.id[0] == msgid), None
            )
        strings = message.string if message else None
        if (
            not message
            or message.fuzzy
            or not (all(strings) if isinstance(strings, tuple) else strings)
        ):
            untranslated.append(msgid)
    assert untranslated == [], f"run `make extract-messages` and translate: {untranslated}"


def test_chinese_keeps_every_placeholder():
    for message in _catalogue("zh"):
        if not message.id:
            continue
        source = message.id[0] if isinstance(message.id, tuple) else message.id
        target = message.string[0] if isinstance(message.string, tuple) else message.string
        assert sorted(PLACEHOLDER.findall(source)) == sorted(PLACEHOLDER.findall(target)), source
