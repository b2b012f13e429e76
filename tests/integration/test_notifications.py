"""Notifications reach the right person in the portal and by mail: a real SMTP server
(aiosmtpd on loopback) receives what the portal sends. Password reset by emailed link."""

from __future__ import annotations

import email
import re
import time
from datetime import timedelta
from email.policy import default as default_policy

import pytest
from sqlalchemy import func, select

from portal.accounts.models import User
from portal.applications.models import Application, Status
from portal.core.extensions import db
from portal.core.jobs import commit
from portal.core.timeutil import bureau_today, utcnow
from portal.notifications.models import Notification
from portal.review.publicity import advance_publicity
from tests.helpers import sign_in, statements_for, submit_application, use_english
from tests.integration.test_decisions import KEY, RD, officer_client, text_of
from tests.mail import Inbox, free_port

FIRM = "ent1@example.com"


@pytest.fixture
def app_config(app_config, smtp) -> dict:
    _inbox, port = smtp
    return {**app_config, "SMTP_HOST": "127.0.0.1", "SMTP_PORT": port}


@pytest.fixture
def inbox(smtp) -> Inbox:
    return smtp[0]


def text_part(message) -> str:
    return message.get_body(preferencelist=("plain",)).get_content()


def html_part(message) -> str:
    return message.get_body(preferencelist=("html",)).get_content()


def set_locale(app, email_address: str, locale: str) -> None:
    with app.app_context():
        db.session.scalar(select(User).where(User.email == email_address)).locale = locale
        db.session.commit()


# --- who hears of what ------------------------------------------------------------------------


def test_submission_receipt_in_the_firms_language_and_in_the_portal(app, demo, inbox):
    application_id = submit_application(app, FIRM, RD)
    message = inbox.only(FIRM)
    with app.app_context():
        reference = db.session.get(Application, application_id).reference
    assert message["Subject"] == f"已收到您的申报 {reference}"  # ent1 reads Chinese
    assert "企业研发投入后补助" in text_part(message)
    assert f"/applications/{application_id}" in text_part(message)
    assert f"http://127.0.0.1:5000/applications/{application_id}" in html_part(message)
    assert message["From"].endswith("<noreply@portal.invalid>")

    firm = app.test_client()
    sign_in(firm, FIRM)
    use_english(firm)
    page = text_of(firm.get("/notifications"))
    assert f"We received your application {reference}" in page
    assert re.search(r'class="nav-count"[^>]*>1<', firm.get("/home").get_data(as_text=True))
    with app.app_context():
        notification = db.session.scalars(select(Notification)).one()
        assert notification.emailed_at is not None and notification.email_attempts == 1


def test_english_speakers_get_english_mail(app, demo, inbox):
    set_locale(app, FIRM, "en")
    submit_application(app, FIRM, RD)
    message = inbox.only(FIRM)
    assert message["Subject"].startswith("We received your application ")
    assert "R&D investment post-subsidy" in text_part(message)


def test_return_for_changes_tells_the_firm_what_and_why(app, demo, inbox):
    application_id = submit_application(app, FIRM, RD)
    set_locale(app, FIRM, "en")
    response = officer_client(app).post(
        f"/staff/applications/{application_id}/return",
        data={"sections": ["summary"], "reason": "请补充项目的预期效益。"},
    )
    assert response.status_code == 302
    message = inbox.messages(FIRM)[-1]
    assert message["Subject"].startswith("Please change your application")
    body = text_part(message)
    assert "请补充项目的预期效益。" in body and "Project summary" in body


def test_reviewer_hears_of_an_assignment(app, demo, inbox):
    from tests.integration.test_assignment import assign, due_text, set_status, user_id

    application_id = submit_application(app, FIRM, KEY)
    set_status(app, application_id, Status.EXPERT_REVIEW)
    set_locale(app, "reviewer1@example.com", "en")
    response = assign(officer_client(app), application_id, user_id(app, "reviewer1@example.com"))
    assert response.status_code == 302
    message = inbox.only("reviewer1@example.com")
    assert message["Subject"].startswith("New application to review:")
    assert due_text() in text_part(message) and "/review" in text_part(message)
    assert inbox.messages("reviewer2@example.com") == []


