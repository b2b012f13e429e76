"""The portal under faults of its shared engines (issue 18, point 3), with real parts: a stored
file that is gone is a 410 page, never a 500; a database that does not answer (a closed port,
or PostgreSQL dropping the connection in the middle of a request) is a 503 page with
Retry-After, and the next request works; Redis down fails open (rate limits count in memory,
a job that cannot be queued loses no decision). "Redis down" is a loopback port where nothing
listens (a real refused connection) or that never answers (a real hung one)."""

from __future__ import annotations

import logging
import os
import threading
from pathlib import Path

import pytest
from flask_babel import force_locale, gettext
from sqlalchemy import create_engine, select, text

from portal import create_app
from portal.applications.models import Application, Attachment, Status
from portal.core.access import PUBLIC, allow
from portal.core.errors import RETRY_AFTER_SECONDS
from portal.core.extensions import db, limiter
from portal.core.files import LocalFileStore, StoredFileMissing
from tests.dead_ends import free_port
from tests.helpers import (
    add_final_decision,
    english_client,
    letters_of,
    sign_in,
    submit_application,
)
from tests.integration.test_decisions import RD, load, make_application, make_firm, officer_client

FIRM = "ent1@example.com"
GONE_TEXT = "This file is not available at the moment. The bureau has been told; try again later."
BRIEFLY_UNAVAILABLE = "The portal is briefly unavailable; nothing was saved."
# How long a hung Redis may hold a request before the test gives up on it (a guard against
# hanging, not a timing assertion: the request returns after the queue's short timeouts).
PATIENCE = 60


@pytest.fixture
def other_apps():
    """Apps made by a test on other settings; their connections are closed afterwards."""
    made = []

    def make(config: dict):
        application = create_app(config)
        made.append(application)
        return application

    yield make
    for application in made:
        with application.app_context():
            db.session.remove()
            db.engine.dispose()


@pytest.fixture
def logger_enabled(monkeypatch):
    """Let a module's logger through: the test session's Alembic run (logging.fileConfig)
    disabled every logger that existed before it."""

    def enable(name: str) -> None:
        monkeypatch.setattr(logging.getLogger(name), "disabled", False)

    return enable


def text_of(response) -> str:
    return response.get_data(as_text=True)


def portal_records(caplog, level: int) -> list[logging.LogRecord]:
    return [r for r in caplog.records if r.name == "portal" and r.levelno == level]


# --- a stored file that is gone ---------------------------------------------------------------


def test_the_store_says_which_file_is_missing(tmp_path):
    store = LocalFileStore(tmp_path)
    key = store.save(b"x")
    store.delete(key)
    for read in (store.read, store.open):
        with pytest.raises(StoredFileMissing) as raised:
            read(key)
        assert raised.value.key == key
        assert isinstance(raised.value, FileNotFoundError)  # what callers caught before


def test_a_letter_whose_file_is_gone_is_a_410_page(app, demo, caplog):
    from tests.integration.test_letters import issue

    (letter,) = issue(app, add_final_decision(app, RD))
    (Path(app.config["FILES_DIR"]) / letter.pdf_key).unlink()
    officer = officer_client(app)
    with caplog.at_level(logging.ERROR):
        response = officer.get(f"/letters/{letter.id}/zh.pdf")
    assert response.status_code == 410
    assert response.mimetype == "text/html"
    page = text_of(response)
    assert GONE_TEXT in page and "File not available" in page
    assert 'class="masthead"' in page  # the portal's own look
    (record,) = portal_records(caplog, logging.ERROR)
    assert letter.pdf_key in record.getMessage() and "/letters/" in record.getMessage()
    # the other language's file is still there
    assert officer.get(f"/letters/{letter.id}/en.pdf").status_code == 200


