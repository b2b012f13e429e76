"""The append-only event log.

Rows are only ever inserted: the ORM refuses to flush an update or delete of an audit row, and
the migration installs database triggers that refuse them too.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from flask import has_request_context, request
from flask_babel import lazy_gettext as _l
from sqlalchemy import JSON, ForeignKey, Index, Integer, String, event
from sqlalchemy.orm import Mapped, Session, mapped_column

from portal.core.extensions import Model, db
from portal.core.labels import LabelledEnum
from portal.core.timeutil import UTCDateTime, utcnow


class Action(LabelledEnum):
    """Every kind of event the audit trail records, with its human name. A new kind of event
    is a new member here: ``record`` takes only these, so no event goes unnamed."""

    ACCOUNT_REGISTERED = "account.registered", _l("Enterprise registered")
    ACCOUNT_CONFIRMED = "account.confirmed", _l("Registration confirmed by email")
    ACCOUNT_REGISTRATION_REPEATED = (
        "account.registration_repeated",
        _l("Registration tried with an address in use"),
    )
    ACCOUNT_SIGNED_IN = "account.signed_in", _l("Signed in")
    ACCOUNT_SIGNED_OUT = "account.signed_out", _l("Signed out")
    ACCOUNT_SIGN_IN_FAILED = "account.sign_in_failed", _l("Failed sign-in")
    ACCOUNT_SIGN_IN_REFUSED = "account.sign_in_refused", _l("Sign-in refused")
    ACCOUNT_LOCKED = "account.locked", _l("Account locked")
    ACCOUNT_PASSWORD_CHANGED = "account.password_changed", _l("Password changed")
    ACCOUNT_DISABLED = "account.disabled", _l("Account disabled")
    ACCOUNT_ENABLED = "account.enabled", _l("Account enabled")
    STAFF_CREATED = "staff.created", _l("Staff account created")
    STAFF_ROLE_CHANGED = "staff.role_changed", _l("Role changed")
    PROFILE_UPDATED = "profile.updated", _l("Profile updated")
    PROGRAM_CREATED = "program.created", _l("Programme created")
    PROGRAM_UPDATED = "program.updated", _l("Programme changed")
    APPLICATION_STARTED = "application.started", _l("Application started")
    APPLICATION_SECTION_SAVED = "application.section_saved", _l("Section saved")
    APPLICATION_DOCUMENT_UPLOADED = "application.document_uploaded", _l("Document uploaded")
    APPLICATION_SUBMIT = "application.submit", _l("Submitted")
    APPLICATION_RESUBMIT = "application.resubmit", _l("Resubmitted")
    APPLICATION_WITHDRAW = "application.withdraw", _l("Withdrawn")
    APPLICATION_RETURN_FOR_CHANGES = "application.return_for_changes", _l("Returned for changes")
    APPLICATION_START_FORMAL_CHECK = "application.start_formal_check", _l("Formal check started")
    APPLICATION_REJECT_INELIGIBLE = "application.reject_ineligible", _l("Rejected as ineligible")
    APPLICATION_SEND_TO_EXPERT_REVIEW = (
        "application.send_to_expert_review",
        _l("Sent to expert review"),
    )
    APPLICATION_SEND_TO_DECISION = "application.send_to_decision", _l("Sent for decision")
    APPLICATION_REVIEWS_COMPLETE = "application.reviews_complete", _l("Reviews complete")
    APPLICATION_FLAG_FOR_MODERATION = (
        "application.flag_for_moderation",
        _l("Flagged for moderation"),
    )
    APPLICATION_REOPEN_REVIEW = "application.reopen_review", _l("Review reopened")
    APPLICATION_ADD_MODERATION_REVIEWER = (
        "application.add_moderation_reviewer",
        _l("Moderation reviewer added"),
    )
    APPLICATION_MODERATE = "application.moderate", _l("Moderated")
    APPLICATION_RELEASE_APPROVAL = "application.release_approval", _l("Approval released")
    APPLICATION_RELEASE_REJECTION = "application.release_rejection", _l("Rejection released")
    APPLICATION_OBJECTION_RECEIVED = "application.objection_received", _l("Objection received")
    APPLICATION_UPHOLD_OBJECTION = "application.uphold_objection", _l("Objection upheld")
    APPLICATION_DISMISS_OBJECTION = "application.dismiss_objection", _l("Objection dismissed")
    APPLICATION_FINISH_PUBLICITY = (
        "application.finish_publicity",
        _l("Publicity ended: award final"),
    )
    REVIEW_DRAFT_SAVED = "review.draft_saved", _l("Review draft saved")
    REVIEW_SUBMITTED = "review.submitted", _l("Review submitted")
    REVIEW_DECLINED = "review.declined", _l("Assignment declined")
    REVIEW_REOPENED = "review.reopened", _l("Review reopened")
    REVIEW_ASSIGNED = "review.assigned", _l("Reviewer assigned")
    REVIEW_UNASSIGNED = "review.unassigned", _l("Reviewer unassigned")
    REVIEW_AUTO_ASSIGNED = "review.auto_assigned", _l("Reviewers assigned automatically")
    REVIEW_MODERATED = "review.moderated", _l("Moderator's score recorded")
    REVIEWER_PROFILE_UPDATED = "reviewer.profile_updated", _l("Reviewer profile updated")
    DECISION_RECORDED = "decision.recorded", _l("Decision recorded (not yet released)")
    DECISION_RELEASED = "decision.released", _l("Decisions released")
    PUBLICITY_OBJECTION_RECEIVED = "publicity.objection_received", _l("Objection received")
    PUBLICITY_OBJECTION_UPHELD = "publicity.objection_upheld", _l("Objection upheld")
    PUBLICITY_OBJECTION_DISMISSED = "publicity.objection_dismissed", _l("Objection dismissed")
    PUBLICITY_ADVANCED = "publicity.advanced", _l("Publicity periods ended")
    ACCOUNT_PASSWORD_RESET_REQUESTED = (
        "account.password_reset_requested",
        _l("Password reset asked for"),
    )
    ACCOUNT_PASSWORD_RESET = "account.password_reset", _l("Password reset by email")
    EXPORT_DOWNLOADED = "export.downloaded", _l("Export downloaded")
    LETTER_ISSUED = "letter.issued", _l("Decision letter issued")
    LETTER_REISSUED = "letter.reissued", _l("Decision letter reissued")
    LETTER_EXPORT_REQUESTED = "letter.export_requested", _l("Letters export requested")
    LETTER_EXPORT_FINISHED = "letter.export_finished", _l("Letters export finished")
    LETTER_EXPORT_INTERRUPTED = "letter.export_interrupted", _l("Letters export found interrupted")
    FILES_SWEPT = "files.swept", _l("Unreferenced files swept")
    SIGN_OFF_PROPOSED = "sign_off.proposed", _l("Proposed for sign-off")
    SIGN_OFF_APPROVED = "sign_off.approved", _l("Signed off")
    SIGN_OFF_SENT_BACK = "sign_off.sent_back", _l("Sent back by the approver")
    # --- After the award (portal/payments). Each part keeps its events in its own block.
    POST_AWARD_PLAN_UPDATED = "post_award.plan_updated", _l("Post-award plan changed")
    # agreement and bank account
    AGREEMENT_OFFERED = "agreement.offered", _l("Funding agreement offered")
    AGREEMENT_ACCEPTED = "agreement.accepted", _l("Funding agreement accepted")
    BANK_ACCOUNT_ENTERED = "bank_account.entered", _l("Bank account entered")
    BANK_ACCOUNT_CONFIRMED = "bank_account.confirmed", _l("Bank account confirmed")
    BANK_ACCOUNT_REJECTED = "bank_account.rejected", _l("Bank account sent back")
    # tranches, batches and payments
    TRANCHE_DUE = "tranche.due", _l("Payment tranche due")
    PAYMENT_BATCH_CREATED = "payment_batch.created", _l("Payment batch prepared")
    PAYMENT_BATCH_APPROVED = "payment_batch.approved", _l("Payment batch approved")
    PAYMENT_BATCH_SENT_BACK = "payment_batch.sent_back", _l("Payment batch sent back")
    PAYMENT_CONFIRMED = "payment.confirmed", _l("Payment confirmed")
    PAYMENT_CONFIRMATIONS_IMPORTED = (
        "payment.confirmations_imported",
        _l("Bank confirmation file imported"),
    )
    # reports
    REPORT_SUBMITTED = "report.submitted", _l("Progress report submitted")
    REPORT_ACCEPTED = "report.accepted", _l("Progress report accepted")
    REPORT_RETURNED = "report.returned", _l("Progress report returned")
    REPORT_SAVED = "report.saved", _l("Progress report saved (not submitted)")
    REPORT_FILE_UPLOADED = "report.file_uploaded", _l("File attached to a progress report")
    REPORT_FILE_REMOVED = "report.file_removed", _l("File removed from a progress report")
    REPORT_REMINDED = "report.reminded", _l("Reminder of a progress report sent")
    # acceptance (验收)
    ACCEPTANCE_PANEL_FORMED = "acceptance.panel_formed", _l("Acceptance panel formed")
    ACCEPTANCE_SCORED = "acceptance.scored", _l("Acceptance conclusion given by an expert")
    ACCEPTANCE_CONCLUDED = "acceptance.concluded", _l("Acceptance concluded")
    # recovery (追回) and the credit record
    RECOVERY_OPENED = "recovery.opened", _l("Recovery case opened")
    RECOVERY_STATEMENT_SUBMITTED = "recovery.statement_submitted", _l("Firm stated its case")
    RECOVERY_DECIDED = "recovery.decided", _l("Recovery decided")
    RECOVERY_REPAYMENT_RECORDED = "recovery.repayment_recorded", _l("Repayment recorded")
    RECOVERY_SETTLED = "recovery.settled", _l("Recovery settled")
    CREDIT_BAN_RECORDED = "credit.ban_recorded", _l("Ban recorded in the credit record")
    CREDIT_REPAIRED = "credit.repaired", _l("Credit repaired: ban ended early")
    # verifiable documents of the post-award stage
    POST_AWARD_DOCUMENT_ISSUED = "post_award.document_issued", _l("Post-award document issued")
    # the key-task wall map (挂图作战)
    DEPARTMENT_SAVED = "department.saved", _l("Department saved")
    TASK_CREATED = "task.created", _l("Key task created")
    TASK_EDITED = "task.edited", _l("Key task edited")
    TASK_INDICATOR_REPORTED = "task.indicator_reported", _l("Indicator value reported")
    TASK_MILESTONE_DONE = "task.milestone_done", _l("Milestone marked done")
    TASK_STATUS_CHANGED = "task.status_changed", _l("Key task status changed by the rules")
    TASK_MILESTONE_REMINDED = "task.milestone_reminded", _l("Reminder of a milestone sent")
    SLIP_ISSUED = "slip.issued", _l("Supervision slip issued")
    SLIP_SIGNED = "slip.signed", _l("Supervision slip signed for")
    SLIP_ANSWERED = "slip.answered", _l("Supervision slip answered")
    SLIP_RETURNED = "slip.returned", _l("Supervision slip sent back")
    SLIP_CLOSED = "slip.closed", _l("Supervision slip closed")
    SLIP_REMINDED = "slip.reminded", _l("Reminder of a supervision slip sent")
    GOAL_TILE_SAVED = "goal_tile.saved", _l("Goal tile saved")
    DISPATCH_SENT = "task.dispatch_sent", _l("Weekly dispatch report sent")


class AuditEvent(Model):
    __tablename__ = "audit_events"
    __table_args__ = (
        Index("ix_audit_events_object", "object_type", "object_id"),
        Index("ix_audit_events_application", "application_id", "id"),
        # The audit log's filters, each read in id order (keyset pages; migration 0013).
        Index("ix_audit_events_action_id", "action", "id"),
        Index("ix_audit_events_actor_id_id", "actor_id", "id"),
        Index("ix_audit_events_object_type_id", "object_type", "id"),
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
def _refuse_audit_changes(session: Session, _context: Any, _instances: Any) -> None:
    for obj in list(session.dirty) + list(session.deleted):
        if isinstance(obj, AuditEvent):
            raise AuditLogIsAppendOnly("audit events cannot be changed or deleted")


def record(
    action: Action,
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
_listeners: list[Callable[[AuditEvent, Any], None]] = []


def on_record(listener: Callable[[AuditEvent, Any], None]) -> None:
    if listener not in _listeners:
        _listeners.append(listener)


def action_label(action: str) -> str:
    """The human name of a recorded action, in the current language (the code if unnamed)."""
    try:
        return str(Action(action).label)
    except ValueError:
        return action


# --- Reading the log: what a person is shown of an event ----------------------------------

# An event without an actor was recorded by a background job (no request) or by a visitor who
# was not signed in (a failed sign-in, a registration): the page names them so.
SYSTEM_ACTOR = _l("system (job)")
ANONYMOUS_ACTOR = _l("(not signed in)")

# Words for the summary keys services record; a key not named here is shown as it is written.
SUMMARY_LABELS = {
    "reason": _l("Reason"),
    "reason_code": _l("Reason"),
    "note": _l("Note"),
    "program_id": _l("Programme"),
    "application_id": _l("Application"),
    "assignment_id": _l("Assignment"),
    "reviewer_id": _l("Reviewer"),
    "rows": _l("Rows"),
    "format": _l("Format"),
    "total": _l("Total"),
    "previous_total": _l("Previous total"),
    "score": _l("Score"),
    "mean": _l("Mean score"),
    "spread": _l("Spread"),
    "decision": _l("Decision"),
    "count": _l("Count"),
    "version": _l("Rule version"),
    "rules_changed": _l("Rules changed"),
    "section": _l("Section"),
    "document": _l("Document"),
    "kind": _l("Kind"),
    "due_at": _l("Due"),
    "sha256": _l("SHA-256"),
    "size": _l("Size (bytes)"),
    "requested": _l("Requested"),
    "approved": _l("Approved"),
    "rejected": _l("Rejected"),
    "applications": _l("Applications"),
    "letters": _l("Letters"),
    "pro_rata": _l("Pro-rata factor"),
    "for_moderation": _l("For moderation"),
    "automatic": _l("Automatic"),
    "orphans": _l("Files removed"),
    "orphan_bytes": _l("Bytes removed"),
    "leftovers": _l("Files left"),
    "leftover_bytes": _l("Bytes left"),
    "failures": _l("Failures"),
    "skipped": _l("Skipped"),
    "made": _l("Made"),
    "selected": _l("Selected"),
    "scored": _l("Scored"),
    "expertise": _l("Expertise"),
    "evidence": _l("Evidence"),
    "replaced": _l("Replaced"),
    "publicity_starts_on": _l("Publicity starts"),
    "signed_by": _l("Signed by"),
    "had_draft": _l("Had a draft"),
    "conflict_recorded": _l("Conflict recorded"),
    "minimums_missed": _l("Minimums missed"),
    "shortfalls": _l("Shortfalls"),
    "linked_usccs": _l("Linked USCCs"),
    "today": _l("Day"),
    "grace_hours": _l("Grace (hours)"),
    "fields": _l("Changed"),
    "old": _l("Before"),
    "new": _l("After"),
}


def json_safe(value: Any) -> Any:
    """A value as the JSON summary can hold it: amounts and times as text, enums as values."""
    if value is None or isinstance(value, bool | int | float | str):
        return value
    if isinstance(value, datetime):
        return value.isoformat()
    enum_value = getattr(value, "value", None)
    if isinstance(enum_value, str | int):
        return enum_value
    return str(value)


def changes_of(pairs: dict[str, tuple[Any, Any]]) -> dict[str, list[Any]]:
    """``{field: [old, new]}`` for ``record(..., changes=...)``: what an edit changed, so that
    the log shows "budget 5,000,000.00 → 50,000.00", not only that the budget changed."""
    return {name: [json_safe(old), json_safe(new)] for name, (old, new) in sorted(pairs.items())}


@dataclass(frozen=True)
class SummaryItem:
    """One line of an event's details: a value (``key``: ``value``) or a change (``key``:
    ``old`` → ``new``; ``key`` is None for a bare ``old``/``new`` pair such as a status)."""

    key: str | None
    value: Any = None
    old: Any = None
    new: Any = None

    @property
    def is_change(self) -> bool:
        return self.value is None and (self.old is not None or self.new is not None)


def summary_items(summary: dict[str, Any] | None) -> list[SummaryItem]:
    """An event's summary as lines: the ``old``/``new`` pair first, then each changed field
    with its old and new value, then the other keys in the order they were recorded. A
    ``fields`` list is shown only when the changes themselves were not recorded (events
    written before they were)."""
    summary = dict(summary or {})
    items: list[SummaryItem] = []
    if "old" in summary or "new" in summary:
        items.append(SummaryItem(None, old=summary.pop("old", None), new=summary.pop("new", None)))
    changes = summary.pop("changes", None)
    if isinstance(changes, dict):
        summary.pop("fields", None)
        for key, pair in changes.items():
            old, new = pair if isinstance(pair, list | tuple) and len(pair) == 2 else (None, pair)
            items.append(SummaryItem(key, old=old, new=new))
    for key, value in summary.items():
        if value is None or value == "" or value == []:
            continue
        items.append(SummaryItem(key, value))
    return items


def summary_label(key: str) -> str:
    label = SUMMARY_LABELS.get(key)
    return str(label) if label is not None else key


def actor_kind(actor_id: int | None, ip_address: str | None) -> str:
    """ "person" (a signed-in account), "system" (a job: no request, so no address) or
    "visitor" (a request by someone not signed in)."""
    if actor_id is not None:
        return "person"
    return "visitor" if ip_address else "system"
