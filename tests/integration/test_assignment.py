"""Officers assign expert reviewers: profiles, conflicts, by hand, automatically, reopening."""

from __future__ import annotations

import html
import re
from datetime import UTC, datetime, time, timedelta
from decimal import Decimal

import pytest
from flask.testing import FlaskClient
from sqlalchemy import event, func, select

from portal.accounts.models import Enterprise, Role, User
from portal.applications.models import Application, Status
from portal.core.audit import AuditEvent
from portal.core.extensions import db
from portal.core.timeutil import BUREAU_ZONE, bureau_today, utcnow
from portal.programs.models import Program
from portal.review import scoring_math
from portal.review.models import (
    Assignment,
    AssignmentStatus,
    ConflictDeclaration,
    DeclineReason,
    ReviewerProfile,
)
from tests.helpers import KEY_RUBRIC, sign_in, submit_application, use_english
from tests.helpers import add_bare_applications as bare_applications

KEY = "key-above-size-2026"
ENT1_USCC = "91210900MA0QF2N1XY"
ENT2_USCC = "91210902MA0Y4K8L3L"
R1, R2, R3 = "reviewer1@example.com", "reviewer2@example.com", "reviewer3@example.com"


# --- set-up (also used by test_moderation.py) --------------------------------------------------


def user_id(app, email: str) -> int:
    with app.app_context():
        return db.session.scalar(select(User.id).where(User.email == email))


def staff_client(app, email: str = "officer@example.com") -> FlaskClient:
    client = app.test_client()
    assert sign_in(client, email).status_code == 302
    use_english(client)
    return client


def submitted_application(app, email: str) -> int:
    """Drive the firm's pages to a submitted application of the key above-size programme."""
    return submit_application(app, email, KEY)


def set_status(app, application_id: int, status: Status) -> None:
    """Another engineer's formal check moves applications on; tests set the status directly."""
    with app.app_context():
        db.session.get(Application, application_id).status = status
        db.session.commit()


def expert_review_applications(app) -> tuple[int, int]:
    """ent1's and ent2's applications of the key above-size programme, in expert review."""
    first = submitted_application(app, "ent1@example.com")
    second = submitted_application(app, "ent2@example.com")
    set_status(app, first, Status.EXPERT_REVIEW)
    set_status(app, second, Status.EXPERT_REVIEW)
    return first, second


@pytest.fixture
def apps(app, demo) -> tuple[int, int]:
    return expert_review_applications(app)


@pytest.fixture
def officer(app, demo) -> FlaskClient:
    return staff_client(app)


def link(app, email: str, *usccs: str, expertise=()) -> None:
    with app.app_context():
        reviewer_id = db.session.scalar(select(User.id).where(User.email == email))
        db.session.merge(
            ReviewerProfile(
                user_id=reviewer_id, linked_usccs=list(usccs), expertise=list(expertise)
            )
        )
        db.session.commit()


def declare_conflict(app, email: str, uscc: str, reason: str = "前雇主") -> None:
    with app.app_context():
        db.session.add(
            ConflictDeclaration(
                reviewer_id=db.session.scalar(select(User.id).where(User.email == email)),
                enterprise_id=db.session.scalar(
                    select(Enterprise.id).where(Enterprise.uscc == uscc)
                ),
                reason=reason,
            )
        )
        db.session.commit()


def add_assignment(
    app,
    application_id: int,
    email: str,
    status: AssignmentStatus = AssignmentStatus.ASSIGNED,
    scores: dict[str, str] | None = None,
    **extra,
) -> int:
    """An assignment written directly; a SUBMITTED one carries scores and its weighted total."""
    with app.app_context():
        application = db.session.get(Application, application_id)
        assignment = Assignment(
            application_id=application_id,
            reviewer_id=db.session.scalar(select(User.id).where(User.email == email)),
            status=status,
            due_at=utcnow() + timedelta(days=7),
            **extra,
        )
        if scores is not None:
            criteria = scoring_math.criteria_from_rubric(application.program_version.rubric)
            assignment.scores = {k: {"score": v, "comment": f"评语 {k}"} for k, v in scores.items()}
            assignment.total = scoring_math.weighted_total(criteria, scores)
            assignment.minimum_missed = bool(scoring_math.missed_minimums(criteria, scores))
            assignment.submitted_at = utcnow()
        db.session.add(assignment)
        db.session.commit()
        return assignment.id


