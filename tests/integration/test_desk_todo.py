"""The officer's desk is a to-do list: what waits, counted, with the oldest's age, oldest
first, each line linked to its filtered list, in a fixed number of queries."""

from __future__ import annotations

import html
import re
from datetime import timedelta
from decimal import Decimal
from itertools import count

import pytest
from sqlalchemy import insert, select

from portal.accounts.models import Enterprise, User
from portal.applications.models import Application, Status
from portal.core import audit
from portal.core.audit import Action
from portal.core.extensions import db
from portal.core.timeutil import utcnow
from portal.letters.models import ExportStatus, LetterExport
from portal.programs.models import Program, ProgramVersion
from portal.review.models import Assignment, AssignmentStatus, Objection, ObjectionStatus
from tests.helpers import english_client, sign_in, statements_for

KEY = "key-above-size-2026"
RD = "rd-post-subsidy-2026"
_numbers = count()


@pytest.fixture
def officer(app, demo):
    return english_client(app, "officer@example.com")


def _program(code: str) -> tuple[int, int]:
    program_id = db.session.scalar(select(Program.id).where(Program.code == code))
    version = db.session.scalar(
        select(ProgramVersion.id).where(ProgramVersion.program_id == program_id)
    )
    return program_id, version


def add_applications(app, n: int, *, code: str = KEY, days_ago: float = 1, **columns) -> list[int]:
    """Insert ``n`` applications of the programme, each for its own new firm, submitted
    ``days_ago`` (and one minute apart), with ``columns`` set."""
    with app.app_context():
        program_id, version_id = _program(code)
        numbers = [next(_numbers) for _ in range(n)]
        firms = db.session.scalars(
            insert(Enterprise).returning(Enterprise.id, sort_by_parameter_order=True),
            [
                {
                    "name": f"待办企业{k:05d}有限公司",
                    "uscc": f"913109{k:012d}",
                    "contact_person": "王五",
                    "mobile": "13800000000",
                }
                for k in numbers
            ],
        ).all()
        submitted = utcnow() - timedelta(days=days_ago)
        values = [
            {
                "reference": f"2026-D-{k:06d}",
                "enterprise_id": firm_id,
                "program_id": program_id,
                "program_version_id": version_id,
                "status": Status.SUBMITTED,
                "project_title": f"项目{k}",
                "requested_amount": Decimal(10000 + k),
                "submission_count": 1,
                "first_submitted_at": submitted - timedelta(minutes=i),
                "last_submitted_at": submitted - timedelta(minutes=i),
                **columns,
            }
            for i, (k, firm_id) in enumerate(zip(numbers, firms, strict=True))
        ]
        ids = db.session.scalars(
            insert(Application).returning(Application.id, sort_by_parameter_order=True), values
        ).all()
        db.session.commit()
        return list(ids)


def _reviewer_ids() -> list[int]:
    return list(
        db.session.scalars(
            select(User.id).where(User.email.like("reviewer%@example.com")).order_by(User.id)
        )
    )


