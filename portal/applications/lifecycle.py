"""The application state machine: one transition table used by every status change.

Every change goes through ``transition``; an illegal move raises ``IllegalTransition``, which
views turn into a clear message; every change is written to the audit trail.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from flask_babel import lazy_gettext as _l

from portal import audit
from portal.applications.models import Application, Status
from portal.domain import DomainError

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
    }
)

TRANSITIONS: dict[str, Transition] = {
    t.action: t
    for t in (
        Transition("submit", frozenset({Status.DRAFT}), Status.SUBMITTED, FIRM),
        Transition("resubmit", frozenset({Status.RETURNED}), Status.SUBMITTED, FIRM),
        Transition("withdraw", _BEFORE_DECISION, Status.WITHDRAWN, FIRM),
        Transition(
            "return_for_changes",
            frozenset({Status.SUBMITTED, Status.FORMAL_CHECK}),
            Status.RETURNED,
            STAFF,
        ),
        Transition("start_formal_check", frozenset({Status.SUBMITTED}), Status.FORMAL_CHECK, STAFF),
        Transition(
            "reject_ineligible",
            frozenset({Status.SUBMITTED, Status.FORMAL_CHECK}),
            Status.REJECTED,
            STAFF,
        ),
        Transition(
            "send_to_expert_review",
            frozenset({Status.FORMAL_CHECK}),
            Status.EXPERT_REVIEW,
            STAFF,
        ),
        Transition("send_to_decision", frozenset({Status.FORMAL_CHECK}), Status.DECIDED, STAFF),
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
    Status.AWARDED: _l("Awarded"),
    Status.REJECTED: _l("Rejected"),
    Status.WITHDRAWN: _l("Withdrawn"),
}

# Statuses a firm may see as such; until decisions are released it sees "under review".
EDITABLE_BY_FIRM = frozenset({Status.DRAFT, Status.RETURNED})
ACTIVE = frozenset(Status) - {Status.WITHDRAWN}


class IllegalTransition(DomainError):
    pass


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
