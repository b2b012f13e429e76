"""Four eyes on what cannot be undone: an officer proposes (after a page that says what will
happen), an approver signs off or sends back; the approver is never the proposer; a proposal
whose subject changed is refused; both names are in the audit trail and the timeline."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from portal.accounts.models import Role, User
from portal.applications.models import Status
from portal.core.extensions import db
from portal.letters.models import LetterStatus
from portal.review import sign_off
from portal.review.models import Objection, ObjectionStatus
from portal.review.sign_off import Proposal, ProposalStatus
from tests.helpers import sign_in, use_english
from tests.integration.test_decisions import (
    APPROVER,
    KEY,
    actions,
    decide,
    load,
    officer_client,
    program_id,
    propose_release,
    reissue_signed_off,
    selection,  # noqa: F401  (a fixture)
    sign_off_latest,
    text_of,
)
from tests.integration.test_letters import awarded, issue, letters_of  # noqa: F401
from tests.integration.test_publicity import add_objection, in_publicity

OFFICER_NAME = "王审核 Officer Wang"
APPROVER_NAME = "周领导 Leader Zhou"


def approver_client(app, email: str = APPROVER):
    client = app.test_client()
    assert sign_in(client, email).status_code == 302
    use_english(client)
    return client


def proposals(app) -> list[Proposal]:
    with app.app_context():
        rows = list(db.session.scalars(select(Proposal).order_by(Proposal.id)))
        for row in rows:
            db.session.expunge(row)
        return rows


def _approve(client, proposal_id: int):
    page = text_of(client.get(f"/staff/sign-off/{proposal_id}"))
    match = re.search(r'name="fingerprint" type="hidden" value="([^"]*)"', page)
    return client.post(
        f"/staff/sign-off/{proposal_id}/approve", data={"fingerprint": match[1] if match else ""}
    )


def _decide_two(app, selection):  # noqa: F811
    officer = officer_client(app)
    assert decide(officer, app, selection["95"], "approve", "500000").status_code == 302
    assert (
        decide(
            officer, app, selection["50"], "reject", code="score_too_low", reason="低于分数线。"
        ).status_code
        == 302
    )
    return officer


# --- the release ------------------------------------------------------------------------------


def test_the_release_is_confirmed_proposed_and_happens_only_when_signed_off(app, selection):  # noqa: F811
    officer = _decide_two(app, selection)
    pid = program_id(app, KEY)
    # the ranked page no longer releases in one click: it leads to the confirmation page
    ranked = text_of(officer.get(f"/staff/decisions/programmes/{pid}"))
    assert f"/staff/decisions/programmes/{pid}/release" in ranked
    confirmation = text_of(officer.get(f"/staff/decisions/programmes/{pid}/release"))
    assert "1 firm is approved: 500,000.00 yuan in total go into publicity" in confirmation
    assert "1 firm is rejected" in confirmation
    assert "低于分数线。" in confirmation and "cannot be undone" in confirmation

    assert propose_release(officer, pid).status_code == 302
    (proposal,) = proposals(app)
    assert proposal.status is ProposalStatus.PENDING and proposal.payload["total"] == "500000.00"
    # nothing is released yet
    assert load(app, selection["95"]).status is Status.DECIDED
    assert actions(app, "decision.released") == []
    assert "awaits an approver" in text_of(officer.get(f"/staff/decisions/programmes/{pid}"))

    leader = approver_client(app)
    home = text_of(leader.get("/home"))
    assert "Release: 1 approval, 1 rejection · 500,000.00 yuan" in home
    page = text_of(leader.get(f"/staff/sign-off/{proposal.id}"))
    assert "500,000.00" in page and OFFICER_NAME in page
    response = _approve(leader, proposal.id)
    assert response.status_code == 302
    assert load(app, selection["95"]).status is Status.PUBLICITY
    assert load(app, selection["50"]).status is Status.REJECTED

    (released,) = actions(app, "decision.released")
    officer_id, leader_id = _ids(app, "officer@example.com", APPROVER)
    assert released.actor_id == leader_id
    assert (released.summary["proposed_by"], released.summary["approved_by"]) == (
        officer_id,
        leader_id,
    )
    assert released.summary["proposed_by_name"] == OFFICER_NAME
    assert released.summary["approved_by_name"] == APPROVER_NAME
    (approval,) = actions(app, "application.release_approval")
    assert approval.summary["proposed_by"] == officer_id
    assert approval.summary["approved_by"] == leader_id
    # the application's timeline names both
    assert f"Proposed by {OFFICER_NAME}, signed off by {APPROVER_NAME}" in history(
        app, selection["95"]
    )
    # signing off twice is refused
    again = _approve(leader, proposal.id)
    assert again.status_code == 422 and "already been dealt with" in text_of(again)


def history(app, application_id: int) -> str:
    """The facts of the application's timeline, as the officer's page shows them (English)."""
    from portal.applications.models import Application
    from portal.web.desk.timeline import timeline

    with app.test_request_context(headers={"Accept-Language": "en"}):
        application = db.session.get(Application, application_id)
        rows = timeline(application, "en")
        return "\n".join(fact for row in rows for fact in row["details"])


def _ids(app, *emails: str) -> list[int]:
    with app.app_context():
        return [db.session.scalar(select(User.id).where(User.email == e)) for e in emails]


def test_a_release_whose_list_changed_is_refused_and_sent_back(app, selection):  # noqa: F811
    officer = _decide_two(app, selection)
    pid = program_id(app, KEY)
    assert propose_release(officer, pid).status_code == 302
    (proposal,) = proposals(app)
    # the officer changes the list after proposing
    assert decide(officer, app, selection["90"], "approve", "500000").status_code == 302
    assert "The list has changed" in text_of(officer.get(f"/staff/decisions/programmes/{pid}"))

    leader = approver_client(app)
    page = text_of(leader.get(f"/staff/sign-off/{proposal.id}"))
    assert "no longer matches" in page and "Sign off: it happens now" not in page
    response = leader.post(
        f"/staff/sign-off/{proposal.id}/approve", data={"fingerprint": proposal.fingerprint}
    )
    assert response.status_code == 409 and "no longer matches" in text_of(response)
    assert load(app, selection["95"]).status is Status.DECIDED
    assert actions(app, "decision.released") == []

    # sending back needs a reason, shown beside the field; nothing changes meanwhile
    response = leader.post(f"/staff/sign-off/{proposal.id}/send-back", data={"reason": "  "})
    assert response.status_code == 422
    assert re.search(r'id="reason-error"', text_of(response))
    assert proposals(app)[0].status is ProposalStatus.PENDING
    response = leader.post(
        f"/staff/sign-off/{proposal.id}/send-back", data={"reason": "名单已变，请重新提交。"}
    )
    assert response.status_code == 302
    assert proposals(app)[0].status is ProposalStatus.SENT_BACK
    ranked = text_of(officer.get(f"/staff/decisions/programmes/{pid}"))
    assert "名单已变，请重新提交。" in ranked
    (event,) = actions(app, "sign_off.sent_back")
    assert event.summary["sent_back_by_name"] == APPROVER_NAME

    # proposed again, as the list stands now, it is signed off
    assert propose_release(officer, pid).status_code == 302
    assert sign_off_latest(app).status_code == 302
    assert load(app, selection["90"]).status is Status.PUBLICITY


def test_proposing_again_replaces_the_pending_proposal(app, selection):  # noqa: F811
    officer = _decide_two(app, selection)
    pid = program_id(app, KEY)
    assert propose_release(officer, pid).status_code == 302
    assert propose_release(officer, pid).status_code == 302
    first, second = proposals(app)
    assert first.status is ProposalStatus.REPLACED and second.status is ProposalStatus.PENDING
    # the replaced one cannot be signed off any more
    response = approver_client(app).post(
        f"/staff/sign-off/{first.id}/approve", data={"fingerprint": first.fingerprint}
    )
    assert response.status_code == 422 and load(app, selection["95"]).status is Status.DECIDED


def test_the_approver_cannot_sign_off_their_own_proposal(app, selection):  # noqa: F811
    officer = _decide_two(app, selection)
    assert propose_release(officer, program_id(app, KEY)).status_code == 302
    (proposal,) = proposals(app)
    # the proposer became an approver meanwhile: still not a second pair of eyes
    with app.app_context():
        user = db.session.scalar(select(User).where(User.email == "officer@example.com"))
        user.role = Role.APPROVER
        db.session.commit()
    own = approver_client(app, "officer@example.com")
    page = text_of(own.get(f"/staff/sign-off/{proposal.id}"))
    assert "another approver must sign it off" in page
    response = own.post(
        f"/staff/sign-off/{proposal.id}/approve", data={"fingerprint": proposal.fingerprint}
    )
    assert response.status_code == 422 and "another approver" in text_of(response)
    assert load(app, selection["95"]).status is Status.DECIDED


def test_only_an_approver_signs_off_in_the_service_too(app, selection):  # noqa: F811
    officer = _decide_two(app, selection)
    assert propose_release(officer, program_id(app, KEY)).status_code == 302
    with app.test_request_context():
        proposal = db.session.scalar(select(Proposal))
        admin = db.session.scalar(select(User).where(User.email == "admin@example.com"))
        with pytest.raises(sign_off.SignOffRefused):
            sign_off.approve(proposal, approver=admin, seen_fingerprint=proposal.fingerprint)


@pytest.mark.parametrize(
    "email",
    ["ent1@example.com", "reviewer1@example.com", "officer@example.com", "admin@example.com"],
)
def test_outsiders_are_refused_every_sign_off_page(app, selection, email):  # noqa: F811
    officer = _decide_two(app, selection)
    assert propose_release(officer, program_id(app, KEY)).status_code == 302
    (proposal,) = proposals(app)
    client = app.test_client()
    assert sign_in(client, email).status_code == 302
    assert client.get("/staff/sign-off").status_code == 403
    assert client.get(f"/staff/sign-off/{proposal.id}").status_code == 403
    data = {"fingerprint": proposal.fingerprint, "reason": "x"}
    assert client.post(f"/staff/sign-off/{proposal.id}/approve", data=data).status_code == 403
    assert client.post(f"/staff/sign-off/{proposal.id}/send-back", data=data).status_code == 403
    assert proposals(app)[0].status is ProposalStatus.PENDING
    anonymous = app.test_client().get(f"/staff/sign-off/{proposal.id}")
    assert anonymous.status_code == 302 and "/login" in anonymous.headers["Location"]


def test_the_approver_cannot_propose(app, selection):  # noqa: F811
    _decide_two(app, selection)
    leader = approver_client(app)
    pid = program_id(app, KEY)
    assert leader.get(f"/staff/decisions/programmes/{pid}/release").status_code == 403
    assert leader.post(f"/staff/decisions/programmes/{pid}/release").status_code == 403


# --- a letter reissued with a changed amount --------------------------------------------------


def test_a_changed_amount_is_confirmed_then_signed_off(app, awarded):  # noqa: F811
    (old,) = issue(app, awarded)
    officer = officer_client(app)
    url = f"/staff/letters/{old.id}/reissue"
    data = {"reason": "审计后金额更正。", "amount": "120000"}
    confirmation = officer.post(url, data=data)
    assert confirmation.status_code == 200
    page = text_of(confirmation)
    assert "changes from 150,000.00 yuan to 120,000.00 yuan" in page
    assert "Propose the reissue for sign-off" in page
    assert officer.post(url, data={**data, "confirmed": "1"}).status_code == 302
    (still,) = letters_of(app, awarded)
    assert still.status is LetterStatus.CURRENT and still.amount == old.amount
    assert load(app, awarded).decided_amount == old.amount

    assert sign_off_latest(app).status_code == 302
    _old, new = letters_of(app, awarded)
    assert new.amount == 120000 and new.status is LetterStatus.CURRENT
    (event,) = actions(app, "letter.reissued")
    assert event.summary["proposed_by_name"] == OFFICER_NAME
    assert event.summary["approved_by_name"] == APPROVER_NAME
    assert f"Proposed by {OFFICER_NAME}, signed off by {APPROVER_NAME}" in history(app, awarded)


def test_a_reissue_with_the_same_amount_needs_no_sign_off(app, awarded):  # noqa: F811
    (old,) = issue(app, awarded)
    response = reissue_signed_off(officer_client(app), old.id, {"reason": "地址更正。"})
    assert response.status_code == 302 and proposals(app) == []
    assert len(letters_of(app, awarded)) == 2


def test_a_reissue_proposal_is_stale_once_the_letter_was_reissued(app, awarded):  # noqa: F811
    (old,) = issue(app, awarded)
    officer = officer_client(app)
    url = f"/staff/letters/{old.id}/reissue"
    data = {"reason": "更正。", "amount": "120000", "confirmed": "1"}
    assert officer.post(url, data=data).status_code == 302
    assert officer.post(url, data={"reason": "另一更正。"}).status_code == 302
    (proposal,) = proposals(app)
    response = approver_client(app).post(
        f"/staff/sign-off/{proposal.id}/approve", data={"fingerprint": proposal.fingerprint}
    )
    assert response.status_code == 409 and "no longer matches" in text_of(response)


# --- an upheld objection ----------------------------------------------------------------------


def test_upholding_is_confirmed_proposed_and_signed_off(app, demo):
    application_id = in_publicity(app, KEY, 1, status=Status.ON_HOLD, name="阜新异议有限公司")
    objection_id = add_objection(app, application_id)
    officer = officer_client(app)
    url = f"/staff/decisions/objections/{objection_id}/resolve"
    data = {f"o{objection_id}-outcome": "upheld", f"o{objection_id}-note": "数据不实。"}
    confirmation = text_of(officer.post(url, data=data))
    assert "The award of 200,000.00 yuan to 阜新异议有限公司" in confirmation
    assert load(app, application_id).status is Status.ON_HOLD
    assert officer.post(url, data={**data, "confirmed": "1"}).status_code == 302
    assert load(app, application_id).status is Status.ON_HOLD
    assert "awaits an approver" in text_of(officer.get("/staff/decisions/objections"))

    assert sign_off_latest(app).status_code == 302
    assert load(app, application_id).status is Status.REJECTED
    with app.app_context():
        assert db.session.get(Objection, objection_id).status is ObjectionStatus.UPHELD
    (event,) = actions(app, "publicity.objection_upheld")
    assert event.summary["proposed_by_name"] == OFFICER_NAME
    assert event.summary["approved_by_name"] == APPROVER_NAME


def test_an_objection_dismissed_meanwhile_makes_the_upholding_stale(app, demo):
    application_id = in_publicity(app, KEY, 1, status=Status.ON_HOLD)
    objection_id = add_objection(app, application_id)
    officer = officer_client(app)
    url = f"/staff/decisions/objections/{objection_id}/resolve"
    prefix = f"o{objection_id}-"
    data = {prefix + "outcome": "upheld", prefix + "note": "不实。", "confirmed": "1"}
    assert officer.post(url, data=data).status_code == 302
    dismissed = {prefix + "outcome": "dismissed", prefix + "note": "异议不成立。"}
    assert officer.post(url, data=dismissed).status_code == 302
    (proposal,) = proposals(app)
    response = approver_client(app).post(
        f"/staff/sign-off/{proposal.id}/approve", data={"fingerprint": proposal.fingerprint}
    )
    assert response.status_code == 409
    assert load(app, application_id).status is Status.PUBLICITY
