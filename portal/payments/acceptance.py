"""Acceptance (验收) of an award whose agreement asks for it: the officer forms a panel from the
expert pool (an expert in conflict with the firm, by USCC or declared, is never offered and
never accepted), each expert concludes 通过 / 限期整改 / 不通过 with comments, and the officer
concludes the round (for 限期整改 with a deadline), then issues the acceptance notice
(``acceptance_notice``).

Only an award whose agreement is accepted and whose terms require acceptance gets a round. A
round concluded 限期整改 may be followed by a new round; a passed or failed award has none.
The conclusion is recorded as ``Action.ACCEPTANCE_CONCLUDED`` with ``{"application_id",
"outcome"}``: the payments part follows it to make the acceptance tranche due.

Services lock the row they change first and flush; the request commits.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select

from portal.accounts.models import Enterprise, Role, User
from portal.applications.models import Application
from portal.core import audit
from portal.core.audit import Action
from portal.core.concurrency import check_not_stale, flush_or_refuse, lock_row, service
from portal.core.domain import DomainError
from portal.core.extensions import db
from portal.core.timeutil import bureau_today, utcnow
from portal.core.urls import path_for
from portal.notifications.services import notify
from portal.payments import acceptance_rules as rules
from portal.payments.acceptance_models import (
    AcceptanceAssignment,
    AcceptanceOutcome,
    AcceptanceReview,
    AcceptanceStatus,
)
from portal.payments.acceptance_rules import Candidate
from portal.payments.models import Agreement, AgreementStatus
from portal.payments.plan import PlanTerms
from portal.review.reviewer_pool import (
    active_reviewers,
    conflicts_of,
    open_loads,
    profiles_of,
)


class AcceptanceRefused(DomainError):
    pass


# --- reading ------------------------------------------------------------------------------


def needs_acceptance(agreement: Agreement) -> bool:
    """Whether the agreement, as offered, asks for acceptance (later plan edits never matter)."""
    return PlanTerms.from_json(agreement.terms or {}).acceptance_required


def rounds_of(application_id: int) -> list[AcceptanceReview]:
    """Every round of an award, the first first."""
    return list(
        db.session.scalars(
            select(AcceptanceReview)
            .where(AcceptanceReview.application_id == application_id)
            .order_by(AcceptanceReview.id)
        )
    )


def latest_round(application_id: int) -> AcceptanceReview | None:
    return db.session.scalar(
        select(AcceptanceReview)
        .where(AcceptanceReview.application_id == application_id)
        .order_by(AcceptanceReview.id.desc())
        .limit(1)
    )


def panel_of(review_id: int) -> list[AcceptanceAssignment]:
    return list(
        db.session.scalars(
            select(AcceptanceAssignment)
            .where(AcceptanceAssignment.review_id == review_id)
            .order_by(AcceptanceAssignment.id)
        )
    )


def why_no_panel(agreement: Agreement, latest: AcceptanceReview | None) -> Any | None:
    """Why a (new) panel cannot be formed for this award, or None when it can."""
    if agreement.status is not AgreementStatus.ACCEPTED:
        return _l("The firm has not accepted the funding agreement yet.")
    if not needs_acceptance(agreement):
        return _l("This award's agreement does not require acceptance.")
    if latest is None:
        return None
    if latest.status is AcceptanceStatus.PANEL_FORMED:
        return _l("A panel is already formed for this award: conclude its round first.")
    if latest.outcome is AcceptanceOutcome.FIX and latest.document_id is None:
        return _l("Issue the notice of the last round before forming a new panel.")
    if latest.outcome is not AcceptanceOutcome.FIX:
        return _l("This award's acceptance is concluded.")
    return None


def acceptance_loads(expert_ids: Sequence[int] | None = None) -> dict[int, int]:
    """Acceptance panels waiting for each expert's conclusion (one query)."""
    query = (
        select(AcceptanceAssignment.expert_id, func.count())
        .join(AcceptanceReview, AcceptanceReview.id == AcceptanceAssignment.review_id)
        .where(
            AcceptanceReview.status == AcceptanceStatus.PANEL_FORMED,
            AcceptanceAssignment.submitted_at.is_(None),
        )
        .group_by(AcceptanceAssignment.expert_id)
    )
    if expert_ids is not None:
        query = query.where(AcceptanceAssignment.expert_id.in_(list(expert_ids)))
    return dict(db.session.execute(query).all())