def uniform_scores(value: str) -> dict[str, str]:
    """Every criterion scored ``value`` of 10: the total is value × 10."""
    return dict.fromkeys(KEY_RUBRIC, value)


def assignments_of(app, application_id: int) -> dict[str, Assignment]:
    with app.app_context():
        rows = db.session.execute(
            select(Assignment, User.email)
            .join(User, User.id == Assignment.reviewer_id)
            .where(Assignment.application_id == application_id)
        ).all()
        for assignment, _email in rows:
            db.session.expunge(assignment)
        return {email: assignment for assignment, email in rows}


def audit_events(app, action: str) -> list[AuditEvent]:
    with app.app_context():
        events = db.session.scalars(
            select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.id)
        ).all()
        for item in events:
            db.session.expunge(item)
        return list(events)


def page_text(response) -> str:
    return html.unescape(response.get_data(as_text=True))


def due_text(days: int = 10) -> str:
    return (bureau_today() + timedelta(days=days)).isoformat()


def assign(client, application_id: int, reviewer_id, due: str | None = None):
    data = {"due_on": due or due_text()}
    if reviewer_id is not None:
        data["reviewer_id"] = str(reviewer_id)
    return client.post(f"/staff/review/applications/{application_id}/assign", data=data)


def radio_values(page: str) -> set[int]:
    return {int(v) for v in re.findall(r'name="reviewer_id" value="(\d+)"', page)}


# --- reviewer profiles -----------------------------------------------------------------------


def test_reviewers_page_lists_expertise_links_conflicts_and_load(app, apps, officer):
    link(app, R1, ENT1_USCC, expertise=["新材料", "氟化工"])
    declare_conflict(app, R2, ENT2_USCC)
    add_assignment(app, apps[0], R1)
    add_assignment(app, apps[1], R1, AssignmentStatus.SUBMITTED, uniform_scores("7"))
    response = officer.get("/staff/review/reviewers")
    assert response.status_code == 200
    page = page_text(response)
    assert "Expert Li" in page and "Expert Zhao" in page and "Expert Chen" in page
    assert "新材料" in page and "氟化工" in page
    assert ENT1_USCC in page and "阜新氟科新材料有限公司" in page
    assert "阜新智造装备股份有限公司" in page  # reviewer2's declared conflict
    row = page[page.index("Expert Li") :].split("</tr>")[0]
    assert re.findall(r'<td class="num"[^>]*>(\d+)</td>', row) == ["1", "1"]


def test_reviewers_page_runs_a_fixed_number_of_queries(app, demo, officer):
    def count_queries() -> int:
        statements: list[str] = []
        with app.app_context():
            engine = db.engine

        def capture(_conn, _cursor, statement, *_args):
            statements.append(statement)

        event.listen(engine, "before_cursor_execute", capture)
        try:
            assert officer.get("/staff/review/reviewers").status_code == 200
        finally:
            event.remove(engine, "before_cursor_execute", capture)
        return len(statements)

    few = count_queries()
    with app.app_context():
        for number in range(12):
            user = User(
                email=f"expert{number}@example.com",
                password_hash="x",
                role=Role.REVIEWER,
                display_name=f"专家{number}",
            )
            db.session.add(user)
            db.session.flush()
            db.session.add(
                ReviewerProfile(user_id=user.id, expertise=["a"], linked_usccs=[ENT1_USCC])
            )
        db.session.commit()
    assert count_queries() == few


def test_profile_edit_saves_tags_and_codes_and_is_audited(app, demo, officer):
    reviewer_id = user_id(app, R1)
    page = page_text(officer.get(f"/staff/review/reviewers/{reviewer_id}"))
    assert "Expert Li" in page
    response = officer.post(
        f"/staff/review/reviewers/{reviewer_id}",
        data={
            "expertise": "新材料，氟化工\n智能制造, 新材料",
            "linked_usccs": f" {ENT1_USCC.lower()} \n\n9144 0300 7152 6726XG\n",
        },
    )
    assert response.status_code == 302
    with app.app_context():
        profile = db.session.get(ReviewerProfile, reviewer_id)
        assert profile.expertise == ["新材料", "氟化工", "智能制造"]
        assert profile.linked_usccs == [ENT1_USCC, "9144030071526726XG"]
    (event_row,) = audit_events(app, "reviewer.profile_updated")
    assert event_row.object_id == str(reviewer_id)
    assert event_row.summary["linked_usccs"] == [ENT1_USCC, "9144030071526726XG"]
    page = page_text(officer.get(f"/staff/review/reviewers/{reviewer_id}"))
    assert "新材料\n氟化工\n智能制造" in page


