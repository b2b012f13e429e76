"""Officers decide within the budget: ranking, proposed amounts, single and bulk decisions,
the budget line, pro-rata release, invisibility to firms until release, concurrency."""

from __future__ import annotations

import contextlib
import html
import io
import re
import threading
from datetime import date, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import event, func, select

from portal.accounts.models import Enterprise
from portal.accounts.uscc import with_check_character
from portal.applications.models import Application, Status
from portal.core.audit import AuditEvent
from portal.core.extensions import db
from portal.core.timeutil import bureau_today, utcnow
from portal.programs import formulas
from portal.programs.models import Program
from portal.programs.services import current_version
from portal.review import decisions
from portal.review.sign_off import Proposal, ProposalStatus
from tests.helpers import make_pdf, sign_in, use_english

RD = "rd-post-subsidy-2026"  # no expert review, pro rata, cap per firm 1,000,000
KEY = "key-above-size-2026"  # expert review, ranked tiers: top 10 × 500,000, next 20 × 200,000
OFFICER = "officer@example.com"


# --- set-up (also used by test_publicity.py) ---------------------------------------------------


def program_id(app, code: str) -> int:
    with app.app_context():
        return db.session.scalar(select(Program.id).where(Program.code == code))


def set_program(app, code: str, **fields) -> None:
    with app.app_context():
        program = db.session.scalar(select(Program).where(Program.code == code))
        for name, value in fields.items():
            setattr(program, name, value)
        db.session.commit()


def set_tiers(app, code: str, tiers, min_score="60") -> None:
    with app.app_context():
        program = db.session.scalar(select(Program).where(Program.code == code))
        version = current_version(program)
        version.formula = {
            "formula": "ranked_tiers",
            "params": {"tiers": tiers, "min_score": min_score},
        }
        db.session.commit()


def make_firm(app, index: int, name: str | None = None) -> int:
    with app.app_context():
        firm = Enterprise(
            name=name or f"阜新测试企业{index:02d}有限公司",
            uscc=with_check_character(f"91210900MA{index:07d}"),
            contact_person="测试",
            mobile="13900000000",
        )
        db.session.add(firm)
        db.session.commit()
        return firm.id


def make_application(
    app,
    code: str,
    firm_id: int,
    *,
    status: Status = Status.DECIDED,
    score: str | None = None,
    requested: str | None = None,
    formula: str | None = None,
    submitted_at=None,
    **fields,
) -> int:
    with app.app_context():
        program = db.session.scalar(select(Program).where(Program.code == code))
        version = current_version(program)
        submitted_at = submitted_at or utcnow()
        application = Application(
            reference=f"T-{program.id}-{firm_id}",
            enterprise_id=firm_id,
            program_id=program.id,
            program_version_id=version.id,
            status=status,
            project_title="测试项目",
            final_score=None if score is None else Decimal(score),
            requested_amount=None if requested is None else Decimal(requested),
            formula_amount=None if formula is None else Decimal(formula),
            first_submitted_at=submitted_at,
            last_submitted_at=submitted_at,
            submission_count=1,
            **fields,
        )
        db.session.add(application)
        db.session.commit()
        return application.id


def load(app, application_id: int) -> Application:
    with app.app_context():
        application = db.session.get(Application, application_id)
        db.session.expunge(application)
        return application


def officer_client(app, email: str = OFFICER):
    client = app.test_client()
    assert sign_in(client, email).status_code == 302
    use_english(client)
    return client


def decide(
    client, app, application_id, decision, amount=None, *, code="", reason="", lock=None, seen=None
):
    current = load(app, application_id)
    prefix = f"a{application_id}-"
    data = {
        prefix + "decision": decision,
        prefix + "amount": "" if amount is None else str(amount),
        prefix + "reason_code": code,
        prefix + "reason": reason,
        prefix + "lock_version": str(current.lock_version if lock is None else lock),
        prefix + "seen_decision": (current.decision or "") if seen is None else seen,
    }
    return client.post(f"/staff/decisions/applications/{application_id}/decide", data=data)


