"""`flask seed-demo`: demo applications at every stage, told by the real services at
consistent dates, and a second run that changes nothing."""

from __future__ import annotations

import time
from datetime import date

import pytest
from sqlalchemy import func, select

from portal.accounts.models import Enterprise
from portal.applications.models import Application, Status
from portal.core.audit import AuditEvent
from portal.core.extensions import db
from portal.core.files import file_store
from portal.core.timeutil import bureau_today, to_bureau_time, utcnow
from portal.demo_applications import RD, demo_stage_counts, seed_demo
from portal.letters.models import Letter
from portal.notifications.models import Notification
from portal.programs.models import Program
from portal.review.models import Assignment, AssignmentStatus
from portal.review.release_record_models import ReleaseRecord
from tests.demo_snapshot import APPLICATIONS

EVERY_STAGE = (
    Status.DRAFT,
    Status.SUBMITTED,
    Status.RETURNED,
    Status.EXPERT_REVIEW,
    Status.DECIDED,
    Status.PUBLICITY,
    Status.AWARDED,
    Status.REJECTED,
)


def _counts() -> dict[str, object]:
    def count(model) -> int:
        return db.session.scalar(select(func.count()).select_from(model))

    return {
        "stages": demo_stage_counts(),
        "applications": count(Application),
        "letters": count(Letter),
        "audit": count(AuditEvent),
        "notifications": count(Notification),
        "assignments": count(Assignment),
        "firms": count(Enterprise),
        "programmes": count(Program),
    }


def _by_stage(status: Status) -> list[Application]:
    return list(
        db.session.scalars(
            select(Application).where(Application.status == status).order_by(Application.id)
        )
    )


@pytest.fixture
def seeded(app, demo_snapshots):
    """The whole demo of applications, seeded through the services (once a worker, then
    copied: tests/demo_snapshot.py)."""
    demo_snapshots.fill(app, APPLICATIONS)
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Application)) == 10
        yield


def test_seeding_twice_gives_the_same_counts(seeded):
    first = _counts()
    started = time.perf_counter()
    again = seed_demo(log=lambda _line: None)
    db.session.commit()
    elapsed = time.perf_counter() - started
    assert (again.records, again.applications) == (0, 0)
    assert _counts() == first
    assert elapsed < 2, f"a second seed with nothing to do took {elapsed:.1f} s"


def test_every_stage_is_present(seeded):
    counts = demo_stage_counts()
    missing = [status.value for status in EVERY_STAGE if not counts[status.value]]
    assert not missing, counts


def test_the_stories_are_spread_over_the_demo_firms(seeded):
    names = set(
        db.session.scalars(
            select(Enterprise.contact_person).join(
                Application, Application.enterprise_id == Enterprise.id
            )
        )
    )
    # ent1, ent2, ent3 and ent5 apply; ent4 qualifies for no programme.
    assert names == {"张伟", "刘洋", "陈静", "黄磊"}


def test_expert_review_has_some_scores_in(seeded):
    (application,) = _by_stage(Status.EXPERT_REVIEW)
    assignments = db.session.scalars(
        select(Assignment).where(Assignment.application_id == application.id)
    ).all()
    statuses = sorted(a.status.value for a in assignments)
    assert statuses == sorted([AssignmentStatus.SUBMITTED.value, AssignmentStatus.ASSIGNED.value])
    half_scored = next(a for a in assignments if a.status is AssignmentStatus.ASSIGNED)
    assert any(entry["score"] is not None for entry in half_scored.scores.values())
    assert all(a.due_at > utcnow() for a in assignments)


def test_a_decision_waits_unreleased_and_publicity_ends_in_the_future(seeded):
    (decided,) = _by_stage(Status.DECIDED)
    assert decided.decision == "approve" and decided.released_at is None
    (in_publicity,) = _by_stage(Status.PUBLICITY)
    assert in_publicity.publicity_ends_on > bureau_today()
    assert in_publicity.publicity_starts_on <= bureau_today()


def test_final_decisions_have_their_letters_and_pdfs(seeded):
    finals = _by_stage(Status.AWARDED) + _by_stage(Status.REJECTED)
    assert {a.status for a in finals} == {Status.AWARDED, Status.REJECTED}
    store = file_store()
    for application in finals:
        letters = db.session.scalars(
            select(Letter).where(Letter.application_id == application.id)
        ).all()
        assert len(letters) == 1, application.reference
        (letter,) = letters
        assert store.read(letter.pdf_key).startswith(b"%PDF")
        assert store.read(letter.pdf_en_key).startswith(b"%PDF")


def test_every_release_keeps_its_record_with_its_pdfs(seeded):
    records = db.session.scalars(select(ReleaseRecord)).all()
    assert len(records) == 2  # the two releases in the applications' stories
    store = file_store()
    for record in records:
        assert record.rendered_at is not None, record.program_name_en
        assert store.read(record.pdf_key).startswith(b"%PDF")
        assert store.read(record.pdf_en_key).startswith(b"%PDF")


def test_the_rd_round_was_cut_pro_rata(seeded):
    rd = db.session.scalar(select(Program).where(Program.code == RD))
    awarded = db.session.scalars(
        select(Application).where(
            Application.program_id == rd.id, Application.status == Status.AWARDED
        )
    ).all()
    assert len(awarded) == 2
    for application in awarded:
        assert application.decided_amount < application.formula_amount
    assert sum(a.decided_amount for a in awarded) <= rd.budget


def test_dates_follow_one_another(seeded):
    now = utcnow()
    for application in db.session.scalars(select(Application)):
        moments = [
            application.created_at,
            application.first_submitted_at,
            application.decided_at,
            application.released_at,
            application.awarded_at,
        ]
        known = [moment for moment in moments if moment is not None]
        assert known == sorted(known), application.reference
        assert all(moment <= now for moment in known), application.reference
        program = application.program
        assert program.opens_at <= application.created_at, application.reference
        if application.status is Status.AWARDED:
            awarded_on = to_bureau_time(application.awarded_at).date()
            assert application.publicity_ends_on < awarded_on
            letter = db.session.scalar(
                select(Letter).where(Letter.application_id == application.id)
            )
            assert letter.issue_date == awarded_on
    # The audit trail was written at the moments it records, never later than now.
    latest = db.session.scalar(select(func.max(AuditEvent.occurred_at)))
    assert latest <= now
    assert isinstance(bureau_today(), date)
