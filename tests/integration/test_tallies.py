"""The tallies the database keeps (migration 0006) and the pages that read them: they must agree
with a full count after every kind of write, and the ranked list, paginated over window
functions, must show what a pass over the whole list in Python would."""

from __future__ import annotations

import random
from datetime import timedelta
from decimal import Decimal

import pytest
from sqlalchemy import delete, select, update

from portal.applications.models import Application, Status
from portal.applications.tallies import ApplicationTally, count_applications
from portal.core.extensions import db
from portal.core.timeutil import utcnow
from portal.programs.models import Program
from portal.review import ranking as decisions
from portal.review.models import Assignment, AssignmentStatus
from portal.review.tallies import check_tallies
from tests.helpers import add_bare_applications, sql_statements, submit_application
from tests.integration.test_decisions import (
    KEY,
    RD,
    make_application,
    make_firm,
    officer_client,
    set_program,
    set_tiers,
)


def tally_problems(app) -> list[str]:
    with app.app_context():
        return check_tallies()


def reviewer_ids(app) -> list[int]:
    from portal.accounts.models import Role, User

    with app.app_context():
        return list(
            db.session.scalars(select(User.id).where(User.role == Role.REVIEWER).order_by(User.id))
        )


def test_the_tallies_follow_every_kind_of_write(app, demo):
    assert tally_problems(app) == []
    # Through the portal: a firm submits.
    submit_application(app, "ent1@example.com", KEY)
    # Straight into the database, as bulk loads do.
    ids = add_bare_applications(app, KEY, 12, status=Status.EXPERT_REVIEW)
    reviewers = reviewer_ids(app)
    with app.app_context():
        for index, application_id in enumerate(ids):
            for reviewer in reviewers[: 1 + index % 3]:
                db.session.add(
                    Assignment(
                        application_id=application_id,
                        reviewer_id=reviewer,
                        status=AssignmentStatus.ASSIGNED,
                        # due on different days, past and future, and one with no due date
                        due_at=None if index == 0 else utcnow() + timedelta(days=index % 5 - 2),
                    )
                )
        db.session.commit()
    assert tally_problems(app) == []
    with app.app_context():
        # ORM updates of status, decision and amounts; assignments change status.
        for application in db.session.scalars(
            select(Application).where(Application.id.in_(ids[:4]))
        ):
            application.status = Status.DECIDED
            application.decision = decisions.APPROVE
            application.decided_amount = Decimal("12345.67")
            application.requested_amount = Decimal("20000.10")
        db.session.execute(
            update(Assignment)
            .where(Assignment.application_id == ids[5])
            .values(status=AssignmentStatus.SUBMITTED)
        )
        # a due date moved (an extension), another one cleared
        db.session.execute(
            update(Assignment)
            .where(Assignment.application_id == ids[3])
            .values(due_at=utcnow() + timedelta(days=9))
        )
        db.session.execute(
            update(Assignment).where(Assignment.application_id == ids[4]).values(due_at=None)
        )
        # Withdrawing takes an application's assignments out of the review tallies ...
        db.session.execute(
            update(Application).where(Application.id == ids[6]).values(status=Status.WITHDRAWN)
        )
        db.session.commit()
        assert check_tallies() == []
        # ... and a bulk update of many rows, a deleted assignment, a deleted application
        # (its assignments go with it) all keep the tallies right.
        db.session.execute(
            update(Application)
            .where(Application.id.in_(ids[7:10]))
            .values(status=Status.FORMAL_CHECK, requested_amount=Decimal("1.01"))
        )
        db.session.execute(delete(Assignment).where(Assignment.application_id == ids[10]))
        db.session.execute(delete(Application).where(Application.id == ids[11]))
        db.session.commit()
        assert check_tallies() == []
        # A rolled-back write leaves no trace in them either.
        db.session.execute(update(Application).values(status=Status.AWARDED))
        db.session.rollback()
        assert check_tallies() == []


def test_the_check_finds_a_tally_that_drifted(app, demo):
    add_bare_applications(app, RD, 3, status=Status.SUBMITTED)
    with app.app_context():
        db.session.execute(
            update(ApplicationTally)
            .where(ApplicationTally.status == Status.SUBMITTED.value)
            .values(applications=ApplicationTally.applications + 1)
        )
        db.session.commit()
        problems = check_tallies()
        assert problems and "submitted" in problems[0]
        from portal.review.tallies import rebuild_tallies

        rebuild_tallies()
        db.session.commit()
        assert check_tallies() == []


def test_the_cli_checks_the_tallies(app, demo):
    add_bare_applications(app, RD, 2, status=Status.SUBMITTED)
    runner = app.test_cli_runner()
    result = runner.invoke(args=["tallies", "check"])
    assert result.exit_code == 0, result.output
    assert "agree" in result.output
    with app.app_context():
        db.session.execute(update(ApplicationTally).values(applications=99))
        db.session.commit()
    assert runner.invoke(args=["tallies", "check"]).exit_code == 1
    assert runner.invoke(args=["tallies", "rebuild"]).exit_code == 0
    assert runner.invoke(args=["tallies", "check"]).exit_code == 0