def bulk(client, app, pid, ids, action, *, code="", reason="", locks=None):
    data = {
        "selected": [str(i) for i in ids],
        "action": action,
        "reason_code": code,
        "reason": reason,
    }
    for i in ids:
        data[f"lock_{i}"] = str(locks[i] if locks and i in locks else load(app, i).lock_version)
    return client.post(f"/staff/decisions/programmes/{pid}/bulk", data=data)


APPROVER = "leader@example.com"


def sign_off_latest(app, approver: str = APPROVER):
    """The approver signs off the newest pending proposal, through the pages (four eyes)."""
    with app.app_context():
        proposal_id = db.session.scalar(
            select(Proposal.id)
            .where(Proposal.status == ProposalStatus.PENDING)
            .order_by(Proposal.id.desc())
        )
    assert proposal_id, "nothing was proposed"
    leader = app.test_client()
    assert sign_in(leader, approver).status_code == 302
    page = leader.get(f"/staff/sign-off/{proposal_id}").get_data(as_text=True)
    match = re.search(r'name="fingerprint" type="hidden" value="([^"]*)"', page)
    assert match, "the proposal cannot be signed off"
    return leader.post(
        f"/staff/sign-off/{proposal_id}/approve", data={"fingerprint": html.unescape(match[1])}
    )


def propose_release(client, pid):
    """The officer opens the confirmation page and proposes the release it shows."""
    page = client.get(f"/staff/decisions/programmes/{pid}/release").get_data(as_text=True)
    match = re.search(r'name="snapshot" type="hidden" value="([^"]*)"', page)
    snapshot = html.unescape(match[1]) if match else ""
    return client.post(f"/staff/decisions/programmes/{pid}/release", data={"snapshot": snapshot})


def reissue_signed_off(client, letter_id: int, data: dict):
    """Reissue a letter as it is done: a changed amount is confirmed, proposed and signed off
    by the approver; anything else is reissued at once (the response that answered last)."""
    url = f"/staff/letters/{letter_id}/reissue"
    response = client.post(url, data=data)
    if response.status_code != 200:  # refused, or reissued at once
        return response
    response = client.post(url, data={**data, "confirmed": "1"})
    if response.status_code != 302:
        return response
    return sign_off_latest(client.application)


def release(client, pid):
    """Propose the release, then have the approver sign it off (the sign-off's response, or
    the refused proposal's)."""
    response = propose_release(client, pid)
    if response.status_code != 302:
        return response
    return sign_off_latest(client.application)


def text_of(response) -> str:
    return html.unescape(response.get_data(as_text=True))


def ranked(app, code: str) -> dict:
    with app.test_request_context():
        program = db.session.scalar(select(Program).where(Program.code == code))
        return decisions.ranked_list(program, "en")


def actions(app, action: str) -> list[AuditEvent]:
    with app.app_context():
        query = select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.id)
        events = list(db.session.scalars(query))
        for e in events:
            db.session.expunge(e)
        return events


# --- ranking ----------------------------------------------------------------------------------


@pytest.fixture
def selection(app, demo):
    """Eight selection applications awaiting decision, scores 95 down to 50 (two tiers of
    2 × 500,000 and 3 × 200,000, minimum score 60), budget 1,300,000."""
    set_tiers(app, KEY, [[2, "500000"], [3, "200000"]])
    set_program(app, KEY, budget=Decimal("1300000"))
    scores = ["80", "95", "65", "90", "50", "85", "75", "70"]
    ids = {}
    for index, score in enumerate(scores, start=1):
        firm = make_firm(app, index)
        ids[score] = make_application(app, KEY, firm, score=score)
    return ids


def test_ranked_list_orders_by_score_with_tiers_and_running_total(app, selection):
    result = ranked(app, KEY)
    rows = result["rows"]
    assert [str(r["score"]) for r in rows] == [
        "95.00",
        "90.00",
        "85.00",
        "80.00",
        "75.00",
        "70.00",
        "65.00",
        "50.00",
    ]
    assert [r["rank"] for r in rows] == list(range(1, 9))
    assert [r["proposed"] for r in rows] == [
        Decimal("500000.00"),
        Decimal("500000.00"),
        Decimal("200000.00"),
        Decimal("200000.00"),
        Decimal("200000.00"),
        Decimal("0.00"),
        Decimal("0.00"),
        Decimal("0.00"),
    ]
    assert [r["running_total"] for r in rows][:5] == [
        Decimal("500000"),
        Decimal("1000000"),
        Decimal("1200000"),
        Decimal("1400000"),
        Decimal("1600000"),
    ]
    # past the budget: the rows that would take money beyond it (not those proposing nothing)
    assert [r["over_budget"] for r in rows] == [
        False,
        False,
        False,
        True,
        True,
        False,
        False,
        False,
    ]


