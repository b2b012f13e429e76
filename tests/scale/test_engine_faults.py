"""The shared engines going away under a running two-host cluster (issue 18, Deliver 3).

The machine's PostgreSQL and Redis serve every other test, so this module runs its cluster on
private ones (``tests/scale/engines.py``) that it may stop and start again: two gunicorn
hosts and two job workers on one private PostgreSQL (seeded with the demo data), one private
Redis and one shared files folder.

The contract under test: ``/healthz`` reports the database, Redis and the file store
separately and answers 503 when a part the deployment needs is down; with Redis down the
portal fails open (rate limits in each process's memory, a logged warning) and a job that
cannot be queued never loses its decision (``letters issue-due`` catches it up); with the
database down pages answer the portal's 503 (with Retry-After), never a 500, and the hosts
recover by themselves; a stored file that has gone missing is a 410 page.
"""

from __future__ import annotations

import html
import re
import shutil
import tempfile
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import psycopg
import pytest
import requests

from tests.scale.browser import Browser
from tests.scale.engines import PrivatePostgres, PrivateRedis, missing
from tools.cluster import Cluster, health

RECOVERY_WAIT = 60  # seconds a host may take to notice an engine is back (a generous bound)
OUTAGE_SECONDS = 3
HIDDEN = r'name="{}" type="hidden" value="([^"]*)"'


@dataclass
class Rig:
    """The cluster and the private engines under it."""

    cluster: Cluster
    postgres: PrivatePostgres
    redis: PrivateRedis
    database: str

    def sql(self, query: str, *params: object) -> str:
        """The first row of ``query`` as psql prints it: its columns joined by "|"."""
        with psycopg.connect(self.postgres.url(self.database).replace("+psycopg", "")) as conn:
            row = conn.execute(query, params).fetchone()
        assert row is not None, query
        return "|".join("" if value is None else str(value) for value in row)

    def scalar(self, query: str, *params: object) -> int:
        return int(self.sql(query, *params))

    @property
    def urls(self) -> list[str]:
        return [host.url for host in self.cluster.members]


@pytest.fixture(scope="module")
def rig() -> Iterator[Rig]:
    reason = missing()
    if reason:
        pytest.skip(f"private engines cannot be started: {reason}")
    postgres, redis = PrivatePostgres(), PrivateRedis()
    work = Path(tempfile.mkdtemp(prefix="portal-engine-faults-"))
    cluster = None
    try:
        postgres.start()
        redis.start()
        database = f"portal_faults_{uuid.uuid4().hex[:8]}"
        postgres.psql(f'CREATE DATABASE "{database}"')
        cluster = Cluster(
            work=work, database_url=postgres.url(database), redis_url=redis.url, hosts=2
        )
        seeded = cluster.flask(0, "seed-demo", "--migrate")
        assert seeded.returncode == 0, seeded.stderr[-3000:]
        cluster.start()
        yield Rig(cluster, postgres, redis, database)
    finally:
        if cluster is not None:
            cluster.stop()
        redis.stop()
        postgres.remove()
        shutil.rmtree(work, ignore_errors=True)


# --- helpers ------------------------------------------------------------------------------


def hidden(page: str, name: str) -> str:
    match = re.search(HIDDEN.format(name), page)
    assert match, f"no hidden {name} on the page"
    return html.unescape(match[1])


def wait_until(check: Callable[[], bool], what: str, timeout: float = RECOVERY_WAIT) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(0.3)
    raise AssertionError(f"{what}: not so after {timeout:.0f} s")


def healthy(rig: Rig) -> bool:
    return all(health(url)[0] == 200 for url in rig.urls)


def signed_in(base: str, email: str) -> Browser:
    browser = Browser(base)
    answer = browser.sign_in(email, allow_redirects=False)
    assert answer.status_code == 302, f"sign-in of {email} at {base}: {answer.status_code}"
    assert "/login" not in answer.headers["Location"], answer.headers["Location"]
    return browser


def assert_workers_alive(rig: Rig) -> None:
    for host in rig.cluster.members:
        assert host.worker is not None and host.worker.poll() is None, (
            f"host {host.index}'s job worker died:\n"
            + rig.cluster.log_tail(f"host{host.index}-worker.log")
        )