def test_profile_edit_names_each_bad_uscc_line_and_writes_nothing(app, demo, officer):
    reviewer_id = user_id(app, R1)
    with app.app_context():  # the demo reviewer's profile as seeded (expertise, no links)
        before = db.session.get(ReviewerProfile, reviewer_id)
        seeded = (before.expertise, before.linked_usccs) if before else None
    typed = f"{ENT1_USCC}\n91210900MA0QF2N1X0\nABC"
    response = officer.post(
        f"/staff/review/reviewers/{reviewer_id}",
        data={"expertise": "新材料", "linked_usccs": typed},
    )
    assert response.status_code == 422
    page = page_text(response)
    assert "Line 2 (“91210900MA0QF2N1X0”)" in page and "check character" in page
    assert "Line 3 (“ABC”)" in page and "18 characters" in page
    assert "Line 1" not in page
    assert typed in page  # what was typed is kept
    with app.app_context():
        after = db.session.get(ReviewerProfile, reviewer_id)
        assert ((after.expertise, after.linked_usccs) if after else None) == seeded
    assert audit_events(app, "reviewer.profile_updated") == []


def test_profile_edit_warns_when_a_new_link_meets_a_pending_assignment(app, apps, officer):
    add_assignment(app, apps[0], R1)
    response = officer.post(
        f"/staff/review/reviewers/{user_id(app, R1)}",
        data={"expertise": "", "linked_usccs": ENT1_USCC},
        follow_redirects=True,
    )
    with app.app_context():
        reference = db.session.get(Application, apps[0]).reference
    assert f"linked to the applicant of {reference}" in page_text(response)


def test_profile_edit_is_only_for_reviewer_accounts(app, demo, officer):
    assert (
        officer.get(f"/staff/review/reviewers/{user_id(app, 'officer@example.com')}").status_code
        == 404
    )
    assert officer.get("/staff/review/reviewers/99999").status_code == 404


# --- the application's review page and assignment by hand --------------------------------------


def test_conflicted_reviewers_are_named_greyed_and_not_selectable(app, apps, officer):
    link(app, R1, ENT1_USCC)
    declare_conflict(app, R2, ENT1_USCC, reason="曾任该公司技术顾问")
    response = officer.get(f"/staff/review/applications/{apps[0]}")
    assert response.status_code == 200
    page = page_text(response)
    assert radio_values(page) == {user_id(app, R3)}
    assert "2 reviewers have a conflict with this enterprise and cannot be chosen." in page
    assert "Conflict: Linked to this enterprise" in page
    assert "Conflict: Declared a conflict with this enterprise — 曾任该公司技术顾问" in page
    # ent2's application: nobody is in conflict with it
    other = page_text(officer.get(f"/staff/review/applications/{apps[1]}"))
    assert radio_values(other) == {user_id(app, R1), user_id(app, R2), user_id(app, R3)}


def test_assign_by_hand_sets_due_at_end_of_day_and_is_audited(app, apps, officer):
    reviewer_id = user_id(app, R3)
    day = bureau_today() + timedelta(days=20)
    response = assign(officer, apps[0], reviewer_id, day.isoformat())
    assert response.status_code == 302
    made = assignments_of(app, apps[0])[R3]
    assert made.status is AssignmentStatus.ASSIGNED and not made.for_moderation
    assert made.due_at == datetime.combine(day, time(23, 59, 59), BUREAU_ZONE).astimezone(UTC)
    assert made.assigned_by_id == user_id(app, "officer@example.com")
    (event_row,) = audit_events(app, "review.assigned")
    assert event_row.object_type == "applications" and event_row.object_id == str(apps[0])
    assert event_row.summary["reviewer_id"] == reviewer_id
    assert event_row.summary["automatic"] is False
    page = page_text(officer.get(f"/staff/review/applications/{apps[0]}"))
    assert "Expert Chen" in page and day.isoformat() in page
    assert reviewer_id not in radio_values(page)  # not offered twice


def test_due_date_defaults_to_fourteen_days(app, apps, officer):
    page = page_text(officer.get(f"/staff/review/applications/{apps[0]}"))
    assert f'value="{(bureau_today() + timedelta(days=14)).isoformat()}"' in page