def every_kind_of_work(app, scale: int = 1) -> None:
    """Work of every kind, ``scale`` items of each (and as much done work beside it)."""
    now = utcnow()
    add_applications(app, scale, days_ago=4)  # waiting for the formal check
    resubmitted = add_applications(app, scale, days_ago=2, submission_count=2)
    add_applications(app, scale, days_ago=3, status=Status.FORMAL_CHECK)
    flagged = add_applications(app, scale, days_ago=30, status=Status.MODERATION)
    reviewed = add_applications(app, 2 * scale, days_ago=30, status=Status.EXPERT_REVIEW)
    add_applications(
        app,
        scale,
        days_ago=40,
        status=Status.DECIDED,
        decision="approve",
        decided_amount=Decimal("100000.00"),
        decided_at=now - timedelta(days=6),
    )
    waiting_decision = add_applications(app, scale, days_ago=40, status=Status.DECIDED)
    objected = add_applications(
        app,
        scale,
        code=RD,
        days_ago=60,
        status=Status.ON_HOLD,
        decision="approve",
        released_at=now - timedelta(days=9),
    )
    add_applications(  # an award whose letter never came
        app,
        scale,
        code=RD,
        days_ago=90,
        status=Status.AWARDED,
        decision="approve",
        released_at=now - timedelta(days=20),
        awarded_at=now - timedelta(days=12),
    )
    add_applications(  # just awarded: its letter is still on its way, not a failure
        app,
        scale,
        code=RD,
        days_ago=90,
        status=Status.AWARDED,
        decision="approve",
        awarded_at=now - timedelta(minutes=1),
    )
    add_applications(app, scale, days_ago=100, status=Status.WITHDRAWN)  # nothing to do
    with app.app_context():
        reviewers = _reviewer_ids()
        officer_id = db.session.scalar(select(User.id).where(User.email == "officer@example.com"))
        assignments = []
        for i, application_id in enumerate(reviewed):
            overdue = i % 2 == 0
            assignments.append(
                {
                    "application_id": application_id,
                    "reviewer_id": reviewers[0],
                    "status": AssignmentStatus.ASSIGNED,
                    "due_at": now - timedelta(days=5) if overdue else now + timedelta(days=5),
                }
            )
            assignments.append(  # submitted reviews are never overdue
                {
                    "application_id": application_id,
                    "reviewer_id": reviewers[1],
                    "status": AssignmentStatus.SUBMITTED,
                    "due_at": now - timedelta(days=20),
                    "total": Decimal("80"),
                }
            )
        db.session.execute(insert(Assignment), assignments)
        for application_id in flagged:
            audit.record(
                Action.APPLICATION_FLAG_FOR_MODERATION,
                object_type="applications",
                object_id=application_id,
            ).occurred_at = now - timedelta(days=7)
        for application_id in resubmitted:  # returned for changes, then sent again
            audit.record(
                Action.APPLICATION_RESUBMIT, object_type="applications", object_id=application_id
            ).occurred_at = now - timedelta(days=2)
        for application_id in waiting_decision:
            audit.record(
                Action.APPLICATION_REVIEWS_COMPLETE,
                object_type="applications",
                object_id=application_id,
            ).occurred_at = now - timedelta(days=1, hours=2)
        db.session.execute(
            insert(Objection),
            [
                {
                    "application_id": application_id,
                    "name": "张三",
                    "contact": "zhang@example.com",
                    "reason": "数据不实",
                    "submitted_at": now - timedelta(days=8),
                    "status": ObjectionStatus.OPEN,
                }
                for application_id in objected
            ],
        )
        rd_id, _version = _program(RD)
        db.session.execute(
            insert(LetterExport),
            [
                {
                    "program_id": rd_id,
                    "requested_by_id": officer_id,
                    "status": ExportStatus.DONE,
                    "finished_at": now - timedelta(hours=5),
                }
            ]
            * scale
            + [  # an old one, and a running one: not ready
                {
                    "program_id": rd_id,
                    "requested_by_id": officer_id,
                    "status": ExportStatus.DONE,
                    "finished_at": now - timedelta(days=30),
                },
                {
                    "program_id": rd_id,
                    "requested_by_id": officer_id,
                    "status": ExportStatus.RUNNING,
                },
            ],
        )
        db.session.commit()


def _lines(page: str) -> list[tuple[str, str, str, str]]:
    """(kind, link, text, age) of each to-do line, in the page's order."""
    found = re.findall(
        r'data-kind="([a-z_]+)">\s*<a class="desk-todo__link" href="([^"]+)">([^<]+)</a>\s*'
        r'<span class="desk-todo__age"[^>]*>([^<]+)</span>',
        page,
    )
    return [(kind, html.unescape(link), text, age) for kind, link, text, age in found]


def test_nothing_waiting(app, officer):
    page = officer.get("/home").get_data(as_text=True)
    assert "What needs you" in page and "Nothing waiting" in page
    assert _lines(page) == []
    assert "Latest registrations" in page  # the newest firms stay, as a secondary panel


