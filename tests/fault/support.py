"""Tools of the fault suite: whole-database snapshots, the stored files, a fault injected into
one internal step after that step has written its rows, and set-up through the real pages."""

from __future__ import annotations

import functools
import html
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

from sqlalchemy import select

from portal.core.extensions import db
from tests import helpers
from tests.helpers import sign_in, use_english

OFFICER = "officer@example.com"
ADMIN = "admin@example.com"
APPROVER = "leader@example.com"  # signs off the release an officer proposes
FIRM = "ent1@example.com"
SECOND_FIRM = "ent2@example.com"  # also qualifies for the R&D post-subsidy
RD = "rd-post-subsidy-2026"  # no expert review: formal check, then the decision
# The English text of the 500 page (portal/core/errors.py).
NOTHING_CHANGED = "nothing was changed"

Snapshot = dict[str, list[tuple]]


class InjectedFault(RuntimeError):
    """The failure a test injects into one internal step."""


# --- what the database and the file store hold --------------------------------------------


def _rows(execute) -> Snapshot:
    return {
        table.name: [
            tuple(row) for row in execute(select(table).order_by(*table.primary_key.columns))
        ]
        for table in db.metadata.sorted_tables
    }


def db_snapshot(app) -> Snapshot:
    """Every row of every table, ordered by primary key, as committed."""
    with app.app_context(), db.engine.connect() as connection:
        return _rows(connection.execute)


def session_snapshot() -> Snapshot:
    """Every row as the current transaction sees it (its own flushed writes included)."""
    db.session.flush()
    return _rows(db.session.execute)


def stored_files(app) -> dict[str, int]:
    """Every file under FILES_DIR (relative path: size), scratch files included."""
    root = Path(app.config["FILES_DIR"])
    if not root.exists():
        return {}
    return {
        str(path.relative_to(root)): path.stat().st_size
        for path in sorted(root.rglob("*"))
        if path.is_file()
    }


def differences(before: Snapshot, after: Snapshot) -> dict[str, dict[str, list]]:
    """Per table, the leading columns of the rows found only before or only after."""
    out = {}
    for name in before.keys() | after.keys():
        old, new = set(before.get(name, [])), set(after.get(name, []))
        if old != new:
            out[name] = {
                "only before": sorted(repr(row[:4])[:200] for row in old - new),
                "only after": sorted(repr(row[:4])[:200] for row in new - old),
            }
    return out


def _hashable(snapshot: Snapshot) -> Snapshot:
    return {
        name: [tuple(_freeze(v) for v in row) for row in rows] for name, rows in snapshot.items()
    }


def _freeze(value: Any) -> Any:
    if isinstance(value, dict):
        return ("dict", tuple(sorted((k, _freeze(v)) for k, v in value.items())))
    if isinstance(value, list):
        return ("list", tuple(_freeze(v) for v in value))
    return value


def assert_same(before: Snapshot, after: Snapshot) -> None:
    before, after = _hashable(before), _hashable(after)
    assert after == before, differences(before, after)


def assert_changed(before: Snapshot, during: Snapshot) -> None:
    """The transaction had really written rows when the fault struck (else the test proves
    nothing about rolling them back)."""
    assert _hashable(during) != _hashable(before), "the fault struck before anything was written"


def assert_rolled_back(app, fault: Fault, before: Snapshot, files: dict[str, int]) -> None:
    """The fault struck after its transaction had written rows, and the database and the file
    store are again as they were before (``before``, ``files``)."""
    assert fault.struck
    assert_changed(before, fault.during)
    assert_same(before, db_snapshot(app))
    assert stored_files(app) == files, "an orphan file was left behind (or a file was lost)"


def count_events(app, action: str) -> int:
    """How many audit events named ``action`` there are."""
    from sqlalchemy import func

    from portal.core.audit import AuditEvent

    with app.app_context():
        return db.session.scalar(
            select(func.count(AuditEvent.id)).where(AuditEvent.action == action)
        )


# --- faults ---------------------------------------------------------------------------------


