"""The stages an application passes through, as the firm follows them.

提交 Submitted → 形式审查 Formal check → 专家评审 Expert review → 审定 Decision → 公示 Publicity →
通知书 Letter → 拨付 Payment. A stage is done, current, still to come, skipped (expert review in
a programme without one; publicity and payment after a rejection), or where the application
stopped (returned, rejected, withdrawn, on hold).

``stage_progress`` is pure: it reads the application's status, the dated events of its history
(the audit trail's actions, oldest first) and the programme's dates, and says where the
application is, when each stage was reached and what comes next. The page feeds it from one
query. Nothing here names a reviewer or gives a score: the events carry only what and when.

Payment is reached when an award's letter is issued and done when every planned payment of
the award is paid (``Payments``, counted by the caller from the award's tranches); the funding
agreement comes first, and what comes next says so.

A new stage is one member of ``Stage``, its place in ``STAGE_ORDER`` and its lines in
``_REACHED_BY`` and ``_FINISHED_BY`` (what reaches and what ends it).
"""

from __future__ import annotations

import enum
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from flask_babel import lazy_gettext as _l

from portal.applications.models import Status
from portal.core.labels import LabelledEnum

Text = Any  # words: a lazy string (resolved in the language of the moment) or a str


class Stage(LabelledEnum):
    SUBMITTED = "submitted", _l("Submission")
    FORMAL_CHECK = "formal_check", _l("Formal check")
    EXPERT_REVIEW = "expert_review", _l("Expert review")
    DECISION = "decision", _l("Bureau's decision")
    PUBLICITY = "publicity", _l("Publicity")
    LETTER = "letter", _l("Letter")
    PAYMENT = "payment", _l("Payment of the award")


STAGE_ORDER: tuple[Stage, ...] = tuple(Stage)


class StageState(enum.StrEnum):
    DONE = "done"
    CURRENT = "current"
    UPCOMING = "upcoming"
    SKIPPED = "skipped"  # not part of this application's path (no expert review; rejected)
    STOPPED = "stopped"  # where the application ended: rejected, withdrawn


@dataclass(frozen=True)
class Event:
    """One dated event of the application's history: an audit action (``submit``,
    ``release_approval``, ``letter.issued``: transitions without their ``application.``
    prefix) and when it happened."""

    action: str
    at: datetime


@dataclass(frozen=True)
class ProgrammeDates:
    """What the programme and the application know of dates to come."""

    closes_on: date | None  # the call for applications closes (the bureau's date)
    publicity_days: int  # working days of publicity
    expert_review: bool  # whether the programme has experts score applications
    publicity_ends_on: date | None = None  # set when an approval is released


@dataclass(frozen=True)
class Payments:
    """An award's payments as the firm follows them: whether it accepted the funding agreement,
    how many payments (tranches) are planned and how many are paid."""

    agreement_accepted: bool
    planned: int
    paid: int

    @property
    def all_paid(self) -> bool:
        return self.planned > 0 and self.paid >= self.planned


@dataclass(frozen=True)
class StageView:
    stage: Stage
    state: StageState
    reached_at: datetime | None  # when the application got to this stage
    finished_at: datetime | None  # when it left it (done or stopped)
    outcome: Text | None = None  # e.g. "Passed", "Returned for changes", "Rejected"

    @property
    def label(self) -> Text:
        return self.stage.label


@dataclass(frozen=True)
class Progress:
    stages: tuple[StageView, ...]
    current: Stage | None  # None once the journey has ended (letter issued, withdrawn)
    next_step: Text | None  # what comes next and roughly when, in words


