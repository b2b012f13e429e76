"""Worlds: a database full of real objects, built once per test session and restored per test.

Building a world drives the portal's own pages (and a few direct writes for states that would
take many steps), which costs seconds (letters are rendered by WeasyPrint). So each world is built
once, its rows are read out of every table and its stored files copied, and each test that wants
it gets a fresh copy written into its own database (SQLite file or PostgreSQL schema, see
tests/conftest.py). Restoring writes the rows back through SQLAlchemy Core, so it works on both
databases; on PostgreSQL the id sequences are moved past the restored ids.
"""

from __future__ import annotations

import shutil
import sqlite3
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

from sqlalchemy import func, select, text

from portal import create_app
from portal.core.extensions import db
from tests.helpers import close_connections

RD = "rd-post-subsidy-2026"
KEY = "key-above-size-2026"
EAGLE = "young-eagle-gazelle-2026"
FIRM_A = "ent1@example.com"
FIRM_B = "ent2@example.com"
ASSIGNED_REVIEWER = "reviewer1@example.com"
CONFLICTED_REVIEWER = "reviewer2@example.com"
OTHER_REVIEWER = "reviewer3@example.com"
OFFICER = "officer@example.com"
ADMIN = "admin@example.com"
APPROVER = "leader@example.com"
# The wall map's roles (seeded by portal/demo.py with the other demo accounts).
SUPERVISOR = "supervisor@example.com"
DEPARTMENT_MEMBER = "hightech@example.com"


@dataclass
class Snapshot:
    rows: dict[str, list[dict[str, Any]]]
    files: Path
    ids: dict[str, Any] = field(default_factory=dict)
    sqlite_file: Path | None = None  # the built SQLite database (a copy resets a world fast)


# --- reading and writing every table -----------------------------------------------------------


def read_rows(app) -> dict[str, list[dict[str, Any]]]:
    with app.app_context(), db.engine.connect() as conn:
        return {
            table.name: [dict(row) for row in conn.execute(select(table)).mappings()]
            for table in db.metadata.sorted_tables
        }


def write_rows(app, rows: dict[str, list[dict[str, Any]]]) -> None:
    with app.app_context():
        engine = db.engine
        with engine.begin() as conn:
            for table in db.metadata.sorted_tables:
                if rows.get(table.name):
                    conn.execute(table.insert(), rows[table.name])
            if engine.dialect.name == "postgresql":
                for table in db.metadata.sorted_tables:
                    if "id" in table.c and [c.name for c in table.primary_key] == ["id"]:
                        # Table names come from our own metadata.
                        sql = (
                            f"SELECT setval(pg_get_serial_sequence('{table.name}', 'id'), "  # noqa: S608
                            f"(SELECT COALESCE(MAX(id), 0) + 1 FROM {table.name}), false)"
                        )
                        conn.execute(text(sql))
        db.session.remove()


def fingerprint(app) -> dict[str, list[str]]:
    """Every row of every table, as the driver returns it: equal means unchanged."""
    with app.app_context(), db.engine.connect() as conn:
        return {
            table.name: sorted(
                repr(tuple(row))
                for row in conn.exec_driver_sql(f"SELECT * FROM {table.name}").fetchall()  # noqa: S608
            )
            for table in db.metadata.sorted_tables
        }


def changed_tables(before: dict, after: dict) -> list[str]:
    return [name for name in before if before[name] != after.get(name)]


def stored_files(app) -> set[str]:
    """Every file under FILES_DIR (letters, uploads, exports, temporary files)."""
    root = Path(app.config["FILES_DIR"])
    if not root.exists():
        return set()
    return {str(path.relative_to(root)) for path in root.rglob("*") if path.is_file()}