def test_an_upload_whose_file_is_gone_is_a_410_page_in_both_languages(app, demo, caplog):
    application_id = submit_application(app, FIRM, RD)
    with app.app_context():
        attachment = db.session.scalars(
            select(Attachment).where(Attachment.application_id == application_id)
        ).first()
        attachment_id, key = attachment.id, attachment.storage_key
    (Path(app.config["FILES_DIR"]) / key).unlink()

    firm = english_client(app, FIRM)
    with caplog.at_level(logging.ERROR):
        for path in (f"/files/{attachment_id}", f"/files/{attachment_id}/view"):
            response = firm.get(path)
            assert response.status_code == 410, path
            assert GONE_TEXT in text_of(response)
    messages = [r.getMessage() for r in portal_records(caplog, logging.ERROR)]
    assert len(messages) == 2 and all(key in m for m in messages)
    assert "files.download" in messages[0] and "files.view" in messages[1]

    chinese = app.test_client()
    sign_in(chinese, FIRM)
    chinese.post("/language", data={"locale": "zh_CN", "next": "/"})
    response = chinese.get(f"/files/{attachment_id}")
    assert response.status_code == 410
    page = text_of(response)
    assert 'lang="zh-CN"' in page
    with app.test_request_context(), force_locale("zh_CN"):
        assert gettext("File not available") in page


# --- the database does not answer -------------------------------------------------------------


def closed_port_database(app_config) -> dict:
    url = f"postgresql+psycopg://postgres@127.0.0.1:{free_port()}/portal"
    return {**app_config, "SQLALCHEMY_DATABASE_URI": url, "SQLALCHEMY_ENGINE_OPTIONS": {}}


def test_a_database_that_refuses_is_a_503_page_not_a_500(app_config, other_apps, caplog):
    gone = other_apps(closed_port_database(app_config))
    client = gone.test_client()
    with caplog.at_level(logging.WARNING):
        page = client.get("/programmes?lang=en")
        form = client.post("/login?lang=en", data={"email": FIRM, "password": "x"})
    for response in (page, form):
        assert response.status_code == 503
        assert response.headers["Retry-After"] == str(RETRY_AFTER_SECONDS)
        assert BRIEFLY_UNAVAILABLE in text_of(response)
    warnings = [r for r in portal_records(caplog, logging.WARNING) if "database" in r.getMessage()]
    assert len(warnings) == 2 and not any(r.exc_info for r in warnings)  # one line each
    assert not portal_records(caplog, logging.ERROR)


def test_a_signed_in_person_gets_the_503_page_too(app, demo, app_config, other_apps):
    """The page is drawn without the database: no account to load, no notifications to
    count. The session is one this portal signed (the hosts share their secret)."""
    client = app.test_client()
    assert sign_in(client, FIRM).status_code == 302
    gone = other_apps(closed_port_database(app_config)).test_client()
    gone.set_cookie("session", client.get_cookie("session").value)
    response = gone.get("/")
    assert response.status_code == 503
    assert response.headers["Retry-After"] == str(RETRY_AFTER_SECONDS)
    assert response.headers["Cache-Control"] == "no-store"


needs_postgres = pytest.mark.skipif(
    not os.environ.get("PORTAL_TEST_DATABASE_URL"),
    reason="PostgreSQL only: set PORTAL_TEST_DATABASE_URL",
)


