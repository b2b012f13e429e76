"""Notifications: who hears of what, the unread count, marking as read.

Notifications follow the audit trail (``audit.on_record``): when an event a person should hear
of is recorded, a notification row is added for each recipient in the same transaction, and
its mail is queued to go once that transaction commits. Nothing here can fail the change
that caused it: recipients are found without flushing, and the mail goes in a job.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from sqlalchemy import func, select, update

from portal.accounts.models import Role, User
from portal.applications.models import Application
from portal.core.extensions import db
from portal.core.jobs import batch_after_commit
from portal.core.pagination import Page, paginate
from portal.core.timeutil import to_bureau_time, utcnow
from portal.core.urls import path_for
from portal.notifications.models import Notification
from portal.notifications.tasks import send_notification_mails

Handler = Callable[[Any, Any], None]


def notify(user_ids: Iterable[int], kind: str, params: dict[str, Any], link: str) -> None:
    for user_id in dict.fromkeys(user_ids):  # each person once, in order
        notification = Notification(user_id=user_id, kind=kind, params=params, link=link)
        db.session.add(notification)
        batch_after_commit(send_notification_mails, notification)


def _firm_users(enterprise_id: int) -> list[int]:
    with db.session.no_autoflush:
        return list(
            db.session.scalars(
                select(User.id).where(
                    User.enterprise_id == enterprise_id, User.disabled_at.is_(None)
                )
            )
        )


def _officers() -> list[int]:
    with db.session.no_autoflush:
        return list(
            db.session.scalars(
                select(User.id).where(User.role == Role.OFFICER, User.disabled_at.is_(None))
            )
        )


def _about(application) -> dict[str, Any]:
    program = application.program
    return {
        "reference": application.reference,
        "program_zh": program.name_zh,
        "program_en": program.name_en,
    }


def _application_link(application) -> str:
    return path_for("applications.show", application_id=application.id)


def _to_firm(kind: str, extra: Callable[[Any, Any], dict[str, Any]] | None = None) -> Handler:
    def handle(event, application) -> None:
        params = {**_about(application), **(extra(event, application) if extra else {})}
        notify(_firm_users(application.enterprise_id), kind, params, _application_link(application))

    return handle


def _submitted_at(_event, application) -> dict[str, Any]:
    when = application.last_submitted_at or utcnow()
    return {"time": f"{to_bureau_time(when):%Y-%m-%d %H:%M}"}


def _returned(event, _application) -> dict[str, Any]:
    return {
        "sections": event.summary.get("sections", []),
        "reason": event.summary.get("reason", ""),
    }


def _reviewer_assigned(event, application) -> None:
    due = event.summary.get("due_at")
    params = {**_about(application), "due": due[:10] if due else ""}
    notify([event.summary["reviewer_id"]], "reviewer_assigned", params, path_for("reviewer.queue"))


def _approved(_event, application) -> dict[str, Any]:
    ends = application.publicity_ends_on
    return {
        "amount": str(application.decided_amount),
        "publicity_ends_on": ends.isoformat() if ends else "",
        "publicity_link": path_for("publicity.index"),
    }


def _final(_event, application) -> dict[str, Any]:
    return {"amount": str(application.decided_amount)}


def _next_after_formal_check(next_stage: str) -> Callable[[Any, Any], dict[str, Any]]:
    def extra(_event, _application) -> dict[str, Any]:
        return {"next": next_stage}

    return extra


def _already_told(user_ids: list[int], kind: str, link: str) -> bool:
    """Whether these people already have a ``kind`` notification pointing at ``link``."""
    if not user_ids:
        return False
    with db.session.no_autoflush:
        return (
            db.session.scalar(
                select(Notification.id)
                .where(
                    Notification.user_id.in_(user_ids),
                    Notification.kind == kind,
                    Notification.link == link,
                )
                .limit(1)
            )
            is not None
        )


def _review_completed(_event, application) -> None:
    # A reopened review ends a second time; for the firm the expert review ended once.
    users, link = _firm_users(application.enterprise_id), _application_link(application)
    if not _already_told(users, "review_completed", link):
        notify(users, "review_completed", _about(application), link)


def _letter(kind: str) -> Handler:
    def handle(event, application) -> None:
        summary = event.summary
        params = {
            **_about(application),
            "number": summary["number"],
            "approved": summary.get("kind") == "approval",
            "amount": summary.get("amount") or str(application.decided_amount or ""),
            "supersedes": summary.get("supersedes", ""),
            "reason": summary.get("reason", ""),
        }
        link = path_for("letters.download", letter_id=summary["letter_id"], lang="zh")
        notify(_firm_users(application.enterprise_id), kind, params, link)

    return handle


def _objection(event, objection) -> None:
    with db.session.no_autoflush:
        application = db.session.get(Application, event.summary["application_id"])
        params = {**_about(application), "firm": application.enterprise.name}
    notify(_officers(), "objection_received", params, path_for("decisions.objections"))


def _sign_off_requested(event, proposal) -> None:
    """Every active approver but the proposer learns that a proposal awaits their sign-off."""
    from portal.programs.models import Program

    with db.session.no_autoflush:
        program = db.session.get(Program, proposal.program_id)
        approvers = list(
            db.session.scalars(
                select(User.id).where(
                    User.role == Role.APPROVER,
                    User.disabled_at.is_(None),
                    User.id != proposal.proposed_by_id,
                )
            )
        )
    params = {
        "kind": proposal.kind.value,
        "program_zh": program.name_zh if program else "",
        "program_en": program.name_en if program else "",
        "reference": event.summary.get("reference", ""),
    }
    link = path_for("sign_off.show", proposal_id=proposal.id)
    notify(approvers, "sign_off_requested", params, link)


HANDLERS: dict[str, Handler] = {
    "application.submit": _to_firm("submitted", _submitted_at),
    "application.resubmit": _to_firm("resubmitted", _submitted_at),
    "application.return_for_changes": _to_firm("returned", _returned),
    "review.assigned": _reviewer_assigned,
    # Passing the formal check: on to expert review, or straight to the decision.
    "application.send_to_expert_review": _to_firm(
        "formal_check_passed", _next_after_formal_check("expert_review")
    ),
    "application.send_to_decision": _to_firm(
        "formal_check_passed", _next_after_formal_check("decision")
    ),
    # The expert review ends: every review in, or the moderator's score after a flag.
    "application.reviews_complete": _review_completed,
    "application.moderate": _review_completed,
    "application.release_approval": _to_firm("approved_in_publicity", _approved),
    "application.finish_publicity": _to_firm("award_final", _final),
    "letter.issued": _letter("letter_issued"),
    "letter.reissued": _letter("letter_reissued"),
    "publicity.objection_received": _objection,
    "sign_off.proposed": _sign_off_requested,
}


def on_audit_event(event, obj) -> None:
    handler = HANDLERS.get(event.action)
    if handler is not None and obj is not None:
        handler(event, obj)


# --- reading ----------------------------------------------------------------------------------


def unread_count(user_id: int) -> int:
    return db.session.scalar(
        select(func.count(Notification.id)).where(
            Notification.user_id == user_id, Notification.read_at.is_(None)
        )
    )


def page_of(user_id: int, page: int) -> Page:
    return paginate(
        select(Notification)
        .where(Notification.user_id == user_id)
        .order_by(Notification.id.desc()),
        page=page,
    )


def mark_read(user_id: int, notification_id: int | None = None) -> int:
    """Mark one (or every) unread notification of the user as read; return how many."""
    query = update(Notification).where(
        Notification.user_id == user_id, Notification.read_at.is_(None)
    )
    if notification_id is not None:
        query = query.where(Notification.id == notification_id)
    return db.session.execute(
        query.values(read_at=utcnow()).execution_options(synchronize_session=False)
    ).rowcount