def test_ranked_page_marks_the_budget_line(app, selection):
    client = officer_client(app)
    response = client.get(f"/staff/decisions/programmes/{program_id(app, KEY)}")
    page = text_of(response)
    assert response.status_code == 200
    assert "The budget of 1,300,000.00 yuan runs out here" in page
    # the line sits between the third (1,200,000) and the fourth (1,400,000) row
    assert page.index("1,200,000.00") < page.index("runs out here") < page.index("1,400,000.00")
    assert page.count('class="dc-over-tag"') == 2
    index = text_of(client.get("/staff/decisions"))
    assert "Key above-size enterprise selection" in index


def test_a_rejected_application_takes_no_place_in_the_tiers(app, selection):
    client = officer_client(app)
    top = selection["95"]
    response = decide(client, app, top, "reject", code="ineligible", reason="不符合条件。")
    assert response.status_code == 302
    rows = ranked(app, KEY)["rows"]
    assert rows[0]["rank"] is None and rows[0]["proposed"] == Decimal("0.00")
    # 90 moves to rank 1, 85 to rank 2: both in the first tier now
    assert [r["proposed"] for r in rows[1:4]] == [
        Decimal("500000.00"),
        Decimal("500000.00"),
        Decimal("200000.00"),
    ]


def test_without_expert_review_first_submission_comes_first(app, demo):
    now = utcnow()
    set_program(app, RD, per_firm_cap=Decimal("20000"))
    late = make_application(
        app, RD, make_firm(app, 1), requested="15000", formula="16000", submitted_at=now
    )
    early = make_application(
        app,
        RD,
        make_firm(app, 2),
        requested="30000",
        formula="25000",
        submitted_at=now - timedelta(days=2),
    )
    middle = make_application(
        app,
        RD,
        make_firm(app, 3),
        requested="9000",
        formula="8000",
        submitted_at=now - timedelta(days=1),
    )
    rows = ranked(app, RD)["rows"]
    assert [r["id"] for r in rows] == [early, middle, late]
    # requested, capped by the formula amount and by the cap per firm
    assert [r["proposed"] for r in rows] == [Decimal("20000"), Decimal("8000"), Decimal("15000")]


def test_ranked_page_runs_a_fixed_number_of_queries(app, demo):
    client = officer_client(app)
    pid = program_id(app, KEY)

    def count_queries() -> int:
        statements = []
        with app.app_context():
            engine = db.engine

        def capture(_conn, _cursor, statement, *_args):
            statements.append(statement)

        event.listen(engine, "before_cursor_execute", capture)
        try:
            assert client.get(f"/staff/decisions/programmes/{pid}").status_code == 200
        finally:
            event.remove(engine, "before_cursor_execute", capture)
        return len(statements)

    for index in range(1, 3):
        make_application(app, KEY, make_firm(app, index), score="80")
    few = count_queries()
    for index in range(3, 10):
        make_application(app, KEY, make_firm(app, index), score="70")
    assert count_queries() == few


# --- deciding ---------------------------------------------------------------------------------


def test_budget_line_holds_and_the_refusal_says_what_remains(app, selection):
    set_program(app, KEY, budget=Decimal("900000"))
    client = officer_client(app)
    first, second = selection["95"], selection["90"]
    assert decide(client, app, first, "approve", "500000").status_code == 302
    response = decide(client, app, second, "approve", "500000")
    page = text_of(response)
    assert response.status_code == 422
    assert "would exceed the programme's budget of 900,000.00 yuan" in page
    assert "400,000.00 yuan remain" in page
    assert load(app, second).decision is None
    assert decide(client, app, second, "approve", "400000").status_code == 302
    assert load(app, second).decided_amount == Decimal("400000.00")
    assert len(actions(app, "decision.recorded")) == 2