def test_queue_totals_from_the_tallies_match_a_count(app, demo):
    from portal.web.desk import queue as staff_queue

    add_bare_applications(app, KEY, 7, status=Status.SUBMITTED)
    add_bare_applications(app, RD, 5, status=Status.DECIDED, prefix="R")
    add_bare_applications(app, RD, 4, status=Status.DRAFT, prefix="D")
    with app.app_context():
        programs = {p.code: p.id for p in db.session.scalars(select(Program))}
        for filters in (
            staff_queue.QueueFilters(),
            staff_queue.QueueFilters(program=programs[RD]),
            staff_queue.QueueFilters(status="submitted"),
            staff_queue.QueueFilters(program=programs[KEY], status="decided"),
        ):
            counted = db.session.scalar(
                select(db.func.count()).select_from(
                    staff_queue.queue_query(filters).order_by(None).subquery()
                )
            )
            assert staff_queue.queue_total(filters) == counted, filters
        assert count_applications(program_ids=[programs[RD]], statuses=[Status.DRAFT]) == 4
        assert staff_queue.queue_total(staff_queue.QueueFilters(flagged=True)) is None


# --- the ranked list over window functions -------------------------------------------------


def python_ranking(app, code: str) -> list[dict]:
    """What the ranked list shows, worked out row by row in Python from the whole list."""
    with app.test_request_context():
        program = db.session.scalar(select(Program).where(Program.code == code))
        formula = decisions.formula_of(program)
        apps = db.session.scalars(
            select(Application)
            .where(Application.program_id == program.id, Application.status == Status.DECIDED)
            .order_by(*decisions.ranking_order(program))
        ).all()
        running = decisions.budget_state(program).released
        place, out = 0, []
        for application in apps:
            rank = None
            if application.decision != decisions.REJECT:
                place += 1
                rank = place
            default = decisions.default_amount(
                formula,
                rank=rank,
                score=application.final_score,
                requested=application.requested_amount,
                formula_amount=application.formula_amount,
                per_firm_cap=program.per_firm_cap,
            )
            if application.decision == decisions.APPROVE:
                proposed = application.decided_amount
            elif application.decision == decisions.REJECT:
                proposed = Decimal("0.00")
            else:
                proposed = default
            running += proposed or 0
            out.append(
                {
                    "id": application.id,
                    "rank": rank,
                    "default_amount": default,
                    "proposed": proposed,
                    "running_total": running,
                    "over_budget": running > program.budget and bool(proposed),
                }
            )
        return out


def all_pages(app, code: str) -> list[dict]:
    rows, page = [], 1
    with app.test_request_context():
        program = db.session.scalar(select(Program).where(Program.code == code))
        while True:
            result = decisions.ranked_list(program, "en", page=page)
            rows.extend(result["rows"])
            if not result["page"].has_next:
                return rows
            page += 1


def fill_ranked(app, code: str, count: int, seed: int, first_firm: int = 100) -> None:
    rng = random.Random(seed)
    for index in range(count):
        firm = make_firm(app, first_firm + index)
        choice = rng.random()
        fields = {}
        if choice < 0.2:
            fields = {"decision": decisions.REJECT, "decision_reason_code": "score_too_low"}
        elif choice < 0.45:
            fields = {
                "decision": decisions.APPROVE,
                "decided_amount": Decimal(rng.choice(["150000", "99999.99", "320000.5"])),
            }
        make_application(
            app,
            code,
            firm,
            # ties on the score, and some without one, test the order's tie-breaks
            score=None if rng.random() < 0.05 else str(rng.choice(range(40, 100, 5))),
            requested=None if rng.random() < 0.1 else str(rng.randint(1, 80) * 10000),
            formula=None if rng.random() < 0.3 else str(rng.randint(1, 60) * 10000),
            **fields,
        )


@pytest.mark.parametrize("code", [KEY, RD])
def test_every_page_of_the_ranked_list_matches_a_pass_over_the_whole_list(app, demo, code):
    if code == KEY:
        set_tiers(app, KEY, [[7, "500000"], [40, "200000"], [30, "50000"]], min_score="55")
        set_program(app, KEY, budget=Decimal("9000000"), per_firm_cap=Decimal("400000"))
    else:
        set_program(app, RD, budget=Decimal("6000000"))
    fill_ranked(app, code, 130, seed=7 if code == KEY else 11)
    expected = python_ranking(app, code)
    shown = all_pages(app, code)
    assert len(shown) == len(expected) == 130
    for seen, worked_out in zip(shown, expected, strict=True):
        for key, value in worked_out.items():
            assert seen[key] == value, (key, seen, worked_out)
    # The budget line is drawn once, before the first row past the budget, on whichever page.
    lines = [row["id"] for row in shown if row["budget_line"]]
    first_over = next(row["id"] for row in expected if row["over_budget"])
    assert lines == [first_over]


def test_the_ranked_page_shows_one_page_and_links_the_next(app, demo):
    set_program(app, RD, budget=Decimal("900000000"))
    fill_ranked(app, RD, decisions.RANKED_PAGE_SIZE + 3, seed=3)
    client = officer_client(app)
    with app.app_context():
        pid = db.session.scalar(select(Program.id).where(Program.code == RD))
    first = client.get(f"/staff/decisions/programmes/{pid}").get_data(as_text=True)
    assert first.count('class="dc-row') == decisions.RANKED_PAGE_SIZE
    assert 'rel="next"' in first
    second = client.get(f"/staff/decisions/programmes/{pid}?page=2").get_data(as_text=True)
    assert second.count('class="dc-row') == 3
    # the decision forms of page 2 come back to page 2
    assert "/decide?page=2" in second
    statements = len(sql_statements(app, client, f"/staff/decisions/programmes/{pid}?page=2"))
    fill_ranked(app, RD, 40, seed=4, first_firm=500)
    assert len(sql_statements(app, client, f"/staff/decisions/programmes/{pid}?page=2")) == (
        statements
    )