class Fault:
    """Replace ``target.name`` by the real step followed by a failure.

    The real step runs first and the session is flushed, so that when the failure strikes the
    transaction has written rows; ``during`` keeps the database as that transaction saw it.
    ``when`` picks the call that fails (e.g. one audit action); ``before=True`` fails instead
    of running the step (a step that fails half-way, like a file store that is full).
    """

    def __init__(
        self,
        monkeypatch,
        target: Any,
        name: str,
        *,
        when: Callable[..., bool] | None = None,
        before: bool = False,
    ) -> None:
        self.real = getattr(target, name)
        self.when = when or (lambda *_a, **_k: True)
        self.before = before
        self.during: Snapshot | None = None
        self.calls: list[tuple] = []
        monkeypatch.setattr(target, name, self._wrapper())

    def _wrapper(self):
        real = self.real

        @functools.wraps(real)
        def step(*args, **kwargs):
            if not self.when(*args, **kwargs):
                return real(*args, **kwargs)
            self.calls.append((args, kwargs))
            if not self.before:
                real(*args, **kwargs)
            self.during = session_snapshot()
            raise InjectedFault(f"injected into {real.__qualname__}")

        return step

    @property
    def struck(self) -> bool:
        return bool(self.calls)


def on_action(action: str) -> Callable[..., bool]:
    """``when`` for ``portal.core.audit.record``: only the event named ``action``."""
    return lambda name, *_args, **_kwargs: name == action


def on_kind(kind: str) -> Callable[..., bool]:
    """``when`` for ``portal.notifications.services.notify``: only notifications of ``kind``."""
    return lambda _users, notification_kind, *_args, **_kwargs: notification_kind == kind


class Spy:
    """Record what ``target.name`` returns (e.g. the letter numbers allocated)."""

    def __init__(self, monkeypatch, target: Any, name: str) -> None:
        real = getattr(target, name)
        self.results: list[Any] = []

        @functools.wraps(real)
        def spy(*args, **kwargs):
            result = real(*args, **kwargs)
            self.results.append(result)
            return result

        monkeypatch.setattr(target, name, spy)


# --- people and pages -----------------------------------------------------------------------


def client_for(app, email: str):
    client = app.test_client()
    assert sign_in(client, email).status_code == 302
    use_english(client)
    return client


def text_of(response) -> str:
    return html.unescape(response.get_data(as_text=True))


def assert_clean_500(response) -> None:
    """The portal's own error page, saying that nothing was changed."""
    assert response.status_code == 500
    page = text_of(response)
    assert NOTHING_CHANGED in page and "Something went wrong" in page, page[:500]


def prepare_draft(app, firm, code: str = RD) -> int:
    """Fill in every section of a new application through the firm's pages; leave it a
    draft, ready to submit. Return its id."""
    return helpers.prepare_draft(app, firm, code)


def lock_version(app, application_id: int) -> int:
    from portal.applications.models import Application

    with app.app_context():
        return db.session.get(Application, application_id).lock_version


def submit_and_check(app, firm, officer, code: str = RD) -> int:
    """A firm's application submitted through its pages and passed at the formal check by
    the officer (a programme without expert review: it then awaits the decision)."""
    application_id = prepare_draft(app, firm, code)
    assert (
        firm.post(f"/applications/{application_id}/submit", data={"confirm": "y"}).status_code
        == 302
    )
    response = officer.post(
        f"/staff/applications/{application_id}/pass-check",
        data={"lock_version": lock_version(app, application_id)},
    )
    assert response.status_code == 302, text_of(response)[:500]
    return application_id


def assert_submitted_once(app, application_id: int):
    """The application is submitted, once: one submitted version, one receipt to the firm.
    Returns it (detached)."""
    from sqlalchemy import func

    from portal.applications.models import Application, ApplicationSubmission, Status
    from portal.notifications.models import Notification

    with app.app_context():
        application = db.session.get(Application, application_id)
        assert application.status is Status.SUBMITTED and application.submission_count == 1
        numbers = db.session.scalars(
            select(ApplicationSubmission.number).where(
                ApplicationSubmission.application_id == application_id
            )
        ).all()
        assert numbers == [1]
        receipts = db.session.scalar(
            select(func.count(Notification.id)).where(Notification.kind == "submitted")
        )
        assert receipts == 1
        return application


def decision_form(app, application_id: int, decision: str, amount: str = "", **extra) -> dict:
    from portal.applications.models import Application

    with app.app_context():
        application = db.session.get(Application, application_id)
        seen_version, seen_decision = application.lock_version, application.decision or ""
    prefix = f"a{application_id}-"
    data = {
        "decision": decision,
        "amount": amount,
        "reason_code": extra.get("reason_code", ""),
        "reason": extra.get("reason", ""),
        "lock_version": str(extra.get("lock_version", seen_version)),
        "seen_decision": extra.get("seen_decision", seen_decision),
    }
    return {prefix + name: value for name, value in data.items()}


