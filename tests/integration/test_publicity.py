"""Publicity: the public list, signed objections, their resolution, and the end of publicity."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from portal.applications.models import Application, Status
from portal.core.extensions import db
from portal.core.timeutil import bureau_today, utcnow
from portal.review.models import Objection, ObjectionStatus, ObjectorChallenge
from portal.review.publicity import advance_publicity
from tests.helpers import sign_in, use_english
from tests.integration.test_decisions import (
    KEY,
    RD,
    actions,
    load,
    make_application,
    make_firm,
    officer_client,
    sign_off_latest,
    text_of,
)

VALID_OBJECTION = {
    "name": "张三",
    "contact": "13904181234",
    "reason": "该企业上年度研发费用数据与统计报表不符。",
}


def in_publicity(
    app, code, index, *, amount="200000", ends_in_days=5, status=Status.PUBLICITY, name=None
):
    today = bureau_today()
    return make_application(
        app,
        code,
        make_firm(app, index, name),
        status=status,
        score="80" if code == KEY else None,
        decision="approve",
        decided_amount=Decimal(amount),
        released_at=utcnow(),
        publicity_starts_on=today - timedelta(days=1),
        publicity_ends_on=today + timedelta(days=ends_in_days),
    )


def objection_count(app) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(Objection))


def add_objection(app, application_id, status=ObjectionStatus.OPEN) -> int:
    with app.app_context():
        objection = Objection(application_id=application_id, status=status, **VALID_OBJECTION)
        if status is not ObjectionStatus.OPEN:  # resolved, as resolving an objection does
            objection.resolved_at = utcnow()
        db.session.add(objection)
        db.session.commit()
        return objection.id


def confirmed_objector(app, client, application_id, name="张三", address="zhangsan@example.com"):
    """Sign ``client``'s session as an objector whose address a code confirmed (as the code
    pages would; they are tested in test_publicity_notice.py)."""
    with app.app_context():
        challenge = ObjectorChallenge(
            application_id=application_id,
            name=name,
            channel="email",
            address=address,
            code_salt="0" * 32,
            code_hash="0" * 64,
            attempts=1,
            created_at=utcnow(),
            expires_at=utcnow() + timedelta(minutes=15),
            confirmed_at=utcnow(),
        )
        db.session.add(challenge)
        db.session.commit()
        challenge_id = challenge.id
    with client.session_transaction() as session:
        session["objector_challenge"] = challenge_id
    return client


@pytest.fixture
def public(client, demo):
    use_english(client)
    return client


# --- the public list --------------------------------------------------------------------------


def test_public_page_lists_awards_in_publicity_grouped_by_programme(app, public):
    shown = in_publicity(app, KEY, 1, amount="500000", name="阜新甲有限公司")
    held = in_publicity(app, KEY, 2, amount="200000", status=Status.ON_HOLD, name="阜新乙有限公司")
    other = in_publicity(app, RD, 3, amount="14000", name="阜新丙有限公司")
    in_publicity(app, KEY, 4, status=Status.AWARDED, name="阜新已授予有限公司")
    make_application(
        app,
        KEY,
        make_firm(app, 5, "阜新待决定有限公司"),
        score="90",
        decision="approve",
        decided_amount=Decimal("500000"),
    )
    response = public.get("/publicity")
    page = text_of(response)
    assert response.status_code == 200
    for name in ("阜新甲有限公司", "阜新乙有限公司", "阜新丙有限公司"):
        assert name in page
    assert "阜新已授予有限公司" not in page and "阜新待决定有限公司" not in page
    assert "500,000.00" in page and "14,000.00" in page
    ends = (bureau_today() + timedelta(days=5)).isoformat()
    assert ends in page
    assert page.index("Key above-size enterprise selection") < page.index("阜新甲有限公司")
    assert page.index("R&D investment post-subsidy") < page.index("阜新丙有限公司")
    assert f"/publicity/{shown}/object" in page and f"/publicity/{other}/object" in page
    assert f"/publicity/{held}/object" not in page
    assert "On hold: objection under review" in page


def test_object_page_is_404_unless_the_award_is_open_for_objections(app, public):
    decided = make_application(app, KEY, make_firm(app, 1), score="90")
    held = in_publicity(app, KEY, 2, status=Status.ON_HOLD)
    ended = in_publicity(app, KEY, 3, ends_in_days=-1)
    for application_id in (decided, held, ended, 9999):
        assert public.get(f"/publicity/{application_id}/object").status_code == 404
        response = public.post(f"/publicity/{application_id}/object", data=VALID_OBJECTION)
        assert response.status_code == 404
    assert objection_count(app) == 0


# --- objections -------------------------------------------------------------------------------


def test_an_anonymous_objection_is_refused_and_asks_who_objects(app, public):
    application_id = in_publicity(app, KEY, 1)
    response = public.post(f"/publicity/{application_id}/object", data=VALID_OBJECTION)
    page = text_of(response)
    assert response.status_code == 422
    assert "anonymous objections are not accepted" in page
    assert "Send me a code" in page and "Sign in to object" in page
    assert objection_count(app) == 0
    assert load(app, application_id).status is Status.PUBLICITY


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("name", "", "anonymous objections are not accepted"),
        ("name", "匿名", "anonymous objections are not accepted"),
        ("name", "Anonymous", "anonymous objections are not accepted"),
        ("address", "", "Enter an email address"),
        ("address", "call me", "Enter an email address"),
    ],
)
def test_an_objector_without_a_name_or_address_gets_no_code(app, public, field, value, message):
    application_id = in_publicity(app, KEY, 1)
    data = {"name": "张三", "channel": "email", "address": "zhangsan@example.com", field: value}
    response = public.post(f"/publicity/{application_id}/object/code", data=data)
    page = text_of(response)
    assert response.status_code == 422
    assert message in page
    assert (data["address"] in page) or field == "address"  # typed text kept
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(ObjectorChallenge)) == 0


def test_a_signed_in_account_objects_and_the_award_goes_on_hold(app, public):
    application_id = in_publicity(app, KEY, 1, name="阜新甲有限公司")
    assert sign_in(public, "ent2@example.com").status_code == 302
    page = text_of(public.get(f"/publicity/{application_id}/object"))
    assert "Object to an award" in page and "ent2@example.com" in page
    response = public.post(f"/publicity/{application_id}/object", data={"reason": "  "})
    assert response.status_code == 422 and "Explain your objection" in text_of(response)
    response = public.post(
        f"/publicity/{application_id}/object", data={"reason": VALID_OBJECTION["reason"]}
    )
    page = text_of(response)
    assert response.status_code == 200
    assert "Objection received" in page and "阜新甲有限公司" in page
    assert load(app, application_id).status is Status.ON_HOLD
    with app.app_context():
        objection = db.session.scalar(select(Objection))
        assert objection.status is ObjectionStatus.OPEN
        assert (objection.contact, objection.contact_kind) == ("ent2@example.com", "account")
        assert objection.account_id is not None
        assert objection.ip_address == "127.0.0.1"
    (received,) = actions(app, "publicity.objection_received")
    assert received.summary["application_id"] == application_id
    assert received.summary["signed_by"] == "account"
    assert len(actions(app, "application.objection_received")) == 1
    # on hold: no second objection form, and the public list says so
    assert public.get(f"/publicity/{application_id}/object").status_code == 404
    assert "On hold: objection under review" in text_of(public.get("/publicity"))


def test_officer_sees_open_objections(app, demo):
    application_id = in_publicity(app, KEY, 1, status=Status.ON_HOLD, name="阜新甲有限公司")
    add_objection(app, application_id)
    resolved = in_publicity(app, KEY, 2, name="阜新已处理有限公司")
    add_objection(app, resolved, ObjectionStatus.DISMISSED)
    page = text_of(officer_client(app).get("/staff/decisions/objections"))
    assert "阜新甲有限公司" in page and VALID_OBJECTION["reason"] in page
    assert "13904181234" in page
    open_part, _sep, resolved_part = page.partition("Recently resolved")
    assert "阜新已处理有限公司" not in open_part and "阜新已处理有限公司" in resolved_part


def _resolve(client, objection_id, outcome, note):
    """Dismiss at once; uphold as it is done: confirm, propose, then the approver signs off
    (the response of the step that answered last)."""
    prefix = f"o{objection_id}-"
    url = f"/staff/decisions/objections/{objection_id}/resolve"
    data = {prefix + "outcome": outcome, prefix + "note": note}
    response = client.post(url, data=data)
    if outcome != "upheld" or response.status_code != 200:
        return response
    assert "Propose upholding" in text_of(response)  # the confirmation page, nothing done
    response = client.post(url, data={**data, "confirmed": "1"})
    if response.status_code != 302:
        return response
    return sign_off_latest(client.application)


def test_an_upheld_objection_withdraws_the_award(app, demo):
    application_id = in_publicity(app, KEY, 1, status=Status.ON_HOLD)
    objection_id = add_objection(app, application_id)
    client = officer_client(app)
    response = _resolve(client, objection_id, "upheld", "  ")
    assert response.status_code == 422 and "Write down what you found" in text_of(response)
    response = _resolve(client, objection_id, "", "核实无误。")
    assert response.status_code == 422 and "upheld or dismissed" in text_of(response)
    assert load(app, application_id).status is Status.ON_HOLD

    response = _resolve(client, objection_id, "upheld", "经核实，研发费用数据不实。")
    assert response.status_code == 302
    application = load(app, application_id)
    assert application.status is Status.REJECTED
    assert (application.decision, application.decision_reason_code) == (
        "reject",
        "objection_upheld",
    )
    assert application.decision_reason == "经核实，研发费用数据不实。"
    with app.app_context():
        objection = db.session.get(Objection, objection_id)
        assert objection.status is ObjectionStatus.UPHELD and objection.resolved_by_id
    assert len(actions(app, "publicity.objection_upheld")) == 1
    # resolving twice is refused
    response = _resolve(client, objection_id, "dismissed", "再次处理。")
    assert response.status_code == 422 and "already been resolved" in text_of(response)


def test_a_dismissed_objection_puts_the_award_back_in_publicity(app, demo):
    application_id = in_publicity(app, KEY, 1, status=Status.ON_HOLD)
    ends_on = load(app, application_id).publicity_ends_on
    objection_id = add_objection(app, application_id)
    response = _resolve(officer_client(app), objection_id, "dismissed", "异议理由不成立。")
    assert response.status_code == 302
    application = load(app, application_id)
    assert application.status is Status.PUBLICITY
    assert application.publicity_ends_on == ends_on
    assert application.decided_amount == Decimal("200000.00")
    assert len(actions(app, "publicity.objection_dismissed")) == 1


def test_the_firm_sees_an_upheld_objection_as_a_rejection(app, demo):
    firm_client = app.test_client()
    assert sign_in(firm_client, "ent1@example.com").status_code == 302
    use_english(firm_client)
    with app.app_context():
        from portal.accounts.models import User

        firm_id = db.session.scalar(
            select(User.enterprise_id).where(User.email == "ent1@example.com")
        )
    application_id = make_application(
        app,
        KEY,
        firm_id,
        status=Status.ON_HOLD,
        score="80",
        decision="approve",
        decided_amount=Decimal("500000"),
        released_at=utcnow(),
        publicity_ends_on=bureau_today() + timedelta(days=3),
    )
    objection_id = add_objection(app, application_id)
    assert _resolve(officer_client(app), objection_id, "upheld", "数据不实。").status_code == 302
    page = text_of(firm_client.get(f"/applications/{application_id}"))
    assert "Not approved" in page and "数据不实。" in page


# --- the end of publicity ---------------------------------------------------------------------


def test_advance_awards_what_is_due_once_and_skips_the_rest(app, demo):
    due = in_publicity(app, KEY, 1, ends_in_days=-1)
    not_yet = in_publicity(app, KEY, 2, ends_in_days=0)
    held = in_publicity(app, KEY, 3, ends_in_days=-1, status=Status.ON_HOLD)
    add_objection(app, held)
    # an open objection keeps an award from becoming final even if it is (wrongly) in publicity
    objected = in_publicity(app, KEY, 4, ends_in_days=-2)
    add_objection(app, objected)
    with app.app_context():
        assert advance_publicity(bureau_today()) == 1
        db.session.commit()
        assert advance_publicity(bureau_today()) == 0
        db.session.commit()
    application = load(app, due)
    assert application.status is Status.AWARDED and application.awarded_at is not None
    assert load(app, not_yet).status is Status.PUBLICITY
    assert load(app, held).status is Status.ON_HOLD
    assert load(app, objected).status is Status.PUBLICITY
    assert len(actions(app, "application.finish_publicity")) == 1


def test_advance_command_prints_how_many_and_is_safe_to_run_twice(app, demo):
    in_publicity(app, KEY, 1, ends_in_days=-1)
    in_publicity(app, RD, 2, ends_in_days=-3)
    runner = app.test_cli_runner()
    first = runner.invoke(args=["publicity", "advance"])
    assert first.exit_code == 0, first.output
    assert first.output.startswith("2 award(s) made final")
    second = runner.invoke(args=["publicity", "advance"])
    assert second.exit_code == 0 and second.output.startswith("Nothing to do")
    tomorrow = (bureau_today() + timedelta(days=10)).isoformat()
    assert runner.invoke(args=["publicity", "advance", "--today", tomorrow]).exit_code == 0
    bad = runner.invoke(args=["publicity", "advance", "--today", "soon"])
    assert bad.exit_code != 0 and "2026-10-09" in bad.output
    with app.app_context():
        awarded = db.session.scalar(
            select(func.count())
            .select_from(Application)
            .where(Application.status == Status.AWARDED)
        )
    assert awarded == 2


def test_objections_are_rate_limited_per_address(app_config, demo):
    from portal import create_app

    limited = create_app({**app_config, "RATELIMIT_ENABLED": True})
    application_id = in_publicity(limited, KEY, 1)
    client = limited.test_client()
    codes = [
        client.post(f"/publicity/{application_id}/object", data={"name": ""}).status_code
        for _ in range(11)
    ]
    assert codes[:10] == [422] * 10 and codes[10] == 429
    assert client.get(f"/publicity/{application_id}/object").status_code == 200
