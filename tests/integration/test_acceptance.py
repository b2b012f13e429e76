"""Acceptance (验收) end to end through the pages: the officer forms a panel (conflicted experts
never offered nor accepted), experts conclude (only their own, comments required), the officer
concludes and issues the notice (阜科验), the firm sees the outcome and downloads it, /verify
finds it; the conclusion is recorded in the format the payments part reads."""

from __future__ import annotations

import io
import re
import subprocess

import pytest
from sqlalchemy import func, select

from portal.core.audit import Action, AuditEvent
from portal.core.extensions import db
from portal.core.files import file_store
from portal.payments.acceptance_models import (
    AcceptanceAssignment,
    AcceptanceReview,
)
from portal.payments.models import PostAwardDocument
from tests.acceptance_helpers import (
    add_experts,
    award_ready_for_acceptance,
    link_expert_to_firm,
    user_id,
)
from tests.helpers import english_client, statements_for

OFFICER = "officer@example.com"
DEMO_EXPERTS = ("reviewer1@example.com", "reviewer2@example.com", "reviewer3@example.com")


def pdf_text(data: bytes) -> str:
    out = subprocess.run(["pdftotext", "-", "-"], input=data, capture_output=True, check=True)
    return out.stdout.decode()


@pytest.fixture
def award(app, demo):
    add_experts(app)
    return award_ready_for_acceptance(app)


def _reviews(app, application_id):
    with app.app_context():
        return list(
            db.session.scalars(
                select(AcceptanceReview)
                .where(AcceptanceReview.application_id == application_id)
                .order_by(AcceptanceReview.id)
            )
        )


def _form_panel(app, application_id, emails=DEMO_EXPERTS):
    officer = english_client(app, OFFICER)
    ids = [user_id(app, email) for email in emails]
    response = officer.post(
        f"/staff/acceptance/awards/{application_id}/panel",
        data={"how": "hand", "expert_ids": [str(i) for i in ids]},
    )
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    review_id = int(response.headers["Location"].rsplit("/", 1)[1])
    return officer, review_id


def _assignment_of(app, review_id, email):
    expert_id = user_id(app, email)
    with app.app_context():
        return db.session.scalar(
            select(AcceptanceAssignment.id).where(
                AcceptanceAssignment.review_id == review_id,
                AcceptanceAssignment.expert_id == expert_id,
            )
        )


def _conclude_as(app, review_id, email, conclusion="passed", score="85"):
    expert = english_client(app, email)
    assignment_id = _assignment_of(app, review_id, email)
    response = expert.post(
        f"/reviewer/acceptance/{assignment_id}",
        data={"conclusion": conclusion, "score": score, "comments": f"{email}: 建设内容已完成。"},
    )
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]


def test_the_panel_never_offers_or_takes_an_expert_in_conflict(app, award):
    link_expert_to_firm(app, "reviewer1@example.com")
    officer = english_client(app, OFFICER)
    page = officer.get(f"/staff/acceptance/awards/{award}/panel")
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "Expert Li" not in html  # reviewer1, linked to the firm by its USCC
    assert "Expert Zhao" in html and "Expert Sun" in html
    assert "1 expert is not offered" in html

    # Posted by hand anyway: refused with the name, nothing formed, the choice kept.
    ids = [user_id(app, e) for e in DEMO_EXPERTS]
    refused = officer.post(
        f"/staff/acceptance/awards/{award}/panel",
        data={"how": "hand", "expert_ids": [str(i) for i in ids]},
    )
    assert refused.status_code == 422
    text = refused.get_data(as_text=True)
    assert "Expert Li is in conflict with" in text
    assert f'value="{ids[1]}" checked' in text
    assert _reviews(app, award) == []

    # Picked by load: never the conflicted expert either.
    picked = officer.post(
        f"/staff/acceptance/awards/{award}/panel", data={"how": "load", "panel_size": "3"}
    )
    assert picked.status_code == 302
    (review,) = _reviews(app, award)
    with app.app_context():
        experts = set(
            db.session.scalars(
                select(AcceptanceAssignment.expert_id).where(
                    AcceptanceAssignment.review_id == review.id
                )
            )
        )
    assert len(experts) == 3 and user_id(app, "reviewer1@example.com") not in experts


