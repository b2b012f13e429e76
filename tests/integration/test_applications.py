"""The firm's whole application path, its refusals, and who may see what."""

from __future__ import annotations

import html
import io
from datetime import timedelta
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from portal.accounts.models import User
from portal.applications.models import Application, ApplicationSubmission, Attachment, Status
from portal.core.audit import AuditEvent
from portal.core.extensions import db
from portal.core.timeutil import utcnow
from portal.programs.models import Program, ProgramVersion
from tests.helpers import make_pdf, sign_in, use_english

RD = "rd-post-subsidy-2026"


def _program(app, code=RD) -> Program:
    with app.app_context():
        program = db.session.scalar(select(Program).where(Program.code == code))
        db.session.expunge(program)
        return program


def _application(app, application_id) -> Application:
    with app.app_context():
        application = db.session.get(Application, application_id)
        db.session.expunge(application)
        return application


def _count(app, model, *where) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(model).where(*where))


def _start(client, code=RD) -> int:
    response = client.post(f"/programmes/{code}/apply")
    assert response.status_code == 302, response.get_data(as_text=True)[:500]
    return int(response.headers["Location"].rsplit("/", 1)[1])


def _upload(client, application_id, key, data, name="file.pdf"):
    return client.post(
        f"/applications/{application_id}/documents/{key}",
        data={"file": (io.BytesIO(data), name)},
        content_type="multipart/form-data",
    )


def _complete(client, application_id):
    base = f"/applications/{application_id}"
    assert (
        client.post(
            f"{base}/summary",
            data={
                "project_title": "智能产线研发",
                "project_summary": "研发投入用于新产线。",
            },
        ).status_code
        == 302
    )
    assert client.post(f"{base}/figures", data={"confirm_figures": "y"}).status_code == 302
    assert client.post(f"{base}/amount", data={}).status_code == 302
    assert (
        _upload(client, application_id, "a107012", make_pdf(2), "A107012表.pdf").status_code == 302
    )
    assert (
        _upload(client, application_id, "tax_return", make_pdf(), "纳税申报表.pdf").status_code
        == 302
    )
    assert (
        client.post(
            f"{base}/declaration",
            data={
                "declaration_name": "刘洋",
                "declaration_title": "财务总监",
                "agree": "y",
            },
        ).status_code
        == 302
    )


@pytest.fixture
def firm(client, demo):
    """ent2: eligible for the R&D post-subsidy (R&D 620,000 > 480,000 the year before)."""
    sign_in(client, "ent2@example.com")
    return client


def test_whole_firm_path_submits_with_computed_amount(app, firm):
    application_id = _start(firm)
    _complete(firm, application_id)
    page = firm.get(f"/applications/{application_id}/check").get_data(as_text=True)
    assert "14,000.00" in page  # 10 % of the 140,000 increase
    response = firm.post(f"/applications/{application_id}/submit", data={"confirm": "y"})
    assert response.status_code == 302
    application = _application(app, application_id)
    assert application.status is Status.SUBMITTED
    assert application.requested_amount == Decimal("14000.00")
    assert application.submission_count == 1
    with app.app_context():
        submission = db.session.scalar(select(ApplicationSubmission))
        assert submission.content["requested_amount"] == "14000.00"
        assert set(submission.content["attachments"]) == {"a107012", "tax_return"}
        actions = db.session.scalars(
            select(AuditEvent.action)
            .where(AuditEvent.object_type == "applications")
            .order_by(AuditEvent.id)
        ).all()
    assert actions[0] == "application.started" and actions[-1] == "application.submit"
    shown = firm.get(f"/applications/{application_id}").get_data(as_text=True)
    assert "已提交" in shown


