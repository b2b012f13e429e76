"""An admin edits a programme's post-award plan; officers read it; a refused plan keeps what was
typed, says why beside the field (422) and changes nothing; a saved one records old → new."""

from __future__ import annotations

from decimal import Decimal

import pytest
from sqlalchemy import select

from portal.core.audit import Action, AuditEvent
from portal.core.extensions import db
from portal.payments.models import PostAwardPlan, TrancheCondition
from portal.payments.plan import PlanTerms, ReportTerm, TrancheTerm
from portal.payments.plan_editing import plan_problems
from portal.programs.models import Program
from tests.helpers import csrf_token_from, sign_in, use_english

KEY = "fluorine-digital-2026"  # a project: default 60 % / 40 % after acceptance


def _program_id(app, code: str = KEY) -> int:
    with app.app_context():
        return db.session.scalar(select(Program.id).where(Program.code == code))


def _client(app, email: str):
    client = app.test_client()
    assert sign_in(client, email).status_code == 302
    use_english(client)
    return client


def _form(client, url: str, **changes) -> dict[str, str]:
    data = {
        "csrf_token": csrf_token_from(client.get(url).get_data(as_text=True)),
        "tranches-0-share": "60",
        "tranches-0-condition": "agreement",
        "tranches-1-share": "40",
        "tranches-1-condition": "acceptance",
        "tranches-2-share": "",
        "tranches-2-condition": "",
        "reports-0-kind": "progress",
        "reports-0-months": "6",
        "reports-1-kind": "final",
        "reports-1-months": "12",
        "reports-2-kind": "",
        "reports-2-months": "",
        "acceptance_required": "y",
        "statement_days": "10",
        "repayment_days": "30",
        "ban_years": "3",
    }
    data.update(changes)
    return {key: value for key, value in data.items() if value is not None}


def _events(app) -> list[AuditEvent]:
    with app.app_context():
        return list(
            db.session.scalars(
                select(AuditEvent).where(AuditEvent.action == Action.POST_AWARD_PLAN_UPDATED)
            )
        )


def test_shares_not_adding_up_to_100_are_refused_and_the_input_kept(app, demo):
    program_id = _program_id(app)
    url = f"/staff/post-award-plans/{program_id}"
    client = _client(app, "admin@example.com")
    response = client.post(url, data=_form(client, url, **{"tranches-1-share": "30"}))
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert "The shares add up to 90 %; they must add up to exactly 100 %." in html
    assert 'value="30"' in html and 'value="60"' in html
    with app.app_context():
        assert db.session.get(PostAwardPlan, program_id) is None
    assert _events(app) == []


def test_acceptance_tranche_needs_acceptance_and_bad_numbers_sit_beside_their_field(app, demo):
    program_id = _program_id(app)
    url = f"/staff/post-award-plans/{program_id}"
    client = _client(app, "admin@example.com")
    data = _form(client, url, acceptance_required=None, repayment_days="400")
    response = client.post(url, data=data)
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert "A tranche after acceptance needs a plan that requires acceptance." in html
    assert 'id="repayment_days-error"' in html
    assert "Enter a number of days from 1 to 365." in html
    response = client.post(url, data=_form(client, url, **{"reports-0-months": "abc"}))
    assert response.status_code == 422
    assert 'value="abc"' in response.get_data(as_text=True)
    data = _form(client, url, statement_days="abc", **{"tranches-0-share": "x"})
    response = client.post(url, data=data)
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert 'id="statement_days-error"' in html and 'value="abc"' in html
    assert "Enter a share from 0.01 to 100." in html
    with app.app_context():
        assert db.session.get(PostAwardPlan, program_id) is None


def test_a_saved_plan_records_old_and_new_values(app, demo):
    program_id = _program_id(app)
    url = f"/staff/post-award-plans/{program_id}"
    client = _client(app, "admin@example.com")
    data = _form(
        client,
        url,
        **{
            "tranches-0-share": "50",
            "tranches-1-share": "30",
            "tranches-2-share": "20",
            "tranches-2-condition": "acceptance",
            "ban_years": "5",
        },
    )
    response = client.post(url, data=data)
    assert response.status_code == 302
    with app.app_context():
        saved = db.session.get(PostAwardPlan, program_id)
        assert [t["share_percent"] for t in saved.tranches] == ["50", "30", "20"]
        assert saved.ban_years == 5
    (event,) = _events(app)
    changes = event.summary["changes"]
    assert changes["ban_years"] == [3, 5]
    assert changes["tranches"] == [
        "60% agreement, 40% acceptance",
        "50% agreement, 30% acceptance, 20% acceptance",
    ]
    # Saving the same plan again changes nothing and records nothing.
    assert client.post(url, data=data).status_code == 302
    assert len(_events(app)) == 1


@pytest.mark.parametrize(
    ("email", "get", "post"),
    [
        ("admin@example.com", 200, None),
        ("officer@example.com", 200, 403),
        ("ent1@example.com", 403, 403),
    ],
)
def test_officers_read_only_admins_edit(app, demo, email, get, post):
    program_id = _program_id(app)
    url = f"/staff/post-award-plans/{program_id}"
    client = _client(app, email)
    response = client.get(url)
    assert response.status_code == get
    if email == "officer@example.com":
        html = response.get_data(as_text=True)
        assert "Only an administrator can change the plan." in html
        assert '<form method="post" action="/staff/post-award-plans' not in html
    if post:
        assert client.post(url, data={"ban_years": "1"}).status_code == post
    assert (
        _client(app, "admin@example.com").get("/staff/post-award-plans/999999").status_code == 404
    )


def test_programme_list_links_to_the_plan(app, demo):
    client = _client(app, "officer@example.com")
    html = client.get("/staff/programmes").get_data(as_text=True)
    assert f"/staff/post-award-plans/{_program_id(app)}" in html


def _terms(shares, *, acceptance=True, **numbers) -> PlanTerms:
    return PlanTerms(
        tranches=tuple(
            TrancheTerm(Decimal(share), TrancheCondition(condition)) for share, condition in shares
        ),
        reports=(ReportTerm("final", numbers.pop("months", 12)),),
        acceptance_required=acceptance,
        statement_days=numbers.pop("statement_days", 10),
        repayment_days=numbers.pop("repayment_days", 30),
        ban_years=numbers.pop("ban_years", 3),
    )


def test_plan_rules():
    assert plan_problems(_terms([("100", "agreement")])) == []
    assert plan_problems(_terms([("33.33", "agreement"), ("66.67", "acceptance")])) == []
    fields = lambda terms: [p.field for p in plan_problems(terms)]  # noqa: E731
    assert fields(_terms([("60", "agreement"), ("30", "agreement")])) == ["tranches"]
    assert fields(_terms([("100.001", "agreement")])) == ["tranches-0-share", "tranches"]
    assert fields(_terms([("100", "acceptance")], acceptance=False)) == ["tranches-0-condition"]
    assert fields(_terms([])) == ["tranches"]
    assert fields(_terms([("100", "agreement")], months=61)) == ["reports-0-months"]
    assert fields(_terms([("100", "agreement")], statement_days=0)) == ["statement_days"]
    assert fields(_terms([("100", "agreement")], repayment_days=366)) == ["repayment_days"]
    assert fields(_terms([("100", "agreement")], ban_years=11)) == ["ban_years"]
    assert fields(_terms([("100", "agreement")], ban_years=0)) == []