def test_a_declared_conflict_keeps_the_expert_off_the_panel(app, award):
    from portal.accounts.services import find_user_by_email
    from portal.review.models import ConflictDeclaration

    reviewer_id = user_id(app, "reviewer2@example.com")
    with app.app_context():
        firm = find_user_by_email("ent1@example.com").enterprise
        db.session.add(
            ConflictDeclaration(
                reviewer_id=reviewer_id,
                enterprise_id=firm.id,
                reason="曾任该企业顾问",
            )
        )
        db.session.commit()
    officer = english_client(app, OFFICER)
    html = officer.get(f"/staff/acceptance/awards/{award}/panel").get_data(as_text=True)
    assert "Expert Zhao" not in html


def test_a_panel_needs_three_experts(app, award):
    officer = english_client(app, OFFICER)
    response = officer.post(
        f"/staff/acceptance/awards/{award}/panel",
        data={"how": "hand", "expert_ids": [str(user_id(app, DEMO_EXPERTS[0]))]},
    )
    assert response.status_code == 422
    assert "Choose from 3 to 9 experts." in response.get_data(as_text=True)
    assert _reviews(app, award) == []


def test_an_award_without_acceptance_in_its_terms_gets_no_panel(app, demo):
    add_experts(app)
    application_id = award_ready_for_acceptance(app, acceptance_required=False)
    officer = english_client(app, OFFICER)
    listing = officer.get("/staff/acceptance").get_data(as_text=True)
    assert "AC-" not in listing
    response = officer.post(
        f"/staff/acceptance/awards/{application_id}/panel",
        data={"how": "hand", "expert_ids": [str(user_id(app, e)) for e in DEMO_EXPERTS]},
    )
    assert response.status_code == 422
    assert "does not require acceptance" in response.get_data(as_text=True)


def test_an_expert_sees_only_their_own_panels(app, award):
    _officer, review_id = _form_panel(app, award, (*DEMO_EXPERTS[1:], "expert4@example.com"))
    own = english_client(app, "reviewer2@example.com")
    listing = own.get("/reviewer/acceptance").get_data(as_text=True)
    assert "AC-" in listing
    assignment_id = _assignment_of(app, review_id, "reviewer2@example.com")
    assert own.get(f"/reviewer/acceptance/{assignment_id}").status_code == 200

    other = english_client(app, "reviewer1@example.com")  # not on this panel
    assert "AC-" not in other.get("/reviewer/acceptance").get_data(as_text=True)
    assert other.get(f"/reviewer/acceptance/{assignment_id}").status_code == 404
    posted = other.post(
        f"/reviewer/acceptance/{assignment_id}",
        data={"conclusion": "failed", "comments": "x"},
    )
    assert posted.status_code == 404
    with app.app_context():
        assert db.session.get(AcceptanceAssignment, assignment_id).submitted_at is None


def test_comments_are_required_and_what_was_typed_is_kept(app, award):
    _officer, review_id = _form_panel(app, award)
    expert = english_client(app, "reviewer2@example.com")
    assignment_id = _assignment_of(app, review_id, "reviewer2@example.com")
    response = expert.post(
        f"/reviewer/acceptance/{assignment_id}",
        data={"conclusion": "fix", "score": "77", "comments": "   "},
    )
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert "Write your comments" in html
    assert 'value="77"' in html
    assert re.search(r'value="fix"[^>]*checked|checked[^>]*value="fix"', html)
    bad_score = expert.post(
        f"/reviewer/acceptance/{assignment_id}",
        data={"conclusion": "fix", "score": "140", "comments": "需补充测试报告。"},
    )
    assert bad_score.status_code == 422
    assert "需补充测试报告。" in bad_score.get_data(as_text=True)
    with app.app_context():
        assert db.session.get(AcceptanceAssignment, assignment_id).submitted_at is None
        assert (
            db.session.scalar(
                select(func.count(AuditEvent.id)).where(
                    AuditEvent.action == Action.ACCEPTANCE_SCORED
                )
            )
            == 0
        )