def candidates(enterprise: Enterprise) -> tuple[list[Candidate], int]:
    """The experts the officer may put on a panel for this firm, with their expertise and open
    work, and how many active experts are left out for a conflict with the firm (by its USCC
    or declared). Five queries whatever the size of the pool."""
    experts = active_reviewers()
    ids = [expert.id for expert in experts]
    profiles = profiles_of(ids)
    conflicts = conflicts_of(ids, profiles)
    reviews = open_loads(ids)
    acceptances = acceptance_loads(ids)
    offered: list[Candidate] = []
    excluded = 0
    for expert in experts:
        if conflicts[expert.id].with_firm(enterprise.id, enterprise.uscc) is not None:
            excluded += 1
            continue
        profile = profiles.get(expert.id)
        offered.append(
            Candidate(
                id=expert.id,
                name=expert.display_name,
                expertise=tuple(profile.expertise or []) if profile else (),
                review_load=reviews.get(expert.id, 0),
                acceptance_load=acceptances.get(expert.id, 0),
            )
        )
    return offered, excluded


# --- forming a panel ----------------------------------------------------------------------


def _check_experts(enterprise: Enterprise, expert_ids: Sequence[int]) -> None:
    """Refuse a panel with anyone not offered: not an active expert, or in conflict."""
    users = {
        user.id: user for user in db.session.scalars(select(User).where(User.id.in_(expert_ids)))
    }
    conflicts = conflicts_of(expert_ids)
    problems: list[str] = []
    for expert_id in expert_ids:
        user = users.get(expert_id)
        if user is None or user.role is not Role.REVIEWER or not user.is_active:
            problems.append(str(_l("Choose experts from the list.")))
        elif conflicts[expert_id].with_firm(enterprise.id, enterprise.uscc) is not None:
            problems.append(
                str(
                    _l(
                        "%(name)s is in conflict with %(firm)s and cannot be on its panel.",
                        name=user.display_name,
                        firm=enterprise.name,
                    )
                )
            )
    if problems:
        raise AcceptanceRefused(" ".join(dict.fromkeys(problems)), field="expert_ids")


@service
def form_panel(agreement: Agreement, expert_ids: Sequence[int], *, actor: Any) -> AcceptanceReview:
    """Form the next round's panel of the award with the chosen experts (3 to 9)."""
    agreement = lock_row(Agreement, agreement.id)
    chosen = list(dict.fromkeys(int(i) for i in expert_ids))
    latest = latest_round(agreement.application_id)
    reason = why_no_panel(agreement, latest)
    if reason is not None:
        raise AcceptanceRefused(reason)
    if not rules.panel_size_ok(len(chosen)):
        raise AcceptanceRefused(
            _l(
                "Choose from %(low)d to %(high)d experts.",
                low=rules.MIN_PANEL,
                high=rules.MAX_PANEL,
            ),
            field="expert_ids",
        )
    enterprise = db.session.get(Enterprise, agreement.enterprise_id)
    _check_experts(enterprise, chosen)
    review = AcceptanceReview(
        agreement_id=agreement.id,
        application_id=agreement.application_id,
        program_id=agreement.program_id,
        enterprise_id=agreement.enterprise_id,
        round=(latest.round + 1) if latest is not None else 1,
        status=AcceptanceStatus.PANEL_FORMED,
        formed_at=utcnow(),
        formed_by_id=getattr(actor, "id", None),
        conclusion="",
        proceed_reason="",
    )
    db.session.add(review)
    db.session.flush()
    for expert_id in chosen:
        db.session.add(AcceptanceAssignment(review_id=review.id, expert_id=expert_id, comments=""))
    db.session.flush()
    audit.record(
        Action.ACCEPTANCE_PANEL_FORMED,
        review,
        actor=actor,
        application_id=review.application_id,
        round=review.round,
        expert_ids=chosen,
    )
    application = db.session.get(Application, review.application_id)
    program = application.program
    notify(
        chosen,
        "acceptance_assigned",
        {
            "reference": application.reference,
            "program_zh": program.name_zh,
            "program_en": program.name_en,
            "firm": enterprise.name,
        },
        path_for("acceptance_panel.index"),
    )
    return review


