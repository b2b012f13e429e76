"""The hostile world: script payloads typed into every free-text field a person can fill, each
through its own form (as a browser would send it), then shown wherever the portal shows it.

Every value is a tag naming its field (``F01``...) followed by as many payloads as its length
limit allows; ``{{7*7}}`` comes right after the tag, so that a template evaluating it would show
the tag followed by 49.
"""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import select

from portal.core.extensions import db
from tests.helpers import confirmation_link, make_pdf, required_document_keys
from tests.security import world as w
from tests.security.forms import fill, post_form

PAYLOADS = (
    "{{7*7}}",
    "<script>alert(1)</script>",
    '"><img src=x onerror=alert(1)>',
    "</textarea><svg onload=alert(1)>",
    "javascript:alert(1)",
)
# What must never appear in a page as it is (it would be markup there).
RAW = (
    "<script>alert(1)",
    "<img src=x onerror",
    "<svg onload",
    "</textarea><svg",
    '"><img',
)

FIRM = "hostile@example.com"
REVIEWER = "hostile.reviewer@example.com"
PASSWORD = "Hostile-Portal-2026"

# Each field: its tag and its length limit (the form's maximum).
FIELDS = {
    "programme_name_zh": ("P01", 200),
    "programme_name_en": ("P02", 200),
    "programme_summary_zh": ("P03", 2000),
    "programme_summary_en": ("P04", 2000),
    "staff_name": ("S01", 100),
    "company_name": ("F01", 200),
    "contact_person": ("F02", 100),
    "certificate_no": ("F03", 60),
    "project_title": ("A01", 200),
    "project_summary": ("A02", 5000),
    "declaration_name": ("A03", 100),
    "declaration_title": ("A04", 100),
    "document_name": ("A05", 100),
    "key_title": ("A06", 200),
    "key_summary": ("A07", 5000),
    "return_reason": ("O01", 4000),
    "rejection_reason": ("O02", 2000),
    "reissue_reason": ("O03", 500),
    "expertise": ("O04", 2000),
    "comment": ("R01", 2000),
    "decline_note": ("R02", 1000),
    "objection_name": ("U01", 100),
    "objection_reason": ("U02", 5000),
    "open_objection_name": ("U03", 100),
    "open_objection_reason": ("U04", 5000),
    "resolution_note": ("O05", 5000),
}


def hostile(field: str) -> str:
    tag, limit = FIELDS[field]
    value = tag
    for payload in PAYLOADS:
        if len(value) + len(payload) <= limit:
            value += payload
    return value


def document_name() -> str:
    """A file name holds no slash (it would name a folder) and no double quote (browsers send
    it as %22): the payloads without them."""
    tag, _limit = FIELDS["document_name"]
    return tag + "{{7*7}}<img src=x onerror=alert(1)>.pdf"


VALUES = {field: hostile(field) for field in FIELDS}
VALUES["document_name"] = document_name()
# Expertise areas are at most 40 characters, one on each line: one payload to an area.
EXPERTISE_AREAS = [FIELDS["expertise"][0] + PAYLOADS[0], *PAYLOADS[1:]]
VALUES["expertise"] = "\n".join(EXPERTISE_AREAS)


def shown_as(field: str) -> list[str]:
    """How the field's value appears in a page when it is escaped as it must be."""
    from markupsafe import escape

    parts = EXPERTISE_AREAS if field == "expertise" else [VALUES[field]]
    if field == "document_name":
        parts = [VALUES[field].removesuffix(".pdf")]
    return [str(escape(part)) for part in parts]


def tags() -> list[str]:
    return [tag for tag, _limit in FIELDS.values()]


# Columns of a firm's yearly figures and recognitions that are not copied to another firm.
NOT_COPIED = {"id", "enterprise_id", "updated_at"}


def _copy_profile(app, source_email: str, target_email: str) -> None:
    """The hostile firm gets ent1's figures, so that it qualifies for the same programmes."""
    from portal.accounts.models import Enterprise
    from portal.profiles.models import EnterpriseRecognition, EnterpriseYear
    from portal.profiles.services import PROFILE_FIELDS

    source_id = w.enterprise_id(app, source_email)
    target_id = w.enterprise_id(app, target_email)
    with app.app_context():
        source = db.session.get(Enterprise, source_id)
        target = db.session.get(Enterprise, target_id)
        for name in (*PROFILE_FIELDS, "profile_updated_at"):
            setattr(target, name, getattr(source, name))
        for model in (EnterpriseYear, EnterpriseRecognition):
            copied = [c.key for c in model.__table__.columns if c.key not in NOT_COPIED]
            for row in db.session.scalars(select(model).where(model.enterprise_id == source_id)):
                values = {name: getattr(row, name) for name in copied}
                db.session.add(model(enterprise_id=target_id, **values))
        db.session.commit()


