"""The demo's acceptance: an award with an accepted agreement requiring acceptance passes it
through the real services (panel, three conclusions, conclusion, notice); seeding again makes
nothing; without such an award nothing is made."""

from __future__ import annotations

from sqlalchemy import func, select

from portal.core.audit import Action, AuditEvent
from portal.core.extensions import db
from portal.demo_applications import demo_clock
from portal.demo_post_award import acceptance as demo_acceptance
from portal.payments.acceptance_models import AcceptanceOutcome, AcceptanceReview
from portal.payments.models import PostAwardDocument
from tests.acceptance_helpers import award_ready_for_acceptance


def _seed(app) -> int:
    with app.app_context():
        with demo_clock() as clock:
            made = demo_acceptance.seed(clock, log=lambda _line: None)
        db.session.commit()
        return made


def test_without_an_accepted_agreement_the_demo_makes_nothing(app, demo):
    assert _seed(app) == 0


def test_the_demo_award_passes_acceptance_with_its_notice(app, demo):
    application_id = award_ready_for_acceptance(app, accepted_days_ago=30)
    assert _seed(app) == 5
    with app.app_context():
        (review,) = db.session.scalars(select(AcceptanceReview)).all()
        assert review.application_id == application_id
        assert review.outcome is AcceptanceOutcome.PASSED
        document = db.session.get(PostAwardDocument, review.document_id)
        assert document.number.startswith("阜科验")
        assert review.formed_at < review.concluded_at <= document.issued_at
        summary = db.session.scalar(
            select(AuditEvent.summary).where(AuditEvent.action == Action.ACCEPTANCE_CONCLUDED)
        )
        assert summary == {"application_id": application_id, "outcome": "passed"}
    assert _seed(app) == 0
    with app.app_context():
        assert db.session.scalar(select(func.count(AcceptanceReview.id))) == 1
