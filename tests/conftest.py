"""Shared fixtures: a migrated database per test (SQLite by default, PostgreSQL when
PORTAL_TEST_DATABASE_URL is set), an app bound to it, and sign-in helpers.

Isolation: on SQLite each test gets its own copy of a migrated template file; on PostgreSQL
every table is emptied after each test (see ``_empty_all``), and each pytest-xdist worker
has a database of its own. Both work for the live server of
the e2e tests, which runs in another thread and so cannot share a test's transaction.
"""

from __future__ import annotations

import os
import shutil
import tempfile

import pytest
from sqlalchemy import create_engine, text

# Keep tests away from a developer's instance/ and environment.
os.environ["PORTAL_INSTANCE_DIR"] = tempfile.mkdtemp(prefix="portal-test-instance-")
os.environ["PORTAL_SECRET_KEY"] = "test-secret-key"
os.environ.pop("PORTAL_DATABASE_URL", None)

from portal import create_app
from portal.config import normalise_database_url
from portal.core.extensions import db
from portal.core.paths import PROJECT_ROOT
from tests.demo_snapshot import DemoSnapshots
from tests.helpers import DEMO_PASSWORD, sign_in

# Fixtures shared by every folder: `smtp`, a real SMTP server on loopback; `silent_listener`.
pytest_plugins = ["tests.mail", "tests.dead_ends"]

TEST_DATABASE_URL = os.environ.get("PORTAL_TEST_DATABASE_URL", "")
TEST_CONFIG = {
    "TESTING": True,
    "WTF_CSRF_ENABLED": False,
    "RATELIMIT_ENABLED": False,
    # Fast hashes in tests only: the production default is scrypt.
    "PASSWORD_HASH_METHOD": "pbkdf2:sha256:1000",
    "DEMO_PASSWORD": DEMO_PASSWORD,
    # Background jobs run inline, right after the request's commit.
    "JOBS_IMMEDIATE": True,
}


def _compile_catalogues() -> None:
    """`make test` compiles the catalogues; this keeps a bare `pytest` working too."""
    from babel.messages.mofile import write_mo
    from babel.messages.pofile import read_po

    for po_path in (PROJECT_ROOT / "portal" / "translations").glob("*/LC_MESSAGES/messages.po"):
        mo_path = po_path.with_suffix(".mo")
        if mo_path.exists() and mo_path.stat().st_mtime >= po_path.stat().st_mtime:
            continue
        with po_path.open("rb") as po_file:
            catalog = read_po(po_file)
        with mo_path.open("wb") as mo_file:
            write_mo(mo_file, catalog)


_compile_catalogues()


def _run_migrations(url: str) -> None:
    import flask_migrate

    app = create_app({**TEST_CONFIG, "SQLALCHEMY_DATABASE_URI": url})
    with app.app_context():
        flask_migrate.upgrade()
        db.engine.dispose()


def _database_of_this_worker(url: str) -> str:
    """Under pytest-xdist (``make test`` runs a worker per core) each worker gets its own
    PostgreSQL database, ``<name>_gw0`` and so on, made anew beside the given one; a plain
    run uses the given database itself."""
    worker = os.environ.get("PYTEST_XDIST_WORKER")
    if not worker:
        return url
    from sqlalchemy.engine import make_url

    given = make_url(url)
    name = f"{given.database}_{worker}"
    engine = create_engine(given, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    engine.dispose()
    return given.set(database=name).render_as_string(hide_password=False)


@pytest.fixture(scope="session")
def migrated_database(tmp_path_factory) -> str:
    """Run the real Alembic migrations once; return the URL (PG) or template path (SQLite)."""
    if TEST_DATABASE_URL:
        url = _database_of_this_worker(normalise_database_url(TEST_DATABASE_URL))
        engine = create_engine(url)
        with engine.begin() as conn:
            conn.execute(text("DROP SCHEMA public CASCADE"))
            conn.execute(text("CREATE SCHEMA public"))
        engine.dispose()
        _run_migrations(url)
        return url
    template = tmp_path_factory.mktemp("template") / "template.db"
    _run_migrations(f"sqlite:///{template}")
    return str(template)


# Tests need no durability: a test's commits need not wait for the disk (on a slow disk that
# wait is most of a PostgreSQL test's time). The data is still written and read back.
PG_TEST_CONNECT_ARGS = {"options": "-c synchronous_commit=off"}


def _empty_all(url: str) -> None:
    """Delete every row and restart every id sequence. DELETE, not TRUNCATE: a test leaves a
    few rows in a few tables, and TRUNCATE makes new files for every table it names, which
    costs far more. Triggers and foreign keys are off for the session (replica role), so the
    append-only audit log can be emptied and the order of tables does not matter."""
    engine = create_engine(url, connect_args=PG_TEST_CONNECT_ARGS)
    with engine.begin() as conn:
        conn.execute(text("SET LOCAL session_replication_role = replica"))
        for table in reversed(db.metadata.sorted_tables):
            conn.execute(table.delete())
        conn.execute(text("SELECT setval(c.oid, 1, false) FROM pg_class c WHERE c.relkind = 'S'"))
    engine.dispose()


@pytest.fixture
def database_url(migrated_database, tmp_path) -> str:
    if TEST_DATABASE_URL:
        yield migrated_database
        _empty_all(migrated_database)
    else:
        path = tmp_path / "portal.db"
        shutil.copyfile(migrated_database, path)
        yield f"sqlite:///{path}"


@pytest.fixture
def app_config(database_url, tmp_path) -> dict:
    """Override in a test module to change settings."""
    config = {
        **TEST_CONFIG,
        "SQLALCHEMY_DATABASE_URI": database_url,
        "FILES_DIR": str(tmp_path / "files"),
    }
    if database_url.startswith("postgresql"):
        config["SQLALCHEMY_ENGINE_OPTIONS"] = {
            "pool_pre_ping": True,
            "connect_args": PG_TEST_CONNECT_ARGS,
        }
    return config


@pytest.fixture
def app(app_config):
    application = create_app(app_config)
    yield application
    with application.app_context():
        db.session.remove()
        db.engine.dispose()


@pytest.fixture
def app_ctx(app):
    with app.app_context():
        yield app


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture(scope="session")
def demo_snapshots(tmp_path_factory) -> DemoSnapshots:
    return DemoSnapshots(tmp_path_factory.mktemp("demo"))


@pytest.fixture
def demo(app, demo_snapshots):
    """The demo accounts of `seed-demo`, committed (seeded once a worker, then copied: see
    tests/demo_snapshot.py)."""
    demo_snapshots.fill(app)
    return app


@pytest.fixture
def signed_in(client, demo):
    """Return a function that signs the test client in as a demo account."""

    def _sign_in_as(email: str):
        response = sign_in(client, email)
        assert response.status_code == 302, response.get_data(as_text=True)[:500]
        return client

    return _sign_in_as


def pytest_collection_modifyitems(config, items):
    for item in items:
        if "/e2e/" in str(item.fspath):
            item.add_marker(pytest.mark.e2e)


# The old name, still imported by a module or two.
_truncate_all = _empty_all