# What moves an application into each stage and what ends it, as audit actions. The latest
# event counts: a resubmitted application was submitted when it was last sent.
_REACHED_BY: dict[Stage, tuple[str, ...]] = {
    Stage.SUBMITTED: ("submit", "resubmit"),
    # The check begins on submission (the officer may record its start, or not).
    Stage.FORMAL_CHECK: ("submit", "resubmit", "start_formal_check"),
    Stage.EXPERT_REVIEW: ("send_to_expert_review", "reopen_review"),
    Stage.DECISION: ("send_to_decision", "reviews_complete", "moderate"),
    Stage.PUBLICITY: ("release_approval",),
    Stage.LETTER: (
        "finish_publicity",
        "reject_ineligible",
        "release_rejection",
        "uphold_objection",
        "letter.issued",
    ),
    Stage.PAYMENT: ("letter.issued",),
}
_FINISHED_BY: dict[Stage, tuple[str, ...]] = {
    Stage.SUBMITTED: ("submit", "resubmit"),
    Stage.FORMAL_CHECK: ("send_to_expert_review", "send_to_decision"),
    Stage.EXPERT_REVIEW: ("reviews_complete", "moderate"),
    Stage.DECISION: ("release_approval", "release_rejection"),
    Stage.PUBLICITY: ("finish_publicity", "uphold_objection"),
    Stage.LETTER: ("letter.issued",),
    Stage.PAYMENT: ("payment.confirmed",),
}

# The stage each status is at (before the letter: a final status waits for its letter).
_STAGE_OF_STATUS: dict[Status, Stage] = {
    Status.DRAFT: Stage.SUBMITTED,
    Status.SUBMITTED: Stage.FORMAL_CHECK,
    Status.RETURNED: Stage.FORMAL_CHECK,
    Status.FORMAL_CHECK: Stage.FORMAL_CHECK,
    Status.EXPERT_REVIEW: Stage.EXPERT_REVIEW,
    Status.MODERATION: Stage.EXPERT_REVIEW,
    Status.DECIDED: Stage.DECISION,  # recorded but not released: still to be decided, for the firm
    Status.PUBLICITY: Stage.PUBLICITY,
    Status.ON_HOLD: Stage.PUBLICITY,
    Status.AWARDED: Stage.LETTER,
    Status.REJECTED: Stage.LETTER,
}

_OUTCOMES: dict[str, Text] = {
    "submit": _l("Submitted"),
    "resubmit": _l("Resubmitted"),
    "send_to_expert_review": _l("Passed"),
    "send_to_decision": _l("Passed"),
    "reviews_complete": _l("Finished"),
    "moderate": _l("Finished"),
    "release_approval": _l("Proposed for support"),
    "release_rejection": _l("Not approved"),
    "finish_publicity": _l("Ended: the award is final"),
    "uphold_objection": _l("Objection upheld: not approved"),
    "letter.issued": _l("Letter issued"),
    "payment.confirmed": _l("Paid"),
}


def _latest(events: Sequence[Event], actions: tuple[str, ...]) -> Event | None:
    found = None
    for event in events:
        if event.action in actions:
            found = event
    return found


def stage_progress(
    status: Status,
    events: Sequence[Event],
    dates: ProgrammeDates,
    today: date,
    payments: Payments | None = None,
) -> Progress:
    """Where the application is on its way, with dates, and what comes next. ``payments``
    matters once an award's letter is issued (None: nothing known of them yet)."""
    if status is Status.WITHDRAWN:
        return _withdrawn(events, dates)
    current = _STAGE_OF_STATUS[status]
    letter = _latest(events, _FINISHED_BY[Stage.LETTER])
    paying = payments is not None and payments.paid > 0
    if status is Status.AWARDED and (letter is not None or paying):
        # after an award's letter comes its money (money sent is shown even if the letter
        # is late)
        current = Stage.PAYMENT
        ended = payments is not None and payments.all_paid
    else:
        ended = current is Stage.LETTER and letter is not None  # a rejection's letter
    rejected_at = _rejection_stage(status, events)
    views = []
    for stage in STAGE_ORDER:
        view = _view(stage, current, status, events, dates, rejected_at, ended)
        if view.stage is Stage.PAYMENT and view.state is StageState.CURRENT:
            view = StageView(view.stage, view.state, view.reached_at, None, _paying(payments))
        views.append(view)
    return Progress(
        stages=tuple(views),
        current=None if ended else current,
        next_step=_next_step(status, dates, today, letter is not None, payments),
    )