class Unchanged:
    """Remembers every row and every stored file; ``check`` asserts that none changed."""

    def __init__(self, app) -> None:
        self.app = app
        self.rows = fingerprint(app)
        self.files = stored_files(app)

    def check(self, what: str) -> None:
        changed = changed_tables(self.rows, fingerprint(self.app))
        assert changed == [], f"{what}: refused, yet {changed} changed"
        new_files = stored_files(self.app) - self.files
        gone_files = self.files - stored_files(self.app)
        assert not new_files and not gone_files, f"{what}: files {new_files or gone_files}"


def empty_everything(url: str) -> None:
    """Delete every row of a PostgreSQL test database (as tests/conftest.py does after each
    test)."""
    from tests.conftest import _empty_all

    _empty_all(url)


def postgres_engine_options(url: str) -> dict[str, Any]:
    """The test suite's PostgreSQL connection settings (commits need not wait for the disk)."""
    if not url.startswith("postgresql"):
        return {}
    from tests.conftest import PG_TEST_CONNECT_ARGS

    return {
        "SQLALCHEMY_ENGINE_OPTIONS": {"pool_pre_ping": True, "connect_args": PG_TEST_CONNECT_ARGS}
    }


def build_snapshot(
    builder: Callable[[Any], dict[str, Any]],
    *,
    base_config: dict[str, Any],
    migrated_database: str,
    postgres: bool,
    folder: Path,
) -> Snapshot:
    """Run ``builder(app)`` on an empty migrated database and keep what it made."""
    if postgres:
        url = migrated_database
        empty_everything(url)
    else:
        path = folder / "world.db"
        shutil.copyfile(migrated_database, path)
        url = f"sqlite:///{path}"
    files = folder / "files"
    app = create_app(
        {
            **base_config,
            "SQLALCHEMY_DATABASE_URI": url,
            "FILES_DIR": str(files),
            "OUTBOX_DIR": str(folder / "outbox"),
            **postgres_engine_options(url),
        }
    )
    try:
        ids = builder(app)
        rows = read_rows(app)
    finally:
        close_connections(app)
        if postgres:
            empty_everything(url)
    if not postgres:  # everything into the main file, so that a copy of it is the world
        connection = sqlite3.connect(path)
        connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        connection.close()
    files.mkdir(parents=True, exist_ok=True)
    return Snapshot(rows=rows, files=files, ids=ids, sqlite_file=None if postgres else path)


def restore(app, snapshot: Snapshot) -> dict[str, Any]:
    """Write the world into the app's database (empty, or emptied here on PostgreSQL)."""
    url = app.config["SQLALCHEMY_DATABASE_URI"]
    if url.startswith("postgresql"):
        empty_everything(url)
    write_rows(app, snapshot.rows)
    _replace_files(app, snapshot)
    return dict(snapshot.ids)


def reset(app, snapshot: Snapshot) -> dict[str, Any]:
    """Put a long-lived app's database and files back to the world as built."""
    close_connections(app)
    url = app.config["SQLALCHEMY_DATABASE_URI"]
    if url.startswith("sqlite:///") and snapshot.sqlite_file is not None:
        target = Path(url.removeprefix("sqlite:///"))
        for suffix in ("-wal", "-shm"):
            Path(f"{target}{suffix}").unlink(missing_ok=True)
        shutil.copyfile(snapshot.sqlite_file, target)
        _replace_files(app, snapshot)
        return dict(snapshot.ids)
    return restore(app, snapshot)


def _replace_files(app, snapshot: Snapshot) -> None:
    target = Path(app.config["FILES_DIR"])
    if target.exists():
        shutil.rmtree(target)
    shutil.copytree(snapshot.files, target)


# --- looking things up -------------------------------------------------------------------------


def user_id(app, email: str) -> int:
    from portal.accounts.models import User

    with app.app_context():
        return db.session.scalar(select(User.id).where(User.email == email))


def enterprise_id(app, email: str) -> int:
    from portal.accounts.models import User

    with app.app_context():
        return db.session.scalar(select(User.enterprise_id).where(User.email == email))


def program_id(app, code: str) -> int:
    from portal.programs.models import Program

    with app.app_context():
        return db.session.scalar(select(Program.id).where(Program.code == code))