def form_panel_by_load(agreement: Agreement, size: int, *, actor: Any) -> AcceptanceReview:
    """Form the panel with the ``size`` offered experts who have the least open work."""
    enterprise = db.session.get(Enterprise, agreement.enterprise_id)
    offered, _excluded = candidates(enterprise)
    if len(offered) < size:
        raise AcceptanceRefused(
            _l(
                "Only %(count)d experts can be offered for this firm: choose them by hand or "
                "ask the administrator for more.",
                count=len(offered),
            ),
            field="panel_size",
        )
    return form_panel(agreement, rules.pick_by_load(offered, size), actor=actor)


# --- an expert concludes ------------------------------------------------------------------


@service
def submit_conclusion(
    assignment: AcceptanceAssignment,
    *,
    conclusion: AcceptanceOutcome,
    score: int | None,
    comments: str,
    actor: Any,
) -> AcceptanceAssignment:
    """Record (or change, while the round is open) an expert's conclusion."""
    review = lock_row(AcceptanceReview, assignment.review_id)
    if review.status is not AcceptanceStatus.PANEL_FORMED:
        raise AcceptanceRefused(_l("The officer has concluded this round: it cannot change."))
    comments = (comments or "").strip()
    if not comments:
        raise AcceptanceRefused(
            _l("Write your comments: the officer and the notice rely on them."), field="comments"
        )
    if score is not None and not rules.score_in_range(score):
        raise AcceptanceRefused(_l("Enter a score from 0 to 100, or none."), field="score")
    assignment.conclusion = conclusion
    assignment.score = score
    assignment.comments = comments
    assignment.submitted_at = utcnow()
    db.session.flush()
    audit.record(
        Action.ACCEPTANCE_SCORED,
        review,
        actor=actor,
        application_id=review.application_id,
        assignment_id=assignment.id,
        conclusion=conclusion.value,
        score=score,
    )
    return assignment


# --- the officer concludes ----------------------------------------------------------------


@service
def conclude(
    review: AcceptanceReview,
    *,
    outcome: AcceptanceOutcome,
    conclusion: str,
    fix_deadline: date | None,
    proceed_reason: str,
    actor: Any,
    seen_version: int | None = None,
) -> AcceptanceReview:
    """Conclude the round. Every expert must have concluded, or the officer says in writing
    why the round is concluded without the rest."""
    check_not_stale(review, seen_version)
    review = lock_row(AcceptanceReview, review.id)
    check_not_stale(review, seen_version)
    if review.status is not AcceptanceStatus.PANEL_FORMED:
        raise AcceptanceRefused(_l("This round is already concluded."))
    conclusion = (conclusion or "").strip()
    proceed_reason = (proceed_reason or "").strip()
    if not conclusion:
        raise AcceptanceRefused(
            _l("Write the panel's conclusion: it is printed on the notice."), field="conclusion"
        )
    panel = panel_of(review.id)
    given = [a for a in panel if a.submitted_at is not None]
    if not given:
        raise AcceptanceRefused(_l("No expert has concluded yet: wait for the panel."))
    if len(given) < len(panel) and not proceed_reason:
        raise AcceptanceRefused(
            _l(
                "%(missing)d of %(total)d experts have not concluded: wait for them or say why "
                "you conclude without them.",
                missing=len(panel) - len(given),
                total=len(panel),
            ),
            field="proceed_reason",
        )
    if outcome is AcceptanceOutcome.FIX:
        earliest, latest = rules.fix_deadline_bounds(bureau_today())
        if fix_deadline is None or not rules.fix_deadline_ok(fix_deadline, bureau_today()):
            raise AcceptanceRefused(
                _l(
                    "Give the deadline to fix the project: from %(earliest)s to %(latest)s.",
                    earliest=earliest.isoformat(),
                    latest=latest.isoformat(),
                ),
                field="fix_deadline",
            )
    else:
        fix_deadline = None
    review.status = AcceptanceStatus.CONCLUDED
    review.outcome = outcome
    review.fix_deadline = fix_deadline
    review.conclusion = conclusion
    review.proceed_reason = proceed_reason if len(given) < len(panel) else ""
    review.concluded_at = utcnow()
    review.concluded_by_id = getattr(actor, "id", None)
    flush_or_refuse()
    # Exactly this summary: the payments part reads it to make the acceptance tranche due.
    audit.record(
        Action.ACCEPTANCE_CONCLUDED,
        review,
        actor=actor,
        application_id=review.application_id,
        outcome=outcome.value,
    )
    return review