@pytest.mark.parametrize(
    ("amount", "message"),
    [
        ("0", "must be more than 0"),
        ("-5", "must be more than 0"),
        ("12.345", "at most two decimals"),
        ("abc", "Enter an amount in yuan"),
        ("", "Enter the amount to approve"),
        ("16000.01", "may not exceed the formula amount of 16,000.00 yuan"),
    ],
)
def test_bad_amounts_are_refused_beside_the_field(app, demo, amount, message):
    application = make_application(app, RD, make_firm(app, 1), requested="15000", formula="16000")
    client = officer_client(app)
    response = decide(client, app, application, "approve", amount)
    page = text_of(response)
    assert response.status_code == 422
    assert message in page
    assert f'value="{amount}"' in page  # what the officer typed is kept
    assert load(app, application).decision is None


def test_the_cap_per_firm_limits_the_amount(app, demo):
    set_program(app, KEY, per_firm_cap=Decimal("300000"))
    application = make_application(app, KEY, make_firm(app, 1), score="90")
    response = decide(officer_client(app), app, application, "approve", "300000.01")
    assert response.status_code == 422
    assert "cap per firm of 300,000.00 yuan" in text_of(response)


def test_a_ranked_programme_pays_no_more_than_its_highest_tier(app, selection):
    response = decide(officer_client(app), app, selection["80"], "approve", "500000.01")
    assert response.status_code == 422
    assert "may not exceed the programme's highest tier of 500,000.00 yuan" in text_of(response)
    assert load(app, selection["80"]).decision is None


def test_a_rejection_needs_a_reason_code_and_text(app, selection):
    client = officer_client(app)
    target = selection["50"]
    response = decide(client, app, target, "reject", code="", reason="分数低")
    assert response.status_code == 422 and "Choose the reason" in text_of(response)
    response = decide(client, app, target, "reject", code="score_too_low", reason="  ")
    assert response.status_code == 422 and "Explain the rejection" in text_of(response)
    response = decide(client, app, target, "", code="score_too_low", reason="x")
    assert response.status_code == 422 and "Choose approve or reject" in text_of(response)
    assert load(app, target).decision is None
    response = decide(client, app, target, "reject", code="score_too_low", reason="低于60分。")
    assert response.status_code == 302
    application = load(app, target)
    assert (application.decision, application.decision_reason_code) == ("reject", "score_too_low")
    assert application.status is Status.DECIDED and application.decided_by_id is not None


def test_a_pending_decision_can_change_but_a_stale_form_is_refused(app, selection):
    client = officer_client(app)
    target = selection["95"]
    seen_before = load(app, target).lock_version
    assert decide(client, app, target, "approve", "500000").status_code == 302
    # a form loaded before that decision carries the old version: refused, nothing changes
    response = decide(
        client, app, target, "reject", code="other", reason="x", lock=seen_before, seen=""
    )
    assert response.status_code == 409
    assert "changed by someone else" in text_of(response)
    assert load(app, target).decision == "approve"
    # the same decision with another amount is a change too: a form from before it is stale
    seen_approval = load(app, target).lock_version
    other = officer_client(app, "admin@example.com")
    assert decide(other, app, target, "approve", "450000").status_code == 302
    response = decide(client, app, target, "approve", "300000", lock=seen_approval, seen="approve")
    assert response.status_code == 409
    assert load(app, target).decided_amount == Decimal("450000.00")
    # with the current version it may be changed until the release
    response = decide(client, app, target, "reject", code="other", reason="材料存疑。")
    assert response.status_code == 302
    assert load(app, target).decision == "reject"
    assert load(app, target).decided_amount is None


