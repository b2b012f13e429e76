"""An approver learns, in the portal and by mail, that a proposal awaits their sign-off; the
officer who proposed it is not told (they cannot sign off their own proposal)."""

from __future__ import annotations

from sqlalchemy import select

from portal.accounts.models import User
from portal.core.extensions import db
from portal.notifications.models import Notification
from tests.integration.test_decisions import (
    APPROVER,
    KEY,
    program_id,
    propose_release,
    selection,  # noqa: F401  (a fixture)
    text_of,
)
from tests.integration.test_four_eyes import _decide_two, approver_client, proposals


def notices(app, kind: str) -> list[tuple[str, str]]:
    with app.app_context():
        return list(
            db.session.execute(
                select(User.email, Notification.link)
                .join(User, User.id == Notification.user_id)
                .where(Notification.kind == kind)
                .order_by(Notification.id)
            ).all()
        )


def test_the_approver_is_told_of_a_proposal_awaiting_sign_off(app, selection):  # noqa: F811
    officer = _decide_two(app, selection)
    assert notices(app, "sign_off_requested") == []
    assert propose_release(officer, program_id(app, KEY)).status_code == 302
    (proposal,) = proposals(app)
    told = notices(app, "sign_off_requested")
    # Every active approver is told (the demo has two leaders in charge).
    assert sorted(told) == sorted(
        [
            (APPROVER, f"/staff/sign-off/{proposal.id}"),
            ("leader2@example.com", f"/staff/sign-off/{proposal.id}"),
        ]
    )
    page = text_of(approver_client(app).get("/notifications"))
    assert "Awaiting your sign-off: Release of a programme" in page
    assert "Open the proposal" in page or "Awaiting your sign-off" in page
