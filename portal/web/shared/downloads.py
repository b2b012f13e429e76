"""Attachments for the owning firm, officers, and reviewers assigned to the application: as a
download, or read in place in the browser (PDFs and images only)."""

from __future__ import annotations

from flask import Blueprint, redirect, url_for
from flask.typing import ResponseReturnValue

from portal.core.access import ADMIN, ENTERPRISE, OFFICER, REVIEWER, allow
from portal.core.files import safe_download_name, send_stored_file
from portal.review.access import attachment_or_404

bp = Blueprint("files", __name__)

# What a browser shows by itself without running anything of ours. A spreadsheet is never
# rendered in the browser: it goes to the download instead.
VIEWABLE_TYPES = frozenset({"application/pdf", "image/png", "image/jpeg"})


@bp.route("/files/<int:attachment_id>")
@allow(ENTERPRISE, OFFICER, ADMIN, REVIEWER)
def download(attachment_id: int) -> ResponseReturnValue:
    attachment = attachment_or_404(attachment_id)
    return send_stored_file(
        attachment.storage_key,
        mimetype=attachment.mime_type,
        download_name=attachment.original_name,
    )


@bp.route("/files/<int:attachment_id>/view")
@allow(ENTERPRISE, OFFICER, ADMIN, REVIEWER)
def view(attachment_id: int) -> ResponseReturnValue:
    """The same file and the same people as ``download``, shown inline under a sandboxing
    policy (see ``core.files.INLINE_FILE_POLICY``)."""
    attachment = attachment_or_404(attachment_id)
    if attachment.mime_type not in VIEWABLE_TYPES:
        return redirect(url_for("files.download", attachment_id=attachment.id))
    return send_stored_file(
        attachment.storage_key,
        mimetype=attachment.mime_type,
        download_name=safe_download_name(attachment.original_name),
        inline=True,
    )