def test_the_officer_concludes_issues_the_notice_and_the_firm_sees_it(app, award):
    officer, review_id = _form_panel(app, award)
    for email in DEMO_EXPERTS:
        _conclude_as(app, review_id, email)
    page = officer.get(f"/staff/acceptance/{review_id}").get_data(as_text=True)
    assert "Most experts conclude: Passed." in page and "Mean score: 85.0." in page

    empty = officer.post(
        f"/staff/acceptance/{review_id}/conclude", data={"outcome": "passed", "conclusion": ""}
    )
    assert empty.status_code == 422
    concluded = officer.post(
        f"/staff/acceptance/{review_id}/conclude",
        data={"outcome": "passed", "conclusion": "项目完成任务书约定的建设内容，同意通过验收。"},
    )
    assert concluded.status_code == 302
    with app.app_context():
        (event,) = db.session.scalars(
            select(AuditEvent).where(AuditEvent.action == Action.ACCEPTANCE_CONCLUDED)
        ).all()
        assert event.summary == {"application_id": award, "outcome": "passed"}

    issued = officer.post(f"/staff/acceptance/{review_id}/notice")
    assert issued.status_code == 302
    with app.app_context():
        review = db.session.get(AcceptanceReview, review_id)
        document = db.session.get(PostAwardDocument, review.document_id)
        number, code = document.number, document.verification_code
        zh, en = file_store().read(document.pdf_key), file_store().read(document.pdf_en_key)
        assert (
            db.session.scalar(
                select(func.count(AuditEvent.id)).where(
                    AuditEvent.action == Action.POST_AWARD_DOCUMENT_ISSUED
                )
            )
            == 1
        )
    assert number.startswith("阜科验〔")
    zh_text, en_text = pdf_text(zh), pdf_text(en)
    assert number in zh_text and "验收结论" in zh_text and "通过" in zh_text
    assert "不通过" not in zh_text.split("验收结论：", 1)[1][:20]
    assert "Passed" in en_text and number in en_text
    again = officer.post(f"/staff/acceptance/{review_id}/notice")
    assert again.status_code == 409

    download = officer.get(f"/staff/acceptance/{review_id}/notice/zh.pdf")
    assert download.status_code == 200 and download.data == zh

    # The experts were told of their panel, the firm of the outcome (in both languages).
    from portal.notifications.messages import compose
    from portal.notifications.models import Notification

    with app.app_context():
        told = {n.kind: n for n in db.session.scalars(select(Notification))}
        assert {"acceptance_assigned", "acceptance_concluded"} <= set(told)
        firm_note = told["acceptance_concluded"]
        with app.test_request_context():
            zh_message = compose(firm_note.kind, firm_note.params, firm_note.link, "zh_CN")
            en_message = compose(firm_note.kind, firm_note.params, firm_note.link, "en")
            assigned = compose("acceptance_assigned", told["acceptance_assigned"].params, "/", "en")
    assert number in zh_message.paragraphs[0]
    assert en_message.title.endswith(": passed") and "Acceptance panel" in assigned.title

    # The firm: the outcome and the notice on its application page, never the experts.
    firm = english_client(app, "ent1@example.com")
    firm_page = firm.get(f"/applications/{award}").get_data(as_text=True)
    assert "Acceptance of the project" in firm_page and number in firm_page
    assert "Expert Zhao" not in firm_page
    with app.app_context():
        document_id = db.session.get(AcceptanceReview, review_id).document_id
    mine = firm.get(f"/acceptance/notices/{document_id}/en.pdf")
    assert mine.status_code == 200 and mine.data == en
    other_firm = english_client(app, "ent2@example.com")
    assert other_firm.get(f"/acceptance/notices/{document_id}/zh.pdf").status_code == 404

    # /verify finds it by its code and by its file.
    public = app.test_client()
    by_code = public.get(f"/verify/{code}?lang=en")
    assert by_code.status_code == 200 and number in by_code.get_data(as_text=True)
    by_file = public.post(
        "/verify/file?lang=en",
        data={"file": (io.BytesIO(zh), "notice.pdf")},
        content_type="multipart/form-data",
    )
    assert by_file.status_code == 200 and number in by_file.get_data(as_text=True)