def decide_url(application_id: int) -> str:
    return f"/staff/decisions/applications/{application_id}/decide"


def release_snapshot_of(officer, program_id: int) -> str:
    """The pending list as the release's confirmation page shows it."""
    page = officer.get(f"/staff/decisions/programmes/{program_id}/release").get_data(as_text=True)
    match = re.search(r'name="snapshot" type="hidden" value="([^"]*)"', page)
    assert match, "the confirmation page offers no release"
    return match[1]


def propose_release(officer, program_id: int) -> None:
    """The officer proposes the release (it happens when the approver signs it off)."""
    snapshot = release_snapshot_of(officer, program_id)
    url = f"/staff/decisions/programmes/{program_id}/release"
    assert officer.post(url, data={"snapshot": snapshot}).status_code == 302


def sign_off_pending(app, approver):
    """The approver signs off the newest pending proposal: the request that releases."""
    from portal.review.sign_off import Proposal, ProposalStatus

    with app.app_context():
        proposal_id = db.session.scalar(
            select(Proposal.id)
            .where(Proposal.status == ProposalStatus.PENDING)
            .order_by(Proposal.id.desc())
        )
    assert proposal_id, "nothing awaits sign-off"
    page = approver.get(f"/staff/sign-off/{proposal_id}").get_data(as_text=True)
    match = re.search(r'name="fingerprint" type="hidden" value="([^"]*)"', page)
    fingerprint = html.unescape(match[1]) if match else ""
    return approver.post(
        f"/staff/sign-off/{proposal_id}/approve", data={"fingerprint": fingerprint}
    )


def program_id_of(app, code: str = RD) -> int:
    from portal.programs.models import Program

    with app.app_context():
        return db.session.scalar(select(Program.id).where(Program.code == code))


def on_call(number: int) -> Callable[..., bool]:
    """``when`` that picks the ``number``-th call (1 for the first)."""
    calls = []

    def nth(*_args, **_kwargs) -> bool:
        calls.append(1)
        return len(calls) == number

    return nth


class JobStart:
    """Keep the database and the file store as a letter job finds them when it starts (the
    state its failure must return to): wraps ``issue_due_letters``, which the jobs, the
    export and the staff button call."""

    def __init__(self, monkeypatch, app) -> None:
        from portal.letters import issuing

        real = issuing.issue_due_letters
        self.snapshots: list[Snapshot] = []
        self.files: list[dict[str, int]] = []

        @functools.wraps(real)
        def issue_due_letters(*args, **kwargs):
            self.snapshots.append(session_snapshot())
            self.files.append(stored_files(app))
            return real(*args, **kwargs)

        monkeypatch.setattr(issuing, "issue_due_letters", issue_due_letters)


def approved_and_rejected(
    app,
    firm,
    officer,
    *,
    reason_code: str = "score_too_low",
    reason: str = "研发投入增长不足。",
) -> tuple[int, int]:
    """Two applications checked and decided by the officer, ready for release: the firm's
    approved (40,000), the second firm's rejected for ``reason_code``/``reason``."""
    approved = submit_and_check(app, firm, officer)
    rejected = submit_and_check(app, client_for(app, SECOND_FIRM), officer)
    for application_id, form in (
        (approved, decision_form(app, approved, "approve", "40000")),
        (rejected, decision_form(app, rejected, "reject", reason_code=reason_code, reason=reason)),
    ):
        assert officer.post(decide_url(application_id), data=form).status_code == 302
    return approved, rejected


def approve_and_release(app, firm, officer, amount: str = "40000") -> int:
    """A firm's application, submitted, checked, approved and released: in publicity."""
    application_id = submit_and_check(app, firm, officer)
    form = decision_form(app, application_id, "approve", amount)
    assert officer.post(decide_url(application_id), data=form).status_code == 302
    propose_release(officer, program_id_of(app))
    assert sign_off_pending(app, client_for(app, APPROVER)).status_code == 302
    return application_id


def end_publicity(app, application_id: int):
    """Run the daily command on the day after the application's publicity period."""
    from datetime import timedelta

    from portal.applications.models import Application

    with app.app_context():
        ends = db.session.get(Application, application_id).publicity_ends_on
    today = (ends + timedelta(days=1)).isoformat()
    return app.test_cli_runner().invoke(args=["publicity", "advance", "--today", today])