def test_decision_released_then_letter_with_its_link(app, demo, inbox):
    from tests.integration.test_decisions import decide, program_id, release

    application_id = submit_application(app, FIRM, RD)
    with app.app_context():
        application = db.session.get(Application, application_id)
        application.status = Status.DECIDED
        db.session.commit()
    set_locale(app, FIRM, "en")
    officer = officer_client(app)
    assert decide(officer, app, application_id, "approve", "45000").status_code == 302
    assert release(officer, program_id(app, RD)).status_code == 302
    message = inbox.messages(FIRM)[-1]
    subject = " ".join(message["Subject"].split())
    assert subject.startswith("Your application") and "proposed award" in subject
    assert "approved" not in subject  # only a final award is approved
    assert "45,000.00" in text_part(message)

    with app.app_context():
        assert advance_publicity(bureau_today() + timedelta(days=30)) == 1
        commit()
        letter_id = db.session.scalar(select(func.max(Notification.id)))
    message = inbox.messages(FIRM)[-1]
    assert message["Subject"].startswith("Decision letter 阜科发〔")
    assert re.search(r"http://127\.0\.0\.1:5000/letters/\d+/zh\.pdf", text_part(message))
    assert letter_id


def test_officers_hear_of_an_objection(app, demo, inbox):
    from tests.integration.test_publicity import VALID_OBJECTION, in_publicity

    application_id = in_publicity(app, KEY, 1)
    objector = app.test_client()  # objections are signed: here by an account
    assert sign_in(objector, "ent2@example.com").status_code == 302
    response = objector.post(f"/publicity/{application_id}/object", data=VALID_OBJECTION)
    assert response.status_code == 200
    message = inbox.only("officer@example.com")
    assert "异议" in message["Subject"]
    assert "/staff/decisions/objections" in text_part(message)
    assert inbox.messages(FIRM) == []


# --- delivery ---------------------------------------------------------------------------------


def test_without_smtp_mail_goes_to_the_outbox(app_config, demo, tmp_path):
    from portal import create_app

    outbox = tmp_path / "outbox"
    plain = create_app({**app_config, "SMTP_HOST": "", "OUTBOX_DIR": str(outbox)})
    submit_application(plain, FIRM, RD)
    (eml,) = outbox.glob("*.eml")
    message = email.message_from_bytes(eml.read_bytes(), policy=default_policy)
    assert message["To"] == FIRM and message["Subject"].startswith("已收到您的申报")


def test_a_mail_server_that_is_down_never_fails_the_request_and_the_mail_is_retried(
    app_config, demo, smtp
):
    from portal import create_app
    from portal.notifications.tasks import send_notification_mails

    inbox, port = smtp
    down = create_app({**app_config, "SMTP_PORT": free_port(), "SMTP_TIMEOUT": 2})
    application_id = submit_application(down, FIRM, RD)  # asserts every step succeeded
    with down.app_context():
        assert db.session.get(Application, application_id).status is Status.SUBMITTED
        notification = db.session.scalars(select(Notification)).one()
        assert notification.emailed_at is None and notification.email_attempts >= 1
        assert "Connection refused" in notification.email_error
        notification_id = notification.id
    # The server is back: the retry sends it, once.
    up = create_app({**app_config, "SMTP_PORT": port})
    with up.app_context():
        assert send_notification_mails([notification_id]) == 1
        assert send_notification_mails([notification_id]) == 0
    assert len(inbox.messages(FIRM)) == 1


# --- the notifications page -------------------------------------------------------------------


def test_opening_a_notification_marks_it_read_and_follows_its_link(app, demo, inbox):
    application_id = submit_application(app, FIRM, RD)
    firm = app.test_client()
    sign_in(firm, FIRM)
    with app.app_context():
        notification_id = db.session.scalar(select(Notification.id))
    response = firm.post(f"/notifications/{notification_id}/open")
    assert response.status_code == 302
    assert response.headers["Location"] == f"/applications/{application_id}"
    with app.app_context():
        assert db.session.get(Notification, notification_id).read_at is not None
    assert 'class="nav-count"' not in firm.get("/home").get_data(as_text=True)
    # another person's notification is not found
    other = app.test_client()
    sign_in(other, "ent2@example.com")
    assert other.post(f"/notifications/{notification_id}/open").status_code == 404


