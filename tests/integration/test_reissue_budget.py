"""A reissued letter's corrected amount goes through the decision's own check (caps and the
budget line), on a pro-rata programme too.

In a pro-rata programme, pending approvals may add up to more than the budget: the release
scales them down to what the released awards leave. The reissue used to check the corrected
amount against the released awards *and* those pending approvals, so with approvals pending
over the budget it refused every correction, even one that lowered an award. The decision's
check lets the pending approvals be; a released award, which can no longer be scaled, must
fit beside the other released awards."""

from __future__ import annotations

import re
from decimal import Decimal

from sqlalchemy import func, select

from portal.applications.models import Application, Status
from portal.core.extensions import db
from portal.core.jobs import commit
from portal.core.timeutil import utcnow
from portal.letters.issuing import issue_due_letters
from portal.letters.models import Letter, LetterStatus
from portal.review import decision_rules
from tests.helpers import letters_of
from tests.integration.test_decisions import (
    RD,
    decide,
    load,
    make_application,
    make_firm,
    officer_client,
    program_id,
    reissue_signed_off,
    release,
    set_program,
    text_of,
)

BUDGET = Decimal("200000")


def awarded_with_approvals_pending_over_the_budget(app) -> tuple[int, int]:
    """On the pro-rata R&D programme (budget 200,000): an award of 150,000 with its letter,
    and an approval of 100,000 pending, so that 250,000 is committed."""
    set_program(app, RD, budget=BUDGET)
    now = utcnow()
    awarded = make_application(
        app,
        RD,
        make_firm(app, 1),
        status=Status.AWARDED,
        requested="300000",
        formula="300000",
        decision="approve",
        decided_amount=Decimal("150000.00"),
        released_at=now,
        awarded_at=now,
    )
    pending = make_application(app, RD, make_firm(app, 2), requested="300000", formula="300000")
    # pro rata: the decision's check lets an approval past the budget (the release scales it)
    assert decide(officer_client(app), app, pending, "approve", "100000").status_code == 302
    with app.app_context():
        issue_due_letters([awarded])
        commit()
    return awarded, pending


def reissue(client, letter_id: int, amount: str):
    """A changed amount: confirmed, proposed and signed off by the approver."""
    return reissue_signed_off(client, letter_id, {"reason": "审计后金额更正。", "amount": amount})


def old_reissue_check_refuses(app, application_id: int, amount: Decimal) -> bool:
    """What the reissue checked before: released awards and pending approvals together."""
    with app.app_context():
        application = db.session.get(Application, application_id)
        state = decision_rules.budget_state(application.program, exclude_ids=[application_id])
        return state.committed + amount > state.budget


def test_a_pro_rata_correction_is_checked_as_a_decision(app, demo):
    awarded, pending = awarded_with_approvals_pending_over_the_budget(app)
    officer = officer_client(app)
    (old,) = letters_of(app, awarded)

    # Lowering the award: the old check refused it (100,000 pending + 120,000 > 200,000).
    assert old_reissue_check_refuses(app, awarded, Decimal("120000"))
    response = reissue(officer, old.id, "120000")
    assert response.status_code == 302, text_of(response)[:2000]
    _old, lowered = letters_of(app, awarded)
    assert lowered.status is LetterStatus.CURRENT and lowered.amount == Decimal("120000.00")
    assert load(app, awarded).decided_amount == Decimal("120000.00")

    # Raising it within the budget beside the released awards: accepted too; the pending
    # approval will be scaled to what is left at the release.
    assert old_reissue_check_refuses(app, awarded, Decimal("190000"))
    assert reissue(officer, lowered.id, "190000").status_code == 302
    assert load(app, awarded).decided_amount == Decimal("190000.00")

    # Past the budget: a released award cannot be scaled down, so it is refused, beside the
    # amount field, and nothing changes.
    (*_, current) = letters_of(app, awarded)
    response = reissue(officer, current.id, "250000")
    assert response.status_code == 422
    page = text_of(response)
    assert (
        "A corrected amount of 250,000.00 yuan would exceed the programme's budget: "
        "200,000.00 yuan remain." in page
    )
    assert re.search(r'id="amount-error"', page), "the message stands beside the amount"
    assert load(app, awarded).decided_amount == Decimal("190000.00")
    assert letters_of(app, awarded)[-1].id == current.id
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Letter)) == 3
    # the pending approval was never touched
    assert load(app, pending).decided_amount == Decimal("100000.00")


def test_the_release_then_scales_the_pending_approval_to_what_is_left(app, demo):
    awarded, pending = awarded_with_approvals_pending_over_the_budget(app)
    officer = officer_client(app)
    (old,) = letters_of(app, awarded)
    assert reissue(officer, old.id, "180000").status_code == 302
    assert release(officer, program_id(app, RD)).status_code == 302
    # 20,000 left beside the corrected award: the approval of 100,000 is scaled down to it
    assert load(app, pending).decided_amount == Decimal("20000.00")
    with app.app_context():
        total = db.session.scalar(
            select(func.sum(Application.decided_amount)).where(
                Application.status.in_([Status.PUBLICITY, Status.AWARDED])
            )
        )
        assert Decimal(total) <= BUDGET