def test_bulk_decisions_are_all_or_nothing(app, selection):
    set_program(app, KEY, budget=Decimal("1200000"))
    client = officer_client(app)
    pid = program_id(app, KEY)
    top3 = [selection["95"], selection["90"], selection["85"]]
    # 500,000 + 500,000 + 200,000 = 1,200,000 fits; adding the 80 (200,000) does not
    response = bulk(client, app, pid, [*top3, selection["80"]], "approve")
    assert response.status_code == 422
    assert "1,200,000.00 yuan remain" in text_of(response)
    assert all(load(app, i).decision is None for i in [*top3, selection["80"]])
    # a selection with no proposed amount (score below the minimum) refuses the whole action
    response = bulk(client, app, pid, [selection["95"], selection["50"]], "approve")
    assert response.status_code == 422 and "no proposed amount" in text_of(response)
    assert load(app, selection["95"]).decision is None
    # a stale row refuses the whole action
    response = bulk(client, app, pid, top3, "approve", locks={top3[1]: 0})
    assert response.status_code == 409
    assert all(load(app, i).decision is None for i in top3)
    # a rejection without a reason is refused
    low = [selection["65"], selection["50"]]
    response = bulk(client, app, pid, low, "reject", code="score_too_low")
    assert response.status_code == 422 and "Explain the rejection" in text_of(response)
    assert all(load(app, i).decision is None for i in low)
    response = bulk(client, app, pid, [], "approve")
    assert response.status_code == 422 and "Select at least one application" in text_of(response)

    assert bulk(client, app, pid, top3, "approve").status_code == 302
    assert [load(app, i).decided_amount for i in top3] == [
        Decimal("500000.00"),
        Decimal("500000.00"),
        Decimal("200000.00"),
    ]
    response = bulk(client, app, pid, low, "reject", code="score_too_low", reason="低于分数线。")
    assert response.status_code == 302
    assert {load(app, i).decision_reason_code for i in low} == {"score_too_low"}
    assert len(actions(app, "decision.recorded")) == 5


# --- release ----------------------------------------------------------------------------------


def test_release_sends_approvals_to_publicity_and_rejections_to_rejected(app, selection):
    today = bureau_today()
    # the next three days are public holidays
    app.config["HOLIDAYS"] = f"{today + timedelta(days=1)}..{today + timedelta(days=3)}"
    client = officer_client(app)
    pid = program_id(app, KEY)
    approved, rejected, undecided = selection["95"], selection["50"], selection["70"]
    assert decide(client, app, approved, "approve", "500000").status_code == 302
    assert (
        decide(
            client, app, rejected, "reject", code="score_too_low", reason="低于分数线。"
        ).status_code
        == 302
    )
    response = release(client, pid)
    assert response.status_code == 302
    a, r, u = load(app, approved), load(app, rejected), load(app, undecided)
    assert a.status is Status.PUBLICITY and a.released_at is not None
    weekdays = [
        day for day in (today + timedelta(days=n) for n in range(4, 20)) if day.weekday() < 5
    ]
    assert (a.publicity_starts_on, a.publicity_ends_on) == (weekdays[0], weekdays[4])
    assert r.status is Status.REJECTED and r.released_at is not None
    assert u.status is Status.DECIDED and u.decision is None
    assert len(actions(app, "decision.released")) == 1
    # released decisions cannot change any more
    response = decide(client, app, approved, "approve", "400000")
    assert response.status_code == 422 and "has been released" in text_of(response)
    # and the public list shows the award
    public = text_of(app.test_client().get("/publicity"))
    assert "阜新测试企业02有限公司" in public and "500,000.00" in public


def test_publicity_dates_skip_weekends_and_configured_holidays(app, demo):
    app.config["HOLIDAYS"] = "2026-10-01..2026-10-07, +2026-10-10"
    set_program(app, KEY, publicity_days=5)
    application = make_application(
        app,
        KEY,
        make_firm(app, 1),
        score="90",
        decision="approve",
        decided_amount=Decimal("500000"),
    )
    with app.test_request_context():
        program = db.session.scalar(select(Program).where(Program.code == KEY))
        snapshot = decisions.ranked_list(program, "en")["snapshot"]
        # Wednesday 30 September: 1-7 October are holidays, Saturday 10 October is worked
        decisions.release_decisions(program, actor=None, snapshot=snapshot, today=date(2026, 9, 30))
        db.session.commit()
    released = load(app, application)
    assert released.publicity_starts_on == date(2026, 10, 8)
    # 8 (Thu), 9 (Fri), 10 (Sat, make-up day), 12 (Mon), 13 (Tue)
    assert released.publicity_ends_on == date(2026, 10, 13)
    # released on an ordinary Friday: publicity runs Monday to Friday of the next week
    with app.app_context():
        app.config["HOLIDAYS"] = ""
        assert decisions.publicity_period(date(2026, 3, 6), 5) == (
            date(2026, 3, 9),
            date(2026, 3, 13),
        )


