"""The README's production topology, for real: two gunicorn hosts, each with its own instance
folder and a job worker beside it, on one PostgreSQL database, one Redis, one files folder and
one secret. What a person or an operator meets must not depend on which host answers:

* a session, its CSRF token and its sign-out hold on both hosts;
* rate limits and the lockout after failed sign-ins count across hosts;
* a file uploaded on one host, a decision letter and a letters export are the same bytes from
  either host, and the public verification page works on both;
* background jobs run once each, by both workers, and letter numbers stay gapless;
* operator commands started on both hosts at the same moment both end well.

Run with ``PORTAL_SCALE_MISCONFIGURE=own-files|own-secret|no-redis`` to see these tests fail
when host 1 is given a files folder, a secret or (no) Redis of its own.
"""

from __future__ import annotations

import io
import re
import zipfile
from collections import Counter, defaultdict

import pytest

from tests.helpers import make_pdf
from tests.scale import journeys
from tests.scale.journeys import Database, browser, signed_in, wait_until
from tools.cluster import health

LOGIN_LIMIT = 8  # sign-in posts per client address; a day's window, so that no boundary falls
# inside the test
MAX_FAILURES = 5  # the default PORTAL_LOGIN_MAX_FAILURES, set explicitly so the test says it
LOCKED = "Too many failed sign-ins: this account is locked."

# The demo (portal/demo_applications.py): ent1's fluorine-park application is a draft that takes
# documents; letters are current for the R&D and 2025 fluorine-park awards and rejection; ent3's
# young-eagle award is in publicity until ``publicity advance`` makes it final.
FLUORINE_DRAFT_OWNER = "ent1@example.com"


@pytest.fixture(scope="module")
def cluster(make_cluster):
    return make_cluster(
        12,
        log_level="INFO",  # huey's "Executing ..." lines tell which worker ran which job
        settings={
            "PORTAL_PROXY_HOPS": "1",  # as behind nginx: each journey is a client of its own
            "PORTAL_LOGIN_RATE_LIMIT": f"{LOGIN_LIMIT} per day",
            "PORTAL_LOGIN_MAX_FAILURES": str(MAX_FAILURES),
        },
    )


@pytest.fixture(scope="module")
def hosts(cluster) -> tuple[str, str]:
    return cluster.members[0].url, cluster.members[1].url


@pytest.fixture(scope="module")
def database(cluster):
    db = Database(cluster.database_url)
    yield db
    db.close()


def test_both_hosts_are_healthy(hosts):
    for base in hosts:
        code, body = health(base)
        assert code == 200, f"{base}/healthz answered {code}: {body}"


# --- sessions --------------------------------------------------------------------------------


def test_a_session_its_csrf_token_and_its_sign_out_hold_on_both_hosts(hosts):
    h0, h1 = hosts
    person = browser(h0)
    signing_in = person.sign_in("leader@example.com", allow_redirects=False)
    assert signing_in.status_code == 302, f"sign-in on host 0 refused: {signing_in.status_code}"
    assert signed_in(person), "host 0 does not show its own session as signed in"
    assert signed_in(person.at(h1)), "host 1 does not accept the session cookie host 0 set"
    old_cookie = journeys.session_cookie(person)
    assert old_cookie

    # CSRF is enforced at all (a post without the token is refused) ...
    tokenless = person.at(h1).post("/logout", {}, allow_redirects=False)
    assert tokenless.status_code == 400, f"a sign-out without a CSRF token: {tokenless.status_code}"
    assert signed_in(person.at(h1))
    # ... and the token of a form shown by host 0 is accepted by host 1: the sign-out.
    token = person.csrf_token("/home")
    signing_out = person.at(h1).post("/logout", {"csrf_token": token}, allow_redirects=False)
    assert signing_out.status_code == 302, (
        f"host 1 refused the sign-out form host 0 showed: {signing_out.status_code}"
    )

    assert not signed_in(person), "host 0 still shows the session host 1 signed out"
    assert not signed_in(person.at(h1)), "host 1 still shows the session it signed out"
    for base in hosts:
        replayed = journeys.with_cookie(base, old_cookie)
        assert not signed_in(replayed), f"{base} accepts the session cookie saved before sign-out"


# --- rate limits and lockout -----------------------------------------------------------------


def test_the_sign_in_rate_limit_is_counted_across_hosts(hosts):
    person = browser(hosts[0])
    wrong = {"email": "nobody-at-all@example.com", "password": "not-the-password"}

    def attempt(n: int) -> int:
        here = person.at(hosts[n % 2])
        return here.submit("/login", wrong, allow_redirects=False).status_code

    answers = [attempt(n) for n in range(LOGIN_LIMIT)]
    assert 429 not in answers, f"refused within the limit of {LOGIN_LIMIT}: {answers}"
    over = {f"host {n % 2}": attempt(n) for n in range(LOGIN_LIMIT, LOGIN_LIMIT + 2)}
    assert over == {"host 0": 429, "host 1": 429}, (
        f"after {LOGIN_LIMIT} sign-in posts alternated between the hosts, the next ones got "
        f"{over}: each host counts only its own"
    )


