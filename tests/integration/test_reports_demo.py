"""The demo's reports: one accepted, one waiting for the officer, one overdue that blocks its
firm's new applications; seeding again changes nothing; without accepted agreements, nothing."""

from __future__ import annotations

from sqlalchemy import select

from portal.accounts.models import User
from portal.core.extensions import db
from portal.core.timeutil import bureau_today
from portal.demo_applications import demo_clock
from portal.demo_post_award import reports as demo_reports
from portal.payments.report_models import ProgressReport, ReportStatus
from portal.payments.report_queries import overdue_reports_of
from tests.integration.test_reports import FIRM, FLUORINE, OTHER_FIRM, RD, accepted_award


def _seed(app) -> int:
    with app.app_context():
        with demo_clock() as clock:
            made = demo_reports.seed(clock, log=lambda _line: None)
        db.session.commit()
        return made


def test_without_an_accepted_agreement_the_demo_makes_nothing(app, demo):
    assert _seed(app) == 0


def test_the_demo_puts_reports_in_their_states(app, demo):
    accepted_award(app, email=FIRM, code=FLUORINE)
    accepted_award(app, email=OTHER_FIRM, code=RD)
    assert _seed(app) == 3
    with app.app_context():
        rows = db.session.scalars(select(ProgressReport).order_by(ProgressReport.id)).all()
        states = sorted(r.status.value for r in rows)
        assert states.count("accepted") == 1 and states.count("submitted") == 1
        today = bureau_today()
        other = db.session.scalar(select(User.enterprise_id).where(User.email == OTHER_FIRM))
        main = db.session.scalar(select(User.enterprise_id).where(User.email == FIRM))
        # The overdue report is the other firm's: its new applications are blocked.
        assert len(overdue_reports_of(other, today)) == 1
        assert overdue_reports_of(main, today) == []
        for row in rows:
            if row.status is ReportStatus.ACCEPTED:
                assert row.submitted_at < row.decided_at
                assert row.due_on < today
    assert _seed(app) == 0
    with app.app_context():
        assert sorted(r.status.value for r in db.session.scalars(select(ProgressReport))) == states


def test_with_one_award_the_demo_adds_reports_to_show_every_state(app, demo):
    made = accepted_award(app, email=FIRM, code=FLUORINE)
    assert _seed(app) == 4  # one progress report added, three put in their states
    with app.app_context():
        rows = db.session.scalars(
            select(ProgressReport).where(ProgressReport.agreement_id == made["agreement_id"])
        ).all()
        assert sorted(r.status.value for r in rows) == ["accepted", "due", "submitted"]
        main = db.session.scalar(select(User.enterprise_id).where(User.email == FIRM))
        assert len(overdue_reports_of(main, bureau_today())) == 1
        assert sorted(r.position for r in rows) == [1, 2, 3]
