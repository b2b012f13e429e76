"""Evidence files attached to a form (a recovery case, a supervision slip's answer, a reported
indicator value), each checked in the sandbox before any service sees it."""

from __future__ import annotations

from collections.abc import Callable, Iterable

from flask import current_app
from flask_babel import lazy_gettext as _l
from wtforms import MultipleFileField

from portal.core.extensions import db
from portal.core.sandbox import SandboxLimits, check_in_sandbox
from portal.core.uploads import CheckedFile, UploadRejected


def checked_files(
    field: MultipleFileField,
    *,
    kinds: Iterable[str],
    max_bytes: int,
    max_files: int,
    too_many: Callable[..., Exception],
) -> list[CheckedFile]:
    """The attached files, each checked in the sandbox.

    The request's read-only transaction ends first, so that no write lock (SQLite) or
    connection (PostgreSQL) is held while an untrusted file is parsed; the service reads (and
    locks) its rows again afterwards. Raises ``too_many(message, field="files")`` for more than
    ``max_files`` files, or ``UploadRejected`` naming the file refused."""
    files = [f for f in (field.data or []) if getattr(f, "filename", "")]
    if len(files) > max_files:
        raise too_many(_l("Attach at most %(count)d files.", count=max_files), field="files")
    if not files:
        return []
    db.session.rollback()
    limits = SandboxLimits.from_config(current_app.config)
    allowed = list(kinds)
    checked = []
    for upload in files:
        data = upload.read()
        try:
            detected = check_in_sandbox(data, allowed, max_bytes, limits)
        except UploadRejected as rejected:
            raise UploadRejected(
                rejected.code, f"{upload.filename}: {rejected.message}", **rejected.params
            ) from None
        checked.append(CheckedFile(upload.filename, data, detected))
    return checked
