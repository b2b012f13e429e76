"""The firm hears of every stage, in honest words: passing the formal check, the end of the
expert review (never who reviewed or what they scored), an award proposed and in publicity
(not "approved"), and the award becoming final. Each notification goes once, to the firm
whose application it is, in the portal and by mail (a real SMTP server on loopback).

The dashboard counts awards by the same terms: an award in publicity is not final."""

from __future__ import annotations

import re
from datetime import date, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import select

from portal.accounts.models import User
from portal.applications.models import Application, Status
from portal.core.extensions import db
from portal.core.jobs import commit
from portal.core.timeutil import bureau_today
from portal.notifications.models import Notification
from portal.review.moderation import record_moderated_score
from portal.review.publicity import advance_publicity
from tests.helpers import sign_in, submit_application
from tests.integration.test_dashboard import card, figure, page_text
from tests.integration.test_decisions import (
    KEY,
    RD,
    decide,
    make_application,
    make_firm,
    officer_client,
    program_id,
    release,
    text_of,
)
from tests.integration.test_notifications import html_part, set_locale, text_part
from tests.integration.test_reviewer_scoring import (
    MIXED,
    _assign,
    _client,
    _form,
    _reopen,
    _to_expert_review,
)
from tests.mail import Inbox


@pytest.fixture
def app_config(app_config, smtp) -> dict:
    _inbox, port = smtp
    return {**app_config, "SMTP_HOST": "127.0.0.1", "SMTP_PORT": port}


@pytest.fixture
def inbox(smtp) -> Inbox:
    return smtp[0]


FIRM = "ent1@example.com"
OTHER_FIRM = "ent2@example.com"
REVIEWERS = ("reviewer1@example.com", "reviewer2@example.com")
# What must never reach the firm about its reviewers: names, accounts, totals.
REVIEWER_TRACES = ("李专家", "Expert Li", "赵专家", "Expert Zhao", "reviewer1", "reviewer2")


def kinds_of(app, email: str, kind: str) -> list[Notification]:
    with app.app_context():
        rows = list(
            db.session.scalars(
                select(Notification)
                .join(User, User.id == Notification.user_id)
                .where(User.email == email, Notification.kind == kind)
                .order_by(Notification.id)
            )
        )
        for row in rows:
            db.session.expunge(row)
        return rows


def everyone_told(app, kind: str) -> set[str]:
    with app.app_context():
        return set(
            db.session.scalars(
                select(User.email)
                .join(Notification, Notification.user_id == User.id)
                .where(Notification.kind == kind)
            )
        )


def reference_of(app, application_id: int) -> str:
    with app.app_context():
        return db.session.get(Application, application_id).reference


def subject(message) -> str:
    """The subject as read: a long mixed-script subject is folded over several lines."""
    return " ".join(message["Subject"].split())


def mails_titled(received: Inbox, to: str, fragment: str) -> list:
    return [m for m in received.messages(to) if fragment in subject(m)]


def english_day(day: date) -> str:
    return f"{day.day} {day:%B}"


# --- passing the formal check -----------------------------------------------------------------


def test_passing_the_formal_check_tells_the_firm_once_that_experts_review_next(app, demo, inbox):
    application_id = submit_application(app, FIRM, KEY)
    submit_application(app, OTHER_FIRM, KEY)  # another firm's application stays unchecked
    set_locale(app, FIRM, "en")
    officer = officer_client(app)
    assert officer.post(f"/staff/applications/{application_id}/pass-check").status_code == 302

    (notification,) = kinds_of(app, FIRM, "formal_check_passed")
    assert notification.params["next"] == "expert_review"
    assert notification.link == f"/applications/{application_id}"
    assert everyone_told(app, "formal_check_passed") == {FIRM}
    reference = reference_of(app, application_id)
    (message,) = mails_titled(inbox, FIRM, "passed the formal check")
    assert subject(message) == f"Your application {reference} passed the formal check"
    body = text_part(message)
    assert "meets the programme's conditions as submitted" in body
    assert "independent experts review it" in body
    assert f"http://127.0.0.1:5000/applications/{application_id}" in body
    assert mails_titled(inbox, OTHER_FIRM, "formal check") == []
    assert inbox.messages("officer@example.com") == []


def test_passing_without_expert_review_says_the_decision_comes_next(app, demo, inbox):
    application_id = submit_application(app, FIRM, RD)
    set_locale(app, FIRM, "en")
    response = officer_client(app).post(f"/staff/applications/{application_id}/pass-check")
    assert response.status_code == 302
    (notification,) = kinds_of(app, FIRM, "formal_check_passed")
    assert notification.params["next"] == "decision"
    body = text_part(mails_titled(inbox, FIRM, "passed the formal check")[0])
    assert "the bureau decides on the applications of this programme" in body
    assert "experts" not in body


