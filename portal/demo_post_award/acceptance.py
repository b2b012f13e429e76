"""Demo states of the post-award stage: acceptance (验收).

One award whose agreement requires acceptance (the project programme's default plan does: the
fluorine park's digital transformation) and is accepted by the firm gets a round through the
real services: the officer forms a panel of three experts, each concludes 通过 with comments,
the officer concludes 通过 and issues the notice (阜科验). Nothing happens when no such award
exists after the agreements' part, or when it already has its acceptance.
"""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy import select

from portal.accounts.services import find_user_by_email
from portal.core.extensions import db
from portal.core.timeutil import to_bureau_time
from portal.demo_applications import DemoClock
from portal.payments import acceptance, acceptance_notice
from portal.payments.acceptance_models import (
    AcceptanceAssignment,
    AcceptanceOutcome,
    AcceptanceReview,
)
from portal.payments.models import Agreement, AgreementStatus
from portal.programs.models import Program, ProgramKind

EXPERT_COMMENTS = {
    "reviewer1@example.com": (
        "生产执行系统已上线，关键设备联网率达到任务书要求；建议继续完善数据采集。"
    ),
    "reviewer2@example.com": "设备联网平台运行稳定，改造目标基本实现，资料齐全。",
    "reviewer3@example.com": "资金使用与预算相符，财务凭证完整，同意通过验收。",
}
SCORES = {"reviewer1@example.com": 86, "reviewer2@example.com": 88, "reviewer3@example.com": 84}
CONCLUSION = (
    "项目完成了任务书约定的建设内容，生产执行系统与设备联网平台运行正常，"
    "资金使用规范。专家组一致同意通过验收。"
)


def _candidate() -> Agreement | None:
    """The first accepted agreement of a project programme that requires acceptance and has
    had no round yet (project programmes first: their default plan requires acceptance)."""
    rows = db.session.scalars(
        select(Agreement)
        .join(Program, Program.id == Agreement.program_id)
        .where(Agreement.status == AgreementStatus.ACCEPTED)
        .order_by((Program.kind == ProgramKind.PROJECT).desc(), Agreement.id)
    )
    for agreement in rows:
        if acceptance.needs_acceptance(agreement) and not db.session.scalar(
            select(AcceptanceReview.id).where(
                AcceptanceReview.application_id == agreement.application_id
            )
        ):
            return agreement
    return None


def seed(clock: DemoClock, *, log: Callable[[str], None] = print) -> int:
    """Put demo awards into this part's states; return how many records were made."""
    if db.session.scalar(select(AcceptanceReview.id).limit(1)) is not None:
        return 0  # seeded before
    agreement = _candidate()
    officer = find_user_by_email("officer@example.com")
    experts = [find_user_by_email(email) for email in EXPERT_COMMENTS]
    if agreement is None or officer is None or any(e is None for e in experts):
        log("acceptance: no accepted agreement requiring acceptance; nothing to seed")
        return 0
    accepted_on = to_bureau_time(agreement.accepted_at).date() if agreement.accepted_at else None
    start = clock.working_day(-6)
    if accepted_on is not None and start <= accepted_on:
        start = clock.next_working_day(accepted_on)
    if start > clock.today:
        log("acceptance: the demo agreement was accepted too recently; nothing to seed")
        return 0
    clock.set(start, "09:30")
    try:
        review = acceptance.form_panel(agreement, [e.id for e in experts], actor=officer)
    except acceptance.AcceptanceRefused as refused:  # an expert linked to the firm
        log(f"acceptance: no panel for the demo award ({refused.message})")
        return 0
    concluded_on = min(clock.next_working_day(start), clock.today)
    clock.set(concluded_on, "15:00")
    by_expert = {
        a.expert_id: a
        for a in db.session.scalars(
            select(AcceptanceAssignment).where(AcceptanceAssignment.review_id == review.id)
        )
    }
    for email, expert in zip(EXPERT_COMMENTS, experts, strict=True):
        acceptance.submit_conclusion(
            by_expert[expert.id],
            conclusion=AcceptanceOutcome.PASSED,
            score=SCORES[email],
            comments=EXPERT_COMMENTS[email],
            actor=expert,
        )
    clock.set(concluded_on, "16:30")
    acceptance.conclude(
        review,
        outcome=AcceptanceOutcome.PASSED,
        conclusion=CONCLUSION,
        fix_deadline=None,
        proceed_reason="",
        actor=officer,
    )
    document = acceptance_notice.issue_notice(review, actor=officer)
    log(f"acceptance: {document.number} passed for application {agreement.application_id}")
    return 2 + len(experts)
