"""The firm follows its application stage by stage: the stages with their dates on its page,
the history's intermediate steps, the amount explained once released, never a reviewer's
name; other firms see nothing of it."""

from __future__ import annotations

import html
import re
from datetime import timedelta
from decimal import Decimal

import pytest
from sqlalchemy import select

from portal.accounts.models import User
from portal.applications import lifecycle
from portal.applications.models import Application, Status
from portal.core.audit import AuditEvent
from portal.core.extensions import db
from portal.core.jobs import commit
from portal.core.timeutil import bureau_today, utcnow
from portal.review.publicity import advance_publicity
from tests.helpers import english_client, statements_for, submit_application
from tests.integration.test_decisions import (
    KEY,
    RD,
    decide,
    load,
    make_application,
    make_firm,
    officer_client,
    program_id,
    release,
    set_program,
)

FIRM = "ent2@example.com"
OTHER_FIRM = "ent3@example.com"


def page_of(client, application_id: int) -> str:
    response = client.get(f"/applications/{application_id}")
    assert response.status_code == 200
    return html.unescape(response.get_data(as_text=True))


def stage_items(page: str) -> dict[str, str]:
    """{stage key: the stage's list item}, from the page's ordered list of stages."""
    items = re.findall(
        r'<li class="stage stage--[^"]*"[^>]*data-stage="([a-z_]+)">(.*?)</li>', page, re.S
    )
    opening = re.findall(r'(<li class="stage stage--[^"]*"[^>]*data-stage="[a-z_]+">)', page)
    return {key: tag + body for (key, body), tag in zip(items, opening, strict=True)}


def state_of(item: str) -> str:
    return re.search(r"stage--([a-z]+)", item)[1]


def current_stages(page: str) -> list[str]:
    return re.findall(r'aria-current="step" data-stage="([a-z_]+)"', page)


@pytest.fixture
def firm(app, demo):
    return english_client(app, FIRM)


@pytest.fixture
def rd_application(app, firm) -> int:
    return submit_application(app, FIRM, RD, client=firm)


def test_submitted_application_shows_its_stages_in_order(app, firm, rd_application):
    page = page_of(firm, rd_application)
    items = stage_items(page)
    assert list(items) == [
        "submitted",
        "formal_check",
        "expert_review",
        "decision",
        "publicity",
        "letter",
        "payment",
    ]
    assert state_of(items["submitted"]) == "done"
    assert bureau_today().isoformat() in items["submitted"]  # the date it was reached
    assert current_stages(page) == ["formal_check"]
    # the R&D post-subsidy has no expert review: the stage is there, greyed
    assert state_of(items["expert_review"]) == "skipped"
    assert "Not part of this programme" in items["expert_review"]
    assert state_of(items["decision"]) == "upcoming"
    assert "Next: the bureau's formal check" in page


def test_the_firm_follows_check_decision_publicity_and_letter(app, firm, rd_application):
    officer = officer_client(app)
    assert officer.post(f"/staff/applications/{rd_application}/pass-check").status_code == 302

    page = page_of(firm, rd_application)
    items = stage_items(page)
    assert state_of(items["formal_check"]) == "done" and "Passed" in items["formal_check"]
    assert current_stages(page) == ["decision"]
    assert "Formal check passed: the bureau's decision next" in page  # in the history
    assert "How the amount was set" not in page  # nothing explained before the release

    # pro rata: another firm's approval and a short budget scale both awards
    other = make_application(app, RD, make_firm(app, 1), formula="13333", requested="13333")
    set_program(app, RD, budget=Decimal("20000"))
    amount = load(app, rd_application).requested_amount
    assert amount == Decimal("14000.00")
    assert decide(officer, app, rd_application, "approve", "14000").status_code == 302
    assert decide(officer, app, other, "approve", "13333").status_code == 302
    page = page_of(firm, rd_application)
    assert current_stages(page) == ["decision"] and "How the amount was set" not in page

    assert release(officer, program_id(app, RD)).status_code == 302
    released = load(app, rd_application)
    assert released.status is Status.PUBLICITY
    page = page_of(firm, rd_application)
    items = stage_items(page)
    assert state_of(items["decision"]) == "done" and "Proposed for support" in items["decision"]
    assert current_stages(page) == ["publicity"]
    assert f"publicity ends on {released.publicity_ends_on.isoformat()}" in page
    assert "Decision released: proposed for support, in publicity" in page
    # 20,000 / 27,333 = 0.73171…: 14,000 → 10,244.02, rounded down to 10,200
    assert "How the amount was set" in page
    assert "0.7317" in page and "73.17 %" in page
    assert "10,244.02" in page and "10,200.00" in page
    assert "rounded down to the nearest 100 yuan" in page
    assert released.decided_amount == Decimal("10200.00")

    with app.app_context():
        assert advance_publicity(bureau_today() + timedelta(days=30)) == 2
        commit()
    page = page_of(firm, rd_application)
    items = stage_items(page)
    assert [state_of(item) for key, item in items.items() if key != "expert_review"] == [
        *["done"] * 5,
        "current",
    ]
    # after the letter, the money: the funding agreement comes first (the payments tests
    # follow the stage to "Paid")
    assert current_stages(page) == ["payment"]
    assert "After the funding agreement" in items["payment"]
    assert "Next: accept the funding agreement" in page
    assert "Letter issued" in items["letter"]
    assert "Publicity ended: the award is final" in page
    assert "Decision letter issued" in page


