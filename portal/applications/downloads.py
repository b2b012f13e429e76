"""Attachment downloads: the owning firm, officers, and reviewers assigned to the application;
always as an attachment."""

from __future__ import annotations

from flask import Blueprint, send_file

from portal.access import ADMIN, ENTERPRISE, OFFICER, REVIEWER, allow
from portal.applications.access import attachment_or_404
from portal.applications.files import file_store

bp = Blueprint("files", __name__)


@bp.route("/files/<int:attachment_id>")
@allow(ENTERPRISE, OFFICER, ADMIN, REVIEWER)
def download(attachment_id: int):
    attachment = attachment_or_404(attachment_id)
    response = send_file(
        file_store().open(attachment.storage_key),
        mimetype=attachment.mime_type,
        as_attachment=True,
        download_name=attachment.original_name,
        max_age=0,
    )
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Cache-Control"] = "private, no-store"
    return response
