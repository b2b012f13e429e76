"""Progress reports: made when the agreement is accepted, submitted, returned and accepted;
overdue ones block new applications with an explanation; reminders go once each."""

from __future__ import annotations

import email
from datetime import UTC, date, datetime, timedelta
from email.policy import default as default_policy

import pytest
from sqlalchemy import func, select

from portal.core.audit import AuditEvent
from portal.core.extensions import db
from portal.core.timeutil import stopped_clock
from portal.notifications.models import Notification
from portal.payments.plan import default_plan
from portal.payments.report_models import ProgressReport, ReportFile, ReportStatus
from portal.programs.models import ProgramKind
from tests.helpers import english_client, make_pdf, statements_during
from tests.payments_world import award

FIRM = "ent1@example.com"
OTHER_FIRM = "ent2@example.com"
OFFICER = "officer@example.com"
FLUORINE = "fluorine-digital-2026"
RD = "rd-post-subsidy-2026"

# Noon in Shanghai on 2026-08-31: the day of acceptance there is the 31st.
ACCEPTED_AT = datetime(2026, 8, 31, 4, 0, tzinfo=UTC)


@pytest.fixture
def app_config(app_config, tmp_path):
    # Mail without a server: written to the outbox, where the tests read it.
    return {**app_config, "SMTP_HOST": "", "OUTBOX_DIR": str(tmp_path / "outbox")}


def outbox_mails(app) -> list:
    from pathlib import Path

    folder = Path(app.config["OUTBOX_DIR"])
    return [
        email.message_from_bytes(path.read_bytes(), policy=default_policy)
        for path in sorted(folder.glob("*.eml"))
    ]


def accepted_award(app, *, email: str = FIRM, code: str = FLUORINE, at=ACCEPTED_AT) -> dict:
    """An award whose agreement (terms: progress at 6 months, final at 12) the firm accepts
    at ``at``: the audit listener makes its reports."""
    from portal.core import audit
    from portal.core.audit import Action
    from portal.payments.models import Agreement, AgreementStatus

    made = award(app, email=email, code=code, accept=False)
    terms = default_plan(ProgramKind.PROJECT).as_json()
    with app.app_context(), stopped_clock(at):
        agreement = db.session.get(Agreement, made["agreement_id"])
        agreement.terms = terms
        agreement.status = AgreementStatus.ACCEPTED
        agreement.accepted_at = at
        db.session.flush()
        audit.record(Action.AGREEMENT_ACCEPTED, agreement, application_id=agreement.application_id)
        db.session.commit()
        made["report_ids"] = list(
            db.session.scalars(
                select(ProgressReport.id)
                .where(ProgressReport.agreement_id == agreement.id)
                .order_by(ProgressReport.position)
            )
        )
    return made


def report(app, report_id: int) -> ProgressReport:
    with app.app_context():
        row = db.session.get(ProgressReport, report_id)
        db.session.expunge(row)
        return row


GOOD = {
    "rd_spend": "1,250,000.50",
    "revenue": "8000000",
    "patents_filed": "3",
    "patents_granted": "1",
    "jobs_created": "12",
    "narrative": "产线改造完成，MES 上线。",
}


# --- made with the agreement --------------------------------------------------------------------


def test_accepting_the_agreement_makes_its_reports_due_months_later(app, demo):
    made = accepted_award(app)
    first, second = (report(app, i) for i in made["report_ids"])
    assert (first.kind.value, first.position, first.status) == ("progress", 1, ReportStatus.DUE)
    # 31 August + 6 months: February has no 31st, so its last day.
    assert first.due_on == date(2027, 2, 28)
    assert (second.kind.value, second.due_on) == ("final", date(2027, 8, 31))
    assert first.application_id == made["application_id"]


def test_reports_are_made_once_and_not_for_an_agreement_without_report_terms(app, demo):
    from portal.core import audit
    from portal.core.audit import Action
    from portal.payments.models import Agreement

    made = accepted_award(app)
    with app.app_context():
        agreement = db.session.get(Agreement, made["agreement_id"])
        audit.record(Action.AGREEMENT_ACCEPTED, agreement, application_id=agreement.application_id)
        db.session.commit()
        count = db.session.scalar(
            select(func.count()).where(ProgressReport.agreement_id == agreement.id)
        )
    assert count == 2
    bare = award(app, email=OTHER_FIRM, code=RD)  # terms {}: no report owed
    with app.app_context():
        assert (
            db.session.scalar(
                select(func.count()).where(ProgressReport.agreement_id == bare["agreement_id"])
            )
            == 0
        )


