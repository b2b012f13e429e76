"""A write over a change made meanwhile by another request (the row's version moved on between
reading and writing) saves nothing and tells the user, instead of a bare 500."""

from __future__ import annotations

from sqlalchemy import select, text

from portal.applications import services
from portal.applications.models import Application
from portal.core.extensions import db
from tests.helpers import sign_in

RD = "rd-post-subsidy-2026"


def _draft(app, client) -> int:
    assert sign_in(client, "ent1@example.com").status_code == 302
    response = client.post(f"/programmes/{RD}/apply")
    assert response.status_code == 302
    return int(response.headers["Location"].rsplit("/", 1)[1])


def _bump_version_meanwhile(monkeypatch, *, flush_in_service: bool) -> None:
    """Another request's commit, as this one sees it: the row's version moves on after this
    request loaded the application and before it writes."""
    original = services.save_summary

    def save_after_someone_else(application, *args, **kwargs):
        db.session.execute(
            text("UPDATE applications SET lock_version = lock_version + 1 WHERE id = :id"),
            {"id": application.id},
        )
        original(application, *args, **kwargs)
        if flush_in_service:
            db.session.flush()

    monkeypatch.setattr(services, "save_summary", save_after_someone_else)


def _state(app, application_id: int) -> tuple:
    with app.app_context():
        application = db.session.scalar(select(Application).where(Application.id == application_id))
        return application.project_title, application.project_summary


def test_a_stale_write_at_commit_is_a_clear_409(app, demo, monkeypatch):
    client = app.test_client()
    application_id = _draft(app, client)
    before = _state(app, application_id)
    for flush_in_service in (False, True):  # the conflict found at the commit, or in the view
        _bump_version_meanwhile(monkeypatch, flush_in_service=flush_in_service)
        response = client.post(
            f"/applications/{application_id}/summary",
            data={"project_title": "新标题", "project_summary": "新的项目简介。"},
        )
        assert response.status_code == 409, response.status_code
        page = response.get_data(as_text=True)
        assert "Changed meanwhile" in page or "已被他人修改" in page
        assert _state(app, application_id) == before  # nothing saved, the bump rolled back too
        monkeypatch.undo()
    # and without anyone else, the same save goes through
    response = client.post(
        f"/applications/{application_id}/summary",
        data={"project_title": "新标题", "project_summary": "新的项目简介。"},
    )
    assert response.status_code == 302
    assert _state(app, application_id) == ("新标题", "新的项目简介。")