def test_every_kind_of_work_counted_aged_and_linked_oldest_first(app, officer):
    every_kind_of_work(app)
    with app.app_context():
        key_id, _version = _program(KEY)
    lines = _lines(officer.get("/home").get_data(as_text=True))
    assert lines == [
        (  # every final decision without its letter, once the oldest is past the grace
            "letters_not_issued",
            "/staff/letters",
            "2 decision letters failed to issue",
            "oldest 12 days",
        ),
        ("objections", "/staff/decisions/objections", "1 objection to handle", "oldest 8 days"),
        (
            "moderation",
            f"/staff/applications?status=moderation&sort=oldest&program={key_id}",
            "1 application flagged for moderation",
            "oldest 7 days",
        ),
        (
            "awaiting_release",
            f"/staff/decisions/programmes/{key_id}",
            "1 decision recorded, waiting for release",
            "oldest 6 days",
        ),
        (
            "reviews_overdue",
            "/staff/dashboard",
            "1 expert review overdue",
            "longest 5 days overdue",
        ),
        (
            "waiting_formal_check",
            f"/staff/applications?status=submitted&sort=oldest&program={key_id}",
            "1 submission waiting for the formal check",
            "oldest 4 days",
        ),
        (
            "formal_check_started",
            f"/staff/applications?status=formal_check&sort=oldest&program={key_id}",
            "1 formal check started, not finished",
            "oldest 3 days",
        ),
        (
            "resubmitted",
            f"/staff/applications?status=submitted&sort=oldest&program={key_id}",
            "1 application resubmitted after changes",
            "oldest 2 days",
        ),
        (
            "awaiting_decision",
            f"/staff/decisions/programmes/{key_id}",
            "1 application with its reviews complete, awaiting a decision",
            "oldest 1 day",
        ),
        (
            "exports_ready",
            lines[-1][1],  # the one export's own page (its id below)
            "1 export of letters ready to download",
            "oldest less than a day",
        ),
    ]
    assert re.fullmatch(r"/staff/letters/exports/\d+", lines[-1][1])


def test_a_letter_on_its_way_is_not_a_failure(app, officer):
    add_applications(
        app,
        1,
        code=RD,
        days_ago=90,
        status=Status.AWARDED,
        decision="approve",
        awarded_at=utcnow() - timedelta(minutes=1),
    )
    assert "Nothing waiting" in officer.get("/home").get_data(as_text=True)


def test_counts_add_up_and_links_cover_several_programmes(app, officer):
    add_applications(app, 3, code=KEY, days_ago=4)
    add_applications(app, 2, code=RD, days_ago=1)
    add_applications(app, 1, code=RD, days_ago=1, status=Status.DRAFT)  # the firm's business
    lines = _lines(officer.get("/home").get_data(as_text=True))
    assert lines == [
        (
            "waiting_formal_check",
            "/staff/applications?status=submitted&sort=oldest",
            "5 submissions waiting for the formal check",
            "oldest 4 days",
        )
    ]
    page = officer.get("/staff/applications?status=submitted&sort=oldest").get_data(as_text=True)
    assert "5 applications" in page  # the link's list holds exactly what the line counts


def test_exports_ready_are_the_officers_own(app, officer):
    with app.app_context():
        rd_id, _version = _program(RD)
        admin_id = db.session.scalar(select(User.id).where(User.email == "admin@example.com"))
        db.session.execute(
            insert(LetterExport),
            [
                {
                    "program_id": rd_id,
                    "requested_by_id": admin_id,
                    "status": ExportStatus.DONE,
                    "finished_at": utcnow(),
                }
            ],
        )
        db.session.commit()
    assert "Nothing waiting" in officer.get("/home").get_data(as_text=True)


def test_chinese_desk(app, demo, client):
    """The Chinese words come with the translations merged from the helper's JSON."""
    add_applications(app, 3, days_ago=4)
    sign_in(client, "officer@example.com")
    page = client.get("/home?lang=zh_CN").get_data(as_text=True)
    assert "待办事项" in page
    assert "3 件申请等待形式审查" in page and "最早 4 天" in page


def test_desk_query_count_is_fixed(app, officer):
    every_kind_of_work(app, scale=1)
    officer.get("/home")  # warm-up: first-request work is not the page's
    small = statements_for(app, officer, "/home")
    every_kind_of_work(app, scale=25)
    large = statements_for(app, officer, "/home")
    assert large == small
    page = officer.get("/home").get_data(as_text=True)
    assert "26 submissions waiting for the formal check" in page
    assert "26 expert reviews overdue" in page


def test_only_officers_see_the_desk(app, demo, client):
    add_applications(app, 2, days_ago=4)
    assert client.get("/home").status_code == 302  # signed out: to the sign-in page
    for email in ("ent1@example.com", "reviewer1@example.com", "admin@example.com"):
        other = english_client(app, email)
        page = other.get("/home").get_data(as_text=True)
        assert "What needs you" not in page, email
        assert "submissions waiting for the formal check" not in page, email
