"""The application state machine: one transition table used by every status change.

Every change goes through ``transition``; an illegal move raises ``IllegalTransition``, which
views turn into a clear message; every change is written to the audit trail.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from flask_babel import lazy_gettext as _l

from portal.applications.models import Application, Status
from portal.core import audit
from portal.core.audit import Action
from portal.core.domain import DomainError


@dataclass(frozen=True)
class Transition:
    action: str
    sources: frozenset[Status]
    target: Status

    @property
    def audit_action(self) -> Action:
        """What the audit trail records for it (every transition has its member)."""
        return Action(f"application.{self.action}")


_BEFORE_DECISION = frozenset(
    {
        Status.DRAFT,
        Status.SUBMITTED,
        Status.RETURNED,
        Status.FORMAL_CHECK,
        Status.EXPERT_REVIEW,
        Status.MODERATION,
        Status.DECIDED,  # a decision not yet released is not a decision for the firm
    }
)
_CHECKABLE = frozenset({Status.SUBMITTED, Status.FORMAL_CHECK})

TRANSITIONS: dict[str, Transition] = {
    t.action: t
    for t in (
        # The firm's moves.
        Transition("submit", frozenset({Status.DRAFT}), Status.SUBMITTED),
        Transition("resubmit", frozenset({Status.RETURNED}), Status.SUBMITTED),
        Transition("withdraw", _BEFORE_DECISION, Status.WITHDRAWN),
        # Formal check.
        Transition("start_formal_check", frozenset({Status.SUBMITTED}), Status.FORMAL_CHECK),
        Transition("return_for_changes", _CHECKABLE, Status.RETURNED),
        Transition("reject_ineligible", _CHECKABLE, Status.REJECTED),
        Transition("send_to_expert_review", _CHECKABLE, Status.EXPERT_REVIEW),
        Transition("send_to_decision", _CHECKABLE, Status.DECIDED),  # no expert review
        # Expert review and moderation.
        Transition("reviews_complete", frozenset({Status.EXPERT_REVIEW}), Status.DECIDED),
        Transition("flag_for_moderation", frozenset({Status.EXPERT_REVIEW}), Status.MODERATION),
        Transition(
            "reopen_review",
            frozenset({Status.EXPERT_REVIEW, Status.MODERATION, Status.DECIDED}),
            Status.EXPERT_REVIEW,
        ),
        Transition(
            "add_moderation_reviewer",
            frozenset({Status.MODERATION}),
            Status.EXPERT_REVIEW,
        ),
        Transition("moderate", frozenset({Status.MODERATION}), Status.DECIDED),
        # Release of decisions, publicity, objections.
        Transition("release_approval", frozenset({Status.DECIDED}), Status.PUBLICITY),
        Transition("release_rejection", frozenset({Status.DECIDED}), Status.REJECTED),
        Transition("objection_received", frozenset({Status.PUBLICITY}), Status.ON_HOLD),
        Transition("uphold_objection", frozenset({Status.ON_HOLD}), Status.REJECTED),
        Transition("dismiss_objection", frozenset({Status.ON_HOLD}), Status.PUBLICITY),
        Transition("finish_publicity", frozenset({Status.PUBLICITY}), Status.AWARDED),
    )
}

# Each status's human name (the enum owns it; this mapping is for lookups by status).
STATUS_LABELS = {status: status.label for status in Status}

# Until a decision is released, the firm sees only that its application is under review.
UNDER_REVIEW_FOR_FIRM = frozenset(
    {Status.FORMAL_CHECK, Status.EXPERT_REVIEW, Status.MODERATION, Status.DECIDED}
)
FIRM_LABEL_UNDER_REVIEW = _l("Under review")

EDITABLE_BY_FIRM = frozenset({Status.DRAFT, Status.RETURNED})
ACTIVE = frozenset(Status) - {Status.WITHDRAWN}


class IllegalTransition(DomainError):
    pass


# Statuses in which a decision is final for good: its letter is due.
FINAL_DECISIONS = frozenset({Status.AWARDED, Status.REJECTED})
_on_final: list[Callable[[Application, Any], None]] = []


def on_final_decision(listener: Callable[[Application, Any], None]) -> None:
    """Call ``listener(application, actor)`` whenever a transition makes a decision final."""
    if listener not in _on_final:
        _on_final.append(listener)


def can(application: Application, action: str) -> bool:
    transition = TRANSITIONS[action]
    return application.status in transition.sources


def transition(application: Application, action: str, *, actor: Any, **details: Any) -> None:
    """Move the application through ``action`` or raise IllegalTransition."""
    rule = TRANSITIONS.get(action)
    if rule is None or application.status not in rule.sources:
        raise IllegalTransition(
            _l(
                "This cannot be done while the application is “%(status)s”.",
                status=application.status.label,
            )
        )
    old = application.status
    application.status = rule.target
    audit.record(
        rule.audit_action,
        application,
        actor=actor,
        old=old.value,
        new=rule.target.value,
        **details,
    )
    if rule.target in FINAL_DECISIONS:
        for listener in _on_final:
            listener(application, actor)