def _paying(payments: Payments | None) -> Text:
    """Where the payment of an award stands, in a few words."""
    if payments is None or not payments.agreement_accepted:
        return _l("After the funding agreement")
    if payments.paid:
        return _l(
            "%(paid)d of %(planned)d payments made", paid=payments.paid, planned=payments.planned
        )
    return _l("Being paid")


def _rejection_stage(status: Status, events: Sequence[Event]) -> Stage | None:
    """The stage at which a rejected application was turned down."""
    if status is not Status.REJECTED:
        return None
    last = _latest(events, ("reject_ineligible", "release_rejection", "uphold_objection"))
    if last is None or last.action == "release_rejection":
        return Stage.DECISION
    return Stage.FORMAL_CHECK if last.action == "reject_ineligible" else Stage.PUBLICITY


def _view(
    stage: Stage,
    current: Stage,
    status: Status,
    events: Sequence[Event],
    dates: ProgrammeDates,
    rejected_at: Stage | None,
    ended: bool,
) -> StageView:
    position, here = STAGE_ORDER.index(stage), STAGE_ORDER.index(current)
    reached = _latest(events, _REACHED_BY[stage])
    finished = _latest(events, _FINISHED_BY[stage])
    reached_at = reached.at if reached else None
    if stage is Stage.EXPERT_REVIEW and not dates.expert_review:
        return StageView(stage, StageState.SKIPPED, None, None, _l("Not part of this programme"))
    if rejected_at is not None:
        return _rejected_view(stage, rejected_at, events, reached_at, finished)
    if position < here or (stage is current and ended):
        return StageView(
            stage,
            StageState.DONE,
            reached_at,
            finished.at if finished else None,
            _OUTCOMES.get(finished.action) if finished else None,
        )
    if stage is current:
        return StageView(stage, StageState.CURRENT, reached_at, None, _current_outcome(status))
    return StageView(stage, StageState.UPCOMING, None, None)


def _rejected_view(
    stage: Stage,
    rejected_at: Stage,
    events: Sequence[Event],
    reached_at: datetime | None,
    finished: Event | None,
) -> StageView:
    position, stop = STAGE_ORDER.index(stage), STAGE_ORDER.index(rejected_at)
    if stage is rejected_at:
        turned_down = _latest(
            events, ("reject_ineligible", "release_rejection", "uphold_objection")
        )
        outcome = {
            Stage.FORMAL_CHECK: _l("Not eligible: rejected"),
            Stage.DECISION: _l("Not approved"),
            Stage.PUBLICITY: _l("Objection upheld: not approved"),
        }[rejected_at]
        return StageView(
            stage,
            StageState.STOPPED,
            reached_at,
            turned_down.at if turned_down else None,
            outcome,
        )
    if position < stop:
        return StageView(
            stage,
            StageState.DONE,
            reached_at,
            finished.at if finished else None,
            _OUTCOMES.get(finished.action) if finished else None,
        )
    if stage is Stage.LETTER:  # a rejection has its letter too
        state = StageState.DONE if finished else StageState.CURRENT
        return StageView(
            stage,
            state,
            reached_at,
            finished.at if finished else None,
            _l("Letter issued") if finished else _l("Being prepared"),
        )
    return StageView(stage, StageState.SKIPPED, None, None, _l("Not reached"))


def _current_outcome(status: Status) -> Text | None:
    return {
        Status.DRAFT: _l("Not submitted yet"),
        Status.RETURNED: _l("Returned to you for changes"),
        Status.ON_HOLD: _l("On hold: an objection is being examined"),
        Status.AWARDED: _l("Being prepared"),
    }.get(status, _l("In progress"))