def test_failed_sign_ins_alternated_between_hosts_lock_the_account_on_both(hosts):
    person = browser(hosts[0])
    email = "reviewer3@example.com"  # no other test of the module signs in with it
    for n in range(MAX_FAILURES):
        refused = person.at(hosts[n % 2]).sign_in(email, "wrong-password-1", allow_redirects=False)
        assert refused.status_code != 302, "a wrong password signed in"
        assert refused.status_code != 429, "the sign-in rate limit, not the lockout, refused"
    for n, base in enumerate(hosts):
        right = person.at(base).sign_in(email, allow_redirects=False)
        assert right.status_code != 302 and LOCKED in right.text, (
            f"host {n} lets the right password in after {MAX_FAILURES} failures alternated "
            f"between the hosts ({right.status_code})"
        )


# --- files, letters and exports --------------------------------------------------------------


def test_a_file_uploaded_on_host_0_downloads_identical_from_host_1(hosts, database):
    firm = browser(hosts[0])
    firm.sign_in(FLUORINE_DRAFT_OWNER)
    draft = database.value(
        "SELECT a.id FROM applications a JOIN programs p ON p.id = a.program_id "
        "WHERE p.code = 'fluorine-digital-2026' AND a.status = 'draft'"
    )
    assert draft, "the demo's fluorine-park draft is missing"
    before = set(journeys.attachment_ids(firm, draft))
    pdf = make_pdf(2, "uploaded on host 0")
    uploaded = journeys.upload_document(firm, draft, "contracts", "contract.pdf", pdf)
    assert uploaded.status_code == 302, f"the upload on host 0 was refused: {uploaded.status_code}"
    new = set(journeys.attachment_ids(firm, draft)) - before
    assert len(new) == 1, f"the uploaded file is not listed once: {new}"
    attachment = new.pop()
    for n, base in enumerate(hosts):
        download = firm.at(base).get(f"/files/{attachment}", allow_redirects=False)
        assert download.status_code == 200, (
            f"host {n} cannot serve the file uploaded on host 0: {download.status_code}"
        )
        assert download.content == pdf, f"host {n} serves other bytes than were uploaded"


def test_a_decision_letter_is_the_same_from_both_hosts_and_verifies_on_both(hosts, database):
    letter = database.rows(
        "SELECT id, number, verification_code FROM letters WHERE status = 'current' "
        "ORDER BY id LIMIT 1"
    )
    assert letter, "the demo has no current letter"
    letter_id, number, code = letter[0]
    officer = browser(hosts[0])
    officer.sign_in("officer@example.com")
    for lang in ("zh", "en"):
        copies = [
            officer.at(base).get(f"/letters/{letter_id}/{lang}.pdf", allow_redirects=False)
            for base in hosts
        ]
        assert [c.status_code for c in copies] == [200, 200], (
            f"letter {number} ({lang}) from host 0, host 1: {[c.status_code for c in copies]}"
        )
        assert copies[0].content.startswith(b"%PDF-")
        assert copies[0].content == copies[1].content, f"letter {number} ({lang}) differs"
    pdf = copies[0].content
    for n, base in enumerate(hosts):
        visitor = browser(base)
        by_code = visitor.get(f"/verify/{code}")
        assert by_code.status_code == 200 and number in by_code.text, (
            f"host {n} does not verify code {code}: {by_code.status_code}"
        )
        by_file = visitor.submit(
            "/verify", {}, to="/verify/file", files={"file": ("letter.pdf", pdf, "application/pdf")}
        )
        assert by_file.status_code == 200 and number in by_file.text, (
            f"host {n} does not recognise the letter's file: {by_file.status_code}"
        )


# --- operator commands -----------------------------------------------------------------------

# In the order a cron would meet them: the advance makes the young-eagle award final (and its
# letter due), then issue-due races the job that issues it.
AT_ONCE = [
    ("publicity", "advance", "--today", "2099-01-01"),
    ("letters", "issue-due"),
    ("files", "sweep"),  # only files older than 24 h go: none of this young database's
    ("tallies", "rebuild"),
    ("tasks", "daily"),
    ("dispatch", "send"),
    ("reports", "remind"),
]


