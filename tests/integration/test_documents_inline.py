"""Documents read in place: the inline response (type, name, sandboxing headers), who may open
it (exactly those who may download it), and the frame beside the scoring form and the formal
check."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from portal.applications.models import Attachment
from portal.core.extensions import db
from portal.review.models import AssignmentStatus
from tests.helpers import english_client
from tests.integration.test_reviewer_scoring import (  # noqa: F401 (fixture)
    _assignment,
    round_,
)


def _attachment_ids(app, application_id: int) -> list[int]:
    with app.app_context():
        return list(
            db.session.scalars(
                select(Attachment.id)
                .where(Attachment.application_id == application_id)
                .order_by(Attachment.id)
            )
        )


@pytest.fixture
def officer(app, demo):
    return english_client(app, "officer@example.com")


def test_a_pdf_opens_inline_under_a_sandboxing_policy(app, round_, officer):  # noqa: F811
    attachment_id = _attachment_ids(app, round_.application_id)[0]
    response = officer.get(f"/files/{attachment_id}/view")
    assert response.status_code == 200
    assert response.mimetype == "application/pdf"
    assert response.get_data()[:5] == b"%PDF-"
    disposition = response.headers["Content-Disposition"]
    assert disposition.startswith("inline;") and ".pdf" in disposition
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    policy = response.headers["Content-Security-Policy"]
    directives = [part.strip() for part in policy.split(";")]
    assert "default-src 'none'" in directives
    assert "sandbox" in directives
    assert "frame-ancestors 'self'" in directives
    assert not any(d.startswith("script-src") for d in directives)
    assert response.headers["X-Frame-Options"] == "SAMEORIGIN"
    assert "no-store" in response.headers["Cache-Control"]


def test_the_download_stays_an_attachment(app, round_, officer):  # noqa: F811
    attachment_id = _attachment_ids(app, round_.application_id)[0]
    response = officer.get(f"/files/{attachment_id}")
    assert response.status_code == 200
    assert response.headers["Content-Disposition"].startswith("attachment;")
    assert response.headers["X-Frame-Options"] == "DENY"  # pages and downloads are never framed


def test_exactly_those_who_may_download_may_open_a_file(app, round_):  # noqa: F811
    attachment_id = _attachment_ids(app, round_.application_id)[0]
    allowed = {
        "ent1@example.com": 200,  # the owning firm
        "officer@example.com": 200,
        "admin@example.com": 200,
        "reviewer1@example.com": 200,  # assigned
        "ent2@example.com": 404,  # another firm: looks like a missing file
        "reviewer3@example.com": 404,  # not assigned
    }
    for email, status in allowed.items():
        client = english_client(app, email)
        view = client.get(f"/files/{attachment_id}/view")
        download = client.get(f"/files/{attachment_id}")
        assert (view.status_code, download.status_code) == (status, status), email
    anonymous = app.test_client().get(f"/files/{attachment_id}/view")
    assert anonymous.status_code == 302 and "/login" in anonymous.headers["Location"]
    assert app.test_client().get("/files/999999/view").status_code in (302, 404)
    assert english_client(app, "officer@example.com").get("/files/999999/view").status_code == 404


def test_a_reviewer_who_declined_can_no_longer_open_the_file(app, round_):  # noqa: F811
    attachment_id = _attachment_ids(app, round_.application_id)[0]
    client = round_.reviewer2
    assert client.get(f"/files/{attachment_id}/view").status_code == 200
    page = client.get(f"/review/{round_.second}").get_data(as_text=True)
    token = re.search(r'name="csrf_token" (?:type="hidden" )?value="([^"]+)"', page)
    data = {"reason": "workload", "note": ""}
    if token:
        data["csrf_token"] = token.group(1)
    assert client.post(f"/review/{round_.second}/decline", data=data).status_code == 302
    assert _assignment(app, round_.second).status is AssignmentStatus.DECLINED
    assert client.get(f"/files/{attachment_id}/view").status_code == 404


def test_a_spreadsheet_is_never_shown_inline(app, round_, officer):  # noqa: F811
    attachment_id = _attachment_ids(app, round_.application_id)[0]
    with app.app_context():
        attachment = db.session.get(Attachment, attachment_id)
        attachment.mime_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
        db.session.commit()
    response = officer.get(f"/files/{attachment_id}/view")
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/files/{attachment_id}")


def test_the_scoring_page_shows_the_document_beside_the_form(app, round_):  # noqa: F811
    first, *others = _attachment_ids(app, round_.application_id)
    page = round_.reviewer1.get(f"/review/{round_.first}").get_data(as_text=True)
    assert f'src="/files/{first}/view"' in page
    assert 'id="document-viewer"' in page and "sandbox=" not in page
    assert f'href="/files/{first}"' in page  # the download is kept
    assert page.index('id="document-viewer"') < page.index('id="scoring"')
    # Without JavaScript, ?doc= chooses the file in the frame.
    chosen = others[0]
    page = round_.reviewer1.get(f"/review/{round_.first}?doc={chosen}").get_data(as_text=True)
    assert f'src="/files/{chosen}/view"' in page


def test_the_formal_check_has_the_document_beside_it_and_unique_ids(app, round_, officer):  # noqa: F811
    # A second submitted application, still open for the formal check.
    from tests.helpers import submit_application

    application_id = submit_application(app, "ent2@example.com", "key-above-size-2026")
    page = officer.get(f"/staff/applications/{application_id}").get_data(as_text=True)
    assert 'class="reading-split"' in page
    assert 'id="document-viewer"' in page
    ids = re.findall(r'\sid="([^"]+)"', page)
    duplicates = {i for i in ids if ids.count(i) > 1}
    assert not duplicates, duplicates
    assert '<label class="field__label" for="return-reason">' in page
    assert '<label class="field__label" for="reject-reason">' in page