@pytest.mark.parametrize("kind", ["linked", "declared"])
def test_assign_refuses_a_conflicted_reviewer_posted_by_hand(app, apps, officer, kind):
    if kind == "linked":
        link(app, R1, ENT1_USCC.lower())
        expected = "李专家 Expert Li is linked to 阜新氟科新材料有限公司 and must never review"
    else:
        declare_conflict(app, R1, ENT1_USCC)
        expected = (
            "李专家 Expert Li has declared a conflict of interest with 阜新氟科新材料有限公司"
        )
    typed_due = due_text(9)
    response = assign(officer, apps[0], user_id(app, R1), typed_due)
    assert response.status_code == 422
    page = page_text(response)
    assert expected in page
    assert f'value="{typed_due}"' in page
    assert assignments_of(app, apps[0]) == {}
    assert audit_events(app, "review.assigned") == []


def test_assign_refuses_declined_and_already_assigned_reviewers(app, apps, officer):
    add_assignment(
        app, apps[0], R1, AssignmentStatus.DECLINED, decline_reason=DeclineReason.WORKLOAD
    )
    add_assignment(app, apps[0], R2)
    page = page_text(officer.get(f"/staff/review/applications/{apps[0]}"))
    assert radio_values(page) == {user_id(app, R3)}
    response = assign(officer, apps[0], user_id(app, R1))
    assert response.status_code == 422
    assert (
        "李专家 Expert Li declined this application and cannot be assigned to it again."
        in page_text(response)
    )
    response = assign(officer, apps[0], user_id(app, R2))
    assert response.status_code == 422
    assert "赵专家 Expert Zhao is already assigned to this application." in page_text(response)
    assert len(assignments_of(app, apps[0])) == 2


@pytest.mark.parametrize(
    ("reviewer", "message"),
    [
        (None, "Choose a reviewer."),
        ("abc", "Choose a reviewer."),
        ("officer@example.com", "Choose one of the listed reviewers."),
        ("99999", "Choose one of the listed reviewers."),
    ],
)
def test_assign_requires_one_of_the_reviewers(app, apps, officer, reviewer, message):
    if reviewer and "@" in reviewer:
        reviewer = user_id(app, reviewer)
    response = assign(officer, apps[0], reviewer)
    assert response.status_code == 422
    assert message in page_text(response)
    assert assignments_of(app, apps[0]) == {}


def test_assign_refuses_a_disabled_reviewer(app, apps, officer):
    with app.app_context():
        db.session.scalar(select(User).where(User.email == R3)).disabled_at = utcnow()
        db.session.commit()
    assert user_id(app, R3) not in radio_values(
        page_text(officer.get(f"/staff/review/applications/{apps[0]}"))
    )
    response = assign(officer, apps[0], user_id(app, R3))
    assert response.status_code == 422
    assert assignments_of(app, apps[0]) == {}


@pytest.mark.parametrize(
    ("due", "message"),
    [
        ((bureau_today() - timedelta(days=1)).isoformat(), "The due date cannot be in the past."),
        ("31/05/2026", "Enter a date like 2026-05-31."),
        ("", "Enter the date by which the review is due."),
        ((bureau_today() + timedelta(days=400)).isoformat(), "within a year"),
    ],
)
def test_assign_checks_the_due_date(app, apps, officer, due, message):
    response = officer.post(
        f"/staff/review/applications/{apps[0]}/assign",
        data={"reviewer_id": str(user_id(app, R3)), "due_on": due},
    )
    assert response.status_code == 422
    page = page_text(response)
    assert message in page
    assert f'value="{due}"' in page or due == ""
    assert f'value="{user_id(app, R3)}" checked' in page  # the choice is kept
    assert assignments_of(app, apps[0]) == {}


@pytest.mark.parametrize("status", [Status.SUBMITTED, Status.FORMAL_CHECK, Status.DECIDED])
def test_assign_only_in_expert_review(app, apps, officer, status):
    set_status(app, apps[0], status)
    page = page_text(officer.get(f"/staff/review/applications/{apps[0]}"))
    assert "Assign the chosen reviewer" not in page
    response = assign(officer, apps[0], user_id(app, R3))
    assert response.status_code == 422
    assert "only while the application is in expert review" in page_text(response)
    assert assignments_of(app, apps[0]) == {}