def signed_in_client(app, email: str | None):
    from tests.helpers import sign_in

    client = app.test_client()
    if email:
        response = sign_in(client, email)
        assert response.status_code == 302, response.get_data(as_text=True)[:500]
    return client


# --- the base world ----------------------------------------------------------------------------


def to_expert_review(app, application_id: int) -> None:
    from portal.accounts.models import User
    from portal.applications import lifecycle
    from portal.applications.models import Application

    with app.app_context():
        officer = db.session.scalar(select(User).where(User.email == OFFICER))
        application = db.session.get(Application, application_id)
        lifecycle.transition(application, "start_formal_check", actor=officer)
        lifecycle.transition(application, "send_to_expert_review", actor=officer)
        db.session.commit()


def assign(app, application_id: int, email: str) -> int:
    from portal.review.models import Assignment, AssignmentStatus

    reviewer_id, officer_id = user_id(app, email), user_id(app, OFFICER)
    with app.app_context():
        assignment = Assignment(
            application_id=application_id,
            reviewer_id=reviewer_id,
            status=AssignmentStatus.ASSIGNED,
            assigned_by_id=officer_id,
            due_at=datetime.now(UTC) + timedelta(days=30),
        )
        db.session.add(assignment)
        db.session.commit()
        return assignment.id


def _approved(program, enterprise_id: int, amount: str, now: datetime, **fields) -> int:
    """An application approved for ``amount`` on ``program``, submitted once, decided and
    released at ``now`` (``fields``: its reference, title, status and dates); committed."""
    from portal.applications.models import Application

    application = Application(
        enterprise_id=enterprise_id,
        program_id=program.id,
        program_version_id=program.versions[-1].id,
        first_submitted_at=now,
        last_submitted_at=now,
        submission_count=1,
        decision="approve",
        formula_amount=Decimal(amount),
        decided_amount=Decimal(amount),
        decided_at=now,
        released_at=now,
        **fields,
    )
    db.session.add(application)
    db.session.commit()
    return application.id


def awarded_application(app, email: str, code: str, amount: str = "150000.00") -> int:
    """An application of ``email``'s firm on ``code``, awarded and final (no letter yet)."""
    from portal.applications.models import Application, Status
    from portal.programs.models import Program

    firm_id = enterprise_id(app, email)
    with app.app_context():
        program = db.session.scalar(select(Program).where(Program.code == code))
        now = datetime.now(UTC)
        number = db.session.scalar(select(func.count()).select_from(Application)) + 1
        return _approved(
            program,
            firm_id,
            amount,
            now,
            reference=f"W-{program.id}-{number:05d}",
            status=Status.AWARDED,
            project_title="雏鹰企业补充支持",
            awarded_at=now,
        )


def issue_letters(app, *application_ids: int) -> list[int]:
    from portal.core.jobs import commit
    from portal.letters.issuing import issue_due_letters

    with app.app_context():
        ids = [letter.id for letter in issue_due_letters(list(application_ids))]
        commit()
        return ids


def in_publicity(app, code: str, firm_name: str, uscc_seed: int) -> int:
    """A made-up firm's award in publicity (started yesterday, ends in a week)."""
    from portal.applications.models import Status
    from portal.core.timeutil import bureau_today
    from portal.programs.models import Program
    from tests.helpers import new_firm

    with app.app_context():
        program = db.session.scalar(select(Program).where(Program.code == code))
        firm = new_firm(firm_name, f"91210900MP{uscc_seed:07d}")
        today = bureau_today()
        return _approved(
            program,
            firm.id,
            "100000.00",
            datetime.now(UTC),
            reference=f"P-{program.id}-{uscc_seed:05d}",
            status=Status.PUBLICITY,
            project_title="公示项目",
            publicity_starts_on=today - timedelta(days=1),
            publicity_ends_on=today + timedelta(days=7),
        )


