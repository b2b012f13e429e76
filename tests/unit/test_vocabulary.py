"""The portal's words live in one place each: audit actions are ``Action`` members with labels,
enums carry their labels, every transition has its audit action, jobs are named once."""

from __future__ import annotations

import ast

import pytest
from flask_babel import force_locale
from flask_babel import lazy_gettext as _l

from portal.accounts.models import Role
from portal.applications import lifecycle
from portal.applications.models import Status
from portal.core import access, jobs
from portal.core.audit import Action, action_label
from portal.core.labels import LabelledEnum
from portal.core.paths import PROJECT_ROOT
from portal.letters.models import ExportStatus, LetterKind, LetterStatus
from portal.review.models import AssignmentStatus, DeclineReason, FlagReason
from portal.review.reviewer_pool import ConflictKind

LABELLED = (
    Action,
    Status,
    Role,
    AssignmentStatus,
    DeclineReason,
    FlagReason,
    ConflictKind,
    LetterKind,
    LetterStatus,
    ExportStatus,
)


def _record_calls() -> list[tuple[str, int, ast.expr]]:
    calls = []
    for path in sorted((PROJECT_ROOT / "portal").rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Attribute)
                and node.func.attr == "record"
                and isinstance(node.func.value, ast.Name)
                and node.func.value.id == "audit"
            ):
                calls.append((str(path.relative_to(PROJECT_ROOT)), node.lineno, node.args[0]))
    return calls


def test_every_audit_record_names_an_action_member_not_a_string():
    calls = _record_calls()
    assert len(calls) > 40
    strings = [
        f"{path}:{line}"
        for path, line, first in calls
        if isinstance(first, ast.Constant | ast.JoinedStr)
    ]
    assert strings == [], "audit.record takes an Action member"


@pytest.mark.parametrize("enum_class", LABELLED, ids=lambda e: e.__name__)
def test_every_member_has_its_own_label(app, enum_class):
    with app.test_request_context():
        labels = [str(member.label) for member in enum_class]
    assert all(labels), enum_class
    assert all(label != member.value for label, member in zip(labels, enum_class, strict=True))
    assert len(set(labels)) == len(labels) or enum_class is Action  # Action: two "Objection upheld"


def test_every_transition_has_its_audit_action():
    for name, transition in lifecycle.TRANSITIONS.items():
        assert transition.audit_action is Action(f"application.{name}")


def test_every_status_is_reachable_or_the_start():
    reached = {t.target for t in lifecycle.TRANSITIONS.values()} | {Status.DRAFT}
    assert reached == set(Status)


def test_action_labels_fall_back_to_the_code_for_unknown_actions(app):
    with app.test_request_context(), force_locale("en"):
        assert action_label("application.submit") == "Submitted"
        assert action_label("no.such_action") == "no.such_action"


def test_roles_are_the_audiences_access_checks():
    assert {role.value for role in Role} == set(access.SIGNED_IN)


def test_a_labelled_enum_is_its_value():
    class Colour(LabelledEnum):
        RED = "red", _l("Red")
        PLAIN = "plain"

    assert Colour.RED == "red" and Colour("red") is Colour.RED
    assert Colour.PLAIN.label == "plain"
    assert Colour.choices()[0][0] == "red"


def test_queueing_an_unknown_job_fails_where_it_is_queued():
    with pytest.raises(LookupError, match="no background job named 'send_nothing'"):
        jobs.job_name("send_nothing")
    assert jobs.job_name("issue_letters") == "issue_letters"
