"""Assignment in one go: several reviewers for one application, automatic assignment for the
applications an officer ticks, refusals that write nothing, fixed query counts."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import event, select

from portal.accounts.models import Role, User
from portal.applications.models import Application, Status
from portal.core.extensions import db
from portal.review.models import AssignmentStatus, ReviewerProfile
from tests.integration.test_assignment import (
    ENT1_USCC,
    R1,
    R2,
    R3,
    add_assignment,
    add_bare_applications,
    assignments_of,
    audit_events,
    declare_conflict,
    due_text,
    link,
    page_text,
    program_id,
    set_status,
    staff_client,
    user_id,
)
from tests.integration.test_assignment import apps as apps
from tests.integration.test_assignment import officer as officer


def checkbox_values(page: str) -> set[int]:
    return {int(v) for v in re.findall(r'type="checkbox" name="reviewer_id" value="(\d+)"', page)}


def fingerprint(page: str) -> str:
    match = re.search(r'name="shown" value="([^"]*)"', page)
    assert match
    return match.group(1)


def assign_many(client, application_id: int, reviewer_ids, *, shown: str | None = None):
    data: dict = {"due_on": due_text(), "reviewer_id": [str(r) for r in reviewer_ids]}
    if shown is not None:
        data["shown"] = shown
    return client.post(f"/staff/review/applications/{application_id}/assign", data=data)


def bulk(client, program: int, application_ids, due: str | None = None):
    return client.post(
        f"/staff/review/programmes/{program}/auto-assign-chosen",
        data={"due_on": due or due_text(), "application_id": [str(a) for a in application_ids]},
    )


def count_statements(app, client, url: str) -> tuple[int, str]:
    statements: list[str] = []
    with app.app_context():
        engine = db.engine

    def capture(_conn, _cursor, statement, *_args):
        statements.append(statement)

    event.listen(engine, "before_cursor_execute", capture)
    try:
        response = client.get(url)
        assert response.status_code == 200
    finally:
        event.remove(engine, "before_cursor_execute", capture)
    return len(statements), page_text(response)


# --- several reviewers for one application ---------------------------------------------------


def test_the_demo_reviewers_show_their_expertise_and_load(app, apps, officer):
    add_assignment(app, apps[1], R1)
    page = page_text(officer.get(f"/staff/review/applications/{apps[0]}"))
    assert "氟化工 Fluorochemicals" in page and "智能制造 Smart manufacturing" in page
    assert "软件 Software" in page
    assert checkbox_values(page) == {user_id(app, R1), user_id(app, R2), user_id(app, R3)}
    assert "Tick up to 2 reviewers" in page
    row = page[page.index("Expert Li") :].split("</tr>")[0]
    assert re.search(r'data-label="Open reviews">1</td>', row)


def test_two_reviewers_are_assigned_in_one_submit_and_each_is_audited(app, apps, officer):
    page = page_text(officer.get(f"/staff/review/applications/{apps[0]}"))
    response = assign_many(
        officer, apps[0], [user_id(app, R2), user_id(app, R3)], shown=fingerprint(page)
    )
    assert response.status_code == 302
    assert set(assignments_of(app, apps[0])) == {R2, R3}
    events = audit_events(app, "review.assigned")
    assert {e.summary["reviewer_id"] for e in events} == {user_id(app, R2), user_id(app, R3)}
    assert all(e.summary["automatic"] is False for e in events)
    page = page_text(officer.get(f"/staff/review/applications/{apps[0]}"))
    assert "2 reviewers are assigned" in page
    # The application has what it needs: a further reviewer is chosen alone (radio buttons).
    assert checkbox_values(page) == set()
    assert f'type="radio" name="reviewer_id" value="{user_id(app, R1)}"' in page


@pytest.mark.parametrize("kind", ["linked", "declared"])
def test_a_conflicted_reviewer_in_a_crafted_post_refuses_the_whole_choice(app, apps, officer, kind):
    if kind == "linked":
        link(app, R1, ENT1_USCC)
    else:
        declare_conflict(app, R1, ENT1_USCC)
    page = page_text(officer.get(f"/staff/review/applications/{apps[0]}"))
    assert user_id(app, R1) not in checkbox_values(page)  # never offered
    response = assign_many(officer, apps[0], [user_id(app, R2), user_id(app, R1)])
    assert response.status_code == 422
    page = page_text(response)
    assert "李专家 Expert Li" in page and "must never review its application" in page
    assert 'id="reviewer_id-error"' in page  # beside the field
    assert f'value="{user_id(app, R2)}" checked' in page  # what was ticked is kept
    assert assignments_of(app, apps[0]) == {}
    assert audit_events(app, "review.assigned") == []


def test_more_reviewers_than_the_application_lacks_are_refused(app, apps, officer):
    response = assign_many(officer, apps[0], [user_id(app, R1), user_id(app, R2), user_id(app, R3)])
    assert response.status_code == 422
    assert "Choose at most 2: the application needs 2 reviewers and has 0." in page_text(response)
    assert assignments_of(app, apps[0]) == {}


def test_a_choice_made_on_a_stale_page_is_refused(app, apps, officer):
    shown = fingerprint(page_text(officer.get(f"/staff/review/applications/{apps[0]}")))
    add_assignment(app, apps[0], R3)  # another officer, meanwhile
    response = assign_many(officer, apps[0], [user_id(app, R1)], shown=shown)
    assert response.status_code == 422
    page = page_text(response)
    assert "changed while you were choosing" in page
    assert set(assignments_of(app, apps[0])) == {R3}
    # The page shown with the refusal is current: sent again, the choice goes through.
    assert assign_many(officer, apps[0], [user_id(app, R1)], shown=fingerprint(page)).status_code
    assert set(assignments_of(app, apps[0])) == {R1, R3}


def test_a_moderation_reviewer_is_added_alone(app, apps, officer):
    set_status(app, apps[0], Status.MODERATION)
    page = page_text(officer.get(f"/staff/review/applications/{apps[0]}"))
    assert checkbox_values(page) == set()
    response = assign_many(officer, apps[0], [user_id(app, R1), user_id(app, R2)])
    assert response.status_code == 422
    assert "Add one moderation reviewer at a time." in page_text(response)
    assert assignments_of(app, apps[0]) == {}


def test_the_application_page_runs_a_fixed_number_of_queries(app, apps, officer):
    url = f"/staff/review/applications/{apps[0]}"
    few, _page = count_statements(app, officer, url)
    with app.app_context():
        for number in range(10):
            user = User(
                email=f"expert{number}@example.com",
                password_hash="x",
                role=Role.REVIEWER,
                display_name=f"专家{number}",
            )
            db.session.add(user)
            db.session.flush()
            db.session.add(ReviewerProfile(user_id=user.id, expertise=["a"], linked_usccs=[]))
        db.session.commit()
    add_assignment(app, apps[0], R1)
    add_assignment(app, apps[1], R2)
    many, page = count_statements(app, officer, url)
    assert page.count('name="reviewer_id"') == 12
    assert many == few


# --- automatic assignment for the ticked applications ------------------------------------------


def test_the_programme_page_offers_ticks_and_select_all(app, apps, officer):
    add_assignment(app, apps[1], R1)
    add_assignment(app, apps[1], R2)
    program = program_id(app)
    page = page_text(officer.get(f"/staff/review/programmes/{program}"))
    ticks = re.findall(r'name="application_id" value="(\d+)" form="bulk-assign"( checked)?', page)
    assert ticks == [(str(apps[0]), "")]  # ent2's application has its reviewers
    assert "Select all 1 on this page that lack reviewers" in page
    page = page_text(officer.get(f"/staff/review/programmes/{program}?select=all"))
    assert f'value="{apps[0]}" form="bulk-assign" checked' in page


def test_ticked_applications_get_reviewers_balanced_and_conflict_free(app, apps, officer):
    link(app, R1, ENT1_USCC)
    others = add_bare_applications(app, 2)  # not ticked: left alone
    response = bulk(officer, program_id(app), [apps[0], apps[1]])
    assert response.status_code == 302
    first, second = assignments_of(app, apps[0]), assignments_of(app, apps[1])
    assert set(first) == {R2, R3}  # never the linked reviewer
    assert len(second) == 2 and R1 in second  # the least loaded first
    assert all(assignments_of(app, other) == {} for other in others)
    events = audit_events(app, "review.assigned")
    assert len(events) == 4 and all(e.summary["automatic"] for e in events)
    (summary,) = audit_events(app, "review.auto_assigned")
    assert summary.summary["made"] == 4 and len(summary.summary["selected"]) == 2
    page = page_text(officer.get(f"/staff/review/programmes/{program_id(app)}"))
    assert "4 reviewers assigned automatically" in page


def test_each_ticked_application_is_reported(app, apps, officer):
    declare_conflict(app, R1, ENT1_USCC)
    declare_conflict(app, R2, ENT1_USCC)
    moved = add_bare_applications(app, 1)[0]
    set_status(app, moved, Status.DECIDED)  # moved on after the page was shown
    response = bulk(officer, program_id(app), [apps[0], apps[1], moved])
    assert response.status_code == 302
    page = page_text(officer.get(f"/staff/review/programmes/{program_id(app)}"))
    with app.app_context():
        references = dict(
            db.session.execute(
                select(Application.id, Application.reference).where(
                    Application.id.in_([apps[0], apps[1], moved])
                )
            ).all()
        )
    assert f"{references[apps[0]]} (1 missing)" in page
    assert f"No longer in expert review, nothing assigned: {references[moved]}" in page
    assert set(assignments_of(app, apps[0])) == {R3}
    assert len(assignments_of(app, apps[1])) == 2


@pytest.mark.parametrize(
    ("chosen", "message"),
    [
        ("none", "Choose at least one application."),
        ("foreign", "Choose among the applications of this programme listed on the page."),
        ("unknown", "Choose among the applications of this programme listed on the page."),
    ],
)
def test_a_bad_choice_of_applications_is_refused_and_writes_nothing(
    app, apps, officer, chosen, message
):
    ids = {"none": [], "foreign": [apps[0], 99999], "unknown": ["999999999"]}[chosen]
    typed_due = due_text(11)
    response = bulk(officer, program_id(app), ids, due=typed_due)
    assert response.status_code == 422
    page = page_text(response)
    assert message in page and 'id="application_id-error"' in page
    assert f'value="{typed_due}"' in page
    if chosen == "foreign":
        assert f'value="{apps[0]}" form="bulk-assign" checked' in page
    assert assignments_of(app, apps[0]) == {} and assignments_of(app, apps[1]) == {}
    assert audit_events(app, "review.auto_assigned") == []


def test_a_past_due_date_is_refused_beside_its_field(app, apps, officer):
    response = bulk(officer, program_id(app), [apps[0]], due="2020-01-01")
    assert response.status_code == 422
    assert "The due date cannot be in the past." in page_text(response)
    assert assignments_of(app, apps[0]) == {}


def test_the_programme_page_runs_a_fixed_number_of_queries_with_ticks(app, apps, officer):
    url = f"/staff/review/programmes/{program_id(app)}?select=all"
    few, _page = count_statements(app, officer, url)
    add_bare_applications(app, 20)
    many, page = count_statements(app, officer, url)
    assert page.count('form="bulk-assign" checked') == 22
    assert many == few


@pytest.mark.parametrize(
    ("email", "allowed"),
    [
        ("officer@example.com", True),
        ("admin@example.com", True),
        ("reviewer1@example.com", False),
        ("ent1@example.com", False),
    ],
)
def test_only_officers_and_admins_assign_in_bulk(app, apps, email, allowed):
    client = staff_client(app, email)
    response = bulk(client, program_id(app), [apps[0]])
    assert response.status_code == (302 if allowed else 403)
    assert bool(assignments_of(app, apps[0])) is allowed
    response = assign_many(client, apps[1], [user_id(app, R2), user_id(app, R3)])
    assert response.status_code == (302 if allowed else 403)
    assert bool(assignments_of(app, apps[1])) is allowed


def test_assignment_status_is_unchanged_by_a_refusal(app, apps, officer):
    add_assignment(app, apps[0], R1, AssignmentStatus.DECLINED)
    response = assign_many(officer, apps[0], [user_id(app, R2), user_id(app, R1)])
    assert response.status_code == 422
    assert "declined this application" in page_text(response)
    assert {k: v.status for k, v in assignments_of(app, apps[0]).items()} == {
        R1: AssignmentStatus.DECLINED
    }
