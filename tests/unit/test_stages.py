"""The stages of an application as the firm follows them (pure: no database)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from portal.applications.models import Status
from portal.applications.stages import (
    STAGE_ORDER,
    Event,
    Payments,
    ProgrammeDates,
    Stage,
    StageState,
    stage_progress,
)

TODAY = date(2026, 12, 2)
START = datetime(2026, 11, 2, 2, 0, tzinfo=UTC)
WITH_REVIEW = ProgrammeDates(
    closes_on=date(2026, 12, 15), publicity_days=5, expert_review=True, publicity_ends_on=None
)
WITHOUT_REVIEW = ProgrammeDates(closes_on=date(2026, 11, 30), publicity_days=5, expert_review=False)


def history(*actions: str) -> list[Event]:
    """Events one day apart, in the order given."""
    return [Event(action, START + timedelta(days=day)) for day, action in enumerate(actions)]


def states(progress) -> dict[Stage, StageState]:
    return {view.stage: view.state for view in progress.stages}


def view_of(progress, stage: Stage):
    return next(view for view in progress.stages if view.stage is stage)


def test_the_stages_come_in_their_order():
    assert [stage.value for stage in STAGE_ORDER] == [
        "submitted",
        "formal_check",
        "expert_review",
        "decision",
        "publicity",
        "letter",
        "payment",
    ]


def test_a_draft_is_at_submission_with_the_closing_date_next():
    progress = stage_progress(Status.DRAFT, history("started"), WITH_REVIEW, TODAY)
    assert progress.current is Stage.SUBMITTED
    assert states(progress)[Stage.SUBMITTED] is StageState.CURRENT
    assert all(
        state is StageState.UPCOMING
        for stage, state in states(progress).items()
        if stage is not Stage.SUBMITTED
    )
    assert "2026-12-15" in str(progress.next_step)


def test_submitted_reaches_the_formal_check_on_the_day_it_was_sent():
    events = history("started", "submit")
    progress = stage_progress(Status.SUBMITTED, events, WITH_REVIEW, TODAY)
    assert progress.current is Stage.FORMAL_CHECK
    submitted = view_of(progress, Stage.SUBMITTED)
    assert submitted.state is StageState.DONE and submitted.finished_at == events[1].at
    assert view_of(progress, Stage.FORMAL_CHECK).reached_at == events[1].at
    assert "formal check" in str(progress.next_step)


def test_passing_the_check_moves_to_expert_review_with_dates():
    events = history("submit", "start_formal_check", "send_to_expert_review")
    progress = stage_progress(Status.EXPERT_REVIEW, events, WITH_REVIEW, TODAY)
    check = view_of(progress, Stage.FORMAL_CHECK)
    assert check.state is StageState.DONE
    assert (check.reached_at, check.finished_at) == (events[1].at, events[2].at)
    assert str(check.outcome) == "Passed"
    assert progress.current is Stage.EXPERT_REVIEW
    assert view_of(progress, Stage.EXPERT_REVIEW).reached_at == events[2].at
    assert "5 working days" in str(progress.next_step)


def test_moderation_is_still_expert_review_for_the_firm():
    events = history("submit", "send_to_expert_review", "flag_for_moderation")
    progress = stage_progress(Status.MODERATION, events, WITH_REVIEW, TODAY)
    assert progress.current is Stage.EXPERT_REVIEW


def test_a_programme_without_expert_review_skips_it():
    events = history("submit", "send_to_decision")
    progress = stage_progress(Status.DECIDED, events, WITHOUT_REVIEW, TODAY)
    assert states(progress)[Stage.EXPERT_REVIEW] is StageState.SKIPPED
    assert progress.current is Stage.DECISION
    assert view_of(progress, Stage.DECISION).reached_at == events[1].at


def test_a_recorded_but_unreleased_decision_is_still_the_decision_stage():
    events = history("submit", "send_to_expert_review", "reviews_complete")
    progress = stage_progress(Status.DECIDED, events, WITH_REVIEW, TODAY)
    assert progress.current is Stage.DECISION
    assert view_of(progress, Stage.DECISION).outcome is not None
    assert "Not approved" not in str(view_of(progress, Stage.DECISION).outcome)


def test_publicity_says_when_it_ends():
    dates = ProgrammeDates(date(2026, 11, 30), 5, True, publicity_ends_on=date(2026, 12, 9))
    events = history("submit", "send_to_expert_review", "reviews_complete", "release_approval")
    progress = stage_progress(Status.PUBLICITY, events, dates, TODAY)
    assert progress.current is Stage.PUBLICITY
    assert str(view_of(progress, Stage.DECISION).outcome) == "Proposed for support"
    assert "2026-12-09" in str(progress.next_step)


def test_an_objection_puts_publicity_on_hold():
    events = history("submit", "send_to_decision", "release_approval", "objection_received")
    progress = stage_progress(Status.ON_HOLD, events, WITHOUT_REVIEW, TODAY)
    assert progress.current is Stage.PUBLICITY
    assert "objection" in str(view_of(progress, Stage.PUBLICITY).outcome)


def test_a_final_award_waits_for_its_letter_then_its_payment_then_the_journey_ends():
    events = history("submit", "send_to_decision", "release_approval", "finish_publicity")
    waiting = stage_progress(Status.AWARDED, events, WITHOUT_REVIEW, TODAY)
    assert waiting.current is Stage.LETTER
    assert states(waiting)[Stage.PUBLICITY] is StageState.DONE
    assert states(waiting)[Stage.PAYMENT] is StageState.UPCOMING
    assert "letter" in str(waiting.next_step)

    letter = Event("letter.issued", START + timedelta(days=9))
    events = [*events, letter]
    offered = Payments(agreement_accepted=False, planned=1, paid=0)
    paying = stage_progress(Status.AWARDED, events, WITHOUT_REVIEW, TODAY, offered)
    assert paying.current is Stage.PAYMENT
    assert view_of(paying, Stage.LETTER).state is StageState.DONE
    assert view_of(paying, Stage.LETTER).finished_at == letter.at
    assert view_of(paying, Stage.PAYMENT).reached_at == letter.at
    assert str(view_of(paying, Stage.PAYMENT).outcome) == "After the funding agreement"
    assert "accept the funding agreement" in str(paying.next_step)

    accepted = Payments(agreement_accepted=True, planned=1, paid=0)
    paying = stage_progress(Status.AWARDED, events, WITHOUT_REVIEW, TODAY, accepted)
    assert str(view_of(paying, Stage.PAYMENT).outcome) == "Being paid"
    assert "pays the award" in str(paying.next_step)

    payment = Event("payment.confirmed", START + timedelta(days=20))
    paid = Payments(agreement_accepted=True, planned=1, paid=1)
    done = stage_progress(Status.AWARDED, [*events, payment], WITHOUT_REVIEW, TODAY, paid)
    assert done.current is None and done.next_step is None
    assert view_of(done, Stage.PAYMENT).finished_at == payment.at
    assert str(view_of(done, Stage.PAYMENT).outcome) == "Paid"
    assert {state for stage, state in states(done).items() if stage is not Stage.EXPERT_REVIEW} == {
        StageState.DONE
    }


def test_tranches_paid_in_part_keep_the_payment_stage_current():
    events = history(
        "submit", "send_to_decision", "release_approval", "finish_publicity", "letter.issued"
    )
    events.append(Event("payment.confirmed", START + timedelta(days=30)))
    partly = Payments(agreement_accepted=True, planned=2, paid=1)
    progress = stage_progress(Status.AWARDED, events, WITHOUT_REVIEW, TODAY, partly)
    assert progress.current is Stage.PAYMENT
    assert str(view_of(progress, Stage.PAYMENT).outcome) == "1 of 2 payments made"
    assert "remaining payments" in str(progress.next_step)


def test_a_final_award_without_its_payment_plan_yet_waits_at_payment():
    events = history(
        "submit", "send_to_decision", "release_approval", "finish_publicity", "letter.issued"
    )
    progress = stage_progress(Status.AWARDED, events, WITHOUT_REVIEW, TODAY)
    assert progress.current is Stage.PAYMENT
    assert states(progress)[Stage.PAYMENT] is StageState.CURRENT


@pytest.mark.parametrize(
    ("actions", "stopped_at", "skipped"),
    [
        (("submit", "reject_ineligible"), Stage.FORMAL_CHECK, {Stage.DECISION, Stage.PUBLICITY}),
        (("submit", "send_to_decision", "release_rejection"), Stage.DECISION, {Stage.PUBLICITY}),
        (
            (
                "submit",
                "send_to_decision",
                "release_approval",
                "objection_received",
                "uphold_objection",
            ),
            Stage.PUBLICITY,
            set(),
        ),
    ],
)
def test_a_rejection_shows_where_it_stopped_and_its_letter(actions, stopped_at, skipped):
    progress = stage_progress(Status.REJECTED, history(*actions), WITHOUT_REVIEW, TODAY)
    assert states(progress)[stopped_at] is StageState.STOPPED
    assert view_of(progress, stopped_at).finished_at is not None
    for stage in skipped:
        assert states(progress)[stage] is StageState.SKIPPED
    assert states(progress)[Stage.LETTER] is StageState.CURRENT  # its letter is being prepared
    assert states(progress)[Stage.PAYMENT] is StageState.SKIPPED  # nothing to pay


def test_returned_for_changes_is_the_formal_check_waiting_for_the_firm():
    events = history("submit", "start_formal_check", "return_for_changes")
    progress = stage_progress(Status.RETURNED, events, WITH_REVIEW, TODAY)
    assert progress.current is Stage.FORMAL_CHECK
    assert "Returned" in str(view_of(progress, Stage.FORMAL_CHECK).outcome)
    assert "resubmit" in str(progress.next_step)


def test_a_resubmission_dates_the_stages_from_the_latest_sending():
    events = history("submit", "return_for_changes", "resubmit")
    progress = stage_progress(Status.SUBMITTED, events, WITH_REVIEW, TODAY)
    assert view_of(progress, Stage.SUBMITTED).finished_at == events[2].at
    assert view_of(progress, Stage.FORMAL_CHECK).reached_at == events[2].at


def test_a_withdrawn_application_stops_where_it_was():
    events = history("submit", "send_to_expert_review", "withdraw")
    progress = stage_progress(Status.WITHDRAWN, events, WITH_REVIEW, TODAY)
    assert progress.current is None and progress.next_step is None
    assert states(progress)[Stage.FORMAL_CHECK] is StageState.DONE
    assert states(progress)[Stage.EXPERT_REVIEW] is StageState.STOPPED
    assert str(view_of(progress, Stage.EXPERT_REVIEW).outcome) == "Withdrawn"
    assert states(progress)[Stage.DECISION] is StageState.SKIPPED


def test_a_reopened_review_goes_back_to_expert_review():
    events = history("submit", "send_to_expert_review", "reviews_complete", "reopen_review")
    progress = stage_progress(Status.EXPERT_REVIEW, events, WITH_REVIEW, TODAY)
    assert progress.current is Stage.EXPERT_REVIEW
    assert view_of(progress, Stage.EXPERT_REVIEW).reached_at == events[3].at


def test_every_status_has_a_place():
    for status in Status:
        progress = stage_progress(status, history("submit"), WITH_REVIEW, TODAY)
        assert len(progress.stages) == len(STAGE_ORDER)
