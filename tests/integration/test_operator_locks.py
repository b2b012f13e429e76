"""Operator commands that cron may start on every host at once (SQLite and PostgreSQL): while
another run holds a command's cluster-wide lock, the command says "already running", exits 0
and changes nothing, although there is work for it; without the lock it does the work, and a
second run finds nothing left to do.

The test holds the lock itself (``single_run``): on PostgreSQL on a connection of its own, as
another host would; on SQLite as an ``flock`` on a second open of the lock file, which blocks
even within one process.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from contextlib import ExitStack
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from flask import Flask
from sqlalchemy import select, text, update

from portal.applications.models import Status
from portal.applications.tallies import ApplicationTally
from portal.core.extensions import db
from portal.core.files import file_store
from portal.core.operator_lock import lock_key, single_run
from portal.core.timeutil import BUREAU_ZONE, stopped_clock
from portal.review.tallies import check_tallies
from tests.fault.support import assert_changed, assert_same, db_snapshot, stored_files
from tests.helpers import add_bare_applications, add_final_decision

RD = "rd-post-subsidy-2026"
KEY = "key-above-size-2026"
FLUORINE = "fluorine-digital-2026"
ALREADY_RUNNING = "already running elsewhere"
# The wall map's day (tests/wall_world.py) and the day a progress report's first reminder goes
# (tests/integration/test_reports.py: accepted on 2026-08-31, due 2027-02-28, reminded 14 days
# before, at 09:00 in Shanghai).
WALL_DAY = date(2026, 6, 15)
WALL_MORNING = datetime(2026, 6, 15, 9, 0, tzinfo=BUREAU_ZONE)
REPORT_REMINDER_MORNING = datetime(2027, 2, 14, 1, 0, tzinfo=UTC)


@pytest.fixture
def app_config(app_config, tmp_path) -> dict:
    # Mail without a server: .eml files in the test's own outbox.
    return {**app_config, "SMTP_HOST": "", "OUTBOX_DIR": str(tmp_path / "outbox")}


# --- what each command finds to do ------------------------------------------------------------


def a_letter_due(app: Flask) -> None:
    add_final_decision(app, RD)


def a_publicity_ended(app: Flask) -> None:
    from tests.integration.test_publicity import in_publicity

    in_publicity(app, KEY, 1, ends_in_days=-1)


def an_old_orphan_file(app: Flask) -> None:
    with app.app_context():
        key = file_store().save(b"an orphan nobody points at")
    path = Path(app.config["FILES_DIR"]) / key
    two_days_ago = time.time() - 2 * 24 * 3600
    os.utime(path, (two_days_ago, two_days_ago))


def a_wrong_tally(app: Flask) -> None:
    add_bare_applications(app, RD, 2, status=Status.SUBMITTED)
    with app.app_context():
        db.session.execute(update(ApplicationTally).values(applications=99))
        db.session.commit()
        assert check_tallies(), "the tally should disagree with a count"


def the_wall_map(app: Flask) -> None:
    """The wall world of 15 June: a task to turn red, slips to raise, and a milestone due in
    three days to remind of."""
    from portal.tasks.models import KeyTask, Milestone
    from tests.wall_world import build_wall_world

    with app.app_context():
        built = build_wall_world(WALL_DAY)
        task = db.session.get(KeyTask, built.red_task_id)
        db.session.add(
            Milestone(
                task_id=task.id,
                due_on=date(2026, 6, 18),
                title="签订转化合同",
                title_en="Transfer contract signed",
            )
        )
        db.session.commit()


def nothing(app: Flask) -> None:
    """The weekly dispatch report needs only the demo's leaders and supervisors."""


def an_award_without_agreement(app: Flask) -> None:
    add_final_decision(app, FLUORINE)


def a_report_reminder_due(app: Flask) -> None:
    from tests.integration.test_reports import accepted_award

    accepted_award(app)


@dataclass(frozen=True)
class Scenario:
    lock: str  # the name the command locks
    args: list[str]
    make_work: Callable[[Flask], None]
    nothing_left: str  # what a second run says
    clock: datetime | None = None  # the moment the world and the runs happen at
    id: str = field(default="")