def test_unassign_deletes_a_pending_assignment_and_is_audited(app, apps, officer):
    assignment_id = add_assignment(app, apps[0], R2)
    response = officer.post(f"/staff/review/assignments/{assignment_id}/unassign")
    assert response.status_code == 302
    assert assignments_of(app, apps[0]) == {}
    (event_row,) = audit_events(app, "review.unassigned")
    assert event_row.summary["reviewer_id"] == user_id(app, R2)
    assert event_row.summary["assignment_id"] == assignment_id
    assert event_row.object_id == str(apps[0])


@pytest.mark.parametrize("status", [AssignmentStatus.SUBMITTED, AssignmentStatus.DECLINED])
def test_unassign_refuses_submitted_and_declined_reviews(app, apps, officer, status):
    scores = uniform_scores("6") if status is AssignmentStatus.SUBMITTED else None
    assignment_id = add_assignment(app, apps[0], R2, status, scores)
    response = officer.post(f"/staff/review/assignments/{assignment_id}/unassign")
    assert response.status_code == 422
    assert "Only a review that has not been submitted or declined can be unassigned." in page_text(
        response
    )
    assert R2 in assignments_of(app, apps[0])
    assert audit_events(app, "review.unassigned") == []


def test_unassigning_the_last_pending_reviewer_completes_the_round(app, apps, officer):
    add_assignment(app, apps[0], R1, AssignmentStatus.SUBMITTED, uniform_scores("7"))
    add_assignment(app, apps[0], R2, AssignmentStatus.SUBMITTED, uniform_scores("8"))
    slow = add_assignment(app, apps[0], R3)
    assert officer.post(f"/staff/review/assignments/{slow}/unassign").status_code == 302
    with app.app_context():
        application = db.session.get(Application, apps[0])
        assert application.status is Status.DECIDED
        assert application.review_mean == Decimal("75.00")


# --- automatic assignment ----------------------------------------------------------------------


def program_id(app) -> int:
    with app.app_context():
        return db.session.scalar(select(Program.id).where(Program.code == KEY))


def auto(client, program: int, due: str | None = None, **kwargs):
    return client.post(
        f"/staff/review/programmes/{program}/auto-assign",
        data={"due_on": due or due_text()},
        **kwargs,
    )


def test_auto_assign_balances_load_and_is_audited(app, apps, officer):
    # reviewer1 already has an open review elsewhere (an application in moderation, which
    # auto-assignment leaves alone): the least-loaded reviewers are picked first.
    busy = add_bare_applications(app, 1)[0]
    add_assignment(app, busy, R1)
    set_status(app, busy, Status.MODERATION)
    response = auto(officer, program_id(app), follow_redirects=True)
    assert response.status_code == 200
    page = page_text(response)
    assert "4 reviewers assigned automatically." in page
    first, second = assignments_of(app, apps[0]), assignments_of(app, apps[1])
    assert len(first) == 2 and len(second) == 2
    assert set(first) == {R2, R3}  # the two with no load
    assert set(second) == {R1, R2}  # then all have one: ties go to the lower account id
    with app.app_context():
        loads = dict(
            db.session.execute(
                select(User.email, func.count())
                .join(Assignment, Assignment.reviewer_id == User.id)
                .where(Assignment.status == AssignmentStatus.ASSIGNED)
                .group_by(User.email)
            ).all()
        )
    assert max(loads.values()) - min(loads.values()) <= 1
    events = audit_events(app, "review.assigned")
    assert len(events) == 4 and all(e.summary["automatic"] for e in events)
    (summary,) = audit_events(app, "review.auto_assigned")
    assert summary.summary["made"] == 4 and summary.summary["shortfalls"] == []


def test_auto_assign_reports_shortfall_when_two_of_three_reviewers_are_conflicted(
    app, apps, officer
):
    link(app, R1, ENT1_USCC)
    declare_conflict(app, R2, ENT1_USCC)
    response = auto(officer, program_id(app), follow_redirects=True)
    page = page_text(response)
    with app.app_context():
        reference = db.session.get(Application, apps[0]).reference
    assert "3 reviewers assigned automatically." in page
    assert f"Not enough reviewers without a conflict for: {reference} (1 missing)" in page
    assert set(assignments_of(app, apps[0])) == {R3}
    assert len(assignments_of(app, apps[1])) == 2
    (summary,) = audit_events(app, "review.auto_assigned")
    assert summary.summary["shortfalls"] == [{"reference": reference, "missing": 1}]
    overview = page_text(officer.get(f"/staff/review/programmes/{program_id(app)}"))
    assert "1 missing" in overview