# --- the firm submits, the officer returns and accepts ------------------------------------------


def test_submit_return_resubmit_accept(app, demo):
    made = accepted_award(app)
    report_id = made["report_ids"][0]
    firm = english_client(app, FIRM)
    page = firm.get(f"/reports/{report_id}")
    assert page.status_code == 200 and "Progress report" in page.get_data(as_text=True)
    response = firm.post(f"/reports/{report_id}", data={**GOOD, "action": "submit"})
    assert response.status_code == 302
    row = report(app, report_id)
    assert row.status is ReportStatus.SUBMITTED and str(row.rd_spend) == "1250000.50"
    assert row.patents_filed == 3 and row.submitted_at is not None

    officer = english_client(app, OFFICER)
    # A reason is required: nothing changes without one.
    refused = officer.post(f"/staff/reports/{report_id}/return", data={"reason": "  "})
    assert refused.status_code == 422
    assert "Say why the report is returned" in refused.get_data(as_text=True)
    assert report(app, report_id).status is ReportStatus.SUBMITTED
    response = officer.post(
        f"/staff/reports/{report_id}/return", data={"reason": "请补充研发费用明细。"}
    )
    assert response.status_code == 302
    row = report(app, report_id)
    assert row.status is ReportStatus.RETURNED and row.return_reason == "请补充研发费用明细。"

    page = firm.get(f"/reports/{report_id}").get_data(as_text=True)
    assert "Returned by the bureau" in page and "请补充研发费用明细。" in page
    assert firm.post(f"/reports/{report_id}", data={**GOOD, "action": "submit"}).status_code == 302
    assert report(app, report_id).status is ReportStatus.SUBMITTED

    assert officer.post(f"/staff/reports/{report_id}/accept", data={}).status_code == 302
    row = report(app, report_id)
    assert row.status is ReportStatus.ACCEPTED and row.decided_at is not None
    # Accepted: the firm can no longer change it.
    again = firm.post(f"/reports/{report_id}", data={**GOOD, "action": "submit"})
    assert again.status_code == 422
    assert report(app, report_id).status is ReportStatus.ACCEPTED

    with app.app_context():
        actions = list(
            db.session.scalars(
                select(AuditEvent.action)
                .where(AuditEvent.application_id == made["application_id"])
                .where(AuditEvent.action.like("report.%"))
                .order_by(AuditEvent.id)
            )
        )
        kinds = list(
            db.session.scalars(
                select(Notification.kind)
                .where(Notification.kind.like("report_%"))
                .order_by(Notification.id)
            )
        )
    assert actions == ["report.submitted", "report.returned", "report.submitted", "report.accepted"]
    assert kinds == ["report_returned", "report_accepted"]
    notices = firm.get("/notifications").get_data(as_text=True)
    assert "returned: please change it" in notices and "accepted" in notices
    subjects = [m["Subject"] for m in outbox_mails(app) if m["To"] == FIRM]
    assert any("退回" in s or "returned" in s for s in subjects)


def test_bad_input_keeps_what_was_typed_and_changes_nothing(app, demo):
    made = accepted_award(app)
    report_id = made["report_ids"][0]
    firm = english_client(app, FIRM)
    bad = {**GOOD, "rd_spend": "lots", "patents_filed": "-2", "action": "submit"}
    response = firm.post(f"/reports/{report_id}", data=bad)
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert 'value="lots"' in page and "产线改造完成" in page
    assert "Enter an amount in yuan" in page and "Give a whole number from 0." in page
    row = report(app, report_id)
    assert row.status is ReportStatus.DUE and row.rd_spend is None and row.narrative == ""

    # Submitting with a figure left empty says so beside it; saving without submitting keeps it.
    partial = {**GOOD, "jobs_created": "", "action": "submit"}
    response = firm.post(f"/reports/{report_id}", data=partial)
    assert response.status_code == 422
    assert "Give this figure before you submit." in response.get_data(as_text=True)
    assert report(app, report_id).status is ReportStatus.DUE
    saved = firm.post(f"/reports/{report_id}", data={**partial, "action": "save"})
    assert saved.status_code == 302
    row = report(app, report_id)
    assert row.status is ReportStatus.DUE and row.jobs_created is None and row.patents_filed == 3


