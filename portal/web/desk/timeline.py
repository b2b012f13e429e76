"""One application's history for the officers: who did what, when, and why.

Each audit action says which facts its event carries (``FACTS``), in the order a person reads
them; the facts read the keys their action's service records. So the history never guesses
what a payload means from the names of its keys, and an action that records something new is
one line here. Loads in two queries: the events joined to their actors, and the reviewers the
events name.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from decimal import InvalidOperation
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import select

from portal.accounts.models import User
from portal.applications import sections as sec
from portal.applications.models import Application, Status
from portal.core.audit import Action, AuditEvent, action_label
from portal.core.extensions import db
from portal.core.money import format_money
from portal.payments.recovery_models import RecoveryGrounds
from portal.review.decision_rules import reason_label
from portal.review.models import DeclineReason
from portal.web.shared.application_presenters import COUNT_FIGURE_LABELS, YEAR_FIGURE_LABELS
from portal.web.templating import bureau_time

STATUS_VALUES = frozenset(s.value for s in Status)


@dataclass(frozen=True)
class Context:
    """What the facts need beyond the event: reviewers' names and the programme's documents."""

    names: dict[int, str]
    documents: dict[str, str]


Fact = Callable[[dict[str, Any], Context], str | None]


def _money(value: Any) -> str:
    try:
        return format_money(value)
    except (InvalidOperation, ValueError):
        return str(value)


def _day(value: Any) -> str:
    try:
        parsed = datetime.fromisoformat(str(value))
    except ValueError:
        return str(value)
    if parsed.tzinfo is None:  # a date: nothing to convert
        return date(parsed.year, parsed.month, parsed.day).isoformat()
    return bureau_time(parsed, "yyyy-MM-dd")


def _figure_label(path: str) -> str:
    parts = path.split(".")
    if len(parts) == 3 and parts[0] == "years" and parts[2] in YEAR_FIGURE_LABELS:
        return str(YEAR_FIGURE_LABELS[parts[2]](parts[1]))
    return str(COUNT_FIGURE_LABELS.get(path, path))


# --- the facts, each reading the keys its actions record --------------------------------------


def _version(s: dict[str, Any], _c: Context) -> str | None:
    return _("Version %(number)s", number=s["submission"]) if s.get("submission") else None


def _sections(s: dict[str, Any], _c: Context) -> str | None:
    if not s.get("sections"):
        return None
    labels = [str(sec.SECTION_LABELS.get(name, name)) for name in s["sections"]]
    return _("Sections: %(sections)s", sections=", ".join(labels))


def _section(s: dict[str, Any], _c: Context) -> str | None:
    if not s.get("section"):
        return None
    return _("Section: %(section)s", section=sec.SECTION_LABELS.get(s["section"], s["section"]))


def _figures_changed(s: dict[str, Any], _c: Context) -> str | None:
    if not s.get("changed"):
        return None
    return _("Figures changed: %(figures)s", figures=", ".join(map(_figure_label, s["changed"])))


def _document(s: dict[str, Any], c: Context) -> str | None:
    if not s.get("document"):
        return None
    name = c.documents.get(s["document"], s["document"])
    if s.get("replaced"):
        return _("Document: %(name)s (replaces an earlier file)", name=name)
    return _("Document: %(name)s", name=name)


def _requested(s: dict[str, Any], _c: Context) -> str | None:
    if not s.get("requested"):
        return None
    return _("Requested amount: %(amount)s yuan", amount=_money(s["requested"]))


def _reviewers_needed(s: dict[str, Any], _c: Context) -> str | None:
    return _("Reviewers needed: %(count)s", count=s["reviewers"]) if s.get("reviewers") else None


def _reviewer(s: dict[str, Any], c: Context) -> str | None:
    if "reviewer_id" not in s:
        return None
    return _("Reviewer: %(name)s", name=c.names.get(s["reviewer_id"], f"#{s['reviewer_id']}"))


def _due(s: dict[str, Any], _c: Context) -> str | None:
    return _("Due on %(day)s", day=_day(s["due_at"])) if s.get("due_at") else None


def _automatic(s: dict[str, Any], _c: Context) -> str | None:
    return _("Assigned automatically") if s.get("automatic") else None


def _for_moderation(s: dict[str, Any], _c: Context) -> str | None:
    return _("Extra reviewer for moderation") if s.get("for_moderation") else None


def _scored(s: dict[str, Any], _c: Context) -> str | None:
    if s.get("scored") is None:
        return None
    return _("Criteria scored: %(count)s", count=s["scored"])


def _total(s: dict[str, Any], _c: Context) -> str | None:
    return None if s.get("total") is None else _("Review score: %(score)s", score=s["total"])


def _previous_total(s: dict[str, Any], _c: Context) -> str | None:
    if s.get("previous_total") is None:
        return None
    return _("Previous score: %(score)s", score=s["previous_total"])


def _minimums_missed(s: dict[str, Any], _c: Context) -> str | None:
    return _("Below a criterion's minimum") if s.get("minimums_missed") else None


def _decline_grounds(s: dict[str, Any], _c: Context) -> str | None:
    # A declined review's "reason" is a code (its note is the text shown as the reason).
    code = s.get("reason")
    try:
        grounds = str(DeclineReason(code).label)
    except ValueError:
        grounds = str(code or "")
    return _("Grounds: %(grounds)s", grounds=grounds)


def _conflict_recorded(s: dict[str, Any], _c: Context) -> str | None:
    return _("Conflict of interest recorded") if s.get("conflict_recorded") else None


def _moderated_score(s: dict[str, Any], _c: Context) -> str | None:
    if s.get("score") is None:
        return None
    return _("Moderated score: %(score)s", score=s["score"])


def _mean(s: dict[str, Any], _c: Context) -> str | None:
    return None if s.get("mean") is None else _("Mean score: %(score)s", score=s["mean"])


def _spread(s: dict[str, Any], _c: Context) -> str | None:
    return None if s.get("spread") is None else _("Spread: %(spread)s", spread=s["spread"])


def _flagged(s: dict[str, Any], _c: Context) -> str | None:
    return _("Flagged for moderation") if s.get("flag_reasons") else None


def _decision(s: dict[str, Any], _c: Context) -> str | None:
    if not s.get("decision"):
        return None
    return _("Decision: approve") if s["decision"] == "approve" else _("Decision: reject")


def _amount(s: dict[str, Any], _c: Context) -> str | None:
    if s.get("amount") is None:
        return None
    return _("Amount: %(amount)s yuan", amount=_money(s["amount"]))


def _previous_amount(s: dict[str, Any], _c: Context) -> str | None:
    if s.get("previous_amount") is None:
        return None
    return _("Previous amount: %(amount)s yuan", amount=_money(s["previous_amount"]))


def _grounds(s: dict[str, Any], _c: Context) -> str | None:
    if not s.get("reason_code"):
        return None
    return _("Grounds: %(grounds)s", grounds=reason_label(s["reason_code"]))


def _publicity_ends(s: dict[str, Any], _c: Context) -> str | None:
    if not s.get("publicity_ends_on"):
        return None
    return _("Publicity ends on %(day)s", day=_day(s["publicity_ends_on"]))


def _four_eyes(s: dict[str, Any], _c: Context) -> str | None:
    # Steps an approver signed off name both people (review/sign_off.py names_of).
    if not s.get("approved_by_name"):
        return None
    return _(
        "Proposed by %(proposer)s, signed off by %(approver)s",
        proposer=s.get("proposed_by_name") or "?",
        approver=s["approved_by_name"],
    )


def _sent_back_by(s: dict[str, Any], _c: Context) -> str | None:
    if not s.get("sent_back_by_name"):
        return None
    return _(
        "Proposed by %(proposer)s, sent back by %(approver)s",
        proposer=s.get("proposed_by_name") or "?",
        approver=s["sent_back_by_name"],
    )


def _amount_before(s: dict[str, Any], _c: Context) -> str | None:
    if s.get("amount_before") is None:
        return None
    return _("Previous amount: %(amount)s yuan", amount=_money(s["amount_before"]))


def _recovery_grounds(s: dict[str, Any], _c: Context) -> str | None:
    if not s.get("grounds"):
        return None
    try:
        grounds = str(RecoveryGrounds(s["grounds"]).label)
    except ValueError:
        grounds = str(s["grounds"])
    return _("Grounds: %(grounds)s", grounds=grounds)


def _statement_due(s: dict[str, Any], _c: Context) -> str | None:
    if not s.get("statement_due_on"):
        return None
    return _("Statement due by %(day)s", day=_day(s["statement_due_on"]))


def _recovery_decision(s: dict[str, Any], _c: Context) -> str | None:
    if not s.get("decision"):
        return None
    return _("Decision: recover") if s["decision"] == "recover" else _("Decision: no recovery")


def _ban_until(s: dict[str, Any], _c: Context) -> str | None:
    return _("Barred until %(day)s", day=_day(s["ban_until"])) if s.get("ban_until") else None


def _opened_decided(s: dict[str, Any], _c: Context) -> str | None:
    if not s.get("decided_by_name"):
        return None
    return _(
        "Opened by %(opener)s, decided by %(approver)s",
        opener=s.get("opened_by_name") or "?",
        approver=s["decided_by_name"],
    )


def _outstanding(s: dict[str, Any], _c: Context) -> str | None:
    if s.get("outstanding") is None:
        return None
    return _("Outstanding: %(amount)s yuan", amount=_money(s["outstanding"]))


def _number(s: dict[str, Any], _c: Context) -> str | None:
    return _("Number: %(number)s", number=s["number"]) if s.get("number") else None


# What each action's event shows besides its reason; actions not named show only their label.
FACTS: dict[Action, tuple[Fact, ...]] = {
    Action.APPLICATION_SECTION_SAVED: (_section, _figures_changed, _requested),
    Action.APPLICATION_DOCUMENT_UPLOADED: (_document,),
    Action.APPLICATION_SUBMIT: (_version, _sections),
    Action.APPLICATION_RESUBMIT: (_version, _sections),
    Action.APPLICATION_RETURN_FOR_CHANGES: (_sections,),
    Action.APPLICATION_SEND_TO_EXPERT_REVIEW: (_reviewers_needed,),
    Action.REVIEW_ASSIGNED: (_reviewer, _due, _automatic, _for_moderation),
    Action.REVIEW_UNASSIGNED: (_reviewer, _for_moderation),
    Action.APPLICATION_ADD_MODERATION_REVIEWER: (_reviewer,),
    Action.REVIEW_DRAFT_SAVED: (_scored,),
    Action.REVIEW_SUBMITTED: (_total, _minimums_missed),
    Action.REVIEW_REOPENED: (_previous_total,),
    Action.REVIEW_DECLINED: (_decline_grounds, _conflict_recorded),
    Action.APPLICATION_REVIEWS_COMPLETE: (_mean, _spread, _flagged),
    Action.APPLICATION_FLAG_FOR_MODERATION: (_mean, _spread, _flagged),
    Action.REVIEW_MODERATED: (_moderated_score, _mean, _spread, _flagged),
    Action.APPLICATION_MODERATE: (_moderated_score,),
    Action.DECISION_RECORDED: (_decision, _amount, _previous_amount, _grounds),
    Action.APPLICATION_RELEASE_APPROVAL: (_amount, _publicity_ends, _four_eyes),
    Action.APPLICATION_RELEASE_REJECTION: (_grounds, _four_eyes),
    Action.APPLICATION_UPHOLD_OBJECTION: (_four_eyes,),
    Action.PUBLICITY_OBJECTION_UPHELD: (_previous_amount, _four_eyes),
    Action.LETTER_REISSUED: (_amount, _previous_amount, _amount_before, _four_eyes),
    Action.SIGN_OFF_PROPOSED: (_amount, _amount_before),
    Action.SIGN_OFF_APPROVED: (_four_eyes,),
    Action.SIGN_OFF_SENT_BACK: (_sent_back_by,),
    Action.RECOVERY_OPENED: (_recovery_grounds, _statement_due),
    Action.RECOVERY_DECIDED: (_recovery_decision, _amount, _ban_until, _opened_decided),
    Action.RECOVERY_REPAYMENT_RECORDED: (_amount, _outstanding),
    Action.RECOVERY_SETTLED: (_amount,),
    Action.CREDIT_BAN_RECORDED: (_ban_until,),
}
# Facts of events other parts record too (several documents share one action).
FACTS.setdefault(Action.POST_AWARD_DOCUMENT_ISSUED, (_number, _amount))
FACTS.setdefault(Action.AGREEMENT_OFFERED, (_amount,))
FACTS.setdefault(Action.AGREEMENT_ACCEPTED, (_number, _amount))


def _paid(s: dict[str, Any], _c: Context) -> str | None:
    if not s.get("paid_on"):
        return None
    return _(
        "Paid on %(date)s, bank reference %(reference)s",
        date=_day(s["paid_on"]),
        reference=s.get("bank_reference", ""),
    )


FACTS.setdefault(Action.TRANCHE_DUE, (_amount,))
FACTS.setdefault(Action.PAYMENT_CONFIRMED, (_amount, _paid))
# Actions whose "reason" key is not text for a person (a code a fact above words instead).
REASON_IS_A_CODE = frozenset({Action.REVIEW_DECLINED})


def facts_of(action: str, summary: dict[str, Any], context: Context) -> list[str]:
    """The readable facts of one event (its reason is shown on its own)."""
    try:
        writers = FACTS.get(Action(action), ())
    except ValueError:  # an event of a kind this version no longer records
        writers = ()
    return [fact for write in writers if (fact := write(summary, context)) is not None]


def reason_of(action: str, summary: dict[str, Any]) -> str:
    reasons = (
        [summary.get("note")]
        if action in REASON_IS_A_CODE
        else [
            summary.get("reason"),
            summary.get("note"),
        ]
    )
    return "\n".join(str(text).strip() for text in reasons if text)


def _names(user_ids: set[int]) -> dict[int, str]:
    if not user_ids:
        return {}
    rows = db.session.execute(select(User.id, User.display_name).where(User.id.in_(user_ids)))
    return dict(rows.all())


def _status_view(status: Status) -> dict[str, str]:
    return {"value": status.value, "label": str(status.label)}


def timeline(application: Application, locale: str) -> list[dict[str, Any]]:
    """Every recorded step of the application, oldest first: who, what, when and why."""
    events = db.session.execute(
        select(
            AuditEvent.occurred_at,
            AuditEvent.action,
            AuditEvent.summary,
            User.display_name,
            User.role,
        )
        .outerjoin(User, User.id == AuditEvent.actor_id)
        .where(AuditEvent.application_id == application.id)
        .order_by(AuditEvent.id)
    ).all()
    context = Context(
        names=_names(
            {
                e.summary["reviewer_id"]
                for e in events
                if isinstance((e.summary or {}).get("reviewer_id"), int)
            }
        ),
        documents={
            doc["key"]: doc["name_en"] if locale == "en" else doc["name_zh"]
            for doc in application.program_version.documents
        },
    )
    return [_row(event, context) for event in events]


def _row(event: Any, context: Context) -> dict[str, Any]:
    summary = event.summary or {}
    new = summary.get("new")
    status = _status_view(Status(new)) if new in STATUS_VALUES else None
    label = action_label(event.action)
    if status and status["label"] == label:  # "Submitted → Submitted" says it twice
        status = None
    return {
        "at": event.occurred_at,
        "label": label,
        "actor": event.display_name or "",
        "role": str(event.role.label) if event.role is not None else "",
        "system": event.display_name is None,
        "status": status,
        "reason": reason_of(event.action, summary),
        "details": facts_of(event.action, summary, context),
    }