def test_submit_refuses_incomplete_application_and_names_each_section(app, firm):
    application_id = _start(firm)
    use_english(firm)
    response = firm.post(f"/applications/{application_id}/submit", data={"confirm": "y"})
    page = html.unescape(response.get_data(as_text=True))
    assert response.status_code == 422
    for section in ("Project summary", "Figures", "Requested amount", "Documents", "Declaration"):
        assert f"Complete the section “{section}”" in page
    assert _application(app, application_id).status is Status.DRAFT


def test_closed_programme_refuses_start_and_submit(app, firm):
    application_id = _start(firm)
    _complete(firm, application_id)
    with app.app_context():
        program = db.session.scalar(select(Program).where(Program.code == RD))
        program.closes_at = utcnow() - timedelta(minutes=1)
        db.session.commit()
    response = firm.post(f"/applications/{application_id}/submit", data={"confirm": "y"})
    assert response.status_code == 422
    assert _application(app, application_id).status is Status.DRAFT
    other = firm.application.test_client()
    sign_in(other, "ent1@example.com")
    assert other.post(f"/programmes/{RD}/apply").status_code == 302
    assert (
        _count(
            app,
            Application,
            Application.enterprise_id != _application(app, application_id).enterprise_id,
        )
        == 0
    )


def test_one_active_application_per_programme(app, firm):
    _start(firm)
    use_english(firm)
    response = firm.post(f"/programmes/{RD}/apply", follow_redirects=True)
    assert "already has an application" in response.get_data(as_text=True)
    assert _count(app, Application) == 1


def test_ineligible_firm_sees_why_and_cannot_start(app, client, demo):
    sign_in(client, "ent4@example.com")  # R&D 300,000 and falling
    use_english(client)
    page = html.unescape(client.get(f"/programmes/{RD}").get_data(as_text=True))
    assert "You do not qualify" in page
    assert "300,000" in page and "500,000" in page
    assert "Start an application" not in page
    response = client.post(f"/programmes/{RD}/apply", follow_redirects=True)
    assert "does not meet" in response.get_data(as_text=True)
    assert _count(app, Application) == 0


def test_programmes_for_me_lists_every_open_programme_with_a_verdict(client, demo):
    sign_in(client, "ent1@example.com")
    use_english(client)
    page = client.get("/programmes").get_data(as_text=True)
    assert page.count('class="card"') == 4
    assert "You qualify" in page and "Depends on your project figures" in page


@pytest.mark.parametrize(
    ("data", "name", "message"),
    [
        (b"just some text", "fake.pdf", "not of an accepted type"),
        (b"%PDF-1.7\n", "header.pdf", "cannot be read"),
        (b"", "empty.pdf", "empty"),
    ],
)
def test_bad_uploads_are_refused_with_a_message_and_nothing_stored(app, firm, data, name, message):
    application_id = _start(firm)
    use_english(firm)
    response = _upload(firm, application_id, "a107012", data, name)
    page = html.unescape(response.get_data(as_text=True))
    assert response.status_code == 422
    assert message in page
    assert _count(app, Attachment) == 0


def test_oversized_upload_is_refused(app, firm):
    application_id = _start(firm)
    with app.app_context():
        version = db.session.scalar(select(ProgramVersion).join(Program).where(Program.code == RD))
        documents = [dict(doc) for doc in version.documents]
        documents[0]["max_mb"] = 1
        version.documents = documents
        db.session.commit()
    use_english(firm)
    big = make_pdf() + b"%" + b"x" * (1024 * 1024 + 10)
    response = _upload(firm, application_id, "a107012", big, "big.pdf")
    assert response.status_code == 422
    assert "the limit for this document is 1" in html.unescape(response.get_data(as_text=True))
    assert _count(app, Attachment) == 0