def release_rejection(rig: Rig, application_id: int) -> None:
    """The officer turns the application's decision into a rejection (on host 0) and proposes
    the programme's release (on host 1); the approver signs it off (on host 0): the request
    that makes the decision final and would queue the letter's job."""
    program_id = rig.scalar("SELECT program_id FROM applications WHERE id = %s", application_id)
    lock_version = rig.scalar("SELECT lock_version FROM applications WHERE id = %s", application_id)
    seen = rig.sql("SELECT coalesce(decision, '') FROM applications WHERE id = %s", application_id)
    officer = signed_in(rig.urls[0], "officer@example.com")
    prefix = f"a{application_id}-"
    decided = officer.submit(
        f"/staff/decisions/programmes/{program_id}",
        {
            prefix + "decision": "reject",
            prefix + "amount": "",
            prefix + "reason_code": "score_too_low",
            prefix + "reason": "研发投入增长不足。",
            prefix + "lock_version": str(lock_version),
            prefix + "seen_decision": seen,
        },
        to=f"/staff/decisions/applications/{application_id}/decide",
        allow_redirects=False,
    )
    assert decided.status_code == 302, decided.text[-2000:]

    at_other = officer.at(rig.urls[1])
    release = f"/staff/decisions/programmes/{program_id}/release"
    page = at_other.get(release).text
    proposed = at_other.post(
        release,
        {"snapshot": hidden(page, "snapshot"), "csrf_token": hidden(page, "csrf_token")},
        allow_redirects=False,
    )
    assert proposed.status_code == 302, proposed.text[-2000:]

    proposal = rig.scalar(
        "SELECT id FROM sign_off_proposals WHERE status = 'pending' ORDER BY id DESC LIMIT 1"
    )
    approver = signed_in(rig.urls[0], "leader@example.com")
    page = approver.get(f"/staff/sign-off/{proposal}").text
    signed = approver.post(
        f"/staff/sign-off/{proposal}/approve",
        {"fingerprint": hidden(page, "fingerprint"), "csrf_token": hidden(page, "csrf_token")},
        allow_redirects=False,
    )
    assert signed.status_code == 302, signed.text[-2000:]


def current_letters(rig: Rig, application_id: int) -> int:
    return rig.scalar(
        "SELECT count(*) FROM letters WHERE application_id = %s AND status = 'current'",
        application_id,
    )


# --- Redis ----------------------------------------------------------------------------------


def test_redis_down_fails_open_and_loses_no_decision(rig: Rig) -> None:
    """Redis stopped under the running cluster, then started again.

    1. ``/healthz`` on both hosts: 503 with redis "unavailable" and database "ok".
    2. Sign-in works on both hosts (rate limits fall back to each process's memory, with a
       logged warning).
    3. The public verification of a demo letter works.
    4. The release of a rejection (officer's decision and proposal, approver's sign-off)
       succeeds: the decision is committed although its letter's job could not be queued
       (which is logged).
    5. The job workers are still alive.
    6. Redis back: ``/healthz`` answers 200 on both hosts without restarting them;
       ``letters issue-due`` issues the letter the lost job would have; a new job (a letter
       export) queued through the restarted Redis is run by the workers.
    """
    code = rig.sql("SELECT verification_code FROM letters WHERE status = 'current' LIMIT 1")
    application_id = rig.scalar(
        "SELECT id FROM applications WHERE status = 'decided' ORDER BY id LIMIT 1"
    )
    assert current_letters(rig, application_id) == 0
    rig.redis.stop()
    try:
        for url in rig.urls:
            status, body = health(url)
            assert status == 503, (url, status, body)
            assert body.get("redis") == "unavailable" and body.get("database") == "ok", body

        for url in rig.urls:
            signed_in(url, "ent2@example.com")

        for url in rig.urls:
            verified = requests.get(f"{url}/verify/{code}", timeout=60)
            assert verified.status_code == 200, verified.status_code
            assert code in verified.text.replace("-", "")

        release_rejection(rig, application_id)
        assert rig.sql("SELECT status FROM applications WHERE id = %s", application_id) == (
            "rejected"
        )
        assert current_letters(rig, application_id) == 0  # its job was lost with Redis
        assert_workers_alive(rig)
        logs = rig.cluster.logs()
        assert "could not queue job issue_letters" in logs  # the loss is logged, not silent
        assert "falling back to in-memory storage" in logs  # the rate limits' fail-open warning
    finally:
        rig.redis.start()

    wait_until(lambda: healthy(rig), "both hosts healthy again after Redis came back")
    assert_workers_alive(rig)

    caught_up = rig.cluster.flask(0, "letters", "issue-due")
    assert caught_up.returncode == 0, caught_up.stderr[-3000:]
    assert current_letters(rig, application_id) == 1, caught_up.stdout

    program_id = rig.scalar("SELECT program_id FROM applications WHERE id = %s", application_id)
    officer = signed_in(rig.urls[1], "officer@example.com")
    started = officer.submit(
        f"/staff/letters/programmes/{program_id}",
        {},
        to=f"/staff/letters/programmes/{program_id}/export",
        allow_redirects=False,
    )
    assert started.status_code == 302, started.text[-2000:]
    export_id = rig.scalar("SELECT max(id) FROM letter_exports")
    wait_until(
        lambda: rig.sql("SELECT status FROM letter_exports WHERE id = %s", export_id) == "done",
        "the export queued after Redis came back is done",
        timeout=180,
    )
    assert_workers_alive(rig)