SCENARIOS = [
    Scenario(
        "letters issue-due",
        ["letters", "issue-due"],
        a_letter_due,
        "Nothing to do: no letter is due.",
    ),
    Scenario("publicity advance", ["publicity", "advance"], a_publicity_ended, "Nothing to do:"),
    Scenario(
        "files sweep",
        ["files", "sweep"],
        an_old_orphan_file,
        "Nothing to do: no file to delete older than 24 h.",
    ),
    Scenario(
        "tallies rebuild",
        ["tallies", "rebuild"],
        a_wrong_tally,
        "Nothing to do: the tallies agree with a full count.",
    ),
    Scenario(
        "tasks daily",
        ["tasks", "evaluate", "--on", "2026-06-15"],
        the_wall_map,
        "nothing to do",
        WALL_MORNING,
        "tasks evaluate",
    ),
    Scenario(
        "tasks daily",
        ["tasks", "remind", "--on", "2026-06-15"],
        the_wall_map,
        "Reminders: nothing to do.",
        WALL_MORNING,
        "tasks remind",
    ),
    Scenario(
        "tasks daily",
        ["tasks", "daily", "--on", "2026-06-15"],
        the_wall_map,
        "Reminders: nothing to do.",
        WALL_MORNING,
    ),
    Scenario(
        "dispatch send",
        ["dispatch", "send", "--week-of", "2026-11-18"],
        nothing,
        "Nothing to do: the report of the week ending 2026-11-22 was sent already.",
    ),
    Scenario(
        "reports remind",
        ["reports", "remind"],
        a_report_reminder_due,
        "Nothing to do: no reminder is due today.",
        REPORT_REMINDER_MORNING,
    ),
    Scenario(
        "payments offer-missing",
        ["payments", "offer-missing"],
        an_award_without_agreement,
        "Nothing to do: every final award has its agreement.",
    ),
]


def outbox(app: Flask) -> list[str]:
    folder = Path(app.config["OUTBOX_DIR"])
    return sorted(path.name for path in folder.glob("*.eml")) if folder.exists() else []


@pytest.mark.parametrize(
    "scenario", SCENARIOS, ids=[s.id or " ".join(s.args[:2]) for s in SCENARIOS]
)
def test_a_run_while_another_holds_the_lock_does_nothing(app, demo, scenario):
    runner = app.test_cli_runner()
    with ExitStack() as stack:
        if scenario.clock is not None:
            stack.enter_context(stopped_clock(scenario.clock))
        scenario.make_work(app)
        before, files, mails = db_snapshot(app), stored_files(app), outbox(app)

        with app.app_context(), single_run(scenario.lock) as mine:
            assert mine, "nobody else should hold the lock yet"
            blocked = runner.invoke(args=scenario.args)
        assert blocked.exit_code == 0, blocked.output
        assert f"{scenario.lock}: {ALREADY_RUNNING}" in blocked.output
        assert "nothing done" in blocked.output
        assert_same(before, db_snapshot(app))
        assert stored_files(app) == files and outbox(app) == mails

        first = runner.invoke(args=scenario.args)
        assert first.exit_code == 0, first.output
        assert ALREADY_RUNNING not in first.output
        assert scenario.nothing_left not in first.output, first.output
        assert_changed(before, db_snapshot(app))  # the run did its work

        second = runner.invoke(args=scenario.args)
        assert second.exit_code == 0, second.output
        assert scenario.nothing_left in second.output


def test_each_command_has_a_lock_of_its_own(app, demo):
    """Holding one command's lock keeps no other command from running."""
    from portal.letters.models import Letter

    application_id = add_final_decision(app, RD)
    with app.app_context(), single_run("payments offer-missing"):
        result = app.test_cli_runner().invoke(args=["letters", "issue-due"])
    assert result.exit_code == 0, result.output
    assert result.output.startswith("1 letter(s) issued")
    with app.app_context():
        assert db.session.scalars(
            select(Letter.id).where(Letter.application_id == application_id)
        ).all()


def test_the_read_only_checks_run_while_the_lock_is_held(app, demo):
    with app.app_context(), single_run("tallies rebuild"):
        tallies = app.test_cli_runner().invoke(args=["tallies", "check"])
        payments = app.test_cli_runner().invoke(args=["payments", "check"])
    assert tallies.exit_code == 0 and "agree" in tallies.output
    assert payments.exit_code == 0 and "every invariant holds" in payments.output


def test_a_lock_whose_connection_is_lost_ends_without_error_and_is_free_again(app):
    """PostgreSQL ends the lock's session (a restart, a terminated backend) during a run: the
    lock went with it, leaving the run's own outcome to stand, and the next run takes it."""
    with app.app_context():
        if db.engine.dialect.name != "postgresql":
            pytest.skip("the lock is an advisory lock on PostgreSQL only")
        key = lock_key("files sweep")
        with single_run("files sweep") as mine:
            assert mine
            with db.engine.connect() as other:
                ended = (
                    other.execute(
                        text(
                            "SELECT pg_terminate_backend(pid) FROM pg_locks WHERE "
                            "locktype = 'advisory' AND ((classid::bigint << 32) | objid::bigint) "
                            "= CAST(:key AS bigint)"
                        ),
                        {"key": key},
                    )
                    .scalars()
                    .all()
                )
            assert ended == [True]
        with single_run("files sweep") as again:
            assert again