def test_replacing_a_file_keeps_the_old_one_on_record(app, firm):
    application_id = _start(firm)
    _upload(firm, application_id, "a107012", make_pdf(1), "v1.pdf")
    _upload(firm, application_id, "a107012", make_pdf(3), "v2.pdf")
    with app.app_context():
        rows = db.session.scalars(select(Attachment).order_by(Attachment.id)).all()
        assert [(r.original_name, r.replaced_at is None) for r in rows] == [
            ("v1.pdf", False),
            ("v2.pdf", True),
        ]
        current_id = rows[1].id
    download = firm.get(f"/files/{current_id}")
    assert download.status_code == 200
    assert download.headers["X-Content-Type-Options"] == "nosniff"
    assert "attachment" in download.headers["Content-Disposition"]
    assert download.data.startswith(b"%PDF")


def test_withdraw_needs_a_reason_then_a_new_application_may_start(app, firm):
    application_id = _start(firm)
    assert (
        firm.post(f"/applications/{application_id}/withdraw", data={"reason": ""}).status_code
        == 422
    )
    assert (
        firm.post(
            f"/applications/{application_id}/withdraw", data={"reason": "数据有误，重新申报"}
        ).status_code
        == 302
    )
    application = _application(app, application_id)
    assert application.status is Status.WITHDRAWN
    assert application.withdraw_reason == "数据有误，重新申报"
    assert _start(firm) != application_id


def test_figure_change_needs_a_reason(app, firm):
    application_id = _start(firm)
    year = _application(app, application_id).figures["years"]
    last = max(year)
    use_english(firm)
    response = firm.post(
        f"/applications/{application_id}/figures",
        data={f"value__years.{last}.rd_expense": "700000", "confirm_figures": "y"},
    )
    assert response.status_code == 422
    assert "Say why this figure differs" in response.get_data(as_text=True)
    assert 'value="700000"' in response.get_data(as_text=True)  # kept
    response = firm.post(
        f"/applications/{application_id}/figures",
        data={
            f"value__years.{last}.rd_expense": "700000",
            f"reason__years.{last}.rd_expense": "审计调整",
            "confirm_figures": "y",
        },
    )
    assert response.status_code == 302
    application = _application(app, application_id)
    assert application.figure_changes[f"years.{last}.rd_expense"]["reason"] == "审计调整"
    assert application.formula_amount == Decimal("22000.00")  # 10 % of 220,000


def test_return_for_changes_then_resubmit_keeps_both_versions(app, client, firm):
    application_id = _start(firm)
    _complete(firm, application_id)
    firm.post(f"/applications/{application_id}/submit", data={"confirm": "y"})
    officer = app.test_client()
    sign_in(officer, "officer@example.com")
    response = officer.post(
        f"/staff/applications/{application_id}/return",
        data={"sections": ["summary"], "reason": "请补充项目的预期效益。"},
    )
    assert response.status_code == 302
    application = _application(app, application_id)
    assert application.status is Status.RETURNED
    assert application.returned_sections == ["summary"]
    # The firm sees what to change and can edit only that section.
    page = firm.get(f"/applications/{application_id}").get_data(as_text=True)
    assert "请补充项目的预期效益。" in page
    assert firm.get(f"/applications/{application_id}/figures").status_code == 302
    assert (
        firm.post(
            f"/applications/{application_id}/declaration",
            data={"declaration_name": "x", "declaration_title": "y", "agree": "y"},
        ).status_code
        == 302
    )
    assert _application(app, application_id).declaration_name == "刘洋"
    firm.post(
        f"/applications/{application_id}/summary",
        data={"project_title": "智能产线研发（修订）", "project_summary": "补充了预期效益。"},
    )
    assert (
        firm.post(f"/applications/{application_id}/submit", data={"confirm": "y"}).status_code
        == 302
    )
    application = _application(app, application_id)
    assert application.status is Status.SUBMITTED and application.submission_count == 2
    with app.app_context():
        titles = db.session.scalars(
            select(ApplicationSubmission.content).order_by(ApplicationSubmission.number)
        ).all()
    assert [t["project_title"] for t in titles] == ["智能产线研发", "智能产线研发（修订）"]