def attachment_and_notification_ids(ids: dict[str, Any], firm_user: int) -> dict[str, int]:
    """Inside an app context: the ids of an attachment of ``ids``' R&D and key-programme
    applications and of a notification of the firm's user (as the ownership tests name them)."""
    from portal.applications.models import Attachment
    from portal.notifications.models import Notification

    def attachment_of(application_id: int) -> int:
        return db.session.scalar(
            select(Attachment.id).where(Attachment.application_id == application_id)
        )

    return {
        "rd_attachment": attachment_of(ids["rd_application"]),
        "key_attachment": attachment_of(ids["key_application"]),
        "firm_a_notification": db.session.scalar(
            select(Notification.id).where(Notification.user_id == firm_user)
        ),
    }


def build_base_world(app) -> dict[str, Any]:
    """Firm A (ent1) with a submitted application (documents uploaded), one in expert review
    assigned to reviewer1 (reviewer2 declined it as a conflict of interest, reviewer3 has
    nothing to do with it) and an award with its letter; firm B (ent2) with a draft of its
    own; an award in publicity with an objection (so on hold) and one without;
    a finished export of letters."""
    from portal.demo import seed_demo_data
    from portal.letters.models import LetterExport
    from portal.review.models import ConflictDeclaration, Objection
    from tests.helpers import submit_application

    with app.app_context():
        seed_demo_data()
        db.session.commit()
    ids: dict[str, Any] = {}
    firm_a = signed_in_client(app, FIRM_A)
    ids["rd_application"] = submit_application(app, FIRM_A, RD, client=firm_a)
    ids["key_application"] = submit_application(app, FIRM_A, KEY, client=firm_a)
    to_expert_review(app, ids["key_application"])
    ids["assignment"] = assign(app, ids["key_application"], ASSIGNED_REVIEWER)
    ids["declined_assignment"] = assign(app, ids["key_application"], CONFLICTED_REVIEWER)
    conflicted = signed_in_client(app, CONFLICTED_REVIEWER)
    response = conflicted.post(
        f"/review/{ids['declined_assignment']}/decline",
        data={"reason": "conflict", "note": "我曾任该企业技术顾问。"},
    )
    assert response.status_code == 302, response.get_data(as_text=True)[:800]

    firm_b = signed_in_client(app, FIRM_B)
    response = firm_b.post(f"/programmes/{RD}/apply")
    assert response.status_code == 302, response.get_data(as_text=True)[:800]
    ids["firm_b_application"] = int(response.headers["Location"].rsplit("/", 1)[1])

    ids["awarded_application"] = awarded_application(app, FIRM_A, EAGLE)
    (ids["letter"],) = issue_letters(app, ids["awarded_application"])

    ids["publicity_application"] = in_publicity(app, RD, "阜新公示企业有限公司", 1)
    ids["open_publicity_application"] = in_publicity(app, RD, "阜新公示二企业有限公司", 2)
    # Objections are signed: firm B objects from its signed-in account.
    response = firm_b.post(
        f"/publicity/{ids['publicity_application']}/object",
        data={"reason": "研发费用数据与报表不符。"},
    )
    assert response.status_code == 200, response.get_data(as_text=True)[:800]

    officer = signed_in_client(app, OFFICER)
    response = officer.post(f"/staff/letters/programmes/{program_id(app, EAGLE)}/export")
    assert response.status_code == 302, response.get_data(as_text=True)[:800]

    firm_a_user = user_id(app, FIRM_A)
    with app.app_context():
        ids["export"] = db.session.scalar(select(LetterExport.id))
        ids["objection"] = db.session.scalar(select(Objection.id))
        assert db.session.scalar(select(ConflictDeclaration.id)) is not None
        ids.update(attachment_and_notification_ids(ids, firm_a_user))
        export = db.session.get(LetterExport, ids["export"])
        assert export.status.value == "done", export.status
    ids["programme"] = program_id(app, RD)
    ids["key_programme"] = program_id(app, KEY)
    ids["eagle_programme"] = program_id(app, EAGLE)
    for name, value in ids.items():
        assert value is not None, name
    return ids
