"""Names of the document kinds a programme may accept."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

KIND_LABELS = {
    "pdf": _l("PDF"),
    "image": _l("image (JPEG or PNG)"),
    "xlsx": _l("Excel workbook (.xlsx)"),
}


def kind_labels(kinds: list[str]) -> str:
    return ", ".join(str(KIND_LABELS.get(kind, kind)) for kind in kinds)