def _apply(app, firm, code: str, title: str, summary: str, *, document_name: str) -> int:
    import io

    response = firm.post(f"/programmes/{code}/apply")
    assert response.status_code == 302, response.get_data(as_text=True)[:800]
    application_id = int(response.headers["Location"].rsplit("/", 1)[1])
    base = f"/applications/{application_id}"
    post_form(firm, f"{base}/summary", project_title=title, project_summary=summary)
    assert firm.post(f"{base}/figures", data={"confirm_figures": "y"}).status_code == 302
    assert firm.post(f"{base}/amount", data={}).status_code == 302
    for number, key in enumerate(required_document_keys(app, code)):
        name = document_name if number == 0 else f"{key}.pdf"
        response = firm.post(
            f"{base}/documents/{key}",
            data={"file": (io.BytesIO(make_pdf()), name)},
            content_type="multipart/form-data",
        )
        assert response.status_code == 302, (key, response.get_data(as_text=True)[:800])
    post_form(
        firm,
        f"{base}/declaration",
        declaration_name=VALUES["declaration_name"],
        declaration_title=VALUES["declaration_title"],
        agree="y",
    )
    post_form(firm, f"{base}/check", f"{base}/submit", confirm="y")
    return application_id


def build_xss_world(app) -> dict[str, Any]:
    from portal.accounts.uscc import with_check_character
    from portal.applications.models import Application, Status
    from portal.core.timeutil import bureau_today, utcnow
    from portal.demo import seed_demo_data
    from portal.letters.models import Letter, LetterExport
    from portal.review.models import Assignment, Objection

    with app.app_context():
        seed_demo_data()
        db.session.commit()
    ids: dict[str, Any] = {}
    rd_id, key_id = w.program_id(app, w.RD), w.program_id(app, w.KEY)

    # An admin renames a programme and writes its summaries; creates a staff account.
    admin = w.signed_in_client(app, w.ADMIN)
    post_form(
        admin,
        f"/staff/programmes/{rd_id}/edit",
        name_zh=VALUES["programme_name_zh"],
        name_en=VALUES["programme_name_en"],
        summary_zh=VALUES["programme_summary_zh"],
        summary_en=VALUES["programme_summary_en"],
    )
    post_form(
        admin,
        "/admin/staff/new",
        email=REVIEWER,
        display_name=VALUES["staff_name"],
        role="reviewer",
        password=PASSWORD,
        password_confirm=PASSWORD,
    )

    # A firm registers with hostile names, and fills its profile.
    visitor = app.test_client()
    post_form(
        visitor,
        "/register",
        company_name=VALUES["company_name"],
        uscc=with_check_character("91210900MA0XY5001"),
        contact_person=VALUES["contact_person"],
        mobile="13904189999",
        email=FIRM,
        password=PASSWORD,
        password_confirm=PASSWORD,
        expect=(200,),
    )
    post_form(visitor, confirmation_link(app, FIRM))  # the link the mail carries
    _copy_profile(app, w.FIRM_A, FIRM)
    firm = w.signed_in_client(app, None)
    from tests.helpers import sign_in

    assert sign_in(firm, FIRM, PASSWORD).status_code == 302
    post_form(firm, "/profile", high_tech_certificate_no=VALUES["certificate_no"])

    # Its applications, with hostile text in every section.
    ids["rd_application"] = _apply(
        app,
        firm,
        w.RD,
        VALUES["project_title"],
        VALUES["project_summary"],
        document_name=VALUES["document_name"],
    )
    ids["key_application"] = _apply(
        app, firm, w.KEY, VALUES["key_title"], VALUES["key_summary"], document_name="plan.pdf"
    )

    # The officer returns the first for changes; the firm resubmits; the officer rejects it.
    officer = w.signed_in_client(app, w.OFFICER)
    page = f"/staff/applications/{ids['rd_application']}"
    post_form(officer, page, f"{page}/return", sections="summary", reason=VALUES["return_reason"])
    base = f"/applications/{ids['rd_application']}"
    ids["returned_page"] = base
    post_form(firm, f"{base}/summary")
    post_form(firm, f"{base}/check", f"{base}/submit", confirm="y")
    post_form(officer, page, f"{page}/reject", reason=VALUES["rejection_reason"])
    # ... and reissues its letter with a reason.
    with app.app_context():
        first_letter = db.session.scalar(
            select(Letter.id).where(Letter.application_id == ids["rd_application"])
        )
    reissue = f"/staff/letters/{first_letter}/reissue"
    post_form(officer, reissue, reason=VALUES["reissue_reason"])

    # Expert review of the second: an officer describes a reviewer's expertise and assigns
    # reviewers; one scores with comments, the hostile-named one declines with a note.
    page = f"/staff/applications/{ids['key_application']}"
    post_form(officer, page, f"{page}/pass-check")
    reviewer_id = w.user_id(app, w.ASSIGNED_REVIEWER)
    post_form(officer, f"/staff/review/reviewers/{reviewer_id}", expertise=VALUES["expertise"])
    due = (date.today() + timedelta(days=20)).isoformat()
    reviews = f"/staff/review/applications/{ids['key_application']}"
    for email in (w.ASSIGNED_REVIEWER, REVIEWER, w.OTHER_REVIEWER):
        response = officer.post(
            f"{reviews}/assign", data={"reviewer_id": str(w.user_id(app, email)), "due_on": due}
        )
        assert response.status_code == 302, response.get_data(as_text=True)[:800]
    with app.app_context():
        assignments = {
            reviewer: assignment_id
            for assignment_id, reviewer in db.session.execute(
                select(Assignment.id, Assignment.reviewer_id).where(
                    Assignment.application_id == ids["key_application"]
                )
            )
        }
    ids["assignment"] = assignments[reviewer_id]
    ids["declined_assignment"] = assignments[w.user_id(app, REVIEWER)]
    expert = w.signed_in_client(app, w.ASSIGNED_REVIEWER)
    score_page = f"/review/{ids['assignment']}"
    data = fill(expert, score_page)
    for name in list(data):
        if name.startswith("score__"):
            data[name] = "8"
        elif name.startswith("comment__"):
            data[name] = VALUES["comment"]
    data["action"] = "submit"
    data["confirmed"] = "1"  # past the confirmation page that states the total
    response = expert.post(score_page, data=data)
    assert response.status_code == 302, response.get_data(as_text=True)[:800]
    hostile_reviewer = app.test_client()
    assert sign_in(hostile_reviewer, REVIEWER, PASSWORD).status_code == 302
    declined = f"/review/{ids['declined_assignment']}"
    post_form(
        hostile_reviewer,
        declined,
        f"{declined}/decline",
        reason="not_my_field",
        note=VALUES["decline_note"],
    )

    # The second application is approved into publicity (written straight in: the ranking
    # and release have their own tests), where someone objects; the officer dismisses it.
    today = bureau_today()
    with app.app_context():
        application = db.session.get(Application, ids["key_application"])
        application.status = Status.PUBLICITY
        application.decision = "approve"
        application.decided_amount = Decimal("200000.00")
        application.decided_at = application.released_at = utcnow()
        application.publicity_starts_on = today - timedelta(days=1)
        application.publicity_ends_on = today + timedelta(days=7)
        db.session.commit()
    from tests.integration.test_publicity import confirmed_objector

    # Signed by a name whose email a code confirmed (the code pages: test_publicity_notice.py).
    public = confirmed_objector(
        app, app.test_client(), ids["key_application"], name=VALUES["objection_name"]
    )
    post_form(
        public,
        f"/publicity/{ids['key_application']}/object",
        expect=(200,),
        reason=VALUES["objection_reason"],
    )
    with app.app_context():
        ids["objection"] = db.session.scalar(select(Objection.id))
    resolve = f"/staff/decisions/objections/{ids['objection']}/resolve"
    data = fill(officer, "/staff/decisions/objections", resolve)
    prefix = f"o{ids['objection']}-"
    data[prefix + "outcome"], data[prefix + "note"] = "dismissed", VALUES["resolution_note"]
    response = officer.post(resolve, data=data)
    assert response.status_code == 302, response.get_data(as_text=True)[:800]
    # Back in publicity, it gets another objection, which stays open.
    confirmed_objector(
        app,
        public,
        ids["key_application"],
        name=VALUES["open_objection_name"],
        address="hostile.objector@example.com",
    )
    post_form(
        public,
        f"/publicity/{ids['key_application']}/object",
        expect=(200,),
        reason=VALUES["open_objection_reason"],
    )

    # A letters export, for the export pages.
    response = officer.post(f"/staff/letters/programmes/{rd_id}/export")
    assert response.status_code == 302

    firm_user = w.user_id(app, FIRM)
    with app.app_context():
        ids["open_objection"] = db.session.scalar(
            select(Objection.id).order_by(Objection.id.desc())
        )
        ids["letter"] = db.session.scalar(
            select(Letter.id)
            .where(Letter.application_id == ids["rd_application"])
            .order_by(Letter.id.desc())
        )
        ids["first_letter"] = first_letter
        ids["verification_code"] = db.session.get(Letter, ids["letter"]).verification_code
        ids["export"] = db.session.scalar(select(LetterExport.id))
        ids.update(w.attachment_and_notification_ids(ids, firm_user))
    ids.update(
        programme=rd_id,
        key_programme=key_id,
        eagle_programme=rd_id,
        awarded_application=ids["rd_application"],
        publicity_application=ids["key_application"],
        open_publicity_application=ids["key_application"],
        firm_b_application=ids["rd_application"],
        hostile_reviewer=w.user_id(app, REVIEWER),
        reviewer=reviewer_id,
    )
    for name, value in ids.items():
        assert value is not None, name
    return ids
