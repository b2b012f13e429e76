"""Fixtures of the security tests: worlds of real objects built once and restored per test
(tests/security/world.py), an app whose compiled templates are shared between tests, and the
live server and browser of the end-to-end tests.

Modules that run many cheap cases use ``world_app`` (one app per module, reset to the world
before each test by ``fresh_world``). On PostgreSQL both share the one test database, so every
restore empties it first and a module's ``world_app`` empties it when the module ends.
"""

from __future__ import annotations

import jinja2
import pytest

from portal import create_app
from tests.conftest import TEST_CONFIG, TEST_DATABASE_URL
from tests.e2e.conftest import browser, live_server  # noqa: F401  (re-exported fixtures)
from tests.helpers import close_connections
from tests.integration.test_letter_security import listener  # noqa: F401  (a fixture too)
from tests.security.world import (
    Snapshot,
    build_base_world,
    build_snapshot,
    empty_everything,
    postgres_engine_options,
    reset,
    restore,
)


class SharedBytecodeCache(jinja2.BytecodeCache):
    """Compiled templates kept in memory for every app of the session (Jinja checks each
    template's source checksum, so an edited template is compiled again)."""

    def __init__(self) -> None:
        self._store: dict[str, bytes] = {}

    def load_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
        code = self._store.get(bucket.key)
        if code is not None:
            bucket.bytecode_from_string(code)

    def dump_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
        self._store[bucket.key] = bucket.bytecode_to_string()


TEMPLATE_CACHE = SharedBytecodeCache()


def make_app(config: dict):
    application = create_app(config)
    application.jinja_env.bytecode_cache = TEMPLATE_CACHE
    return application


@pytest.fixture
def app(app):
    """The app of tests/conftest.py, with the shared compiled templates."""
    app.jinja_env.bytecode_cache = TEMPLATE_CACHE
    return app


def _snapshot(builder, migrated_database, tmp_path_factory) -> Snapshot:
    return build_snapshot(
        builder,
        base_config=TEST_CONFIG,
        migrated_database=migrated_database,
        postgres=bool(TEST_DATABASE_URL),
        folder=tmp_path_factory.mktemp(builder.__name__),
    )


@pytest.fixture(scope="session")
def base_snapshot(migrated_database, tmp_path_factory) -> Snapshot:
    return _snapshot(build_base_world, migrated_database, tmp_path_factory)


@pytest.fixture(scope="session")
def xss_snapshot(migrated_database, tmp_path_factory) -> Snapshot:
    from tests.security.xss_world import build_xss_world

    return _snapshot(build_xss_world, migrated_database, tmp_path_factory)


@pytest.fixture
def world(app, base_snapshot) -> dict:
    """This test's database holds the base world (see build_base_world); returns its ids."""
    return restore(app, base_snapshot)


@pytest.fixture(scope="module")
def world_app_config() -> dict:
    """Settings of the module's ``world_app`` (override in a module)."""
    return {}


@pytest.fixture(scope="module")
def world_app(world_app_config, migrated_database, tmp_path_factory):
    folder = tmp_path_factory.mktemp("world-app")
    url = migrated_database if TEST_DATABASE_URL else f"sqlite:///{folder / 'portal.db'}"
    application = make_app(
        {
            **TEST_CONFIG,
            "SQLALCHEMY_DATABASE_URI": url,
            "FILES_DIR": str(folder / "files"),
            "OUTBOX_DIR": str(folder / "outbox"),
            **postgres_engine_options(url),
            **world_app_config,
        }
    )
    yield application
    close_connections(application)
    if TEST_DATABASE_URL:
        empty_everything(url)


@pytest.fixture
def fresh_world(world_app, base_snapshot) -> dict:
    """``world_app`` reset to the base world; returns its ids."""
    return reset(world_app, base_snapshot)


@pytest.fixture
def fresh_xss_world(world_app, xss_snapshot) -> dict:
    """``world_app`` reset to the hostile world (tests/security/xss_world.py)."""
    return reset(world_app, xss_snapshot)
