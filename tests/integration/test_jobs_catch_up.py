"""`flask jobs catch-up`: what lost background jobs would have made (a job is lost when the
queue could not be reached after its change committed) is found in the database and made:
letters, release-record PDFs, exports that never started, notification mails."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import delete, func, select, update

from portal.core.extensions import db
from portal.core.operator_lock import single_run
from portal.core.timeutil import utcnow
from portal.demo_applications import seed_demo
from portal.letters.models import ExportStatus, Letter, LetterExport, LetterStatus
from portal.notifications.models import Notification
from portal.review.release_record_models import ReleaseRecord


@pytest.fixture
def lost_jobs(app, smtp):
    """The demo, then the traces of lost jobs: a final award without its letter, a release
    record without its PDFs, an export asked for 20 minutes ago and never started, and an
    hour-old notification whose mail was never sent."""
    _inbox, port = smtp
    app.config.update(SMTP_HOST="127.0.0.1", SMTP_PORT=port)
    with app.app_context():
        seed_demo(log=lambda _line: None)
        db.session.commit()
        letter = db.session.scalars(
            select(Letter).where(Letter.status == LetterStatus.CURRENT).order_by(Letter.id)
        ).first()
        record = db.session.scalars(select(ReleaseRecord).order_by(ReleaseRecord.id)).first()
        notification = db.session.scalars(select(Notification).order_by(Notification.id)).first()
        assert letter and record and notification, "the demo has letters, records, notifications"
        lost = {
            "application_id": letter.application_id,
            "record_id": record.id,
            "notification_id": notification.id,
            "program_id": letter.application.program_id,
        }
        db.session.execute(delete(Letter).where(Letter.id == letter.id))
        db.session.execute(
            update(ReleaseRecord).where(ReleaseRecord.id == record.id).values(pdf_key=None)
        )
        db.session.execute(
            update(Notification)
            .where(Notification.id == notification.id)
            .values(emailed_at=None, email_attempts=0, created_at=utcnow() - timedelta(hours=1))
        )
        export = LetterExport(
            program_id=lost["program_id"], created_at=utcnow() - timedelta(minutes=20)
        )
        db.session.add(export)
        db.session.commit()
        lost["export_id"] = export.id
    return lost


def _current_letters(application_id: int) -> int:
    return db.session.scalar(
        select(func.count())
        .select_from(Letter)
        .where(Letter.application_id == application_id, Letter.status == LetterStatus.CURRENT)
    )


def test_catch_up_makes_what_the_lost_jobs_would_have_made(app, lost_jobs, smtp):
    result = app.test_cli_runner().invoke(args=["jobs", "catch-up"])
    assert result.exit_code == 0, result.output
    assert "Caught up: 1 letter(s)" in result.output
    with app.app_context():
        assert _current_letters(lost_jobs["application_id"]) == 1
        assert db.session.get(ReleaseRecord, lost_jobs["record_id"]).pdf_key
        export = db.session.get(LetterExport, lost_jobs["export_id"])
        assert export.status is ExportStatus.DONE and export.file_key
        notification = db.session.get(Notification, lost_jobs["notification_id"])
        assert notification.emailed_at is not None
    inbox, _port = smtp
    assert inbox.messages(), "the missed mail went out through the SMTP server"

    again = app.test_cli_runner().invoke(args=["jobs", "catch-up"])
    assert again.exit_code == 0, again.output
    assert "Nothing to do" in again.output


def test_catch_up_waits_for_a_run_elsewhere(app, lost_jobs):
    with app.app_context(), single_run("jobs catch-up") as mine:
        assert mine
        result = app.test_cli_runner().invoke(args=["jobs", "catch-up"])
        assert result.exit_code == 0, result.output
        assert "already running" in result.output
        assert _current_letters(lost_jobs["application_id"]) == 0, "nothing done meanwhile"
