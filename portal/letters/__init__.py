"""Decision letters: WeasyPrint PDFs with GB/T 9704 numbers, public verification, exports."""

from __future__ import annotations

import logging
import os

from flask import Flask

from portal.applications import lifecycle
from portal.config import base_url_doubts
from portal.core import audit
from portal.letters import publicity_notice, release_record_pdf, tasks

log = logging.getLogger(__name__)


def init_letters(app: Flask) -> None:
    # Importing ``tasks`` declared the letter jobs; a final decision schedules its letter.
    lifecycle.on_final_decision(tasks.schedule_letter)
    # Importing ``publicity_notice`` declared its job; a release with approvals issues a notice.
    audit.on_record(publicity_notice.issue_after_release)
    # A release keeps its ranked list for the minutes (same transaction), rendered after it.
    audit.on_record(release_record_pdf.keep_after_release)
    # Letters print the verification address for good: say at start-up if it looks wrong.
    for doubt in base_url_doubts(app.config["BASE_URL"], os.environ):
        log.warning("Verification address: %s (PORTAL_BASE_URL)", doubt)
