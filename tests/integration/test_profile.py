"""The firm's profile: edits are audited field by field; bad input changes nothing."""

from __future__ import annotations

from decimal import Decimal

from sqlalchemy import select

from portal.core.audit import AuditEvent
from portal.core.extensions import db
from portal.core.timeutil import bureau_today
from portal.profiles.models import EnterpriseRecognition, EnterpriseYear
from tests.helpers import sign_in, use_english


def _form(client) -> dict[str, str]:
    """Every field of the profile form as the page renders it."""
    import re

    page = client.get("/profile").get_data(as_text=True)
    data = dict(re.findall(r'<input[^>]*name="([^"]+)"[^>]*value="([^"]*)"', page))
    for name, value in re.findall(
        r'<select[^>]*name="([^"]+)"[^>]*>.*?<option selected value="([^"]*)"', page, re.S
    ):
        data[name] = value
    for name in re.findall(r'<select[^>]*name="([^"]+)"', page):
        data.setdefault(name, "")
    return data


def test_profile_edit_is_saved_and_audited_with_the_changed_fields(app, client, demo):
    sign_in(client, "ent4@example.com")
    data = _form(client)
    last_year = bureau_today().year - 1
    row = next(k for k, v in data.items() if k.endswith("-year") and v == str(last_year))
    prefix = row.removesuffix("-year")
    data[f"{prefix}-rd_expense"] = "650000"
    data["recognitions-2-kind"] = "young_eagle"
    data["recognitions-2-year"] = str(last_year)
    data["recognitions-2-certificate_no"] = "LNCY-TEST-1"
    assert client.post("/profile", data=data).status_code == 302
    with app.app_context():
        year = db.session.scalar(
            select(EnterpriseYear).where(
                EnterpriseYear.year == last_year, EnterpriseYear.rd_expense == Decimal("650000")
            )
        )
        assert year is not None
        assert (
            db.session.scalar(
                select(EnterpriseRecognition).where(
                    EnterpriseRecognition.certificate_no == "LNCY-TEST-1"
                )
            )
            is not None
        )
        event = db.session.scalars(
            select(AuditEvent)
            .where(AuditEvent.action == "profile.updated")
            .order_by(AuditEvent.id.desc())
        ).first()
    assert event.summary["changes"][f"{last_year}.rd_expense"] == ["300000.00", "650000"]
    assert f"recognition.young_eagle.{last_year}" in event.summary["changes"]


def test_bad_profile_input_is_refused_and_changes_nothing(app, client, demo):
    sign_in(client, "ent4@example.com")
    use_english(client)
    data = _form(client)
    with app.app_context():
        events_before = len(db.session.scalars(select(AuditEvent.id)).all())
        recognitions_before = len(db.session.scalars(select(EnterpriseRecognition.id)).all())
    data["ip_class_i"] = "-3"
    data["recognitions-2-kind"] = "gazelle"  # a recognition without its year
    response = client.post("/profile", data=data)
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "Enter zero or more." in page and "Enter the year of the recognition." in page
    assert 'value="-3"' in page  # what was typed is kept
    with app.app_context():
        assert len(db.session.scalars(select(AuditEvent.id)).all()) == events_before
        recognitions_after = len(db.session.scalars(select(EnterpriseRecognition.id)).all())
    assert recognitions_after == recognitions_before