def test_a_firm_sees_only_its_own_reports(app, demo):
    made = accepted_award(app)
    report_id = made["report_ids"][0]
    other = english_client(app, OTHER_FIRM)
    assert other.get(f"/reports/{report_id}").status_code == 404
    assert other.post(f"/reports/{report_id}", data={**GOOD, "action": "submit"}).status_code == 404
    assert "Progress report" not in other.get("/reports").get_data(as_text=True)
    assert report(app, report_id).status is ReportStatus.DUE
    # Firms cannot reach the officers' pages.
    assert other.get("/staff/reports").status_code in (403, 404)
    assert other.post(f"/staff/reports/{report_id}/accept").status_code in (403, 404)


def test_attachments_are_checked_like_uploads(app, demo):
    import io

    made = accepted_award(app)
    report_id = made["report_ids"][0]
    firm = english_client(app, FIRM)
    fake = {"file": (io.BytesIO(b"not a pdf at all"), "report.pdf")}
    refused = firm.post(f"/reports/{report_id}/files", data=fake)
    assert refused.status_code == 422
    pdf = {"file": (io.BytesIO(make_pdf(2)), "进展报告.pdf")}
    assert firm.post(f"/reports/{report_id}/files", data=pdf).status_code == 302
    with app.app_context():
        (row,) = db.session.scalars(select(ReportFile).where(ReportFile.report_id == report_id))
        file_id = row.id
    assert firm.get(f"/reports/{report_id}/files/{file_id}").status_code == 200
    other = english_client(app, OTHER_FIRM)
    assert other.get(f"/reports/{report_id}/files/{file_id}").status_code == 404
    officer = english_client(app, OFFICER)
    assert officer.get(f"/staff/reports/{report_id}/files/{file_id}").status_code == 200


# --- overdue ------------------------------------------------------------------------------------


def _make_overdue(app, report_id: int, due_on: date) -> None:
    with app.app_context():
        db.session.get(ProgressReport, report_id).due_on = due_on
        db.session.commit()


def test_an_overdue_report_blocks_starting_an_application_with_the_explanation(app, demo):
    made = accepted_award(app, code=RD)
    report_id = made["report_ids"][0]
    _make_overdue(app, report_id, date(2026, 11, 20))
    firm = english_client(app, FIRM)
    url = f"/programmes/{FLUORINE}"
    text = firm.get(url).get_data(as_text=True)
    assert "No report overdue on earlier awards" in text
    assert "was due on 2026-11-20" in text and "Progress report (" in text
    # In Chinese the report is named as the bureau names it.
    chinese = firm.get(f"{url}?lang=zh").get_data(as_text=True)
    assert "中期进展报告 (企业研发投入后补助)" in chinese
    firm.get(f"{url}?lang=en")
    # Starting an application is refused, and the page says why.
    response = firm.post(f"{url}/apply")
    assert response.status_code == 302 and response.headers["Location"].endswith(url)
    text = firm.get(url).get_data(as_text=True)
    assert "does not meet this programme" in text
    assert "was due on 2026-11-20" in text

    from portal.accounts.models import User
    from portal.payments.report_queries import overdue_reports_of

    with app.app_context():
        enterprise_id = db.session.scalar(select(User.enterprise_id).where(User.email == FIRM))
        ((overdue, _program),) = overdue_reports_of(enterprise_id, date(2026, 12, 2))
        assert overdue.id == report_id
        assert overdue_reports_of(enterprise_id, date(2026, 11, 20)) == []  # due that day

    # Submitted, it no longer blocks.
    assert firm.post(f"/reports/{report_id}", data={**GOOD, "action": "submit"}).status_code == 302
    text = firm.get(url).get_data(as_text=True)
    assert "was due on 2026-11-20" not in text and "No report overdue." in text