def test_return_needs_sections_and_reason(app, firm):
    application_id = _start(firm)
    _complete(firm, application_id)
    firm.post(f"/applications/{application_id}/submit", data={"confirm": "y"})
    officer = app.test_client()
    sign_in(officer, "officer@example.com")
    response = officer.post(
        f"/staff/applications/{application_id}/return", data={"sections": [], "reason": ""}
    )
    assert response.status_code == 422
    assert _application(app, application_id).status is Status.SUBMITTED


def test_a_draft_cannot_be_returned(app, firm):
    application_id = _start(firm)
    officer = app.test_client()
    sign_in(officer, "officer@example.com")
    officer.post(
        f"/staff/applications/{application_id}/return",
        data={"sections": ["summary"], "reason": "x"},
    )
    assert _application(app, application_id).status is Status.DRAFT


def test_later_profile_edit_does_not_change_a_submitted_application(app, firm):
    application_id = _start(firm)
    _complete(firm, application_id)
    firm.post(f"/applications/{application_id}/submit", data={"confirm": "y"})
    before = _application(app, application_id).figures
    with app.app_context():
        from portal.profiles.models import EnterpriseYear

        for row in db.session.scalars(select(EnterpriseYear)).all():
            row.rd_expense = Decimal("1")
        db.session.commit()
    assert _application(app, application_id).figures == before


def _other_firm_urls(application_id: int, attachment_id: int) -> list[tuple[str, str]]:
    base = f"/applications/{application_id}"
    return [
        ("GET", base),
        ("GET", f"{base}/summary"),
        ("POST", f"{base}/summary"),
        ("GET", f"{base}/figures"),
        ("POST", f"{base}/figures"),
        ("GET", f"{base}/amount"),
        ("POST", f"{base}/amount"),
        ("GET", f"{base}/documents"),
        ("POST", f"{base}/documents/a107012"),
        ("GET", f"{base}/declaration"),
        ("POST", f"{base}/declaration"),
        ("GET", f"{base}/check"),
        ("POST", f"{base}/submit"),
        ("GET", f"{base}/withdraw"),
        ("POST", f"{base}/withdraw"),
        ("GET", f"/files/{attachment_id}"),
    ]


def test_another_firm_gets_404_on_every_url_of_an_application(app, firm):
    application_id = _start(firm)
    _upload(firm, application_id, "a107012", make_pdf(), "a.pdf")
    with app.app_context():
        attachment_id = db.session.scalar(select(Attachment.id))
    stranger = app.test_client()
    sign_in(stranger, "ent1@example.com")
    urls = _other_firm_urls(application_id, attachment_id)
    # The rule map must not have grown application URLs this list does not cover.
    rules = [
        r
        for r in app.url_map.iter_rules()
        if r.endpoint.startswith("applications.") and "application_id" in r.arguments
    ]
    assert len(rules) <= len({path for _m, path in urls})
    for method, url in urls:
        assert stranger.open(url, method=method).status_code == 404, (method, url)
    assert _application(app, application_id).project_title == ""
    assert _count(app, Attachment) == 1


def test_unassigned_reviewer_cannot_download_files(app, firm):
    application_id = _start(firm)
    _upload(firm, application_id, "a107012", make_pdf(), "a.pdf")
    with app.app_context():
        attachment_id = db.session.scalar(select(Attachment.id))
    reviewer = app.test_client()
    sign_in(reviewer, "reviewer1@example.com")
    assert reviewer.get(f"/files/{attachment_id}").status_code == 404
    officer = app.test_client()
    sign_in(officer, "officer@example.com")
    assert officer.get(f"/files/{attachment_id}").status_code == 200


def test_officer_list_shows_submitted_not_drafts(app, firm):
    draft_id = _start(firm)
    officer = app.test_client()
    sign_in(officer, "officer@example.com")
    page = officer.get("/staff/applications").get_data(as_text=True)
    assert _application(app, draft_id).reference not in page
    with app.app_context():
        assert db.session.scalar(select(User.id).where(User.email == "officer@example.com"))
