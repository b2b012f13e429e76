"""What the two-host test does through the pages, and what it reads back from the shared
database and the workers' logs, so that the test itself reads as the list of claims it checks.

Every client of the tests is 127.0.0.1. The module's hosts trust one proxy hop
(``PORTAL_PROXY_HOPS=1``, as behind nginx), so each journey sends an ``X-Forwarded-For`` address
of its own (``client_address``): its rate-limit and lockout counts are its own, and a journey
that is refused on purpose does not refuse the next one.
"""

from __future__ import annotations

import itertools
import re
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from tests.scale.browser import Browser
from tools.cluster import Cluster

_addresses = itertools.count(10)


def client_address() -> str:
    """A documentation address (RFC 5737) that no other journey of the run uses."""
    return f"203.0.113.{next(_addresses)}"


def browser(base: str) -> Browser:
    """A new person at ``base``, reading English where no account says otherwise (the pages'
    messages are matched in English)."""
    person = Browser(base, forwarded_for=client_address())
    person.session.headers["Accept-Language"] = "en"
    return person


def signed_in(browser: Browser) -> bool:
    """Whether the host shows this person the signed-in home page (not the sign-in form)."""
    page = browser.get("/home", allow_redirects=False)
    return page.status_code == 200 and 'action="/logout"' in page.text


def session_cookie(browser: Browser) -> str | None:
    return browser.session.cookies.get("session")


def with_cookie(base: str, cookie: str) -> Browser:
    """A fresh browser that presents a saved session cookie (a replayed cookie)."""
    other = browser(base)
    other.session.cookies.set("session", cookie)
    return other


def wait_until(check: Callable[[], Any], what: str, timeout: float = 180, every: float = 0.5):
    """Poll until ``check()`` returns something true, and return it; fail saying ``what`` was
    awaited. A bound against hanging, not a timing claim: the tests assert outcomes only."""
    deadline = time.monotonic() + timeout
    while True:
        result = check()
        if result:
            return result
        if time.monotonic() > deadline:
            raise AssertionError(f"still waiting after {timeout:.0f} s for {what}")
        time.sleep(every)


# --- the firm's documents --------------------------------------------------------------------


def upload_document(browser: Browser, application_id: int, key: str, name: str, data: bytes):
    page = f"/applications/{application_id}/documents"
    token = browser.csrf_token(page)
    return browser.post(
        f"{page}/{key}",
        {"csrf_token": token},
        files={"file": (name, data, "application/pdf")},
        allow_redirects=False,
    )


def attachment_ids(browser: Browser, application_id: int) -> list[int]:
    page = browser.get(f"/applications/{application_id}/documents").text
    return [int(found) for found in re.findall(r"/files/(\d+)", page)]


# --- the letters export ----------------------------------------------------------------------


def start_letters_export(browser: Browser, program_id: int) -> str:
    """Start the letters export of a programme through its page; the export page's address."""
    page = f"/staff/letters/programmes/{program_id}"
    started = browser.submit(page, {}, to=f"{page}/export", allow_redirects=False)
    location = started.headers.get("Location", "")
    assert started.status_code == 302 and "/staff/letters/exports/" in location, (
        f"the export of programme {program_id} did not start: {started.status_code} {location}"
    )
    return location


def export_status(browser: Browser, export_page: str) -> dict:
    answer = browser.get(f"{export_page}/status")
    assert answer.status_code == 200, f"{export_page}/status: {answer.status_code}"
    return answer.json()


def finished_export(browser: Browser, export_page: str) -> dict:
    status = wait_until(
        lambda: (s := export_status(browser, export_page))["status"] in ("done", "failed") and s,
        f"the export at {export_page} to finish",
    )
    assert status["status"] == "done", f"the export at {export_page} failed: {status}"
    return status


# --- the shared database ---------------------------------------------------------------------


class Database:
    """Read-only look at the cluster's database (what the hosts wrote)."""

    def __init__(self, url: str) -> None:
        self.engine = sa.create_engine(url, poolclass=sa.pool.NullPool)

    def rows(self, sql: str, **params: Any) -> list[sa.Row]:
        with self.engine.connect() as connection:
            return list(connection.execute(sa.text(sql), params))

    def value(self, sql: str, **params: Any) -> Any:
        with self.engine.connect() as connection:
            return connection.execute(sa.text(sql), params).scalar()

    def close(self) -> None:
        self.engine.dispose()


# --- the job workers -------------------------------------------------------------------------

# huey's consumer logs each job it runs at INFO: "Executing portal.letters.tasks.issue_letters:
# 3d2572e6-... 2 retries".
EXECUTING = re.compile(r"Executing ([\w.]+): ([0-9a-f-]{36})")


def worker_log(cluster: Cluster, index: int) -> Path:
    return cluster.work / "logs" / f"host{index}-worker.log"


def log_size(cluster: Cluster, index: int) -> int:
    path = worker_log(cluster, index)
    return path.stat().st_size if path.exists() else 0


def jobs_run(cluster: Cluster, index: int, since: int = 0) -> list[tuple[str, str]]:
    """(task name, job id) of every job host ``index``'s worker ran after byte ``since``."""
    path = worker_log(cluster, index)
    if not path.exists():
        return []
    with path.open("rb") as log:
        log.seek(since)
        text = log.read().decode(errors="replace")
    return EXECUTING.findall(text)
