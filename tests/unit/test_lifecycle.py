"""The transition table: every move is declared once, illegal moves are refused."""

import pytest
from flask import Flask
from flask_babel import Babel

import portal.models  # noqa: F401  (all mappers, so Application can be built)
from portal.applications import lifecycle
from portal.applications.models import Application, Status


@pytest.fixture(autouse=True)
def babel_context():
    app = Flask(__name__)
    Babel(app)
    with app.test_request_context():
        yield


def test_every_status_has_a_label():
    assert set(lifecycle.STATUS_LABELS) == set(Status)


@pytest.mark.parametrize(
    ("action", "allowed", "target"),
    [
        ("submit", {Status.DRAFT}, Status.SUBMITTED),
        ("resubmit", {Status.RETURNED}, Status.SUBMITTED),
        ("return_for_changes", {Status.SUBMITTED, Status.FORMAL_CHECK}, Status.RETURNED),
        (
            "withdraw",
            {
                Status.DRAFT,
                Status.SUBMITTED,
                Status.RETURNED,
                Status.FORMAL_CHECK,
                Status.EXPERT_REVIEW,
                Status.MODERATION,
                Status.DECIDED,  # pending, not yet released
            },
            Status.WITHDRAWN,
        ),
    ],
)
def test_table(action, allowed, target):
    rule = lifecycle.TRANSITIONS[action]
    assert rule.sources == allowed and rule.target is target
    for status in Status:
        assert lifecycle.can(Application(status=status), action) == (status in allowed)


@pytest.mark.parametrize(
    "status", [Status.PUBLICITY, Status.ON_HOLD, Status.AWARDED, Status.REJECTED, Status.WITHDRAWN]
)
def test_no_withdraw_after_a_decision(status):
    application = Application(status=status)
    with pytest.raises(lifecycle.IllegalTransition):
        lifecycle.transition(application, "withdraw", actor=None)
    assert application.status is status


def test_unknown_action_is_refused():
    with pytest.raises(lifecycle.IllegalTransition):
        lifecycle.transition(Application(status=Status.DRAFT), "teleport", actor=None)