def test_operator_commands_started_on_both_hosts_at_once_both_end_well(cluster, database):
    outputs: dict[tuple[str, ...], list[str]] = {}
    for command in AT_ONCE:
        both = [cluster.popen_flask(0, *command), cluster.popen_flask(1, *command)]
        results = [(p, *p.communicate(timeout=300)) for p in both]
        name = " ".join(command)
        for n, (process, out, err) in enumerate(results):
            assert process.returncode == 0 and "Traceback" not in err, (
                f"`{name}` on host {n} (run on both at once) exited {process.returncode}:\n"
                f"{out[-1500:]}\n{err[-3000:]}"
            )
        outputs[command] = [out for _, out, _ in results]

    made_final = sum(
        int(found)
        for out in outputs[AT_ONCE[0]]
        for found in re.findall(r"(\d+) award\(s\) made final", out)
    )
    assert made_final == 1, (
        f"`publicity advance` on both hosts made {made_final} awards final (1 was due): "
        f"{outputs[AT_ONCE[0]]}"
    )
    assert (
        database.value(
            "SELECT count(*) FROM applications a JOIN programs p ON p.id = a.program_id "
            "WHERE p.code = 'young-eagle-gazelle-2026' AND a.status = 'awarded'"
        )
        == 1
    )
    for check in (("tallies", "check"), ("payments", "check")):
        result = cluster.flask(0, *check)
        assert result.returncode == 0, f"`{' '.join(check)}`:\n{result.stdout}\n{result.stderr}"
    sweep = cluster.flask(1, "files", "sweep", "--dry-run")
    assert sweep.returncode == 0, sweep.stderr[-3000:]
    assert "Referenced but missing: 0." in sweep.stdout, sweep.stdout


# --- jobs ------------------------------------------------------------------------------------


def test_jobs_run_once_by_both_workers_and_letter_numbers_stay_gapless(cluster, hosts, database):
    """Jobs are queued on host 0 only (its pages and commands): a job run by host 1's worker
    came through the shared queue."""
    marks = [journeys.log_size(cluster, n) for n in range(2)]
    # The letter the advance above made due is issued by a job (or by issue-due) ...
    wait_until(
        lambda: (
            database.value(
                "SELECT count(*) FROM letters l JOIN applications a ON a.id = l.application_id "
                "WHERE a.status IN ('awarded', 'rejected') AND l.status = 'current'"
            )
            == database.value(
                "SELECT count(*) FROM applications WHERE status IN ('awarded', 'rejected')"
            )
        ),
        "a current letter for every final decision",
    )
    # ... and letters exports started on host 0 are more jobs, in rounds until both workers
    # have run some (or, if host 1's worker takes none, until many have gone by).
    officer = browser(hosts[0])
    officer.sign_in("officer@example.com")
    programs = [row[0] for row in database.rows("SELECT id FROM programs ORDER BY id")]
    ran: list[list[tuple[str, str]]] = [[], []]
    for _round in range(6):
        pages = [journeys.start_letters_export(officer, program) for program in programs]
        for page in pages:
            journeys.finished_export(officer, page)
        ran = [journeys.jobs_run(cluster, n, marks[n]) for n in range(2)]
        if all(ran):
            break
    exports_run = sum(1 for worker in ran for name, _ in worker if name.endswith("export_letters"))
    assert ran[0] and ran[1], (
        f"jobs run by host 0's worker: {len(ran[0])}, by host 1's: {len(ran[1])} "
        f"(after {exports_run} exports queued on host 0): the workers do not share one queue"
    )
    everything = journeys.jobs_run(cluster, 0) + journeys.jobs_run(cluster, 1)
    twice = [job for job, times in Counter(job for _, job in everything).items() if times > 1]
    assert not twice, f"jobs run more than once: {twice}"

    several = database.rows(
        "SELECT application_id, count(*) FROM letters WHERE status = 'current' "
        "GROUP BY application_id HAVING count(*) > 1"
    )
    assert not several, f"applications with more than one current letter: {several}"
    sequences: dict[tuple[str, int], list[int]] = defaultdict(list)
    for issuer, year, sequence in database.rows(
        "SELECT issuer_code, year, sequence FROM letters ORDER BY sequence"
    ):
        sequences[(issuer, year)].append(sequence)
    assert sequences
    for (issuer, year), numbers in sequences.items():
        assert numbers == list(range(1, len(numbers) + 1)), (
            f"letter numbers of {issuer} {year} are not gapless: {numbers}"
        )


def test_an_export_started_on_host_0_downloads_identical_from_host_1(hosts, database):
    program, letters = database.rows(
        "SELECT program_id, count(*) FROM letters WHERE status = 'current' "
        "GROUP BY program_id ORDER BY count(*) DESC, program_id LIMIT 1"
    )[0]
    officer = browser(hosts[0])
    officer.sign_in("officer@example.com")
    page = journeys.start_letters_export(officer, program)
    status = journeys.finished_export(officer, page)
    download = status["download_url"]
    copies = {
        n: officer.at(base).get(download, allow_redirects=False) for n, base in enumerate(hosts)
    }
    codes = {n: copy.status_code for n, copy in copies.items()}
    assert codes == {0: 200, 1: 200}, f"the export's download from each host: {codes}"
    assert copies[0].content == copies[1].content, "host 1 serves another ZIP than host 0"
    with zipfile.ZipFile(io.BytesIO(copies[1].content)) as archive:
        pdfs = [name for name in archive.namelist() if name.endswith(".pdf")]
    assert len(pdfs) == 2 * letters, f"{letters} letters (zh and en) expected in {pdfs}"