def test_expert_review_is_shown_without_reviewers_or_scores(app, demo):
    firm = english_client(app, "ent1@example.com")
    application_id = submit_application(app, "ent1@example.com", KEY, client=firm)
    officer = officer_client(app)
    assert officer.post(f"/staff/applications/{application_id}/pass-check").status_code == 302
    page = page_of(firm, application_id)
    assert current_stages(page) == ["expert_review"]
    assert "Formal check passed: expert review next" in page

    with app.app_context():
        application = db.session.get(Application, application_id)
        application.final_score = Decimal("87.50")
        lifecycle.transition(application, "reviews_complete", actor=None, mean="87.50")
        db.session.commit()
        reviewer_names = list(
            db.session.scalars(select(User.display_name).where(User.role == "reviewer"))
        )
    page = page_of(firm, application_id)
    assert stage_items(page)["expert_review"].count("stage--done") == 1
    assert current_stages(page) == ["decision"]
    assert "Expert review finished: the bureau's decision next" in page
    assert "87.5" not in page
    assert reviewer_names and not any(name in page for name in reviewer_names)


def test_a_rejection_at_the_formal_check_stops_there(app, firm, rd_application):
    officer = officer_client(app)
    response = officer.post(
        f"/staff/applications/{rd_application}/reject", data={"reason": "上年度研发费用未增长。"}
    )
    assert response.status_code == 302
    page = page_of(firm, rd_application)
    items = stage_items(page)
    assert state_of(items["formal_check"]) == "stopped"
    assert "Not eligible: rejected" in items["formal_check"]
    assert state_of(items["decision"]) == "skipped" and state_of(items["publicity"]) == "skipped"
    assert state_of(items["letter"]) == "done"  # its rejection letter, issued at once


def test_a_returned_application_says_so_and_what_to_do(app, firm, rd_application):
    officer = officer_client(app)
    response = officer.post(
        f"/staff/applications/{rd_application}/return",
        data={"sections": ["summary"], "reason": "请补充项目摘要。"},
    )
    assert response.status_code == 302, response.get_data(as_text=True)[:300]
    page = page_of(firm, rd_application)
    assert current_stages(page) == ["formal_check"]
    assert "Returned to you for changes" in stage_items(page)["formal_check"]
    assert "change the sections the bureau asked for and resubmit" in page


def test_a_withdrawn_application_stops_where_it_was(app, firm, rd_application):
    response = firm.post(
        f"/applications/{rd_application}/withdraw", data={"reason": "项目调整。", "confirm": "y"}
    )
    assert response.status_code == 302
    page = page_of(firm, rd_application)
    items = stage_items(page)
    assert state_of(items["formal_check"]) == "stopped" and "Withdrawn" in items["formal_check"]
    assert current_stages(page) == []
    assert "Next:" not in page