def test_release_refuses_when_the_list_changed_since_the_page_was_loaded(app, selection):
    client = officer_client(app)
    pid = program_id(app, KEY)
    assert decide(client, app, selection["95"], "approve", "500000").status_code == 302
    page = client.get(f"/staff/decisions/programmes/{pid}/release").get_data(as_text=True)
    snapshot = re.search(r'name="snapshot" type="hidden" value="([^"]*)"', page)[1]
    assert decide(client, app, selection["90"], "approve", "500000").status_code == 302
    response = client.post(
        f"/staff/decisions/programmes/{pid}/release", data={"snapshot": snapshot}
    )
    assert response.status_code == 409
    assert load(app, selection["95"]).status is Status.DECIDED


def test_pro_rata_release_scales_and_rounds_down_to_100(app, demo):
    set_program(app, RD, budget=Decimal("30000"))
    amounts = ["14000", "13333", "9999"]
    ids = [
        make_application(app, RD, make_firm(app, index), requested=amount, formula=amount)
        for index, amount in enumerate(amounts, start=1)
    ]
    client = officer_client(app)
    for application_id, amount in zip(ids, amounts, strict=True):
        # pro rata: approvals may go past the budget
        assert decide(client, app, application_id, "approve", amount).status_code == 302
    page = text_of(client.get(f"/staff/decisions/programmes/{program_id(app, RD)}"))
    assert "scaled to 80.36 % of their amounts" in page
    assert release(client, program_id(app, RD)).status_code == 302
    released = [load(app, i).decided_amount for i in ids]
    expected = formulas.pro_rata(
        {i: Decimal(a) for i, a in zip(ids, amounts, strict=True)}, Decimal("30000")
    )
    assert (
        released
        == [expected[i] for i in ids]
        == [
            Decimal("11200.00"),
            Decimal("10700.00"),
            Decimal("8000.00"),
        ]
    )
    assert all(amount % 100 == 0 for amount in released)
    assert sum(released) <= Decimal("30000")
    (event_row,) = actions(app, "decision.released")
    assert event_row.summary["pro_rata"] is True and event_row.summary["total"] == "29900.00"


def test_without_pro_rata_release_refuses_approvals_over_a_lowered_budget(app, selection):
    client = officer_client(app)
    pid = program_id(app, KEY)
    assert decide(client, app, selection["95"], "approve", "500000").status_code == 302
    set_program(app, KEY, budget=Decimal("400000"))
    response = release(client, pid)
    assert response.status_code == 422
    assert "exceed what is left of the budget" in text_of(response)
    assert load(app, selection["95"]).status is Status.DECIDED


# --- the firm's view --------------------------------------------------------------------------


def _firm_submits_rd_application(app) -> tuple[object, int]:
    firm = app.test_client()
    assert sign_in(firm, "ent2@example.com").status_code == 302
    response = firm.post(f"/programmes/{RD}/apply")
    assert response.status_code == 302
    application_id = int(response.headers["Location"].rsplit("/", 1)[1])
    base = f"/applications/{application_id}"
    assert (
        firm.post(
            f"{base}/summary",
            data={"project_title": "智能产线研发", "project_summary": "研发投入。"},
        ).status_code
        == 302
    )
    assert firm.post(f"{base}/figures", data={"confirm_figures": "y"}).status_code == 302
    assert firm.post(f"{base}/amount", data={}).status_code == 302
    for key in ("a107012", "tax_return"):
        response = firm.post(
            f"{base}/documents/{key}",
            data={"file": (io.BytesIO(make_pdf()), f"{key}.pdf")},
            content_type="multipart/form-data",
        )
        assert response.status_code == 302
    assert (
        firm.post(
            f"{base}/declaration",
            data={"declaration_name": "刘洋", "declaration_title": "财务总监", "agree": "y"},
        ).status_code
        == 302
    )
    assert firm.post(f"{base}/submit", data={"confirm": "y"}).status_code == 302
    use_english(firm)
    return firm, application_id