def test_returning_for_changes_is_not_a_pass(app, demo, inbox):
    application_id = submit_application(app, FIRM, RD)
    response = officer_client(app).post(
        f"/staff/applications/{application_id}/return",
        data={"sections": ["summary"], "reason": "请补充项目的预期效益。"},
    )
    assert response.status_code == 302
    assert len(kinds_of(app, FIRM, "returned")) == 1
    assert kinds_of(app, FIRM, "formal_check_passed") == []


# --- the end of the expert review -------------------------------------------------------------


def _in_expert_review(app) -> tuple[int, list[int]]:
    application_id = submit_application(app, FIRM, KEY)
    _to_expert_review(app, application_id)
    return application_id, _assign(app, application_id, *REVIEWERS)


def test_the_end_of_the_expert_review_is_told_once_without_reviewers_or_scores(app, demo, inbox):
    application_id, (first, second) = _in_expert_review(app)
    set_locale(app, FIRM, "en")
    reviewer1, reviewer2 = _client(app, REVIEWERS[0]), _client(app, REVIEWERS[1])
    assert reviewer1.post(f"/review/{first}", data=_form(MIXED)).status_code == 302
    assert kinds_of(app, FIRM, "review_completed") == []  # one review is not the end
    assert reviewer2.post(f"/review/{second}", data=_form(7)).status_code == 302
    with app.app_context():
        assert db.session.get(Application, application_id).status is Status.DECIDED

    (notification,) = kinds_of(app, FIRM, "review_completed")
    assert everyone_told(app, "review_completed") == {FIRM}
    reference = reference_of(app, application_id)
    (message,) = mails_titled(inbox, FIRM, "Expert review")
    assert subject(message) == f"Expert review of your application {reference} is complete"
    body = text_part(message) + html_part(message)
    assert "Next, the bureau decides" in body
    for trace in (*REVIEWER_TRACES, "75.50", "70.00", "72.75"):
        assert trace not in body, trace
    assert notification.params.keys() == {"reference", "program_zh", "program_en"}

    # A review reopened and submitted again ends the round a second time: no second notice.
    _reopen(app, first, "请重新评估创新性。")
    assert reviewer1.post(f"/review/{first}", data=_form(MIXED)).status_code == 302
    with app.app_context():
        assert db.session.get(Application, application_id).status is Status.DECIDED
    assert len(kinds_of(app, FIRM, "review_completed")) == 1
    assert len(mails_titled(inbox, FIRM, "Expert review")) == 1

    # On the firm's notifications page, in the firm's words.
    firm = app.test_client()
    sign_in(firm, FIRM)
    page = text_of(firm.get("/notifications"))
    assert f"Expert review of your application {reference} is complete" in page
    assert not any(trace in page for trace in REVIEWER_TRACES)


def test_a_moderated_review_ends_with_the_moderators_score(app, demo, inbox):
    application_id, (first, second) = _in_expert_review(app)
    assert _client(app, REVIEWERS[0]).post(f"/review/{first}", data=_form(9)).status_code == 302
    assert _client(app, REVIEWERS[1]).post(f"/review/{second}", data=_form(5)).status_code == 302
    with app.app_context():
        assert db.session.get(Application, application_id).status is Status.MODERATION
    assert kinds_of(app, FIRM, "review_completed") == []  # flagged is not finished

    with app.app_context():
        officer = db.session.scalar(select(User).where(User.email == "officer@example.com"))
        application = db.session.get(Application, application_id)
        record_moderated_score(application, Decimal("71.25"), "两位专家意见分歧。", actor=officer)
        commit()
    assert len(kinds_of(app, FIRM, "review_completed")) == 1
    message = inbox.messages(FIRM)[-1]
    body = text_part(message)
    assert reference_of(app, application_id) in subject(message)
    assert "71.25" not in body and "两位专家意见分歧" not in body


# --- release, publicity and the final award ---------------------------------------------------


def _released(app, locale: str) -> int:
    """ent1's R&D application approved for 45,000 yuan and released: in publicity."""
    application_id = submit_application(app, FIRM, RD)
    with app.app_context():
        db.session.get(Application, application_id).status = Status.DECIDED
        db.session.commit()
    set_locale(app, FIRM, locale)
    officer = officer_client(app)
    assert decide(officer, app, application_id, "approve", "45000").status_code == 302
    assert release(officer, program_id(app, RD)).status_code == 302
    return application_id


def _publicity_ends(app, application_id: int) -> date:
    with app.app_context():
        ends = db.session.get(Application, application_id).publicity_ends_on
        assert ends is not None
        return ends


