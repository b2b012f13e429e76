"""The rule that lets a killed export be run again: a running export blocks the next one only
while the process building it is alive (it holds the export's runner lock, which dies with
it); once nobody holds the lock it is shown as failed and a new export may start."""

from __future__ import annotations

from sqlalchemy import select

from portal.core.audit import AuditEvent
from portal.core.extensions import db
from portal.core.jobs import commit
from portal.core.timeutil import utcnow
from portal.letters import export as exports
from portal.letters.models import ExportStatus, LetterExport
from tests.fault.support import RD, program_id_of, text_of

UNDER_WAY = "An export of this programme is already under way."
STOPPED = "The export stopped part-way"


def running_export(app) -> int:
    """An export as a worker leaves it when it dies: running, started, part-way."""
    with app.app_context():
        export = LetterExport(
            program_id=program_id_of(app, RD),
            status=ExportStatus.RUNNING,
            started_at=utcnow(),
            total=10,
            done=4,
        )
        db.session.add(export)
        commit()
        return export.id


def status_of(officer, export_id: int) -> dict:
    return officer.get(f"/staff/letters/exports/{export_id}/status").get_json()


def test_a_running_export_blocks_the_next_only_while_its_runner_lives(app, officer):
    export_id = running_export(app)
    program_id = program_id_of(app, RD)
    start_url = f"/staff/letters/programmes/{program_id}/export"

    with app.app_context(), exports._runner_lock(export_id) as held:
        assert held  # this test plays the worker building the export
        assert status_of(officer, export_id)["status"] == "running"
        response = officer.post(start_url, follow_redirects=True)
        assert UNDER_WAY in text_of(response)
        # a second runner of the same export (a job delivered twice) does nothing
        with app.app_context():
            exports.run_export(export_id)
            assert db.session.get(LetterExport, export_id).done == 4
    with app.app_context():
        assert (
            db.session.scalar(select(LetterExport.id).where(LetterExport.id != export_id)) is None
        )

    # The runner is gone: shown as failed (a GET writes nothing), with a way to start again.
    status = status_of(officer, export_id)
    assert status["status"] == "failed" and STOPPED in status["error"]
    page = text_of(officer.get(f"/staff/letters/exports/{export_id}"))
    assert STOPPED in page and "Start the export again" in page
    with app.app_context():
        assert db.session.get(LetterExport, export_id).status is ExportStatus.RUNNING

    response = officer.post(start_url)
    assert response.status_code == 302
    new_id = int(response.headers["Location"].rsplit("/", 1)[1])
    assert new_id != export_id
    with app.app_context():
        old = db.session.get(LetterExport, export_id)
        assert old.status is ExportStatus.FAILED and old.error == exports.INTERRUPTED
        assert db.session.get(LetterExport, new_id).status is ExportStatus.DONE  # jobs inline
        (event,) = db.session.scalars(
            select(AuditEvent).where(AuditEvent.action == "letter.export_interrupted")
        ).all()
        assert event.object_id == str(export_id)
    assert status_of(officer, new_id)["status"] == "done"


def test_a_running_export_never_started_by_a_runner_still_blocks(app, officer):
    """A row marked running without a start time was not made by a runner: no lock to test,
    so it is left alone (the one-at-a-time rule holds)."""
    with app.app_context():
        db.session.add(LetterExport(program_id=program_id_of(app, RD), status=ExportStatus.RUNNING))
        commit()
    response = officer.post(
        f"/staff/letters/programmes/{program_id_of(app, RD)}/export", follow_redirects=True
    )
    assert UNDER_WAY in text_of(response)
