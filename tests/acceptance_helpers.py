"""Awards ready for acceptance, written straight into the database for the acceptance tests
(the agreements part offers and accepts agreements through its own pages; these tests are
about what follows)."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from sqlalchemy import select

from tests.helpers import DEMO_PASSWORD, new_firm

FLUORINE = "fluorine-digital-2026"
EXTRA_EXPERTS = (
    ("expert4@example.com", "孙专家 Expert Sun"),
    ("expert5@example.com", "周专家 Expert Zhou"),
)


def add_experts(app) -> dict[str, int]:
    """Two more expert accounts beside the demo's three; their ids by email."""
    from portal.accounts.models import Role
    from portal.accounts.services import create_staff, find_user_by_email
    from portal.core.extensions import db

    ids = {}
    with app.app_context():
        for email, name in EXTRA_EXPERTS:
            user = find_user_by_email(email) or create_staff(
                email, Role.REVIEWER, name, DEMO_PASSWORD
            )
            ids[email] = user.id
        db.session.commit()
    return ids


def award_ready_for_acceptance(
    app,
    firm_email: str | None = "ent1@example.com",
    *,
    acceptance_required: bool = True,
    accepted_days_ago: int = 0,
) -> int:
    """An award of the fluorine-park project programme to the firm of ``firm_email`` (None: a
    new made-up firm) with an accepted agreement (terms: the project default plan); returns
    the application id."""
    from portal.accounts.services import find_user_by_email
    from portal.applications.models import Application, Status
    from portal.core.extensions import db
    from portal.core.timeutil import utcnow
    from portal.payments.models import Agreement, AgreementStatus
    from portal.payments.plan import default_plan
    from portal.programs.models import Program, ProgramKind

    with app.app_context():
        count = db.session.scalar(select(db.func.count()).select_from(Application))
        if firm_email is None:
            firm = new_firm(f"验收测试企业{count:03d}有限公司", f"91210900MB{count:07d}")
        else:
            firm = find_user_by_email(firm_email).enterprise
        program = db.session.scalar(select(Program).where(Program.code == FLUORINE))
        now = utcnow() - timedelta(days=accepted_days_ago)
        application = Application(
            reference=f"AC-{count + 1:05d}",
            enterprise_id=firm.id,
            program_id=program.id,
            program_version_id=program.versions[-1].id,
            status=Status.AWARDED,
            project_title="氟化工车间数字化改造",
            project_summary="建设生产执行系统与设备联网平台。",
            first_submitted_at=now,
            last_submitted_at=now,
            submission_count=1,
            decision="approve",
            decided_amount=Decimal("200000.00"),
            decided_at=now,
            released_at=now,
            awarded_at=now,
        )
        db.session.add(application)
        db.session.flush()
        terms = default_plan(ProgramKind.PROJECT).as_json()
        terms["acceptance_required"] = acceptance_required
        db.session.add(
            Agreement(
                application_id=application.id,
                program_id=program.id,
                enterprise_id=firm.id,
                status=AgreementStatus.ACCEPTED,
                amount=Decimal("200000.00"),
                terms=terms,
                offered_at=now,
                accepted_at=now,
                declaration="",
            )
        )
        db.session.commit()
        return application.id


def link_expert_to_firm(app, expert_email: str, firm_email: str = "ent1@example.com") -> None:
    """Record the firm's USCC among the expert's linked enterprises (a conflict)."""
    from portal.accounts.services import find_user_by_email
    from portal.core.extensions import db
    from portal.review.models import ReviewerProfile

    with app.app_context():
        expert = find_user_by_email(expert_email)
        uscc = find_user_by_email(firm_email).enterprise.uscc
        profile = db.session.get(ReviewerProfile, expert.id)
        if profile is None:
            profile = ReviewerProfile(user_id=expert.id, expertise=[], linked_usccs=[])
            db.session.add(profile)
        profile.linked_usccs = [*(profile.linked_usccs or []), uscc]
        db.session.commit()


def user_id(app, email: str) -> int:
    from portal.accounts.services import find_user_by_email

    with app.app_context():
        return find_user_by_email(email).id
