"""The wall map's three views and the wall's desk: status colours with words, counts, filters,
the meeting-room screen, bad parameters, and a fixed number of statements whatever the number
of slips and applications."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import select

from portal.accounts.models import User
from portal.applications.models import Status
from portal.core.extensions import db
from portal.core.timeutil import utcnow
from portal.tasks.models import (
    GoalTile,
    KeyTask,
    SlipColour,
    SlipOrigin,
    SlipState,
    SupervisionSlip,
    TaskIndicator,
)
from tests.helpers import add_bare_applications, english_client, statements_for
from tests.wall_world import PROGRAMME, build_wall_world

SUPERVISOR = "supervisor@example.com"
MEMBER = "hightech@example.com"
OTHER_MEMBER = "funds@example.com"
OFFICER = "officer@example.com"


@pytest.fixture
def world(app, demo):
    with app.app_context():
        return build_wall_world()


def add_slips(
    app,
    task_id: int,
    count: int,
    *,
    colour=SlipColour.RED,
    state=SlipState.ISSUED,
    late: bool = False,
) -> None:
    """Slips written straight into the database (the slips' own part is tested on its own)."""
    from sqlalchemy import func

    with app.app_context():
        task = db.session.get(KeyTask, task_id)
        serial = db.session.scalar(select(func.max(SupervisionSlip.serial))) or 0
        today = utcnow().date()
        for n in range(count):
            db.session.add(
                SupervisionSlip(
                    task_id=task.id,
                    year=task.year,
                    serial=serial + n + 1,
                    colour=colour,
                    origin=SlipOrigin.SUPERVISOR,
                    reason="测试督办",
                    deadline=today - timedelta(days=3) if late else today + timedelta(days=10),
                    state=state,
                )
            )
        db.session.commit()


def add_goal(app, year: int) -> None:
    with app.app_context():
        db.session.add(
            GoalTile(
                year=year,
                position=1,
                title="双千双百：获批企业",
                title_en="Double thousands: firms awarded",
                kind="final_awards",
                params={"programs": [PROGRAMME]},
                unit="家",
                target=40,
            )
        )
        db.session.commit()


def text_of(response) -> str:
    return response.get_data(as_text=True)


# --- the wall -----------------------------------------------------------------------------------


def test_wall_shows_cards_with_colour_words_and_counts(app, world):
    add_slips(app, world.red_task_id, 2, late=True)
    add_slips(app, world.red_task_id, 1, colour=SlipColour.BLUE)
    add_goal(app, world.year)
    client = english_client(app, SUPERVISOR)
    html = text_of(client.get("/tasks/"))
    assert 'class="wall-card wall-card--red"' in html
    assert 'class="wall-card wall-card--green"' in html
    # Not colour alone: the words of the status and its shape.
    assert "Overdue" in html and "On schedule" in html and "■" in html and "●" in html
    assert "Young eagle and gazelle firms" in html
    assert "Firms finally awarded" in html  # a gauge
    assert '<svg class="gauge"' in html
    assert "Applications received" in html or "Money paid out" in html  # next milestone
    # Open slips by colour, with the overdue ones.
    assert re.search(r"slip-chip--red\">Red 2<", html)
    assert re.search(r"slip-chip--blue\">Blue 1<", html)
    assert "2 overdue" in html
    # The summary line: one red, one green, no yellow.
    summary = re.search(r'<p class="wall-summary".*?</p>', html, re.S).group(0)
    counts = re.findall(r"<strong>(\d+)</strong>", summary)
    assert counts == ["1", "0", "1"]
    assert "Double thousands: firms awarded" in html
    # Links to the other views and the slips.
    assert f'href="/tasks/timeline?year={world.year}"' in html
    assert f'href="/tasks/responsibility?year={world.year}"' in html
    assert f'href="/tasks/{world.red_task_id}"' in html
    assert "A3 wall PDF" in html


def test_wall_filters_by_department_and_status(app, world):
    client = english_client(app, OFFICER)
    red_only = text_of(client.get("/tasks/?status=red"))
    assert "Young eagle and gazelle firms" in red_only
    assert "High-tech enterprise cultivation" not in red_only
    # The summary still counts the whole year.
    assert re.findall(r"<strong>(\d+)</strong>", red_only.split('class="wall-summary"')[1])[:3] == [
        "1",
        "0",
        "1",
    ]
    other = world.departments["资源配置与管理科"]
    none_there = text_of(client.get(f"/tasks/?department={other}"))
    assert "No task matches these filters." in none_there
    mine = text_of(client.get(f"/tasks/?department={world.departments['高新技术科']}"))
    assert mine.count('class="wall-card ') == 2


@pytest.mark.parametrize(
    "query",
    [
        "year=abc",
        "year=99999999999999999999999",
        "year=-1",
        "year=1999",
        "department=x",
        "department=99999999999999999999",
        "status=purple",
        "screen=yes",
        "year=2026&year=x",
    ],
)
def test_bad_parameters_show_a_page_never_an_error(app, world, query):
    client = english_client(app, SUPERVISOR)
    for path in ("/tasks/", "/tasks/timeline", "/tasks/responsibility"):
        response = client.get(f"{path}?{query}")
        assert response.status_code == 200, (path, query)


def test_another_year_is_empty_and_the_selector_lists_years(app, world):
    client = english_client(app, SUPERVISOR)
    html = text_of(client.get(f"/tasks/?year={world.year + 1}"))
    assert f"No key task for {world.year + 1} yet." in html
    assert f'<option value="{world.year}">' in html


def test_screen_mode_has_no_chrome_and_refreshes_itself(app, world):
    client = english_client(app, SUPERVISOR)
    html = text_of(client.get("/tasks/?screen=1"))
    assert '<meta http-equiv="refresh" content="300">' in html
    assert "site-nav" not in html and "<nav" not in html and "<script" not in html
    assert "Data as of" in html
    assert 'class="wall-card wall-card--red"' in html
    ordinary = text_of(client.get("/tasks/"))
    assert 'http-equiv="refresh"' not in ordinary and "site-nav" in ordinary


def test_zh_is_the_default(app, world):
    client = app.test_client()
    from tests.helpers import sign_in

    sign_in(client, SUPERVISOR)
    html = text_of(client.get("/tasks/"))
    assert "雏鹰瞪羚企业培育" in html


# --- timeline and responsibility -------------------------------------------------------------


def test_timeline_places_milestones_in_their_months(app, world):
    client = english_client(app, SUPERVISOR)
    html = text_of(client.get("/tasks/timeline"))
    assert "tl-marker--overdue" in html  # the red task's overdue milestone
    assert "tl-marker--done" in html  # the green task's done one
    assert "Today" in html
    assert 'class="timeline-list"' in html  # the phone's list
    assert "Applications received" in html


def test_responsibility_counts_overdue_per_department_and_person(app, world):
    add_slips(app, world.red_task_id, 3, late=True)
    add_slips(app, world.green_task_id, 1)
    client = english_client(app, SUPERVISOR)
    html = text_of(client.get("/tasks/responsibility"))
    assert "High-Tech Department" in html
    assert "Leaders in charge" in html
    with app.app_context():
        owner = db.session.get(User, world.hightech_id).display_name
    assert owner in html
    # 4 open slips, 3 overdue, 1 overdue milestone for the department and its person.
    row = re.search(r'<tr class="resp-row--late">.*?</tr>', html, re.S).group(0)
    assert re.search(r'data-label="Open slips">4<', row)
    assert '<strong class="resp-late">3</strong>' in row
    assert '<strong class="resp-late">1</strong>' in row


# --- the desk ----------------------------------------------------------------------------------


def test_department_member_desk_lists_their_tasks_and_slips_to_act_on(app, world):
    add_slips(app, world.red_task_id, 1, late=True)
    add_slips(app, world.red_task_id, 1, state=SlipState.ANSWERED)  # not theirs to act on
    client = english_client(app, MEMBER)
    html = text_of(client.get("/home"))
    assert "My key tasks" in html
    assert "Young eagle and gazelle firms" in html and "High-tech enterprise cultivation" in html
    assert "Slips waiting for you (1)" in html
    assert "(overdue)" in html
    other = text_of(english_client(app, OTHER_MEMBER).get("/home"))
    assert "No key task of yours this year." in other
    assert "No slip waits for you." in other


def test_supervisor_desk_lists_reviews_red_tasks_and_overdue_slips(app, world):
    add_slips(app, world.red_task_id, 2, state=SlipState.ANSWERED)
    add_slips(app, world.green_task_id, 1, late=True)
    client = english_client(app, SUPERVISOR)
    html = text_of(client.get("/home"))
    assert "Supervision desk" in html
    assert "Answers waiting for your review (2)" in html
    assert "Red tasks (1)" in html
    assert "Overdue slips (1)" in html


# --- a fixed number of statements ---------------------------------------------------------------


PAGES = ("/tasks/", "/tasks/?screen=1", "/tasks/timeline", "/tasks/responsibility", "/home")


@pytest.mark.parametrize("email", [SUPERVISOR, MEMBER])
def test_statements_do_not_grow_with_slips_or_applications(app, world, email):
    client = english_client(app, email)
    add_slips(app, world.red_task_id, 2)
    before = {url: statements_for(app, client, url) for url in PAGES}
    add_slips(app, world.red_task_id, 30, late=True)
    add_slips(app, world.green_task_id, 28, state=SlipState.ANSWERED)
    add_bare_applications(app, PROGRAMME, 40, status=Status.AWARDED, prefix="W")
    after = {url: statements_for(app, client, url) for url in PAGES}
    assert after == before


def test_statements_do_not_grow_with_indicators_of_a_kind(app, world):
    client = english_client(app, SUPERVISOR)
    before = statements_for(app, client, "/tasks/")
    with app.app_context():
        for position in range(2, 8):
            db.session.add(
                TaskIndicator(
                    task_id=world.green_task_id,
                    position=position,
                    name=f"指标{position}",
                    kind="final_awards",
                    params={"programs": [PROGRAMME]},
                    target=5,
                )
            )
        db.session.commit()
    assert statements_for(app, client, "/tasks/") == before


def test_an_award_made_final_moves_the_gauge(app, world):
    client = english_client(app, SUPERVISOR)

    def value() -> str:
        html = text_of(client.get("/tasks/"))
        card = html.split(f'id="task-{world.red_task_id}"')[1]
        return re.search(r'wall-gauge__value"><strong>([\d,.]+)</strong> / 20', card).group(1)

    first = int(value())
    add_bare_applications(app, PROGRAMME, 3, status=Status.AWARDED, prefix="G")
    assert int(value()) == first + 3


def test_readers_only(app, world, client):
    from tests.helpers import sign_in

    sign_in(client, "reviewer1@example.com")
    assert client.get("/tasks/").status_code == 403
    assert client.get("/tasks/timeline").status_code == 403
    with app.app_context():
        assert db.session.scalar(select(KeyTask.id).where(KeyTask.id == world.red_task_id))