def test_auto_assign_never_reassigns_a_declined_reviewer(app, apps, officer):
    add_assignment(
        app, apps[0], R1, AssignmentStatus.DECLINED, decline_reason=DeclineReason.NOT_MY_FIELD
    )
    assert auto(officer, program_id(app)).status_code == 302
    made = assignments_of(app, apps[0])
    assert made[R1].status is AssignmentStatus.DECLINED
    assert {e for e, a in made.items() if a.status is AssignmentStatus.ASSIGNED} == {R2, R3}


def test_auto_assign_skips_applications_that_have_their_reviewers(app, apps, officer):
    add_assignment(app, apps[0], R1)
    add_assignment(app, apps[0], R2, AssignmentStatus.SUBMITTED, uniform_scores("7"))
    set_status(app, apps[1], Status.FORMAL_CHECK)
    response = auto(officer, program_id(app), follow_redirects=True)
    assert "No application in expert review is short of reviewers." in page_text(response)
    assert len(assignments_of(app, apps[0])) == 2
    assert assignments_of(app, apps[1]) == {}


def test_auto_assign_checks_the_due_date(app, apps, officer):
    past = (bureau_today() - timedelta(days=2)).isoformat()
    response = auto(officer, program_id(app), past)
    assert response.status_code == 422
    page = page_text(response)
    assert "The due date cannot be in the past." in page and f'value="{past}"' in page
    assert assignments_of(app, apps[0]) == {}


def test_auto_assign_one_application(app, apps, officer):
    link(app, R3, ENT1_USCC)
    add_assignment(app, apps[0], R1)
    response = officer.post(
        f"/staff/review/applications/{apps[0]}/auto-assign",
        data={"due_on": due_text(5)},
        follow_redirects=True,
    )
    assert "1 reviewer assigned automatically." in page_text(response)
    assert set(assignments_of(app, apps[0])) == {R1, R2}
    assert assignments_of(app, apps[1]) == {}


def test_auto_assign_one_refuses_outside_expert_review(app, apps, officer):
    set_status(app, apps[0], Status.MODERATION)
    response = officer.post(
        f"/staff/review/applications/{apps[0]}/auto-assign", data={"due_on": due_text()}
    )
    assert response.status_code == 422
    assert "only while the application is in expert review" in page_text(response)
    assert assignments_of(app, apps[0]) == {}


# --- reopening, z-scores, the programme overview -----------------------------------------------


def test_reopen_requires_a_reason(app, apps, officer):
    assignment_id = add_assignment(
        app, apps[0], R1, AssignmentStatus.SUBMITTED, uniform_scores("7")
    )
    response = officer.post(
        f"/staff/review/assignments/{assignment_id}/reopen", data={"reason": " "}
    )
    assert response.status_code == 422
    page = page_text(response)
    assert "Say why the review is reopened" in page
    assert '<details class="ra-reopen" open>' in page
    assert assignments_of(app, apps[0])[R1].status is AssignmentStatus.SUBMITTED
    assert audit_events(app, "review.reopened") == []


def test_reopen_sends_the_review_back_to_its_reviewer(app, apps, officer):
    assignment_id = add_assignment(
        app, apps[0], R1, AssignmentStatus.SUBMITTED, uniform_scores("7")
    )
    response = officer.post(
        f"/staff/review/assignments/{assignment_id}/reopen",
        data={"reason": "创新能力评分与评语不一致，请复核。"},
        follow_redirects=True,
    )
    assert "The review of 李专家 Expert Li is reopened" in page_text(response)
    reopened = assignments_of(app, apps[0])[R1]
    assert reopened.status is AssignmentStatus.ASSIGNED and reopened.total is None
    (event_row,) = audit_events(app, "review.reopened")
    assert event_row.summary["reason"] == "创新能力评分与评语不一致，请复核。"