def test_a_pending_decision_is_invisible_to_the_firm_until_release(app, demo):
    firm, application_id = _firm_submits_rd_application(app)
    with app.app_context():
        application = db.session.get(Application, application_id)
        application.status = Status.DECIDED
        db.session.commit()
    client = officer_client(app)
    assert load(app, application_id).requested_amount == Decimal("14000.00")
    assert decide(client, app, application_id, "approve", "14000").status_code == 302

    page = text_of(firm.get(f"/applications/{application_id}"))
    assert "Under review" in page
    assert "Approved" not in page and "14,000.00 yuan" not in page
    assert "publicity period until" not in page and "Proposed award" not in page
    listing = text_of(firm.get("/applications"))
    assert "Under review" in listing and "Awaiting decision" not in listing

    assert release(client, program_id(app, RD)).status_code == 302
    page = text_of(firm.get(f"/applications/{application_id}"))
    assert "Approved" not in page  # only once final
    assert re.search(r"Proposed award \(in publicity until \d+ \w+\): 14,000.00 yuan", page)
    assert "publicity period until" in page


# --- two officers at once ---------------------------------------------------------------------


def test_two_officers_deciding_at_once_end_with_one_decision(app, demo, monkeypatch):
    application_id = make_application(app, KEY, make_firm(app, 1), score="90")
    seen = load(app, application_id).lock_version
    officers = [officer_client(app, OFFICER), officer_client(app, "admin@example.com")]
    both_loaded = threading.Barrier(2)
    lock_program = decisions.lock_program

    def lock_after_both_have_loaded(program_id):
        # Both requests have read the application; only then does either go on to write.
        # (On SQLite the second request waits for the first one's write lock instead, so the
        # barrier times out and the requests run one after the other.)
        with contextlib.suppress(threading.BrokenBarrierError):
            both_loaded.wait(timeout=2)
        return lock_program(program_id)

    monkeypatch.setattr(decisions, "lock_program", lock_after_both_have_loaded)
    results: dict[int, object] = {}

    def officer_decides(index: int, amount: str) -> None:
        results[index] = decide(
            officers[index], app, application_id, "approve", amount, lock=seen, seen=""
        )

    threads = [
        threading.Thread(target=officer_decides, args=(0, "500000")),
        threading.Thread(target=officer_decides, args=(1, "450000")),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    codes = sorted(results[i].status_code for i in (0, 1))
    assert codes == [302, 409]
    winner = 0 if results[0].status_code == 302 else 1
    final = load(app, application_id)
    assert final.decided_amount == Decimal(["500000", "450000"][winner])
    assert final.lock_version == seen + 1
    recorded = actions(app, "decision.recorded")
    assert len(recorded) == 1 and recorded[0].summary["amount"] == str(final.decided_amount)
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Application)) == 1


def test_row_forms_carry_their_own_csrf_token(app_config, demo):
    from portal import create_app

    protected = create_app({**app_config, "WTF_CSRF_ENABLED": True})
    application_id = make_application(protected, KEY, make_firm(protected, 1), score="90")
    client = protected.test_client()
    assert sign_in(client, OFFICER).status_code == 302
    page = client.get(f"/staff/decisions/programmes/{program_id(protected, KEY)}")
    token = re.search(
        rf'name="a{application_id}-csrf_token" type="hidden" value="([^"]+)"',
        page.get_data(as_text=True),
    )
    assert token
    prefix = f"a{application_id}-"
    data = {
        prefix + "decision": "approve",
        prefix + "amount": "500000",
        prefix + "lock_version": str(load(protected, application_id).lock_version),
        prefix + "seen_decision": "",
    }
    url = f"/staff/decisions/applications/{application_id}/decide"
    assert client.post(url, data=data).status_code == 400
    assert load(protected, application_id).decision is None
    response = client.post(url, data={**data, prefix + "csrf_token": token[1]})
    assert response.status_code == 302
    assert load(protected, application_id).decision == "approve"
