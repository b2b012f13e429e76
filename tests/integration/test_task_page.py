"""A key task's page: status light with words, owners, indicators with expected values and a
gauge, reasons, milestones with their buttons for the people who may act, reported values with
evidence, slips and the monthly history; in a fixed number of statements."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest
from flask import Blueprint

from portal.core.access import WALL_READERS, allow
from portal.core.extensions import db
from portal.core.files import save_in_transaction
from portal.tasks.models import (
    IndicatorReport,
    SlipColour,
    SlipOrigin,
    SupervisionSlip,
    TaskFile,
    TaskStatus,
    TaskStatusMonth,
)
from tests.helpers import english_client, statements_for
from tests.wall_world import build_wall_world


@pytest.fixture
def app(app):
    # The slips' page may not be there yet in this checkout: the task page links to it.
    if "slips.show" not in app.view_functions:
        stub = Blueprint("slips_stub", __name__)

        @stub.route("/tasks/slips/<int:slip_id>", endpoint="show")
        @allow(*WALL_READERS)
        def show(slip_id: int):
            return "slip"

        app.add_url_rule("/tasks/slips/<int:slip_id>", endpoint="slips.show", view_func=show)
    return app


@pytest.fixture
def world(app, demo):
    with app.app_context():
        return build_wall_world()


def _add_history(app, world, reports: int, slips: int, months: int, start: int = 0) -> None:
    with app.app_context():
        for n in range(reports):
            report = IndicatorReport(
                indicator_id=world.red_manual_indicator_id,
                value=Decimal(n + 1),
                reported_on=date(world.year, 1, 1) + timedelta(days=n % 20),
                note=f"note {n}",
                reported_by_id=world.hightech_id,
            )
            db.session.add(report)
            db.session.flush()
            db.session.add(
                TaskFile(
                    report_id=report.id,
                    original_name=f"evidence-{n}.pdf",
                    storage_key=save_in_transaction(b"%PDF-1.4 test"),
                    mime_type="application/pdf",
                    size=13,
                    sha256="0" * 64,
                    uploaded_by_id=world.hightech_id,
                )
            )
        for n in range(slips):
            db.session.add(
                SupervisionSlip(
                    task_id=world.red_task_id,
                    year=world.year,
                    serial=100 + start + n,
                    colour=SlipColour.RED,
                    origin=SlipOrigin.SUPERVISOR,
                    reason="overdue",
                    deadline=world.today + timedelta(days=5),
                    issued_by_id=world.supervisor_id,
                )
            )
        for n in range(start, start + months):
            db.session.add(
                TaskStatusMonth(
                    task_id=world.red_task_id,
                    month=date(world.year, n + 1, 1),
                    status=TaskStatus.YELLOW,
                    worst_status=TaskStatus.RED,
                    progress_percent=Decimal("87.5"),
                    evaluated_on=date(world.year, n + 1, 1),
                )
            )
        db.session.commit()


def test_the_page_shows_status_in_words_reasons_and_figures(app, world):
    client = english_client(app, "officer@example.com")
    response = client.get(f"/tasks/{world.red_task_id}")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert 'data-status="red"' in html and "Overdue" in html  # colour and words
    assert "Young eagle and gazelle firms" in html
    assert "Milestone overdue since" in html  # the reason
    assert "Expected by today" in html and "<meter" in html
    assert "Firms visited" in html and "has not been reported yet" in html
    assert "Support at least 20 young eagle" in html
    # An officer reads, but neither edits nor reports.
    assert "/report" not in html and "Mark done" not in html and "/edit" not in html


def test_people_see_the_buttons_they_may_use(app, world):
    owner = english_client(app, "hightech@example.com")
    html = owner.get(f"/tasks/{world.red_task_id}").get_data(as_text=True)
    assert f"/indicators/{world.red_manual_indicator_id}/report" in html
    assert f"/indicators/{world.red_awards_indicator_id}/report" not in html  # computed
    assert f"/milestones/{world.red_overdue_milestone_id}/done" in html
    other = english_client(app, "funds@example.com")
    html = other.get(f"/tasks/{world.red_task_id}").get_data(as_text=True)
    assert "/report" not in html and "Mark done" not in html
    supervisor = english_client(app, "supervisor@example.com")
    html = supervisor.get(f"/tasks/{world.red_task_id}").get_data(as_text=True)
    assert f"/tasks/{world.red_task_id}/edit" in html


def test_the_green_task(app, world):
    client = english_client(app, "leader@example.com")
    html = client.get(f"/tasks/{world.green_task_id}").get_data(as_text=True)
    assert 'data-status="green"' in html and "On schedule" in html
    assert "Done on" in html


def test_reports_slips_and_months_are_listed(app, world):
    _add_history(app, world, reports=2, slips=1, months=2)
    client = english_client(app, "officer@example.com")
    html = client.get(f"/tasks/{world.red_task_id}").get_data(as_text=True)
    assert "evidence-0.pdf" in html and "evidence-1.pdf" in html
    assert f"督办〔{world.year}〕100号" in html
    assert f"{world.year}-02" in html and "87.5%" in html


def test_an_unknown_task_is_404(app, world):
    client = english_client(app, "officer@example.com")
    assert client.get("/tasks/999999").status_code == 404


def test_the_page_costs_the_same_queries_with_one_or_many_reports_and_slips(app, world):
    client = english_client(app, "officer@example.com")
    url = f"/tasks/{world.red_task_id}"
    _add_history(app, world, reports=1, slips=1, months=1)
    few = statements_for(app, client, url)
    _add_history(app, world, reports=12, slips=9, months=5, start=1)
    many = statements_for(app, client, url)
    assert few == many