def test_application_page_shows_reviews_aggregate_and_z_scores(app, apps, officer):
    add_assignment(app, apps[0], R1, AssignmentStatus.SUBMITTED, uniform_scores("9"))
    add_assignment(app, apps[0], R2)
    add_assignment(app, apps[1], R1, AssignmentStatus.SUBMITTED, uniform_scores("8"))
    add_assignment(app, apps[1], R3, AssignmentStatus.SUBMITTED, uniform_scores("5"))
    add_assignment(
        app,
        apps[1],
        R2,
        AssignmentStatus.DECLINED,
        decline_reason=DeclineReason.CONFLICT,
        decline_note="亲属任职",
    )
    expected = scoring_math.z_scores({"li": [Decimal(90), Decimal(80)], "chen": [Decimal(50)]})
    page = page_text(officer.get(f"/staff/review/applications/{apps[0]}"))
    assert "90.00" in page and "Pending" in page
    assert f"{expected['li']:+.2f}" in page and f"{expected['chen']:+.2f}" in page
    assert "Scores and comments of 李专家 Expert Li" in page and "评语 innovation" in page
    other = page_text(officer.get(f"/staff/review/applications/{apps[1]}"))
    assert "Conflict of interest" in other and "亲属任职" in other
    assert "30.00" in other  # spread 80 - 50
    assert "further apart than the programme allows" in other


def add_bare_applications(app, count: int) -> list[int]:
    """Applications in expert review written directly (made-up firms), for volume tests."""
    return bare_applications(app, KEY, count, status=Status.EXPERT_REVIEW, prefix="T-RA")


def test_program_overview_runs_a_fixed_number_of_queries(app, demo, officer):
    program = program_id(app)

    def count_queries() -> tuple[int, str]:
        statements: list[str] = []
        with app.app_context():
            engine = db.engine

        def capture(_conn, _cursor, statement, *_args):
            statements.append(statement)

        event.listen(engine, "before_cursor_execute", capture)
        try:
            response = officer.get(f"/staff/review/programmes/{program}")
            assert response.status_code == 200
        finally:
            event.remove(engine, "before_cursor_execute", capture)
        return len(statements), page_text(response)

    def populate(count: int) -> list[int]:
        ids = add_bare_applications(app, count)
        for index, application_id in enumerate(ids):
            add_assignment(app, application_id, R1, AssignmentStatus.SUBMITTED, uniform_scores("8"))
            if index % 2:
                add_assignment(
                    app, application_id, R2, AssignmentStatus.SUBMITTED, uniform_scores("5")
                )
            else:
                add_assignment(app, application_id, R3)
        return ids

    populate(5)
    five, page = count_queries()
    assert page.count("T-RA-") == 5
    populate(25)
    thirty, page = count_queries()
    assert page.count("T-RA-") == 30
    assert five == thirty
    assert "In expert review" in page and "Expert Zhao" in page


def test_program_overview_shows_progress_flags_and_z_scores(app, apps, officer):
    add_assignment(app, apps[0], R1, AssignmentStatus.SUBMITTED, uniform_scores("9"))
    add_assignment(app, apps[0], R2, AssignmentStatus.SUBMITTED, uniform_scores("5"))
    with app.app_context():
        from portal.review.aggregates import refresh_aggregates

        application = db.session.get(Application, apps[0])
        refresh_aggregates(application)
        application.status = Status.MODERATION
        db.session.commit()
    page = page_text(officer.get(f"/staff/review/programmes/{program_id(app)}"))
    assert "70.00" in page and "40.00" in page  # mean and spread
    assert "Flagged" in page
    assert "2 missing" in page  # ent2's application has nobody yet
    expected = scoring_math.z_scores({"li": [Decimal(90)], "zhao": [Decimal(50)]})
    assert f"{expected['li']:+.2f}" in page and f"{expected['zhao']:+.2f}" in page


def test_program_overview_404_for_unknown_programme(officer):
    assert officer.get("/staff/review/programmes/9999").status_code == 404


# --- who may use the desk ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("email", "allowed"),
    [
        ("officer@example.com", True),
        ("admin@example.com", True),
        ("reviewer1@example.com", False),
        ("ent1@example.com", False),
    ],
)
def test_only_officers_and_admins_use_the_desk(app, apps, email, allowed):
    client = staff_client(app, email)
    reviewer_id = user_id(app, R3)
    add_assignment(app, apps[0], R1)  # reviewer1 can see this application, still no desk
    urls = [
        "/staff/review/reviewers",
        f"/staff/review/reviewers/{reviewer_id}",
        f"/staff/review/applications/{apps[0]}",
        f"/staff/review/programmes/{program_id(app)}",
    ]
    for url in urls:
        assert client.get(url).status_code == (200 if allowed else 403), url
    response = assign(client, apps[0], reviewer_id)
    assert response.status_code == (302 if allowed else 403)
    assert (R3 in assignments_of(app, apps[0])) is allowed