def _withdrawn(events: Sequence[Event], dates: ProgrammeDates) -> Progress:
    """A withdrawn application stops where it was; the stages after it are not reached."""
    withdrawal = _latest(events, ("withdraw",))
    before = [e for e in events if withdrawal is None or e.at <= withdrawal.at]
    # where it was: the furthest stage its history had reached before the withdrawal
    stop = Stage.SUBMITTED
    for stage in STAGE_ORDER:
        if _latest(before, _REACHED_BY[stage]) is not None:
            stop = stage
    views = []
    for stage in STAGE_ORDER:
        position, here = STAGE_ORDER.index(stage), STAGE_ORDER.index(stop)
        reached = _latest(before, _REACHED_BY[stage])
        finished = _latest(before, _FINISHED_BY[stage])
        if stage is Stage.EXPERT_REVIEW and not dates.expert_review:
            views.append(
                StageView(stage, StageState.SKIPPED, None, None, _l("Not part of this programme"))
            )
        elif position < here:
            views.append(
                StageView(
                    stage,
                    StageState.DONE,
                    reached.at if reached else None,
                    finished.at if finished else None,
                    _OUTCOMES.get(finished.action) if finished else None,
                )
            )
        elif stage is stop:
            views.append(
                StageView(
                    stage,
                    StageState.STOPPED,
                    reached.at if reached else None,
                    withdrawal.at if withdrawal else None,
                    _l("Withdrawn"),
                )
            )
        else:
            views.append(StageView(stage, StageState.SKIPPED, None, None, _l("Not reached")))
    return Progress(tuple(views), None, None)


def _next_step(
    status: Status,
    dates: ProgrammeDates,
    today: date,
    letter_issued: bool,
    payments: Payments | None = None,
) -> Text | None:
    """What comes next and roughly when, from the programme's dates."""
    closes = dates.closes_on
    days = dates.publicity_days
    review_or_decision = (
        _l("expert review, then the bureau's decision")
        if dates.expert_review
        else _l("the bureau's decision")
    )
    if status is Status.DRAFT:
        if closes and closes >= today:
            return _l(
                "Next: submit the application before the call closes on %(date)s.", date=closes
            )
        return _l("Next: submit the application.")
    if status is Status.SUBMITTED or status is Status.FORMAL_CHECK:
        if closes and closes >= today:
            return _l(
                "Next: the bureau's formal check of your documents and figures, usually after "
                "the call closes on %(date)s; then %(then)s.",
                date=closes,
                then=review_or_decision,
            )
        return _l(
            "Next: the bureau's formal check of your documents and figures; then %(then)s.",
            then=review_or_decision,
        )
    if status is Status.RETURNED:
        return _l(
            "Next: change the sections the bureau asked for and resubmit; the formal check "
            "continues when you do."
        )
    if status in (Status.EXPERT_REVIEW, Status.MODERATION):
        return _l(
            "Next: when the experts have finished, the bureau decides. An approval is then "
            "published for %(days)d working days before it is final.",
            days=days,
        )
    if status is Status.DECIDED:
        return _l(
            "Next: the bureau releases the programme's decisions together. An approval is "
            "then published for %(days)d working days before it is final.",
            days=days,
        )
    if status is Status.PUBLICITY:
        if dates.publicity_ends_on:
            return _l(
                "Next: publicity ends on %(date)s. If no objection is upheld the award becomes "
                "final and the bureau issues its letter.",
                date=dates.publicity_ends_on,
            )
        return _l(
            "Next: when publicity ends the award becomes final and the bureau issues its letter."
        )
    if status is Status.ON_HOLD:
        return _l(
            "Next: the bureau examines the objection and tells you its outcome; publicity "
            "resumes if it is dismissed."
        )
    if status in (Status.AWARDED, Status.REJECTED) and not letter_issued:
        return _l("Next: the bureau issues its letter, usually within a few days.")
    if status is Status.AWARDED and not (payments and payments.all_paid):
        if payments is None or not payments.agreement_accepted:
            return _l(
                "Next: accept the funding agreement and give the bank account the award is "
                "paid into; the bureau pays once it has confirmed the account."
            )
        if payments.paid:
            return _l(
                "Next: the remaining payments, each when its condition is met (for example "
                "after acceptance)."
            )
        return _l(
            "Next: the bureau pays the award into the confirmed account; you are told when "
            "the money is sent."
        )
    return None


__all__ = [
    "STAGE_ORDER",
    "Event",
    "Payments",
    "ProgrammeDates",
    "Progress",
    "Stage",
    "StageState",
    "StageView",
    "stage_progress",
]
