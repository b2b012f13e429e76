"""The append-only event log.

Rows are only ever inserted: the ORM refuses to flush an update or delete of an audit row, and
the migration installs database triggers that refuse them too.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from flask import has_request_context, request
from sqlalchemy import JSON, ForeignKey, Index, Integer, String, event
from sqlalchemy.orm import Mapped, Session, mapped_column

from portal.core.extensions import db
from portal.core.timeutil import UTCDateTime, utcnow


class AuditEvent(db.Model):
    __tablename__ = "audit_events"
    __table_args__ = (
        Index("ix_audit_events_object", "object_type", "object_id"),
        Index("ix_audit_events_application", "application_id", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    occurred_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, index=True)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    action: Mapped[str] = mapped_column(String(64), index=True)
    object_type: Mapped[str] = mapped_column(String(64))
    object_id: Mapped[str | None] = mapped_column(String(64))
    summary: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    ip_address: Mapped[str | None] = mapped_column(String(45))
    # The application the event is about, recorded on it or on one of its assignments,
    # objections or letters: an application's timeline reads one index range.
    application_id: Mapped[int | None] = mapped_column(Integer)


class AuditLogIsAppendOnly(RuntimeError):
    pass


@event.listens_for(Session, "before_flush")
def _refuse_audit_changes(session: Session, _context, _instances) -> None:
    for obj in list(session.dirty) + list(session.deleted):
        if isinstance(obj, AuditEvent):
            raise AuditLogIsAppendOnly("audit events cannot be changed or deleted")


def record(
    action: str,
    obj: Any = None,
    *,
    actor: Any = None,
    object_type: str | None = None,
    object_id: Any = None,
    **summary: Any,
) -> AuditEvent:
    """Add an audit event to the current unit of work; it commits (or not) with the request."""
    if obj is not None:
        if getattr(obj, "id", None) is None:
            db.session.flush()  # a new object needs its id before we can point at it
        object_type = object_type or obj.__tablename__
        object_id = object_id if object_id is not None else getattr(obj, "id", None)
    if actor is None and has_request_context():
        from flask_login import current_user

        if current_user and current_user.is_authenticated:
            actor = current_user
    event_row = AuditEvent(
        action=action,
        actor_id=getattr(actor, "id", None),
        object_type=object_type or "system",
        object_id=None if object_id is None else str(object_id),
        summary=summary,
        ip_address=request.remote_addr if has_request_context() else None,
        application_id=_application_of(object_type, object_id, summary),
    )
    db.session.add(event_row)
    for listener in _listeners:
        listener(event_row, obj)
    return event_row


def _application_of(object_type: str | None, object_id: Any, summary: dict[str, Any]) -> int | None:
    if object_type == "applications" and object_id is not None:
        return int(object_id)
    value = summary.get("application_id")
    return value if isinstance(value, int) and not isinstance(value, bool) else None


# Called with (event, object) for every event recorded: notifications follow the audit trail,
# so that every change a person should hear of is announced from one place.
_listeners: list[Any] = []


def on_record(listener) -> None:
    if listener not in _listeners:
        _listeners.append(listener)


def _labels() -> dict[str, Any]:
    from flask_babel import lazy_gettext as _l

    return {
        "account.registered": _l("Enterprise registered"),
        "account.signed_in": _l("Signed in"),
        "account.signed_out": _l("Signed out"),
        "account.sign_in_failed": _l("Failed sign-in"),
        "account.sign_in_refused": _l("Sign-in refused"),
        "account.locked": _l("Account locked"),
        "account.password_changed": _l("Password changed"),
        "account.disabled": _l("Account disabled"),
        "account.enabled": _l("Account enabled"),
        "staff.created": _l("Staff account created"),
        "staff.role_changed": _l("Role changed"),
        "profile.updated": _l("Profile updated"),
        "program.created": _l("Programme created"),
        "program.updated": _l("Programme changed"),
        "application.started": _l("Application started"),
        "application.section_saved": _l("Section saved"),
        "application.document_uploaded": _l("Document uploaded"),
        "application.submit": _l("Submitted"),
        "application.resubmit": _l("Resubmitted"),
        "application.withdraw": _l("Withdrawn"),
        "application.return_for_changes": _l("Returned for changes"),
        "application.start_formal_check": _l("Formal check started"),
        "application.reject_ineligible": _l("Rejected as ineligible"),
        "application.send_to_expert_review": _l("Sent to expert review"),
        "application.send_to_decision": _l("Sent for decision"),
        "application.reviews_complete": _l("Reviews complete"),
        "application.flag_for_moderation": _l("Flagged for moderation"),
        "application.reopen_review": _l("Review reopened"),
        "application.add_moderation_reviewer": _l("Moderation reviewer added"),
        "application.moderate": _l("Moderated"),
        "application.release_approval": _l("Approval released"),
        "application.release_rejection": _l("Rejection released"),
        "application.objection_received": _l("Objection received"),
        "application.uphold_objection": _l("Objection upheld"),
        "application.dismiss_objection": _l("Objection dismissed"),
        "application.finish_publicity": _l("Publicity ended: award final"),
        "review.draft_saved": _l("Review draft saved"),
        "review.submitted": _l("Review submitted"),
        "review.declined": _l("Assignment declined"),
        "review.reopened": _l("Review reopened"),
        "review.assigned": _l("Reviewer assigned"),
        "review.unassigned": _l("Reviewer unassigned"),
        "review.auto_assigned": _l("Reviewers assigned automatically"),
        "review.moderated": _l("Moderator's score recorded"),
        "reviewer.profile_updated": _l("Reviewer profile updated"),
        "decision.recorded": _l("Decision recorded (not yet released)"),
        "decision.released": _l("Decisions released"),
        "publicity.objection_received": _l("Objection received"),
        "publicity.objection_upheld": _l("Objection upheld"),
        "publicity.objection_dismissed": _l("Objection dismissed"),
        "publicity.advanced": _l("Publicity periods ended"),
        "account.password_reset_requested": _l("Password reset asked for"),
        "account.password_reset": _l("Password reset by email"),
        "export.downloaded": _l("Export downloaded"),
        "letter.issued": _l("Decision letter issued"),
        "letter.reissued": _l("Decision letter reissued"),
        "letter.export_requested": _l("Letters export requested"),
        "letter.export_finished": _l("Letters export finished"),
        "letter.export_interrupted": _l("Letters export found interrupted"),
        "files.swept": _l("Unreferenced files swept"),
    }


def action_label(action: str) -> str:
    """The human name of an audit action, in the current language (the code if unnamed)."""
    return str(_labels().get(action, action))