def test_officer_lists_overdue_first_in_red_with_a_fixed_statement_count(app, demo):
    made = accepted_award(app)
    _make_overdue(app, made["report_ids"][0], date(2026, 1, 5))
    officer = english_client(app, OFFICER)
    page = officer.get("/staff/reports").get_data(as_text=True)
    assert "rp-row--overdue" in page and "2026-01-05" in page and "rp-status--overdue" in page
    small = len(statements_during(app, lambda: officer.get("/staff/reports?view=due")))
    for email_, code in ((FIRM, RD), (OTHER_FIRM, FLUORINE), (OTHER_FIRM, RD)):
        accepted_award(app, email=email_, code=code, at=ACCEPTED_AT + timedelta(days=40))
    large = len(statements_during(app, lambda: officer.get("/staff/reports?view=due")))
    assert small == large
    # Keyset paging: a bad cursor is the first page, never an error.
    assert officer.get("/staff/reports?view=due&after=nonsense").status_code == 200
    assert officer.get("/staff/reports?view=due&after=2026-01-01_99999999999").status_code == 200


# --- reminders ----------------------------------------------------------------------------------


def _remind_on(app, day: date) -> int:
    from portal.payments.report_queries import send_reminders

    moment = datetime(day.year, day.month, day.day, 1, 0, tzinfo=UTC)  # 09:00 in Shanghai
    with app.app_context(), stopped_clock(moment):
        sent = send_reminders()
        from portal.core.jobs import commit

        commit()
        return sent


def test_reminders_go_14_and_3_days_before_and_on_the_due_date_each_once(app, demo):
    made = accepted_award(app)
    report_id = made["report_ids"][0]
    due = report(app, report_id).due_on  # 2027-02-28
    assert _remind_on(app, due - timedelta(days=15)) == 0
    assert _remind_on(app, due - timedelta(days=14)) == 1
    assert _remind_on(app, due - timedelta(days=13)) == 0  # once
    assert _remind_on(app, due - timedelta(days=3)) == 1
    assert _remind_on(app, due - timedelta(days=2)) == 0
    assert _remind_on(app, due) == 1
    assert _remind_on(app, due + timedelta(days=1)) == 0
    row = report(app, report_id)
    assert row.reminded_14_at and row.reminded_3_at and row.reminded_due_at
    with app.app_context():
        kinds = list(
            db.session.scalars(
                select(Notification.kind)
                .where(Notification.link == f"/reports/{report_id}")
                .order_by(Notification.id)
            )
        )
    assert kinds == ["report_due_soon", "report_due_soon", "report_due_today"]
    mails = [m for m in outbox_mails(app) if m["To"] == FIRM and "报告" in m["Subject"]]
    assert len(mails) == 3


def test_a_submitted_report_gets_no_reminder_and_the_command_runs(app, demo):
    made = accepted_award(app)
    report_id = made["report_ids"][0]
    firm = english_client(app, FIRM)
    firm.post(f"/reports/{report_id}", data={**GOOD, "action": "submit"})
    due = report(app, report_id).due_on
    assert _remind_on(app, due) == 0
    result = app.test_cli_runner().invoke(args=["reports", "remind"])
    assert result.exit_code == 0 and "reminder(s) sent" in result.output


def test_the_desk_to_do_counts_reports_overdue_and_to_check(app, demo):
    from portal.reporting.desk_todo import REPORTS_OVERDUE, REPORTS_TO_CHECK, desk_todo

    made = accepted_award(app)
    first, second = made["report_ids"]
    _make_overdue(app, first, date(2026, 11, 20))
    firm = english_client(app, FIRM)
    assert firm.post(f"/reports/{second}", data={**GOOD, "action": "submit"}).status_code == 302
    now = datetime(2026, 12, 2, 4, 0, tzinfo=UTC)
    with app.app_context():
        lines = {line.kind: line for line in desk_todo(1, now)}
    assert lines[REPORTS_OVERDUE].count == 1 and lines[REPORTS_TO_CHECK].count == 1
    assert lines[REPORTS_OVERDUE].oldest_at.date() == date(2026, 11, 20)
    assert lines[REPORTS_OVERDUE].age_days(now) == 12
    officer = english_client(app, OFFICER)
    home = officer.get("/home").get_data(as_text=True)
    assert "1 progress report overdue" in home and "1 progress report to check" in home
    assert "/staff/reports?view=overdue" in home and "desk-todo__line--alert" in home