def test_concluding_early_needs_a_reason_and_fix_needs_a_deadline(app, award):
    from datetime import timedelta

    from portal.core.timeutil import bureau_today

    officer, review_id = _form_panel(app, award)
    _conclude_as(app, review_id, DEMO_EXPERTS[0], conclusion="fix", score="")
    data = {"outcome": "fix", "conclusion": "测试报告缺失，限期补充。"}
    no_reason = officer.post(f"/staff/acceptance/{review_id}/conclude", data=data)
    assert no_reason.status_code == 422
    assert "2 of 3 experts have not concluded" in no_reason.get_data(as_text=True)
    assert "测试报告缺失，限期补充。" in no_reason.get_data(as_text=True)

    data["proceed_reason"] = "两位专家出差，经研究按已到意见办理。"
    no_deadline = officer.post(f"/staff/acceptance/{review_id}/conclude", data=data)
    assert no_deadline.status_code == 422
    assert "Give the deadline to fix the project" in no_deadline.get_data(as_text=True)

    deadline = bureau_today() + timedelta(days=60)
    data["fix_deadline"] = deadline.isoformat()
    assert officer.post(f"/staff/acceptance/{review_id}/conclude", data=data).status_code == 302
    with app.app_context():
        review = db.session.get(AcceptanceReview, review_id)
        assert review.outcome.value == "fix" and review.fix_deadline == deadline
        assert review.proceed_reason.startswith("两位专家")

    # A new round comes after the notice of the fix; the first round stays on record.
    assert officer.post(f"/staff/acceptance/{review_id}/notice").status_code == 302
    with app.app_context():
        document = db.session.get(
            PostAwardDocument, db.session.get(AcceptanceReview, review_id).document_id
        )
        text = pdf_text(file_store().read(document.pdf_key))
    assert "限期整改" in text and f"{deadline.year}年{deadline.month}月{deadline.day}日" in text
    waiting = officer.get("/staff/acceptance?state=waiting").get_data(as_text=True)
    assert "Fix by a deadline" in waiting
    _form_panel(app, award)
    reviews = _reviews(app, award)
    assert [r.round for r in reviews] == [1, 2]
    expert = english_client(app, DEMO_EXPERTS[1])
    closed = expert.post(
        f"/reviewer/acceptance/{_assignment_of(app, review_id, DEMO_EXPERTS[1])}",
        data={"conclusion": "passed", "comments": "晚到的意见"},
    )
    assert closed.status_code == 409


def test_the_officers_list_costs_the_same_for_one_award_or_many(app, award):
    officer = english_client(app, OFFICER)
    one = statements_for(app, officer, "/staff/acceptance")
    for _ in range(4):
        award_ready_for_acceptance(app, None)
    many = statements_for(app, officer, "/staff/acceptance")
    assert many == one
    html = officer.get("/staff/acceptance").get_data(as_text=True)
    assert html.count("Form a panel") == 5


def test_the_experts_list_costs_the_same_for_one_panel_or_many(app, award):
    _form_panel(app, award)
    expert = english_client(app, DEMO_EXPERTS[0])
    one = statements_for(app, expert, "/reviewer/acceptance")
    for _ in range(3):
        _form_panel(app, award_ready_for_acceptance(app, None))
    assert statements_for(app, expert, "/reviewer/acceptance") == one
