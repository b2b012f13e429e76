"""Files attached to a recovery case (the officer's evidence, the firm's statement), checked in
the sandbox like every upload, and served back to those who may read them."""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l
from wtforms import MultipleFileField

from portal.core.files import send_stored_file
from portal.payments import recovery
from portal.payments.recovery_models import RecoveryFile
from portal.web.shared import evidence_files

FILES_HINT = _l(
    "Up to %(count)d files, PDF or images (JPEG, PNG), 10 MB each.", count=recovery.FILES_MAX
)


def files_field(label: Any) -> MultipleFileField:
    return MultipleFileField(
        label, description=FILES_HINT, render_kw={"accept": ".pdf,.jpg,.jpeg,.png"}
    )


def checked_files(field: MultipleFileField) -> list[recovery.CheckedFile]:
    """The case's attached files, checked (``RecoveryRefused`` when too many)."""
    return evidence_files.checked_files(
        field,
        kinds=recovery.FILE_KINDS,
        max_bytes=recovery.FILE_MAX_BYTES,
        max_files=recovery.FILES_MAX,
        too_many=recovery.RecoveryRefused,
    )


def send_case_file(item: RecoveryFile):
    return send_stored_file(
        item.storage_key, mimetype=item.mime_type, download_name=item.original_name
    )
