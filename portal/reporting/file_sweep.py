"""The sweep of the file store: files no row points at, and writes that never finished.

Every stored file belongs to a row (an attachment, a letter's two PDFs, a letters export's
ZIP, a publicity notice, a release record, a post-award document, a key task's evidence ...:
every column that ``core.files.stored_file_columns`` finds on the models), and the request
that writes it deletes it again when its transaction rolls back. A
process killed between writing a file and committing its row cannot do that, though: a job
worker killed in a letters export can leave one batch of PDFs, a ZIP, or a half-written
scratch file behind. ``flask --app portal files sweep`` finds and deletes them.

A file is swept only when it is older than a grace period (24 hours by default): a file
written by a transaction still running has no committed row yet, and must not be taken for
an orphan. The sweep also reports the opposite fault, rows whose file is missing, because
no sweep can mend that: those files must come back from a backup.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta

from sqlalchemy import select, union

from portal.core import audit
from portal.core.audit import Action
from portal.core.extensions import db
from portal.core.files import StoredEntry, file_store, stored_file_columns
from portal.core.timeutil import utcnow

#: Files younger than this are never swept (their transaction may still be running).
DEFAULT_GRACE = timedelta(hours=24)
#: The shortest grace allowed: long enough for any request, job step or export to commit.
MIN_GRACE = timedelta(hours=1)


@dataclass
class Tally:
    count: int = 0
    bytes: int = 0

    def add(self, entry: StoredEntry) -> None:
        self.count += 1
        self.bytes += entry.size


@dataclass
class SweepReport:
    stored: Tally = field(default_factory=Tally)  # files under a key, referenced or not
    orphans: Tally = field(default_factory=Tally)  # unreferenced and past the grace: swept
    young_orphans: Tally = field(default_factory=Tally)  # unreferenced, within the grace: kept
    leftovers: Tally = field(default_factory=Tally)  # unfinished writes past the grace: swept
    missing: list[str] = field(default_factory=list)  # referenced keys with no file


def referenced_keys() -> set[str]:
    """Every key a row points at, in one query, whichever table holds it (superseded letters,
    replaced attachments and removed report files are kept on record, so their files count
    too). The columns are found on the models, so a new kind of stored file is never swept."""
    statement = union(
        *(select(column).where(column.is_not(None)) for _table, column in stored_file_columns())
    )
    return set(db.session.scalars(statement))


def sweep_files(*, grace: timedelta = DEFAULT_GRACE, dry_run: bool = False) -> SweepReport:
    """Delete (unless ``dry_run``) unreferenced files and leftovers older than ``grace``."""
    if grace < MIN_GRACE:
        raise ValueError(f"the grace period must be at least {MIN_GRACE}")
    store = file_store()
    cutoff = utcnow() - grace
    # The listing comes first: a row committed while we list is then still seen below.
    entries = list(store.entries())
    referenced = referenced_keys()
    report = SweepReport()
    present = set()
    for entry in entries:
        if entry.key is None:
            if entry.modified_at < cutoff:
                report.leftovers.add(entry)
                if not dry_run:
                    store.discard(entry)
            continue
        report.stored.add(entry)
        present.add(entry.key)
        if entry.key in referenced:
            continue
        if entry.modified_at >= cutoff:
            report.young_orphans.add(entry)
            continue
        report.orphans.add(entry)
        if not dry_run:
            store.discard(entry)
    report.missing = sorted(referenced - present)
    if not dry_run and (report.orphans.count or report.leftovers.count):
        audit.record(
            Action.FILES_SWEPT,
            actor=None,
            orphans=report.orphans.count,
            orphan_bytes=report.orphans.bytes,
            leftovers=report.leftovers.count,
            leftover_bytes=report.leftovers.bytes,
            grace_hours=grace.total_seconds() / 3600,
        )
    return report
