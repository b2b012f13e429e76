"""Files on disk (issue 12, item 10): what the portal writes under its instance folder (the
SQLite database and its WAL, stored files, the outbox's mails with their live reset links, the
secret key) is readable by its own user only."""

from __future__ import annotations

import stat
from pathlib import Path

from sqlalchemy import text

from portal import create_app
from portal.core.extensions import db
from portal.core.files import file_store
from portal.notifications.mail import build_mail, deliver
from portal.notifications.messages import compose


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_everything_written_under_instance_is_the_owners_alone(tmp_path, monkeypatch):
    instance = tmp_path / "instance"
    monkeypatch.setenv("PORTAL_INSTANCE_DIR", str(instance))
    app = create_app(
        {
            "TESTING": True,
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{instance / 'portal.db'}",
            "FILES_DIR": str(instance / "files"),
            "OUTBOX_DIR": str(instance / "outbox"),
        }
    )
    with app.app_context():
        db.session.execute(text("CREATE TABLE t (x INTEGER)"))
        db.session.execute(text("INSERT INTO t VALUES (1)"))
        db.session.commit()
        key = file_store().save(b"%PDF-1.4 a stored upload")
        with app.test_request_context():
            message = compose("password_reset", {"minutes": 30}, "/reset/token", "en")
            deliver(build_mail("firm@example.com", message, "en"))
        db.engine.dispose()
    written = [p for p in instance.rglob("*") if p.is_file()]
    names = {p.name for p in written}
    assert "portal.db" in names and any(n.endswith(".eml") for n in names)
    assert any(str(p).endswith(key) for p in written)
    for path in written:
        assert mode(path) & 0o077 == 0, f"{path.relative_to(instance)}: {oct(mode(path))}"
    for folder in [p for p in instance.rglob("*") if p.is_dir()]:
        assert mode(folder) & 0o077 == 0, f"{folder.relative_to(instance)}: {oct(mode(folder))}"