def test_release_mail_in_english_says_proposed_and_in_publicity_not_approved(app, demo, inbox):
    application_id = _released(app, "en")
    ends = _publicity_ends(app, application_id)
    reference = reference_of(app, application_id)
    (message,) = mails_titled(inbox, FIRM, "proposed award")
    assert subject(message) == (
        f"Your application {reference}: proposed award, in publicity until {english_day(ends)}"
    )
    body = " ".join(text_part(message).split())
    assert "The bureau proposes support of 45,000.00 yuan" in body
    assert "The award is not final yet." in body
    assert f"published for public comment until {english_day(ends)}" in body
    assert "Publicity notice: http://127.0.0.1:5000/publicity" in body
    assert "If no objection is upheld by the end of the publicity period" in body
    assert "approve" not in (subject(message) + body).lower()
    assert everyone_told(app, "approved_in_publicity") == {FIRM}


def test_release_mail_in_chinese_never_says_approved(app, demo, inbox):
    application_id = _released(app, "zh_CN")
    (message,) = inbox.messages(FIRM)[-1:]
    words = subject(message) + text_part(message)
    for dishonest in ("批准", "我局同意", "已获"):
        assert dishonest not in words, dishonest
    assert reference_of(app, application_id) in subject(message)


def test_release_mail_in_chinese_says_proposed_until_the_day(app, demo, inbox):
    """The Chinese mail says 拟予支持 and the publicity end, never 批准."""
    application_id = _released(app, "zh_CN")
    ends = _publicity_ends(app, application_id)
    (message,) = inbox.messages(FIRM)[-1:]
    title = re.sub(r"\s", "", subject(message))
    assert "拟予支持" in title
    assert f"公示至{ends.month}月{ends.day}日" in title
    body = text_part(message)
    assert "拟予支持资金 45,000.00 元" in body and "公示" in body
    assert "http://127.0.0.1:5000/publicity" in body


def test_the_award_becoming_final_is_told_once_then_the_letter(app, demo, inbox):
    application_id = _released(app, "en")
    ends = _publicity_ends(app, application_id)
    assert kinds_of(app, FIRM, "award_final") == []
    with app.app_context():
        assert advance_publicity(ends + timedelta(days=1)) == 1
        commit()
        assert advance_publicity(ends + timedelta(days=2)) == 0  # nothing more to make final
        commit()
    (final,) = kinds_of(app, FIRM, "award_final")
    assert final.params["amount"] == "45000.00"
    assert everyone_told(app, "award_final") == {FIRM}
    reference = reference_of(app, application_id)
    (message,) = mails_titled(inbox, FIRM, "is final")
    assert subject(message) == f"Your award {reference} is final"
    body = " ".join(text_part(message).split())
    assert "ended without an upheld objection: the award is final and approved." in body
    # The letter follows, with its own notification.
    assert len(kinds_of(app, FIRM, "letter_issued")) == 1
    assert mails_titled(inbox, OTHER_FIRM, "final") == []


# --- the dashboard counts by the same terms ---------------------------------------------------


def test_an_award_in_publicity_is_not_counted_as_final(app, demo):
    in_publicity = make_application(
        app,
        RD,
        make_firm(app, 1),
        status=Status.PUBLICITY,
        requested="45000",
        decision="approve",
        decided_amount=Decimal("45000"),
        publicity_ends_on=bureau_today() - timedelta(days=1),
    )
    make_application(
        app,
        RD,
        make_firm(app, 2),
        status=Status.DECIDED,
        requested="30000",
        decision="approve",
        decided_amount=Decimal("30000"),
    )
    officer = officer_client(app)
    rd = card(page_text(officer), RD)
    assert figure(rd, "final") == "0.00"
    assert figure(rd, "publicity") == "45,000.00"
    assert figure(rd, "proposed") == "30,000.00"
    assert re.search(r">\s*Final\s*<", rd) and re.search(r">\s*In publicity\s*<", rd)
    assert "Approved" not in rd

    with app.app_context():
        assert advance_publicity() == 1
        commit()
    rd = card(page_text(officer), RD)
    assert figure(rd, "final") == "45,000.00"
    assert figure(rd, "publicity") == "0.00"
    with app.app_context():
        assert db.session.get(Application, in_publicity).status is Status.AWARDED


def test_the_dashboard_and_the_exports_page_use_the_same_words(app, demo):
    officer = officer_client(app)
    dashboard = page_text(officer)
    exports = officer.get("/staff/exports").get_data(as_text=True)
    for term in ("Proposed award", "In publicity", "Final"):
        assert f">{term}<" in exports, term
        assert re.search(rf">\s*(<svg[^>]*>.*?</svg>\s*)?{term}\s*<", dashboard, re.S), term


def test_the_chinese_terms_on_the_dashboard(app, demo):
    """The dashboard's Chinese award terms: 拟予支持, 公示中, 已确定."""
    client = app.test_client()
    assert sign_in(client, "officer@example.com").status_code == 302
    page = page_text(client)
    for term in ("拟予支持", "公示中", "已确定"):
        assert term in page, term
    assert "已批准" not in page
