"""Names of the members of the archives (ZIP) the portal builds: always a plain file name.

A member name comes partly from data (a letter's number starts with the programme's issuer
code), and an archive tool that extracts ``../../x`` or ``/etc/x`` writes outside the folder
the officer chose. So every member name is built here, and whatever the data holds, the name
is one plain file name, optionally under one fixed folder of ours: no ``..``, no leading ``/``
or ``\\``, no drive letter, no control characters, nothing Windows cannot create.
"""

from __future__ import annotations

import re
import unicodedata

MAX_NAME_LENGTH = 180  # characters; file systems allow 255 bytes, and CJK takes 3 each in UTF-8
# Separators, a drive's colon and what Windows refuses in a file name.
_UNSAFE = re.compile(r'[/\\:*?"<>|]')
_PLACEHOLDER = "_"


def _clean(part: str) -> str:
    text = unicodedata.normalize("NFC", part)
    # Control and format characters (newlines, NUL, bidirectional overrides) become "_".
    text = "".join(
        _PLACEHOLDER if unicodedata.category(ch) in ("Cc", "Cf", "Cs", "Co", "Cn") else ch
        for ch in text
    )
    text = _UNSAFE.sub(_PLACEHOLDER, text).strip(" .")
    # Nothing left, or only dots (".", ".."): a name that is certainly a file.
    return text[:MAX_NAME_LENGTH] or _PLACEHOLDER


def member_name(file_name: str, folder: str = "") -> str:
    """The archive member name for ``file_name`` (under ``folder``, one plain name too)."""
    name = _clean(file_name)
    return f"{_clean(folder)}/{name}" if folder else name


def is_safe_member_name(name: str) -> bool:
    """Whether ``name`` is one that ``member_name`` could have built (tests and checks)."""
    parts = name.split("/")
    return 1 <= len(parts) <= 2 and all(part and _clean(part) == part for part in parts)
