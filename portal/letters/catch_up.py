"""Catching up the letters domain's background work that was never queued or never ran.

Jobs are queued after their change commits; when the queue (Redis) cannot be reached the
change stands and the job is lost (``core/jobs.py`` logs it). Everything such a job would have
made can be found in the database, and this module makes it: the letters of final decisions,
the publicity notices of releases with awards, the PDFs of release records, and exports that
were asked for and never started. Each step is idempotent (what exists is skipped), commits as
it goes, and reads a bounded number of rows at a time.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import select

from portal.applications.models import Application, Status
from portal.core.extensions import db
from portal.core.jobs import commit
from portal.core.timeutil import utcnow
from portal.letters.export import run_export
from portal.letters.issuing import ISSUE_CHUNK, due_application_ids, issue_due_letters
from portal.letters.models import ExportStatus, LetterExport
from portal.letters.publicity_notice import issue_notice
from portal.letters.release_record_pdf import render_record
from portal.programs.models import Program
from portal.review.models import PublicityNotice
from portal.review.release_record_models import ReleaseRecord

# An export asked for this long ago and still waiting was never handed to a worker (a worker
# takes a queued job within seconds); a younger one may still be in the queue.
STALE_EXPORT = timedelta(minutes=10)


@dataclass
class LettersCaughtUp:
    letters: int = 0
    notices: int = 0
    release_records: int = 0
    exports: int = 0

    @property
    def total(self) -> int:
        return self.letters + self.notices + self.release_records + self.exports


def issue_missing_letters(program_ids: Sequence[int] | None = None) -> int:
    """Issue every letter that is due and missing (of the given programmes, else of all),
    programme by programme, a chunk a commit; the number issued."""
    if program_ids is None:
        program_ids = db.session.scalars(select(Program.id).order_by(Program.id)).all()
    issued = 0
    for program_id in program_ids:
        due = due_application_ids(program_id)
        for start in range(0, len(due), ISSUE_CHUNK):
            issued += len(issue_due_letters(due[start : start + ISSUE_CHUNK]))
            commit()
    return issued


def issue_missing_notices() -> int:
    """The publicity notice of every release with awards that has none."""
    releases = db.session.execute(
        select(Application.program_id, Application.publicity_starts_on)
        .where(
            Application.publicity_starts_on.is_not(None),
            Application.decided_amount.is_not(None),
            Application.status.in_((Status.PUBLICITY, Status.ON_HOLD, Status.AWARDED)),
        )
        .distinct()
        .order_by(Application.program_id, Application.publicity_starts_on)
    ).all()
    have = set(
        db.session.execute(select(PublicityNotice.program_id, PublicityNotice.starts_on)).all()
    )
    issued = 0
    for program_id, starts_on in releases:
        if (program_id, starts_on) in have:
            continue
        if issue_notice(program_id, starts_on) is not None:
            issued += 1
        commit()
    return issued


def render_missing_release_records() -> int:
    ids = db.session.scalars(
        select(ReleaseRecord.id).where(ReleaseRecord.pdf_key.is_(None)).order_by(ReleaseRecord.id)
    ).all()
    rendered = 0
    for record_id in ids:
        rendered += render_record(record_id)
        commit()
    return rendered


def run_stale_exports() -> int:
    """Run here, now, every export that has waited for a worker longer than ``STALE_EXPORT``
    (``run_export`` takes the export's own lock, so a worker that picks it up meanwhile and
    this run do not both build it)."""
    ids = db.session.scalars(
        select(LetterExport.id)
        .where(
            LetterExport.status == ExportStatus.QUEUED,
            LetterExport.started_at.is_(None),
            LetterExport.created_at < utcnow() - STALE_EXPORT,
        )
        .order_by(LetterExport.id)
    ).all()
    for export_id in ids:
        run_export(export_id)
    return len(ids)


def catch_up_letters() -> LettersCaughtUp:
    return LettersCaughtUp(
        letters=issue_missing_letters(),
        notices=issue_missing_notices(),
        release_records=render_missing_release_records(),
        exports=run_stale_exports(),
    )
