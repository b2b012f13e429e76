"""Reporting on a key task: a hand-reported value with evidence, a milestone done; by the
responsible person or a member of the lead department only; the task's page follows."""

from __future__ import annotations

import io
from datetime import date, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from portal.accounts.models import User
from portal.core.audit import Action, AuditEvent
from portal.core.domain import DomainError
from portal.core.extensions import db
from portal.tasks.models import IndicatorReport, Milestone, TaskFile, TaskIndicator
from portal.tasks.task_reporting import mark_milestone_done, report_value
from tests.helpers import english_client, make_pdf
from tests.wall_world import build_wall_world


@pytest.fixture
def world(app, demo):
    with app.app_context():
        return build_wall_world()


def _url(world, indicator_id=None) -> str:
    indicator_id = indicator_id or world.red_manual_indicator_id
    return f"/tasks/{world.red_task_id}/indicators/{indicator_id}/report"


def _data(world, **changes):
    data = {
        "value": "12",
        "as_of": world.today.isoformat(),
        "note": "走访记录",
        "files": (io.BytesIO(make_pdf()), "visits.pdf"),
    }
    data.update(changes)
    return data


def _count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def test_the_owner_reports_a_value_with_evidence_and_the_page_shows_it(app, world):
    client = english_client(app, "hightech@example.com")
    form = client.get(_url(world))
    assert form.status_code == 200 and 'type="file"' in form.get_data(as_text=True)
    response = client.post(_url(world), data=_data(world), content_type="multipart/form-data")
    assert response.status_code == 302, response.get_data(as_text=True)[:1500]
    with app.app_context():
        report = db.session.scalar(select(IndicatorReport))
        assert report.value == 12 and report.reported_by_id == world.hightech_id
        item = db.session.scalar(select(TaskFile))
        assert item.report_id == report.id and item.mime_type == "application/pdf"
        event = db.session.scalar(
            select(AuditEvent).where(AuditEvent.action == Action.TASK_INDICATOR_REPORTED)
        )
        assert event.summary["value"] == "12" and event.summary["files"] == 1
    html = client.get(f"/tasks/{world.red_task_id}").get_data(as_text=True)
    assert "visits.pdf" in html and "has not been reported yet" not in html
    download = client.get(f"/tasks/{world.red_task_id}/files/{item.id}")
    assert download.status_code == 200 and download.data.startswith(b"%PDF")
    assert client.get(f"/tasks/{world.green_task_id}/files/{item.id}").status_code == 404


def test_a_department_colleague_may_report_but_not_another_department(app, world):
    with app.app_context():
        from portal.accounts import services
        from portal.accounts.models import Role

        services.create_staff(
            "hightech2@example.com",
            Role.DEPARTMENT,
            "同科室",
            app.config["DEMO_PASSWORD"],
            department_id=world.departments["高新技术科"],
        )
        db.session.commit()
    colleague = english_client(app, "hightech2@example.com")
    response = colleague.post(_url(world), data=_data(world), content_type="multipart/form-data")
    assert response.status_code == 302
    for email in ("funds@example.com", "supervisor@example.com", "officer@example.com"):
        other = english_client(app, email)
        assert other.get(_url(world)).status_code == 403
        response = other.post(_url(world), data=_data(world), content_type="multipart/form-data")
        assert response.status_code == 403
    with app.app_context():
        assert _count(IndicatorReport) == 1


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"value": "many"}, "Enter a number of 0 or more"),
        ({"value": "-3"}, "Enter a number of 0 or more"),
        ({"files": (io.BytesIO(b""), "")}, "Attach the evidence"),
        ({"files": (io.BytesIO(b"not a pdf at all"), "fake.pdf")}, "fake.pdf"),
        ({"as_of": "tomorrow"}, "Enter a date"),
    ],
)
def test_bad_reports_are_refused_beside_the_field(app, world, changes, message):
    client = english_client(app, "hightech@example.com")
    response = client.post(
        _url(world), data=_data(world, **changes), content_type="multipart/form-data"
    )
    assert response.status_code == 422
    assert message in response.get_data(as_text=True)
    with app.app_context():
        assert _count(IndicatorReport) == 0 and _count(TaskFile) == 0


def test_days_after_today_or_outside_the_year_are_refused(app, world):
    with app.app_context():
        owner = db.session.get(User, world.hightech_id)
        indicator = db.session.get(TaskIndicator, world.red_manual_indicator_id)
        for day in (world.today + timedelta(days=1), date(world.year - 1, 12, 31)):
            with pytest.raises(DomainError) as caught:
                report_value(indicator, owner, Decimal(1), day, "", [])
            assert caught.value.field == "as_of"


def test_computed_indicators_are_not_reported_by_hand(app, world):
    client = english_client(app, "hightech@example.com")
    assert client.get(_url(world, world.red_awards_indicator_id)).status_code == 404
    with app.app_context():
        owner = db.session.get(User, world.hightech_id)
        indicator = db.session.get(TaskIndicator, world.red_awards_indicator_id)
        with pytest.raises(DomainError):
            report_value(indicator, owner, Decimal(1), world.today, "", [])
    other_task = f"/tasks/{world.green_task_id}/indicators/{world.red_manual_indicator_id}/report"
    assert client.get(other_task).status_code == 404


def test_marking_a_milestone_done_turns_the_task_from_red(app, world):
    client = english_client(app, "hightech@example.com")
    url = f"/tasks/{world.red_task_id}/milestones/{world.red_overdue_milestone_id}/done"
    assert client.get(url).status_code == 200
    tomorrow = (world.today + timedelta(days=1)).isoformat()
    response = client.post(url, data={"done_on": tomorrow})
    assert response.status_code == 422 and "today or a day before" in response.get_data(
        as_text=True
    )
    response = client.post(url, data={"done_on": world.today.isoformat(), "note": "已完成"})
    assert response.status_code == 302
    with app.app_context():
        milestone = db.session.get(Milestone, world.red_overdue_milestone_id)
        assert milestone.done_on == world.today and milestone.done_by_id == world.hightech_id
        assert db.session.scalar(
            select(AuditEvent).where(AuditEvent.action == Action.TASK_MILESTONE_DONE)
        )
    html = client.get(f"/tasks/{world.red_task_id}").get_data(as_text=True)
    assert "Milestone overdue since" not in html
    # Twice is refused; another department may not.
    response = client.post(url, data={"done_on": world.today.isoformat()})
    assert response.status_code == 422
    other = english_client(app, "funds@example.com")
    assert other.post(url, data={"done_on": world.today.isoformat()}).status_code == 403


def test_the_service_refuses_strangers(app, world):
    with app.app_context():
        funds = db.session.get(User, world.funds_id)
        milestone = db.session.get(Milestone, world.red_later_milestone_id)
        with pytest.raises(DomainError):
            mark_milestone_done(milestone, funds, world.today, "")