def terminate(url: str, *, pid: int | None = None) -> None:
    """End the app's PostgreSQL connections (one, or all of its database's but ours), as a
    restart or an administrator would."""
    admin = create_engine(url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        if pid is not None:
            conn.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
        else:
            conn.execute(
                text(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                    "WHERE datname = current_database() AND pid <> pg_backend_pid()"
                )
            )
    admin.dispose()


@needs_postgres
def test_a_connection_dropped_mid_request_is_a_503_and_the_next_request_works(app, caplog):
    url = app.config["SQLALCHEMY_DATABASE_URI"]

    @app.route("/test/dropped-mid-request", methods=["GET", "POST"])
    @allow(PUBLIC)
    def dropped_mid_request():
        pid = db.session.scalar(text("SELECT pg_backend_pid()"))
        terminate(url, pid=pid)
        db.session.execute(text("SELECT 1"))  # on the connection that is gone
        return "not reached"

    client = app.test_client()
    with caplog.at_level(logging.WARNING):
        for method in (client.get, client.post):
            response = method("/test/dropped-mid-request?lang=en")
            assert response.status_code == 503
            assert response.headers["Retry-After"] == str(RETRY_AFTER_SECONDS)
            assert BRIEFLY_UNAVAILABLE in text_of(response)
            # the broken connection was thrown away: the next request has a working one
            assert client.get("/healthz").get_json()["database"] == "ok"
    assert not portal_records(caplog, logging.ERROR)


@needs_postgres
def test_connections_dropped_between_requests_are_replaced_unnoticed(app, demo):
    client = app.test_client()
    assert client.get("/programmes").status_code == 200
    terminate(app.config["SQLALCHEMY_DATABASE_URI"])  # every idle connection of the pool
    assert client.get("/programmes").status_code == 200  # pool_pre_ping: no restart needed


# --- Redis down: fail open --------------------------------------------------------------------


@pytest.fixture
def restore_limiter():
    """The limiter is one object for every app of the process: forget a dead storage."""
    yield
    limiter._storage_dead = False


def test_sign_in_and_verification_work_with_rate_limits_in_memory(
    app_config, demo, other_apps, logger_enabled, restore_limiter, caplog
):
    logger_enabled("flask-limiter")
    dead = f"redis://127.0.0.1:{free_port()}/0"
    limited = other_apps(
        {
            **app_config,
            "RATELIMIT_ENABLED": True,
            "RATELIMIT_STORAGE_URI": dead,
            "RATELIMIT_STORAGE_OPTIONS": {"socket_connect_timeout": 2, "socket_timeout": 2},
            "VERIFY_RATE_LIMIT": "3/minute",
        }
    )
    client = limited.test_client()
    with caplog.at_level(logging.WARNING):
        assert sign_in(client, FIRM).status_code == 302
    assert any(
        r.name == "flask-limiter" and r.levelno == logging.WARNING for r in caplog.records
    ), caplog.text

    visitor = limited.test_client()
    assert visitor.get("/verify").status_code == 200
    assert [visitor.get(f"/verify/ABCDEFGHJKM{i}").status_code for i in (2, 3)] == [404, 404]
    # the limit still holds, counted in this process's memory
    assert visitor.get("/verify/ABCDEFGHJKM4").status_code == 429


def reject_at_formal_check(app, application_id: int):
    officer = officer_client(app)
    return officer.post(
        f"/staff/applications/{application_id}/reject",
        data={"reason": "材料不全。", "lock_version": load(app, application_id).lock_version},
    )


@pytest.mark.parametrize("redis_state", ["refusing", "hung"])
def test_a_job_that_cannot_be_queued_loses_no_decision(
    app_config, demo, other_apps, logger_enabled, silent_listener, redis_state, caplog
):
    logger_enabled("portal.core.jobs")
    port = free_port() if redis_state == "refusing" else silent_listener
    queued = other_apps(
        {**app_config, "JOBS_IMMEDIATE": False, "REDIS_URL": f"redis://127.0.0.1:{port}/0"}
    )
    application_id = make_application(queued, RD, make_firm(queued, 1), status=Status.SUBMITTED)

    answers = []
    with caplog.at_level(logging.ERROR):
        request = threading.Thread(
            target=lambda: answers.append(reject_at_formal_check(queued, application_id)),
            daemon=True,
        )
        request.start()
        request.join(PATIENCE)
    assert answers, "the request hung on a Redis that does not answer"
    assert answers[0].status_code == 302
    assert load(queued, application_id).status is Status.REJECTED  # the decision is committed
    assert letters_of(queued, application_id) == []  # its letter's job was lost
    assert any("could not queue job" in r.getMessage() for r in caplog.records), caplog.text

    # `letters issue-due` catches the letter up
    result = queued.test_cli_runner().invoke(args=["letters", "issue-due"])
    assert result.exit_code == 0, result.output
    (letter,) = letters_of(queued, application_id)
    with queued.app_context():
        assert db.session.get(Application, application_id).status is Status.REJECTED
    assert letter.application_id == application_id