@pytest.mark.parametrize("visitor", [OTHER_FIRM, "reviewer1@example.com"])
def test_other_firms_and_reviewers_cannot_see_the_page(app, rd_application, visitor):
    client = english_client(app, visitor)
    assert client.get(f"/applications/{rd_application}").status_code in (403, 404)


def test_the_page_runs_a_fixed_number_of_queries(app, firm, rd_application):
    url = f"/applications/{rd_application}"
    before = statements_for(app, firm, url)
    with app.app_context():  # a long history: many returns and resubmissions
        for _ in range(10):
            for action in ("application.start_formal_check", "application.resubmit"):
                db.session.add(
                    AuditEvent(
                        action=action,
                        object_type="applications",
                        object_id=str(rd_application),
                        application_id=rd_application,
                        occurred_at=utcnow(),
                        summary={},
                    )
                )
        db.session.commit()
    assert statements_for(app, firm, url) == before


def test_check_your_answers_says_not_answered_never_no(app, demo):
    firm = english_client(app, "ent1@example.com")
    response = firm.post("/programmes/fluorine-digital-2026/apply")
    assert response.status_code == 302, response.get_data(as_text=True)[:300]
    application_id = int(response.headers["Location"].rsplit("/", 1)[1])
    page = html.unescape(firm.get(f"/applications/{application_id}/check").get_data(as_text=True))
    for question in (
        "Project accepted (acceptance report)",
        "Other public funding received for this project",
    ):
        answer = re.search(rf"<dt>{re.escape(question)}</dt><dd[^>]*>([^<]*)</dd>", page)
        assert answer and answer[1] == "Not answered", question
    assert "<dd>No</dd>" not in page


def _released_with(app, summary: dict) -> int:
    application_id = make_application(
        app,
        RD,
        make_firm(app, 5),
        status=Status.PUBLICITY,
        formula="45000",
        decision="approve",
        decided_amount=Decimal("38100.00"),
        released_at=utcnow(),
    )
    with app.app_context():
        db.session.add(
            AuditEvent(
                action="application.release_approval",
                object_type="applications",
                object_id=str(application_id),
                application_id=application_id,
                summary=summary,
            )
        )
        db.session.commit()
    return application_id


@pytest.mark.parametrize(
    ("recorded", "ratio"),
    [("8475/10000", Decimal("0.8475")), ("0.8475", Decimal("0.8475")), ("1/2", None)],
)
def test_a_ratio_recorded_at_the_release_is_used_when_it_gives_the_award(
    app, demo, recorded, ratio
):
    from portal.review.award_explanation import explain_award

    application_id = _released_with(
        app,
        {"amount": "38100.00", "amount_before_pro_rata": "45000.00", "pro_rata_ratio": recorded},
    )
    with app.test_request_context():
        explanation = explain_award(db.session.get(Application, application_id))
    assert explanation is not None and explanation.scaled
    # a ratio that would not give 38,100 (one half) is never printed
    assert explanation.pro_rata_ratio == ratio
    assert explanation.scaled_amount == (Decimal("38137.50") if ratio else None)
    assert explanation.final_amount == Decimal("38100.00")


def test_nothing_is_explained_before_the_release(app, demo):
    from portal.review.award_explanation import explain_award

    application_id = make_application(
        app,
        RD,
        make_firm(app, 6),
        formula="45000",
        decision="approve",
        decided_amount=Decimal(45000),
    )
    with app.test_request_context():
        assert explain_award(db.session.get(Application, application_id)) is None


def test_an_objection_puts_the_publicity_stage_on_hold_honestly(app, firm, rd_application):
    with app.app_context():
        application = db.session.get(Application, rd_application)
        application.status = Status.PUBLICITY
        application.decision = "approve"
        application.decided_amount = Decimal("14000.00")
        application.released_at = utcnow()
        application.publicity_ends_on = bureau_today() + timedelta(days=7)
        lifecycle.transition(application, "objection_received", actor=None, objection_id=1)
        db.session.commit()
    page = page_of(firm, rd_application)
    assert current_stages(page) == ["publicity"]
    assert "On hold: an objection is being examined" in stage_items(page)["publicity"]
    assert "Objection received: publicity on hold while the bureau examines it" in page
    assert "Next: the bureau examines the objection" in page
