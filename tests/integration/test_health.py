"""``/healthz`` reports the database, Redis and the file store each on its own, and answers 503
when a part this host needs is down (issue 18, point 3). Real parts: a Redis address where
nothing listens is a real refused connection, a listener that never answers a real hung one;
the file store is a real folder."""

from __future__ import annotations

import logging
import shutil
import threading
from datetime import UTC, datetime
from pathlib import Path

import pytest
import redis

from portal import create_app
from portal.core.extensions import db
from tests.dead_ends import free_port
from tests.helpers import add_final_decision
from tests.integration.test_decisions import RD

# How long a hung Redis may hold a health check before the test gives up on it (a guard
# against hanging, not a timing assertion: the check returns after its 1-second timeouts).
PATIENCE = 60
MACHINE_REDIS = "redis://127.0.0.1:6379/14"  # the database number this suite may use


def make_app(app_config, **overrides):
    return create_app({**app_config, **overrides})


def health_of(app) -> tuple[int, dict]:
    response = app.test_client().get("/healthz")
    return response.status_code, response.get_json()


def stored_letter(app) -> tuple[int, str]:
    """A real letter (its two PDFs in the store) for a final decision: (id, Chinese PDF key)."""
    from tests.integration.test_letters import issue

    (letter,) = issue(app, add_final_decision(app, RD))
    return letter.id, letter.pdf_key


def health_warnings(caplog) -> list[str]:
    return [
        r.getMessage()
        for r in caplog.records
        if r.name == "portal" and r.levelno == logging.WARNING
    ]


# --- all well ---------------------------------------------------------------------------------


def test_every_part_reported_ok(app):
    Path(app.config["FILES_DIR"]).mkdir(parents=True)
    status, body = health_of(app)
    assert status == 200
    assert body == {"status": "ok", "database": "ok", "redis": "not configured", "files": "ok"}


def test_a_new_installation_without_its_files_folder_yet_is_healthy(app, tmp_path):
    """Nothing stored yet: the first file stored creates the folder; the check leaves it be."""
    files = tmp_path / "files"
    assert not files.exists()
    status, body = health_of(app)
    assert status == 200 and body["files"] == "ok"
    assert not files.exists()


def test_newest_stored_files_present(app, demo):
    stored_letter(app)
    status, body = health_of(app)
    assert status == 200 and body["files"] == "ok", body


# --- the file store ---------------------------------------------------------------------------


def test_newest_stored_file_deleted_is_files_unavailable(app, demo, caplog):
    _letter_id, key = stored_letter(app)
    (Path(app.config["FILES_DIR"]) / key).unlink()
    with caplog.at_level(logging.WARNING):
        status, body = health_of(app)
    assert status == 503
    assert body == {
        "status": "error",
        "database": "ok",
        "redis": "not configured",
        "files": "unavailable",
    }
    assert any("files" in m and key in m for m in health_warnings(caplog)), caplog.text


def test_files_folder_missing_once_files_are_stored(app, demo, tmp_path, caplog):
    stored_letter(app)
    shutil.move(app.config["FILES_DIR"], tmp_path / "elsewhere")
    with caplog.at_level(logging.WARNING):
        status, body = health_of(app)
    assert status == 503 and body["files"] == "unavailable" and body["database"] == "ok"
    assert any("is not there" in m for m in health_warnings(caplog)), caplog.text


def test_an_empty_folder_in_place_of_the_shared_one(app_config, demo, tmp_path):
    """The share not mounted on this host: its mount point is an empty folder that takes a
    probe file well enough, but holds none of the files the database points at."""
    stored_letter(demo)
    empty = tmp_path / "not-mounted"
    empty.mkdir()
    other = make_app(app_config, FILES_DIR=str(empty))
    try:
        status, body = health_of(other)
    finally:
        with other.app_context():
            db.engine.dispose()
    assert status == 503 and body["files"] == "unavailable" and body["database"] == "ok"
    assert health_of(demo)[0] == 200  # the host with the share is fine


