"""The review overview's tallies (migration 0020): each reviewer's submitted totals per
programme, the programme's, and the applications in expert review by their active reviewers.
Triggers keep them; they must agree with a full count after every kind of write, and the
z-scores read from them must equal those worked out from every review."""

from __future__ import annotations

from decimal import Decimal

from sqlalchemy import delete, func, select, update

from portal.accounts.models import Role, User
from portal.applications.models import Application, Status
from portal.core.extensions import db
from portal.review import scoring_math
from portal.review.models import Assignment, AssignmentStatus
from portal.review.overview_tallies import (
    ProgramScoreTally,
    ReviewerScoreTally,
    check_overview_tallies,
    program_sums,
    rebuild_overview_tallies,
    reviewer_sums,
    short_of_reviewers,
)
from portal.review.reviewer_pool import calibration
from portal.review.tallies import check_tallies
from tests.helpers import add_bare_applications
from tests.integration.test_assignment import KEY, program_id

TOTALS = ["71.35", "88.00", "64.07", "92.50", "55.55", "79.99", "60.01", "83.33"]


def reviewer_ids(app) -> list[int]:
    with app.app_context():
        return list(
            db.session.scalars(select(User.id).where(User.role == Role.REVIEWER).order_by(User.id))
        )


def add_reviews(app, application_ids: list[int], reviewers: list[int]) -> None:
    """Assignments straight into the database, as bulk loads write them: submitted ones with
    totals, a pending one and a declined one."""
    with app.app_context():
        for index, application_id in enumerate(application_ids):
            for position, reviewer in enumerate(reviewers[: 1 + index % 3]):
                status = AssignmentStatus.SUBMITTED
                if index % 4 == 3 and position == 0:
                    status = AssignmentStatus.ASSIGNED
                if index % 5 == 4 and position == 1:
                    status = AssignmentStatus.DECLINED
                db.session.add(
                    Assignment(
                        application_id=application_id,
                        reviewer_id=reviewer,
                        status=status,
                        total=Decimal(TOTALS[(index + position) % len(TOTALS)])
                        if status is AssignmentStatus.SUBMITTED
                        else None,
                    )
                )
        db.session.commit()


def counted_short(program: int, needed: int) -> int:
    """Applications in expert review with fewer active assignments than needed, counted."""
    active = (
        select(func.count())
        .where(
            Assignment.application_id == Application.id,
            Assignment.status != AssignmentStatus.DECLINED,
        )
        .correlate(Application)
        .scalar_subquery()
    )
    return int(
        db.session.scalar(
            select(func.count()).where(
                Application.program_id == program,
                Application.status == Status.EXPERT_REVIEW,
                active < needed,
            )
        )
        or 0
    )


def rows_z_scores(program: int) -> dict[int, Decimal | None]:
    """The z-scores from every submitted review of the programme, as the page once read them."""
    totals: dict[int, list[Decimal]] = {}
    for reviewer, total in db.session.execute(
        select(Assignment.reviewer_id, Assignment.total)
        .join(Application, Application.id == Assignment.application_id)
        .where(
            Application.program_id == program,
            Application.status != Status.WITHDRAWN,
            Assignment.status == AssignmentStatus.SUBMITTED,
            Assignment.total.is_not(None),
        )
    ):
        totals.setdefault(reviewer, []).append(Decimal(total))
    return scoring_math.z_scores(totals)


