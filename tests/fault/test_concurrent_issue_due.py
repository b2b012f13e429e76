"""``letters issue-due`` started on two hosts at once (cron on each): both runs exit 0 with no
traceback, every due application ends with exactly one current letter, and each issuer's
numbers run without a gap. Before the fix one run died on
``uq_letters_current_per_application``: both transactions read "no current letter" and both
inserted one.

Two layers keep it from happening, and each is tested: the command's cluster-wide lock (the
second run says "already running", or finds nothing left to do), and, beneath it, the row
locks ``issue_due_letters`` takes on the applications (two issuers that bypass the command,
the background job and the export for instance, still issue each letter once).
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import threading
from collections import defaultdict
from pathlib import Path

import pytest
from sqlalchemy import select

from portal.core.extensions import db
from portal.core.jobs import commit
from portal.core.paths import PROJECT_ROOT
from portal.letters.issuing import issue_due_letters
from portal.letters.models import Letter, LetterSequence, LetterStatus
from tests.fault.support import RD
from tests.helpers import add_final_decision

KEY = "key-above-size-2026"  # another issuer than the R&D programme's
# A guard against a hung run, not a timing assertion: each run ends when its work is done.
PATIENCE = 300


def make_letters_due(app) -> list[int]:
    """Final decisions without their letters, in two programmes (two chunks of letters for
    the R&D one, whose issuer differs from the key programme's)."""
    awards = [add_final_decision(app, RD) for _ in range(5)]
    rejections = [add_final_decision(app, KEY, approved=False) for _ in range(2)]
    return awards + rejections


def assert_one_current_letter_each(app, due: list[int]) -> None:
    with app.app_context():
        letters = db.session.execute(select(Letter.application_id, Letter.status)).all()
    by_application: dict[int, list[LetterStatus]] = defaultdict(list)
    for application_id, status in letters:
        by_application[application_id].append(status)
    assert by_application == {application_id: [LetterStatus.CURRENT] for application_id in due}


def assert_numbers_gapless(app) -> None:
    """Each issuer's year numbered 1, 2, 3 ... with its counter at the last number issued."""
    with app.app_context():
        numbers: dict[tuple[str, int], list[int]] = defaultdict(list)
        for issuer, year, sequence in db.session.execute(
            select(Letter.issuer_code, Letter.year, Letter.sequence)
        ):
            numbers[(issuer, year)].append(sequence)
        counters = {
            (row.issuer_code, row.year): row.last_number
            for row in db.session.scalars(select(LetterSequence))
        }
    assert numbers, "no letter was issued"
    for issuer_year, sequences in numbers.items():
        assert sorted(sequences) == list(range(1, len(sequences) + 1)), issuer_year
        assert counters[issuer_year] == len(sequences), issuer_year


# --- two real commands at once ----------------------------------------------------------------


def host_env(app, database_url: str, instance: Path) -> dict[str, str]:
    """The environment of ``flask --app portal`` on a host sharing the test's database and
    file store."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("PORTAL_")}
    env.update(
        PORTAL_DATABASE_URL=database_url,
        PORTAL_FILES_DIR=app.config["FILES_DIR"],
        PORTAL_INSTANCE_DIR=str(instance),
        PORTAL_OUTBOX_DIR=str(instance / "outbox"),
        PORTAL_SECRET_KEY="test-secret-key",
        PORTAL_LOG_LEVEL="WARNING",
    )
    return env


def test_issue_due_on_two_hosts_at_once_issues_each_letter_once(app, demo, database_url, tmp_path):
    due = make_letters_due(app)
    flask = Path(sys.executable).with_name("flask")
    # Two hosts of a PostgreSQL deployment have an instance folder each (the lock is in the
    # database); SQLite is one host by design, where the lock is a file in the one folder.
    shared = not database_url.startswith("postgresql")
    runs = [
        subprocess.Popen(
            [str(flask), "--app", "portal", "letters", "issue-due"],
            cwd=PROJECT_ROOT,
            env=host_env(app, database_url, tmp_path / ("host" if shared else f"host-{host}")),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for host in range(2)
    ]
    outputs = [run.communicate(timeout=PATIENCE) for run in runs]

    for run, (out, err) in zip(runs, outputs, strict=True):
        assert run.returncode == 0, f"{out}\n{err}"
        assert "Traceback" not in err, err
    said = [out for out, _err in outputs]
    issued = [
        int(m.group(1)) for out in said for m in re.finditer(r"^(\d+) letter\(s\)", out, re.M)
    ]
    assert sum(issued) == len(due), said
    # The other run either found the lock taken or came after and found nothing left.
    assert any(
        "already running elsewhere" in out or "Nothing to do: no letter is due." in out
        for out in said
    ), said
    assert_one_current_letter_each(app, due)
    assert_numbers_gapless(app)


# --- two issuers at once beneath the command's lock -------------------------------------------


def test_two_issuers_at_once_without_the_command_lock_issue_each_letter_once(app, demo):
    """Two sessions (the job and the export, say) issue the same applications' letters at the
    same moment, with no command lock: the second waits on the applications' row locks, then
    sees the first's letters and issues none. PostgreSQL only: SQLite's writers already queue
    for the whole database (BEGIN IMMEDIATE), so there is no race to show."""
    with app.app_context():
        if db.engine.dialect.name != "postgresql":
            pytest.skip("SQLite serialises writers: the race needs PostgreSQL")
    due = make_letters_due(app)
    start = threading.Barrier(2, timeout=PATIENCE)
    issued: dict[int, int] = {}
    errors: list[BaseException] = []

    def issuer(number: int) -> None:
        with app.app_context():
            try:
                start.wait()
                issued[number] = len(issue_due_letters(due))
                commit()
            except BaseException as error:  # reported below, in the test's thread
                db.session.rollback()
                errors.append(error)
            finally:
                db.session.remove()

    threads = [threading.Thread(target=issuer, args=(number,)) for number in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(PATIENCE)
    assert not any(thread.is_alive() for thread in threads), "an issuer hung"
    assert errors == [], errors
    assert sorted(issued.values()) == [0, len(due)]
    assert_one_current_letter_each(app, due)
    assert_numbers_gapless(app)
