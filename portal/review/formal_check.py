"""The formal check: an officer passes an application on, returns it, or rejects it as ineligible.

Two officers may act on one application at the same moment. Each action changes the
application row, whose ``lock_version`` (SQLAlchemy's version counter) makes the second write
match no row: the flush raises ``StaleDataError``, which becomes ``ConcurrentChange`` so that
exactly one action wins. A form also carries the version the officer saw, so an action taken on
a page that has gone stale (the firm resubmitted meanwhile) is refused too. Each action runs in
its own savepoint (``core.concurrency.service``): a refused one leaves nothing behind.
"""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l

from portal.applications import lifecycle, services
from portal.applications.models import Application, Status
from portal.core.concurrency import ConcurrentChange as ConcurrentChange  # its refusal
from portal.core.concurrency import check_not_stale, flush_or_refuse, service
from portal.core.domain import DomainError
from portal.core.timeutil import utcnow

CHECKABLE = frozenset({Status.SUBMITTED, Status.FORMAL_CHECK})
TO_EXPERT_REVIEW = "send_to_expert_review"
TO_DECISION = "send_to_decision"
REJECT = "reject"
INELIGIBLE = "ineligible"
REASON_MAX_LENGTH = 2000


class FormalCheckRefused(DomainError):
    pass


# Someone else changed the application between reading and writing it: ``ConcurrentChange``.
CHANGED_MEANWHILE = _l("Another officer has just changed this application; reload it.")


def in_formal_check(application: Application) -> bool:
    return application.status in CHECKABLE


def next_step(application: Application) -> str:
    """Where a passed application goes: expert review when the programme asks for reviewers."""
    return TO_EXPERT_REVIEW if application.program.reviewers_per_application > 0 else TO_DECISION


def check_seen_version(application: Application, seen_lock_version: int | None) -> None:
    """Refuse an action taken on a page showing an older state of the application."""
    check_not_stale(application, seen_lock_version, message=CHANGED_MEANWHILE)


def flush_or_conflict() -> None:
    """Write now, so that a concurrent change surfaces here as a refusal, not at commit."""
    flush_or_refuse(CHANGED_MEANWHILE)


def _require_checkable(application: Application) -> None:
    if not in_formal_check(application):
        raise FormalCheckRefused(
            _l(
                "Only a submitted application can be checked; this one is “%(status)s”.",
                status=application.status.label,
            )
        )


@service
def start_formal_check(
    application: Application, *, actor: Any, seen_lock_version: int | None = None
) -> None:
    """An officer takes a submitted application for the formal check, so that other officers
    and the firm see it is in hand (and since when). Optional: the outcomes below also work
    on a submitted application directly."""
    check_seen_version(application, seen_lock_version)
    if application.status is not Status.SUBMITTED:
        raise FormalCheckRefused(
            _l(
                "The formal check can only start on a submitted application; this one is "
                "“%(status)s”.",
                status=application.status.label,
            )
        )
    lifecycle.transition(application, "start_formal_check", actor=actor)
    flush_or_conflict()


@service
def pass_formal_check(
    application: Application, *, actor: Any, seen_lock_version: int | None = None
) -> str:
    """Send a checked application on (expert review or decision); return the action taken.

    Eligibility is judged again on the figures as submitted: an application that no longer
    meets the conditions must be rejected (or returned), not passed.
    """
    check_seen_version(application, seen_lock_version)
    _require_checkable(application)
    if not services.application_verdict(application).eligible:
        raise FormalCheckRefused(
            _l(
                "The figures in this application do not meet the programme's conditions, so it "
                "cannot pass the formal check. Reject it as ineligible, or return it for changes."
            )
        )
    action = next_step(application)
    details: dict[str, Any] = {}
    if action == TO_EXPERT_REVIEW:
        details["reviewers"] = application.program.reviewers_per_application
    lifecycle.transition(application, action, actor=actor, **details)
    flush_or_conflict()
    return action


@service
def reject_ineligible(
    application: Application,
    reason: str,
    *,
    actor: Any,
    seen_lock_version: int | None = None,
) -> None:
    """Reject at the formal check. Released at once: the firm sees the decision and its reason."""
    reason = (reason or "").strip()
    if not reason:
        raise FormalCheckRefused(
            _l("Say why the application is ineligible; the enterprise will read it."),
            field="reason",
        )
    if len(reason) > REASON_MAX_LENGTH:
        raise FormalCheckRefused(
            _l("Keep the reason under %(count)d characters.", count=REASON_MAX_LENGTH),
            field="reason",
        )
    check_seen_version(application, seen_lock_version)
    _require_checkable(application)
    lifecycle.transition(application, "reject_ineligible", actor=actor, reason=reason)
    now = utcnow()
    application.decision = REJECT
    application.decided_amount = None
    application.decision_reason_code = INELIGIBLE
    application.decision_reason = reason
    application.decided_by_id = getattr(actor, "id", None)
    application.decided_at = now
    application.released_at = now
    flush_or_conflict()


@service
def return_for_changes(
    application: Application,
    sections: list[str],
    reason: str,
    *,
    actor: Any,
    seen_lock_version: int | None = None,
) -> None:
    """The existing return, guarded like the other two actions."""
    check_seen_version(application, seen_lock_version)
    services.return_for_changes(application, sections, reason, actor=actor)
    flush_or_conflict()
