"""Supervision slips (督办单), the services: issuing by a supervisor, signing, answering with
evidence, sending back and closing; every step a ``SlipStep``, an audit entry and the right
notifications; every refusal (wrong person, wrong state, a stale page, no evidence) leaves
nothing behind; a rule's slip is raised once per open cause."""

from __future__ import annotations

import hashlib
from datetime import timedelta

import pytest
from flask_babel import force_locale
from sqlalchemy import func, select

from portal.accounts import services as accounts
from portal.accounts.models import Role, User
from portal.core.audit import Action, AuditEvent
from portal.core.concurrency import ConcurrentChange
from portal.core.extensions import db
from portal.core.timeutil import bureau_today
from portal.core.uploads import DetectedFile
from portal.notifications.models import Notification
from portal.tasks import slip_issue, slips
from portal.tasks.models import (
    KeyTask,
    SlipColour,
    SlipState,
    SlipStep,
    SlipStepKind,
    SupervisionSlip,
    TaskFile,
)
from tests.helpers import DEMO_PASSWORD, make_pdf
from tests.wall_world import build_wall_world


@pytest.fixture
def world(app, demo):
    with app.app_context():
        return build_wall_world()


def user(email: str) -> User:
    found = db.session.scalar(select(User).where(User.email == email))
    assert found is not None, email
    return found


def evidence(name: str = "progress.pdf") -> slips.CheckedFile:
    data = make_pdf()
    detected = DetectedFile(
        kind="pdf",
        mime_type="application/pdf",
        extension=".pdf",
        size=len(data),
        sha256=hashlib.sha256(data).hexdigest(),
        page_count=1,
    )
    return slips.CheckedFile(name, data, detected)


def issue(world, colour=SlipColour.RED, days: int = 7) -> SupervisionSlip:
    task = db.session.get(KeyTask, world.red_task_id)
    slip = slips.issue_by_supervisor(
        task,
        user("supervisor@example.com"),
        colour,
        "“完成申报受理”已逾期。",
        "三日内报送进展。",
        bureau_today() + timedelta(days=days),
    )
    db.session.commit()
    return slip


def steps_of(slip_id: int) -> list[SlipStepKind]:
    return list(
        db.session.scalars(
            select(SlipStep.kind).where(SlipStep.slip_id == slip_id).order_by(SlipStep.id)
        )
    )


def audit_actions(slip_id: int) -> list[Action]:
    return list(
        db.session.scalars(
            select(AuditEvent.action)
            .where(AuditEvent.object_type == "supervision_slips")
            .where(AuditEvent.object_id == str(slip_id))
            .order_by(AuditEvent.id)
        )
    )


def notified(kind: str) -> set[int]:
    return set(db.session.scalars(select(Notification.user_id).where(Notification.kind == kind)))


def refused(call, *args, **kwargs) -> slips.SlipRefused:
    with pytest.raises(slips.SlipRefused) as caught:
        call(*args, **kwargs)
    db.session.rollback()
    return caught.value


