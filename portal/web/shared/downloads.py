"""Attachment downloads: the owning firm, officers, and reviewers assigned to the application;
always as an attachment."""

from __future__ import annotations

from flask import Blueprint

from portal.core.access import ADMIN, ENTERPRISE, OFFICER, REVIEWER, allow
from portal.core.files import send_stored_file
from portal.review.access import attachment_or_404

bp = Blueprint("files", __name__)


@bp.route("/files/<int:attachment_id>")
@allow(ENTERPRISE, OFFICER, ADMIN, REVIEWER)
def download(attachment_id: int):
    attachment = attachment_or_404(attachment_id)
    return send_stored_file(
        attachment.storage_key,
        mimetype=attachment.mime_type,
        download_name=attachment.original_name,
    )