def test_the_overview_tallies_follow_every_kind_of_write(app, demo):
    with app.app_context():
        assert check_overview_tallies() == []
    reviewers = reviewer_ids(app)
    ids = add_bare_applications(app, KEY, 14, status=Status.EXPERT_REVIEW, prefix="T-OT")
    add_reviews(app, ids, reviewers)
    program = program_id(app)
    with app.app_context():
        assert check_overview_tallies() == []
        for needed in (1, 2, 3, 4):
            assert short_of_reviewers(program, needed) == counted_short(program, needed)
        # A total corrected, a review reopened (submitted -> assigned), a pending one declined
        # and a declined one taken up again, a review handed to another reviewer.
        first = db.session.scalars(
            select(Assignment)
            .where(Assignment.application_id.in_(ids), Assignment.status == "submitted")
            .order_by(Assignment.id)
        ).all()
        first[0].total = Decimal("99.99")
        first[1].status = AssignmentStatus.ASSIGNED
        first[1].total = None
        db.session.flush()
        db.session.execute(
            update(Assignment)
            .where(Assignment.application_id == ids[3], Assignment.status == "assigned")
            .values(status=AssignmentStatus.DECLINED)
        )
        db.session.execute(
            update(Assignment)
            .where(Assignment.application_id == ids[4], Assignment.status == "declined")
            .values(status=AssignmentStatus.ASSIGNED)
        )
        db.session.execute(
            update(Assignment).where(Assignment.id == first[2].id).values(reviewer_id=reviewers[-1])
        )
        db.session.commit()
        assert check_overview_tallies() == []
        # Withdrawn takes an application's reviews out, leaving review for moderation takes it
        # out of "short of reviewers"; coming back puts them in again.
        db.session.execute(
            update(Application).where(Application.id == ids[5]).values(status=Status.WITHDRAWN)
        )
        db.session.execute(
            update(Application).where(Application.id.in_(ids[6:9])).values(status=Status.MODERATION)
        )
        db.session.commit()
        assert check_overview_tallies() == []
        db.session.execute(
            update(Application).where(Application.id == ids[5]).values(status=Status.EXPERT_REVIEW)
        )
        db.session.execute(
            update(Application).where(Application.id == ids[6]).values(status=Status.EXPERT_REVIEW)
        )
        db.session.commit()
        assert check_overview_tallies() == []
        # A deleted assignment, a deleted application (its assignments go with it), and a
        # withdrawn one deleted.
        db.session.execute(delete(Assignment).where(Assignment.application_id == ids[10]))
        db.session.execute(delete(Application).where(Application.id == ids[11]))
        db.session.execute(
            update(Application).where(Application.id == ids[12]).values(status=Status.WITHDRAWN)
        )
        db.session.execute(delete(Application).where(Application.id == ids[12]))
        db.session.commit()
        assert check_overview_tallies() == []
        for needed in (1, 2, 3, 4):
            assert short_of_reviewers(program, needed) == counted_short(program, needed)
        # A rolled-back write leaves no trace.
        db.session.execute(update(Assignment).values(total=Decimal("1.00")))
        db.session.execute(update(Application).values(status=Status.WITHDRAWN))
        db.session.rollback()
        assert check_overview_tallies() == []
        assert check_tallies() == []


def test_z_scores_from_the_tallies_equal_those_from_every_review(app, demo):
    reviewers = reviewer_ids(app)
    ids = add_bare_applications(app, KEY, 20, status=Status.EXPERT_REVIEW, prefix="T-OZ")
    add_reviews(app, ids, reviewers)
    program = program_id(app)
    with app.app_context():
        db.session.execute(
            update(Application).where(Application.id == ids[0]).values(status=Status.WITHDRAWN)
        )
        db.session.commit()
        expected = rows_z_scores(program)
        assert any(z is not None for z in expected.values())
        whole = program_sums(program)
        mine = reviewer_sums(program)
        assert set(mine) == set(expected)
        for reviewer, z in expected.items():
            assert scoring_math.z_score(whole, mine[reviewer]) == z
        assert {row["reviewer_id"]: row["z"] for row in calibration(program)} == expected
        # Only the listed reviewers are read for a page of them.
        assert set(reviewer_sums(program, reviewers[:1])) <= {reviewers[0]}
        assert reviewer_sums(program, []) == {}


def test_the_check_finds_a_drifted_overview_tally_and_rebuild_mends_it(app, demo):
    reviewers = reviewer_ids(app)
    ids = add_bare_applications(app, KEY, 6, status=Status.EXPERT_REVIEW, prefix="T-OD")
    add_reviews(app, ids, reviewers)
    with app.app_context():
        db.session.execute(
            update(ReviewerScoreTally).values(total_cents=ReviewerScoreTally.total_cents + 1)
        )
        db.session.execute(update(ProgramScoreTally).values(reviews=ProgramScoreTally.reviews + 1))
        db.session.commit()
        problems = check_overview_tallies()
        assert any("reviewer scores" in p for p in problems)
        assert any("programme scores" in p for p in problems)
        assert check_tallies()  # ``flask tallies check`` sees them too
        rebuild_overview_tallies()
        db.session.commit()
        assert check_overview_tallies() == []


def test_the_cli_rebuilds_the_overview_tallies(app, demo):
    ids = add_bare_applications(app, KEY, 3, status=Status.EXPERT_REVIEW, prefix="T-OC")
    add_reviews(app, ids, reviewer_ids(app))
    with app.app_context():
        db.session.execute(delete(ReviewerScoreTally))
        db.session.commit()
    runner = app.test_cli_runner()
    assert runner.invoke(args=["tallies", "check"]).exit_code == 1
    assert runner.invoke(args=["tallies", "rebuild"]).exit_code == 0
    assert runner.invoke(args=["tallies", "check"]).exit_code == 0


def test_the_overview_shows_the_exact_number_short_of_reviewers(app, demo):
    from tests.integration.test_decisions import officer_client, text_of

    ids = add_bare_applications(app, KEY, 9, status=Status.EXPERT_REVIEW, prefix="T-OS")
    add_reviews(app, ids, reviewer_ids(app))
    program = program_id(app)
    with app.app_context():
        needed = db.session.get(Application, ids[0]).program.reviewers_per_application
        expected = counted_short(program, needed)
    assert expected > 0
    page = text_of(officer_client(app).get(f"/staff/review/programmes/{program}"))
    assert (
        f'<span class="stat__value">{expected}</span><span class="stat__label">Short of reviewers'
        in page
    )
    assert "applications short of reviewers" in page or expected == 1
