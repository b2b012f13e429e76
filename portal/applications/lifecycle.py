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
from portal.core.domain import DomainError

FIRM = "firm"
STAFF = "staff"


@dataclass(frozen=True)
class Transition:
    action: str
    sources: frozenset[Status]
    target: Status
    by: str  # who may trigger it: FIRM or STAFF


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
        Transition("submit", frozenset({Status.DRAFT}), Status.SUBMITTED, FIRM),
        Transition("resubmit", frozenset({Status.RETURNED}), Status.SUBMITTED, FIRM),
        Transition("withdraw", _BEFORE_DECISION, Status.WITHDRAWN, FIRM),
        # Formal check.
        Transition("start_formal_check", frozenset({Status.SUBMITTED}), Status.FORMAL_CHECK, STAFF),
        Transition("return_for_changes", _CHECKABLE, Status.RETURNED, STAFF),
        Transition("reject_ineligible", _CHECKABLE, Status.REJECTED, STAFF),
        Transition("send_to_expert_review", _CHECKABLE, Status.EXPERT_REVIEW, STAFF),
        Transition("send_to_decision", _CHECKABLE, Status.DECIDED, STAFF),  # no expert review
        # Expert review and moderation.
        Transition("reviews_complete", frozenset({Status.EXPERT_REVIEW}), Status.DECIDED, STAFF),
        Transition(
            "flag_for_moderation", frozenset({Status.EXPERT_REVIEW}), Status.MODERATION, STAFF
        ),
        Transition(
            "reopen_review",
            frozenset({Status.EXPERT_REVIEW, Status.MODERATION, Status.DECIDED}),
            Status.EXPERT_REVIEW,
            STAFF,
        ),
        Transition(
            "add_moderation_reviewer",
            frozenset({Status.MODERATION}),
            Status.EXPERT_REVIEW,
            STAFF,
        ),
        Transition("moderate", frozenset({Status.MODERATION}), Status.DECIDED, STAFF),
        # Release of decisions, publicity, objections.
        Transition("release_approval", frozenset({Status.DECIDED}), Status.PUBLICITY, STAFF),
        Transition("release_rejection", frozenset({Status.DECIDED}), Status.REJECTED, STAFF),
        Transition("objection_received", frozenset({Status.PUBLICITY}), Status.ON_HOLD, STAFF),
        Transition("uphold_objection", frozenset({Status.ON_HOLD}), Status.REJECTED, STAFF),
        Transition("dismiss_objection", frozenset({Status.ON_HOLD}), Status.PUBLICITY, STAFF),
        Transition("finish_publicity", frozenset({Status.PUBLICITY}), Status.AWARDED, STAFF),
    )
}

STATUS_LABELS = {
    Status.DRAFT: _l("Draft"),
    Status.SUBMITTED: _l("Submitted"),
    Status.RETURNED: _l("Returned for changes"),
    Status.FORMAL_CHECK: _l("Formal check"),
    Status.EXPERT_REVIEW: _l("Expert review"),
    Status.MODERATION: _l("Moderation"),
    Status.DECIDED: _l("Awaiting decision"),
    Status.APPROVED: _l("Approved"),
    Status.PUBLICITY: _l("In publicity"),
    Status.ON_HOLD: _l("On hold: objection under review"),
    Status.AWARDED: _l("Awarded"),
    Status.REJECTED: _l("Rejected"),
    Status.WITHDRAWN: _l("Withdrawn"),
}

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
                status=STATUS_LABELS[application.status],
            )
        )
    old = application.status
    application.status = rule.target
    audit.record(
        f"application.{action}",
        application,
        actor=actor,
        old=old.value,
        new=rule.target.value,
        **details,
    )
    if rule.target in FINAL_DECISIONS:
        for listener in _on_final:
            listener(application, actor)
