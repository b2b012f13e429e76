"""The demo seeded once per test worker, then copied into each test that asks for it.

About 2,400 tests start from the demo's accounts, firms, profiles and programmes; some more
from the whole `seed-demo` (applications at every stage with their letters, the post-award
states, the wall map). Seeding through the real services takes half a second for the first
and 8 to 20 seconds for the whole; a copy takes a few milliseconds. The first test that asks
for a given demo seeds it for real and keeps what it wrote:

- on SQLite, a copy of the database file (SQLite's backup API, so the WAL is included);
- and the files the seed stored (letters' PDFs).

On PostgreSQL every test seeds for real: a copy of the rows (tried first) clashed with rows
that later tests insert.

Later tests get those rows back. A copy is only used where seeding would have written the
same: the same seed settings and the same day on the portal's clock (a test that stops the
clock elsewhere gets a seed of its own). The rows are the seed's, timestamps included.
"""

from __future__ import annotations

import shutil
import sqlite3
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from flask import Flask

from portal.core.extensions import db

# The settings the seeds read: a copy made under other values is not used.
SEED_SETTINGS = ("DEMO_PASSWORD", "PASSWORD_HASH_METHOD", "LETTER_WORKERS")

# What a test may ask for, each part after those before it.
ACCOUNTS = ("accounts",)  # seed_demo_data: accounts, firms, profiles, programmes
APPLICATIONS = ("applications",)  # seed_demo: the above and the applications' stories
POST_AWARD = (*APPLICATIONS, "post_award")
WALL_MAP = (*POST_AWARD, "wall_map")


def _quiet(_line: str) -> None:
    """The seeds' progress lines are not wanted in tests."""


def _seed(parts: tuple[str, ...]) -> None:
    from portal.demo import seed_demo_data
    from portal.demo_applications import seed_demo
    from portal.demo_post_award import seed_post_award
    from portal.demo_tasks import seed_demo as seed_wall_map

    seeds = {
        "accounts": seed_demo_data,
        "applications": lambda: seed_demo(log=_quiet),
        "post_award": lambda: seed_post_award(log=_quiet),
        "wall_map": lambda: seed_wall_map(log=_quiet),
    }
    for part in parts:
        seeds[part]()
        db.session.commit()


def _key(app: Flask, parts: tuple[str, ...]) -> tuple[Any, ...]:
    from portal.core.timeutil import bureau_today

    return (parts, bureau_today(), *(app.config.get(name) for name in SEED_SETTINGS))


def _sqlite_path() -> Path:
    return Path(db.engine.url.database or "")


@dataclass
class DemoSnapshots:
    """One worker's copies of the seeded demo, by seed key."""

    folder: Path
    saved: dict[tuple[Any, ...], Any] = field(default_factory=dict)

    def fill(self, app: Flask, parts: tuple[str, ...] = ACCOUNTS) -> None:
        """Give the app's (empty) database and files folder the demo's ``parts``: a copy when
        one fits, else a seed that is kept for the next test."""
        with app.app_context():
            if db.engine.dialect.name != "sqlite":
                # PostgreSQL seeds for real each time: the row copy clashed with rows later
                # tests insert (CI's PostgreSQL round); SQLite's file copy is exact.
                _seed(parts)
                return
            key = _key(app, parts)
            files = Path(app.config["FILES_DIR"])
            kept = self.saved.get(key)
            if kept is not None:
                self._restore_sqlite(kept["database"])
                if kept["files"] is not None:
                    shutil.copytree(kept["files"], files, dirs_exist_ok=True)
                return
            _seed(parts)
            number = len(self.saved)
            database = self._save_sqlite(number)
            files_copy = None
            if files.is_dir():
                files_copy = self.folder / f"files-{number}"
                shutil.copytree(files, files_copy)
            self.saved[key] = {"database": database, "files": files_copy}

    # SQLite: a whole database file.
    def _restore_sqlite(self, copy: Path) -> None:
        path = _sqlite_path()
        db.session.remove()
        db.engine.dispose()
        for suffix in ("-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
        shutil.copyfile(copy, path)

    def _save_sqlite(self, number: int) -> Path:
        path = _sqlite_path()
        db.session.remove()
        db.engine.dispose()
        copy = self.folder / f"demo-{number}.db"
        source = sqlite3.connect(path)
        target = sqlite3.connect(copy)
        try:
            source.backup(target)
            # One file, no WAL beside it: a plain file copy restores it.
            target.execute("PRAGMA journal_mode=DELETE")
        finally:
            target.close()
            source.close()
        return copy