# --- PostgreSQL -----------------------------------------------------------------------------


@dataclass
class Traffic:
    """What the threads saw while the database went away and came back."""

    answers: list[tuple[str, int, str]] = field(default_factory=list)  # (what, status, why)
    failures: list[str] = field(default_factory=list)  # connection errors, 500s, bad 503s
    saved_titles: list[str] = field(default_factory=list)  # writes that answered success
    stop: threading.Event = field(default_factory=threading.Event)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def note(self, what: str, answer: requests.Response) -> None:
        problem = ""
        if answer.status_code >= 500 and answer.status_code != 503:
            problem = f"{answer.status_code} from {what}"
        elif answer.status_code == 503 and not portal_unavailable_page(answer):
            problem = f"a 503 from {what} that is not the portal's page: {answer.text[:300]!r}"
        elif 400 <= answer.status_code < 500:
            problem = f"{answer.status_code} from {what}"
        with self.lock:
            self.answers.append((what, answer.status_code, problem))
            if problem:
                self.failures.append(problem)

    def broke(self, what: str, error: Exception) -> None:
        with self.lock:
            self.failures.append(f"{what}: {type(error).__name__}: {error}")


def portal_unavailable_page(answer: requests.Response) -> bool:
    """The portal's own 503: a page that says when to try again (not gunicorn's or a
    proxy's bare error)."""
    return "Retry-After" in answer.headers and "text/html" in answer.headers.get("Content-Type", "")


READ_PAGES = {
    "officer@example.com": ["/staff/decisions", "/staff/letters", "/"],
    "ent2@example.com": ["/applications", "/profile", "/"],
}


def reader(traffic: Traffic, bases: list[str], browser: Browser, email: str) -> None:
    turn = 0
    while not traffic.stop.is_set():
        base = bases[turn % len(bases)]
        path = READ_PAGES[email][turn % len(READ_PAGES[email])]
        turn += 1
        what = f"GET {base}{path} as {email}"
        try:
            traffic.note(what, browser.at(base).get(path, allow_redirects=False))
        except requests.RequestException as error:
            traffic.broke(what, error)
        time.sleep(0.05)


def writer(traffic: Traffic, bases: list[str], browser: Browser, application_id: int) -> None:
    """The firm saves its draft's summary again and again, each time with a new title,
    through both hosts in turn; a save is one request that either commits or does not."""
    form = f"/applications/{application_id}/summary"
    turn = 0
    while not traffic.stop.is_set():
        base = bases[turn % len(bases)]
        turn += 1
        title = f"Draft title {turn}"
        what = f"save {title!r} at {base}"
        try:
            page = browser.at(base).get(form, allow_redirects=False)
            traffic.note(f"GET {base}{form}", page)
            if page.status_code != 200:
                time.sleep(0.1)
                continue
            saved = browser.at(base).post(
                form,
                {
                    "project_title": title,
                    "project_summary": "A summary saved while the database restarts.",
                    "then": "leave",
                    "csrf_token": hidden(page.text, "csrf_token"),
                },
                allow_redirects=False,
            )
            traffic.note(what, saved)
            if saved.status_code == 302:
                with traffic.lock:
                    traffic.saved_titles.append(title)
        except requests.RequestException as error:
            traffic.broke(what, error)