def test_a_folder_that_takes_no_file_is_files_unavailable(app, tmp_path, caplog):
    """The store cannot write (its year folder is a file): the probe fails. Tests run as
    root, for whom permission bits are no obstacle, so the obstacle is the file system's."""
    files = tmp_path / "files"
    files.mkdir()
    (files / f"{datetime.now(UTC):%Y}").write_bytes(b"not a folder")
    with caplog.at_level(logging.WARNING):
        status, body = health_of(app)
    assert status == 503 and body["files"] == "unavailable" and body["database"] == "ok"
    assert any("probe file" in m for m in health_warnings(caplog)), caplog.text


def test_a_good_probe_is_trusted_a_few_seconds_a_bad_one_never(app, tmp_path, monkeypatch):
    """A client calling /healthz in a loop costs one probe file per process every few seconds,
    not one per call; a store that fails is probed again on the next call."""
    from portal.core import health
    from portal.core.files import LocalFileStore

    written = []
    save = LocalFileStore.save

    def counted_save(store, data):
        written.append(len(data))
        return save(store, data)

    monkeypatch.setattr(LocalFileStore, "save", counted_save)
    (tmp_path / "files").mkdir()
    for _ in range(5):
        status, body = health_of(app)
        assert (status, body["files"]) == (200, "ok")
    assert len(written) == 1
    # The store can no longer take a file (its year folder is a file) ...
    year = tmp_path / "files" / f"{datetime.now(UTC):%Y}"
    shutil.rmtree(year, ignore_errors=True)
    year.write_bytes(b"not a folder")
    assert health_of(app)[1]["files"] == "ok"  # ... unseen while the good probe is fresh
    monkeypatch.setattr(health, "PROBE_FRESH_SECONDS", 0.0)  # as when the seconds have passed
    assert health_of(app)[1]["files"] == "unavailable"
    assert len(written) == 2
    monkeypatch.setattr(health, "PROBE_FRESH_SECONDS", 5.0)
    assert health_of(app)[1]["files"] == "unavailable"  # a failed probe is never trusted
    assert len(written) == 3


# --- Redis ------------------------------------------------------------------------------------


def test_redis_refusing_is_redis_unavailable(app_config, tmp_path, caplog):
    (tmp_path / "files").mkdir()
    dead = make_app(app_config, REDIS_URL=f"redis://127.0.0.1:{free_port()}/0")
    with caplog.at_level(logging.WARNING):
        status, body = health_of(dead)
    assert status == 503
    assert body == {"status": "error", "database": "ok", "redis": "unavailable", "files": "ok"}
    assert any("redis is unavailable" in m for m in health_warnings(caplog)), caplog.text


def test_a_hung_redis_does_not_hold_the_check(app_config, tmp_path, silent_listener):
    (tmp_path / "files").mkdir()
    hung = make_app(app_config, REDIS_URL=f"redis://127.0.0.1:{silent_listener}/0")
    answers: list[tuple[int, dict]] = []
    check = threading.Thread(target=lambda: answers.append(health_of(hung)), daemon=True)
    check.start()
    check.join(PATIENCE)
    assert answers, "the health check hung on a Redis that never answers"
    status, body = answers[0]
    assert status == 503 and body["redis"] == "unavailable" and body["database"] == "ok"


def test_redis_answering_is_redis_ok(app_config, tmp_path):
    try:
        redis.Redis.from_url(MACHINE_REDIS, socket_connect_timeout=1).ping()
    except redis.RedisError:
        pytest.skip("no Redis on 127.0.0.1:6379")
    (tmp_path / "files").mkdir()
    live = make_app(app_config, REDIS_URL=MACHINE_REDIS)
    status, body = health_of(live)
    assert status == 200
    assert body == {"status": "ok", "database": "ok", "redis": "ok", "files": "ok"}


# --- the database -----------------------------------------------------------------------------


def test_database_refusing_is_database_unavailable(app_config, tmp_path):
    (tmp_path / "files").mkdir()
    url = f"postgresql+psycopg://postgres@127.0.0.1:{free_port()}/portal"
    gone = make_app(app_config, SQLALCHEMY_DATABASE_URI=url, SQLALCHEMY_ENGINE_OPTIONS={})
    status, body = health_of(gone)
    assert status == 503
    assert body == {
        "status": "error",
        "database": "unavailable",
        "redis": "not configured",
        "files": "ok",
    }
