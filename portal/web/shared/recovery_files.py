"""Files attached to a recovery case (the officer's evidence, the firm's statement), checked in
the sandbox like every upload, and served back to those who may read them."""

from __future__ import annotations

from typing import Any

from flask import current_app
from flask_babel import lazy_gettext as _l
from wtforms import MultipleFileField

from portal.core.extensions import db
from portal.core.files import send_stored_file
from portal.core.sandbox import SandboxLimits, check_in_sandbox
from portal.core.uploads import UploadRejected
from portal.payments import recovery
from portal.payments.recovery_models import RecoveryFile

FILES_HINT = _l(
    "Up to %(count)d files, PDF or images (JPEG, PNG), 10 MB each.", count=recovery.FILES_MAX
)


def files_field(label: Any) -> MultipleFileField:
    return MultipleFileField(
        label, description=FILES_HINT, render_kw={"accept": ".pdf,.jpg,.jpeg,.png"}
    )


def checked_files(field: MultipleFileField) -> list[recovery.CheckedFile]:
    """The attached files, each checked in the sandbox.

    As the firm's upload view does, the request's read-only transaction ends first, so that no
    write lock (SQLite) or connection (PostgreSQL) is held while an untrusted file is parsed;
    the service reads (and locks) the case again afterwards. ``RecoveryRefused`` (too many)
    or ``UploadRejected`` (a file refused, named in the message)."""
    files = [f for f in (field.data or []) if getattr(f, "filename", "")]
    if len(files) > recovery.FILES_MAX:
        raise recovery.RecoveryRefused(
            _l("Attach at most %(count)d files.", count=recovery.FILES_MAX), field="files"
        )
    if not files:
        return []
    db.session.rollback()
    limits = SandboxLimits.from_config(current_app.config)
    checked = []
    for upload in files:
        data = upload.read()
        try:
            detected = check_in_sandbox(data, recovery.FILE_KINDS, recovery.FILE_MAX_BYTES, limits)
        except UploadRejected as rejected:
            raise UploadRejected(
                rejected.code, f"{upload.filename}: {rejected.message}", **rejected.params
            ) from None
        checked.append(recovery.CheckedFile(upload.filename, data, detected))
    return checked


def send_case_file(item: RecoveryFile):
    return send_stored_file(
        item.storage_key, mimetype=item.mime_type, download_name=item.original_name
    )