def test_the_closed_loop_with_one_send_back(app, world):
    with app.app_context():
        slip = issue(world)
        assert slip.code == f"督办〔{bureau_today().year}〕1号"
        assert slip.issued_by_id == world.supervisor_id
        owner = user("hightech@example.com")
        named = set(slip_issue.people_named_on(db.session.get(KeyTask, world.red_task_id)))
        assert notified("slip_issued") == named
        links = set(db.session.scalars(select(Notification.link)))
        assert links == {f"/tasks/slips/{slip.id}"}

        slips.sign(slip, owner, seen_version=1)
        db.session.commit()
        assert slip.state is SlipState.SIGNED and slip.signed_by_id == owner.id

        slips.answer(slip, owner, "已完成申报受理 18 家。", [evidence()], seen_version=2)
        db.session.commit()
        assert slip.state is SlipState.ANSWERED and slip.answered_at is not None
        assert notified("slip_answered") == {world.supervisor_id}
        step = db.session.scalar(select(SlipStep).where(SlipStep.kind == SlipStepKind.ANSWERED))
        stored = db.session.scalars(select(TaskFile).where(TaskFile.slip_step_id == step.id)).all()
        assert [f.original_name for f in stored] == ["progress.pdf"]
        assert step.text == "已完成申报受理 18 家。"

        supervisor = user("supervisor@example.com")
        slips.review(slip, supervisor, False, "请补充受理清单。", seen_version=3)
        db.session.commit()
        assert slip.state is SlipState.RETURNED
        assert notified("slip_returned") == named

        slips.answer(slip, owner, "已补充受理清单。", [evidence("list.pdf")], seen_version=4)
        slips.review(slip, supervisor, True, "", seen_version=5)
        db.session.commit()
        assert slip.state is SlipState.CLOSED
        assert slip.closed_by_id == supervisor.id and slip.closed_at is not None
        assert notified("slip_closed") == named
        assert steps_of(slip.id) == [
            SlipStepKind.ISSUED,
            SlipStepKind.SIGNED,
            SlipStepKind.ANSWERED,
            SlipStepKind.RETURNED,
            SlipStepKind.ANSWERED,
            SlipStepKind.CLOSED,
        ]
        assert audit_actions(slip.id) == [
            Action.SLIP_ISSUED,
            Action.SLIP_SIGNED,
            Action.SLIP_ANSWERED,
            Action.SLIP_RETURNED,
            Action.SLIP_ANSWERED,
            Action.SLIP_CLOSED,
        ]


def test_a_member_of_the_lead_department_may_sign_and_answer(app, world):
    with app.app_context():
        colleague = accounts.create_staff(
            "hightech2@example.com",
            Role.DEPARTMENT,
            "高新二 Colleague",
            DEMO_PASSWORD,
            department_id=world.departments["高新技术科"],
        )
        db.session.commit()
        slip = issue(world)
        slips.sign(slip, colleague)
        slips.answer(slip, colleague, "进展。", [evidence()])
        db.session.commit()
        assert slip.state is SlipState.ANSWERED


def test_issuing_is_for_supervisors_with_a_reason_and_a_later_deadline(app, world):
    with app.app_context():
        task = db.session.get(KeyTask, world.red_task_id)
        later = bureau_today() + timedelta(days=5)
        owner = user("hightech@example.com")
        refusal = refused(slips.issue_by_supervisor, task, owner, SlipColour.RED, "r", "", later)
        assert refusal.field is None
        supervisor = user("supervisor@example.com")
        for deadline in (bureau_today(), bureau_today() - timedelta(days=1), None):
            refusal = refused(
                slips.issue_by_supervisor, task, supervisor, SlipColour.BLUE, "r", "", deadline
            )
            assert refusal.field == "deadline"
        refusal = refused(
            slips.issue_by_supervisor, task, supervisor, SlipColour.BLUE, "  ", "", later
        )
        assert refusal.field == "reason"
        assert db.session.scalar(select(func.count()).select_from(SupervisionSlip)) == 0
        assert notified("slip_issued") == set()


def test_wrong_people_are_refused_and_nothing_is_written(app, world):
    with app.app_context():
        slip = issue(world)
        other_department = user("funds@example.com")
        supervisor = user("supervisor@example.com")
        for person in (other_department, supervisor, user("officer@example.com")):
            refused(slips.sign, slip, person)
        slips.sign(slip, user("hightech@example.com"))
        db.session.commit()
        refused(slips.answer, slip, other_department, "进展。", [evidence()])
        refused(slips.answer, slip, supervisor, "进展。", [evidence()])
        slips.answer(slip, user("hightech@example.com"), "进展。", [evidence()])
        db.session.commit()
        for person in (user("hightech@example.com"), user("leader@example.com")):
            refused(slips.review, slip, person, True, "")
        assert db.session.get(SupervisionSlip, slip.id).state is SlipState.ANSWERED
        assert steps_of(slip.id) == [
            SlipStepKind.ISSUED,
            SlipStepKind.SIGNED,
            SlipStepKind.ANSWERED,
        ]