def test_postgres_restart_mid_traffic_fails_cleanly_and_recovers(rig: Rig) -> None:
    """PostgreSQL stopped (fast: connections cut) for a few seconds while pages are read and a
    draft is saved through both hosts, then started again.

    1. Traffic: an officer and a firm read pages, another firm saves its draft's summary
       with a new title each time, alternating between the hosts.
    2. Outage: ``/healthz`` on both hosts answers 503 with database "unavailable".
    3. Every answer during all of it is 2xx/3xx or the portal's 503 (Retry-After), never a
       500 and never a cut connection.
    4. Recovery: both hosts answer ``/healthz`` 200 again without a restart, the firm's saves
       succeed again, and the signed-in people's pages work on both hosts.
    5. Nothing half-written: each save that answered success wrote its row and its audit
       event, exactly once; the last title answered as saved is the one stored; ``tallies
       check`` and ``payments check`` pass.
    """
    application_id = rig.scalar(
        "SELECT a.id FROM applications a JOIN users u ON u.enterprise_id = a.enterprise_id"
        " WHERE a.status = 'draft' AND u.email = 'ent1@example.com' ORDER BY a.id LIMIT 1"
    )
    audit_query = (
        "SELECT count(*) FROM audit_events"
        " WHERE action = 'application.section_saved' AND application_id = %s"
    )
    audits_before = rig.scalar(audit_query, application_id)
    traffic = Traffic()
    readers = [(signed_in(rig.urls[0], email), email) for email in READ_PAGES]
    firm = signed_in(rig.urls[1], "ent1@example.com")
    threads = [
        *(
            threading.Thread(target=reader, args=(traffic, rig.urls, browser, email))
            for browser, email in readers
        ),
        threading.Thread(target=writer, args=(traffic, rig.urls, firm, application_id)),
    ]
    for thread in threads:
        thread.start()
    outage: list[tuple[int, dict]] = []
    try:
        time.sleep(2)
        rig.postgres.stop()
        try:
            outage = [health(url) for url in rig.urls]
            time.sleep(OUTAGE_SECONDS)
        finally:
            rig.postgres.start()
        wait_until(lambda: healthy(rig), "both hosts healthy again after PostgreSQL restarted")
        saved_before_recovery = len(traffic.saved_titles)
        wait_until(
            lambda: len(traffic.saved_titles) > saved_before_recovery + 2,
            "the firm's saves succeed again after the recovery",
        )
    finally:
        traffic.stop.set()
        for thread in threads:
            thread.join(timeout=120)

    for status, body in outage:
        assert status == 503, (status, body)
        assert body.get("database") == "unavailable", body
    assert not traffic.failures, "\n".join(traffic.failures[:20])
    assert any(status == 503 for _, status, _ in traffic.answers), "the outage went unseen"
    assert traffic.saved_titles, "no save succeeded"

    for host in rig.cluster.members:  # recovered by themselves, not restarted
        assert host.web is not None and host.web.poll() is None, f"host {host.index} exited"
    for browser, email in readers:  # the sessions outlived the outage
        for url in rig.urls:
            page = browser.at(url).get(READ_PAGES[email][0], allow_redirects=False)
            assert page.status_code == 200, (email, url, page.status_code)
    assert rig.scalar(audit_query, application_id) - audits_before == len(traffic.saved_titles)
    stored = rig.sql("SELECT project_title FROM applications WHERE id = %s", application_id)
    assert stored == traffic.saved_titles[-1]
    for command in (("tallies", "check"), ("payments", "check")):
        result = rig.cluster.flask(0, *command)
        assert result.returncode == 0, (command, result.stdout[-2000:], result.stderr[-2000:])


# --- the file store -------------------------------------------------------------------------


def test_missing_stored_file_is_a_410_page(rig: Rig) -> None:
    """A letter's stored file removed from the shared folder (as if the store were not
    mounted): its download is a 410 page on both hosts, not a 500, and ``/healthz`` reports
    the file store "unavailable" (it looks for the newest letter's file, which this is). The
    file is put back afterwards, and the page and the health are as before."""
    letter_id, key = rig.sql("SELECT id, pdf_key FROM letters ORDER BY id DESC LIMIT 1").split("|")
    stored = rig.cluster.files_dir / key
    assert stored.is_file(), stored
    officer = signed_in(rig.urls[0], "officer@example.com")
    download = f"/letters/{letter_id}/zh.pdf"
    assert officer.get(download).status_code == 200

    aside = stored.with_name(stored.name + ".aside")
    stored.rename(aside)
    try:
        for url in rig.urls:
            gone = officer.at(url).get(download)
            assert gone.status_code == 410, (url, gone.status_code)
            assert "text/html" in gone.headers.get("Content-Type", "")
            status, body = health(url)
            assert status == 503 and body.get("files") == "unavailable", (url, status, body)
            assert body.get("database") == "ok" and body.get("redis") == "ok", body
    finally:
        aside.rename(stored)

    for url in rig.urls:
        assert officer.at(url).get(download).status_code == 200
    wait_until(lambda: healthy(rig), "both hosts healthy with the file back")