def test_mark_all_read(app, demo, inbox):
    submit_application(app, FIRM, RD)
    submit_application(app, FIRM, KEY)
    firm = app.test_client()
    sign_in(firm, FIRM)
    assert firm.post("/notifications/read").status_code == 302
    with app.app_context():
        assert (
            db.session.scalar(
                select(func.count(Notification.id)).where(Notification.read_at.is_(None))
            )
            == 0
        )


# --- password reset ---------------------------------------------------------------------------


def _reset_link(inbox: Inbox, to: str) -> str:
    body = text_part(inbox.messages(to)[-1])
    match = re.search(r"http://127\.0\.0\.1:5000(/password/reset/\S+)", body)
    assert match, body
    return match.group(1)


def test_password_reset_by_emailed_link_works_once_and_ends_every_session(app, demo, inbox):
    elsewhere = app.test_client()
    assert sign_in(elsewhere, FIRM).status_code == 302
    with app.app_context():
        user = db.session.scalar(select(User).where(User.email == FIRM))
        user.failed_sign_ins, user.locked_until = 5, utcnow() + timedelta(minutes=10)
        db.session.commit()

    visitor = app.test_client()
    use_english(visitor)
    response = visitor.post("/password/forgot", data={"email": " ENT1@example.com "})
    assert response.status_code == 200 and "Check your email" in text_of(response)
    message = inbox.only(FIRM)
    assert message["Subject"] == "重置密码"
    link = _reset_link(inbox, FIRM)

    form = visitor.get(link)
    assert form.status_code == 200 and "Choose a new password" in text_of(form)
    short = visitor.post(link, data={"new_password": "short", "new_password_confirm": "short"})
    assert short.status_code == 422 and 'id="new_password-error"' in text_of(short)
    new = "Brand-New-Passw0rd"
    done = visitor.post(link, data={"new_password": new, "new_password_confirm": new})
    assert done.status_code == 302 and done.headers["Location"].endswith("/login")

    assert elsewhere.get("/home").status_code == 302  # the old session has ended
    assert sign_in(app.test_client(), FIRM).status_code != 302  # the old password is gone
    assert sign_in(app.test_client(), FIRM, new).status_code == 302  # lockout lifted too
    again = visitor.get(link)
    assert again.status_code == 404 and "already been used" in text_of(again)


def test_reset_gives_no_hint_whether_an_address_has_an_account(app, demo, inbox):
    visitor = app.test_client()
    known = visitor.post("/password/forgot", data={"email": FIRM})
    unknown = visitor.post("/password/forgot", data={"email": "nobody@example.com"})
    assert known.status_code == unknown.status_code == 200
    # CSRF tokens carry a timestamp, so they differ when the two posts straddle a second.
    strip = lambda r: re.sub(  # noqa: E731
        r'(name="csrf[-_]token" (?:content|value)=)"[^"]*"', r"\1", r.get_data(as_text=True)
    )
    assert strip(known) == strip(unknown)
    assert len(inbox.messages()) == 1
    empty = visitor.post("/password/forgot", data={"email": ""})
    assert empty.status_code == 422


def test_reset_links_expire(app, demo, inbox, monkeypatch):
    app.test_client().post("/password/forgot", data={"email": FIRM})
    link = _reset_link(inbox, FIRM)
    later = time.time() + 61 * 60
    monkeypatch.setattr("itsdangerous.timed.time.time", lambda: later)
    response = app.test_client().get(link)
    assert response.status_code == 404
    tampered = app.test_client().get(link[:-3] + "abc")
    assert tampered.status_code == 404


def test_signed_in_people_do_not_see_the_reset_pages(app, demo, inbox):
    client = app.test_client()
    sign_in(client, FIRM)
    assert client.get("/password/forgot").status_code == 302


def test_notifications_page_loads_in_a_fixed_number_of_queries(app, demo, inbox):
    firm = app.test_client()
    sign_in(firm, FIRM)

    def add(count: int) -> None:
        with app.app_context():
            user_id = db.session.scalar(select(User.id).where(User.email == FIRM))
            for i in range(count):
                params = {"reference": f"B{i}", "program_zh": "项目", "program_en": "P"}
                db.session.add(Notification(user_id=user_id, kind="submitted", params=params))
            db.session.commit()

    add(1)
    few = statements_for(app, firm, "/notifications")
    add(10)
    assert statements_for(app, firm, "/notifications") == few