def test_steps_out_of_turn_and_second_clicks_are_refused(app, world):
    with app.app_context(), force_locale("en"):
        slip = issue(world)
        owner = user("hightech@example.com")
        supervisor = user("supervisor@example.com")
        assert "not possible now" in str(refused(slips.answer, slip, owner, "x", [evidence()]))
        refused(slips.review, slip, supervisor, True, "")
        slips.sign(slip, owner, seen_version=1)
        db.session.commit()
        # The same page sent twice: the slip is already signed for.
        second = refused(slips.sign, slip, owner, seen_version=1)
        assert "already taken" in str(second.message)
        slips.answer(slip, owner, "进展。", [evidence()])
        db.session.commit()
        refused(slips.answer, slip, owner, "进展。", [evidence()])
        slips.review(slip, supervisor, True, "")
        db.session.commit()
        refused(slips.review, slip, supervisor, False, "再补充。")
        refused(slips.sign, slip, owner)
        assert db.session.get(SupervisionSlip, slip.id).state is SlipState.CLOSED


def test_a_stale_page_is_refused(app, world):
    with app.app_context():
        slip = issue(world)
        owner = user("hightech@example.com")
        slips.sign(slip, owner)
        db.session.commit()
        # A form drawn at version 1 that still fits the state (answer) but is out of date.
        with pytest.raises(ConcurrentChange):
            slips.answer(slip, owner, "进展。", [evidence()], seen_version=1)
        db.session.rollback()
        assert db.session.get(SupervisionSlip, slip.id).state is SlipState.SIGNED
        assert db.session.scalar(select(func.count()).select_from(TaskFile)) == 0


def test_an_answer_needs_text_and_evidence(app, world):
    with app.app_context():
        slip = issue(world)
        owner = user("hightech@example.com")
        slips.sign(slip, owner)
        db.session.commit()
        assert refused(slips.answer, slip, owner, "进展。", []).field == "files"
        assert refused(slips.answer, slip, owner, "  ", [evidence()]).field == "progress"
        too_many = [evidence(f"{n}.pdf") for n in range(slips.FILES_MAX + 1)]
        assert refused(slips.answer, slip, owner, "进展。", too_many).field == "files"
        assert db.session.get(SupervisionSlip, slip.id).state is SlipState.SIGNED
        assert db.session.scalar(select(func.count()).select_from(TaskFile)) == 0
        assert notified("slip_answered") == set()


def test_sending_back_needs_a_note(app, world):
    with app.app_context():
        slip = issue(world)
        owner = user("hightech@example.com")
        slips.sign(slip, owner)
        slips.answer(slip, owner, "进展。", [evidence()])
        db.session.commit()
        refusal = refused(slips.review, slip, user("supervisor@example.com"), False, " ")
        assert refusal.field == "note"
        assert db.session.get(SupervisionSlip, slip.id).state is SlipState.ANSWERED


def test_a_rule_raised_slip_is_answered_to_every_supervisor_and_raised_once(app, world):
    with app.app_context():
        task = db.session.get(KeyTask, world.red_task_id)
        cause = f"milestone:{world.red_overdue_milestone_id}"
        deadline = bureau_today() + timedelta(days=5)
        late = "里程碑逾期。"
        slip = slip_issue.issue_slip(task, SlipColour.RED, late, deadline, cause_key=cause)
        db.session.commit()
        assert slip is not None and slip.issued_by_id is None
        again = slip_issue.issue_slip(task, SlipColour.RED, late, deadline, cause_key=cause)
        assert again is None
        second_supervisor = accounts.create_staff(
            "supervisor2@example.com", Role.SUPERVISOR, "督查二", DEMO_PASSWORD
        )
        db.session.commit()
        owner = user("hightech@example.com")
        slips.sign(slip, owner)
        slips.answer(slip, owner, "已完成。", [evidence()])
        db.session.commit()
        assert notified("slip_answered") == {world.supervisor_id, second_supervisor.id}
        slips.review(slip, user("supervisor@example.com"), True, "")
        db.session.commit()
        # Closed: the same cause may raise a new slip.
        fresh = slip_issue.issue_slip(task, SlipColour.RED, "再次逾期。", deadline, cause_key=cause)
        db.session.commit()
        assert fresh is not None and fresh.serial == slip.serial + 1
