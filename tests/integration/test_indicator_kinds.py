"""Each indicator kind computes its value from real rows (SQLite and PostgreSQL): final awards
move when an award is made final (the daily publicity step), money paid when finance's payment
is recorded (through the payment pages), days to cash, applications decided, reports overdue,
firms with a recognition, hand-reported values; many indicators of a kind cost one query."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from portal.applications.models import Application, Status
from portal.core.extensions import db
from portal.core.timeutil import bureau_today, utcnow
from portal.payments.models import Agreement
from portal.payments.report_models import ProgressReport, ReportKind, ReportStatus
from portal.profiles.models import EnterpriseRecognition
from portal.tasks import indicator_kinds
from portal.tasks.indicator_kinds import Query, compute_values
from portal.tasks.models import Direction, IndicatorReport, KeyTask, TaskIndicator
from portal.tasks.progress import load_progress
from tests.helpers import add_bare_applications, english_client, make_award_final, new_firm
from tests.payments_world import APPROVER, OFFICER, approve, award, make_batch
from tests.wall_world import build_wall_world

EAGLE = "young-eagle-gazelle-2026"
RD = "rd-post-subsidy-2026"
FLUORINE = "fluorine-digital-2026"


def value(app, kind: str, params: dict, *, year: int | None = None, indicator_id=None):
    with app.app_context():
        today = bureau_today()
        query = Query(indicator_id, params, year or today.year)
        return compute_values([(kind, query)], today)[0]


def test_final_awards_move_when_an_award_is_made_final(app, demo):
    before = value(app, "final_awards", {"programs": [EAGLE]})
    (application_id,) = add_bare_applications(app, EAGLE, 1, status=Status.DECIDED)
    # Decided is not final yet.
    assert value(app, "final_awards", {"programs": [EAGLE]}) == before
    make_award_final(app, application_id)
    assert value(app, "final_awards", {"programs": [EAGLE]}) == before + 1
    # Programmes add up; an unknown code counts nothing and is no error.
    both = value(app, "final_awards", {"programs": [EAGLE, RD, "no-such-programme"]})
    assert both == before + 1 + value(app, "final_awards", {"programs": [RD]})
    assert value(app, "final_awards", {"programs": EAGLE}) == before + 1  # one code, not a list
    assert value(app, "final_awards", {}) == 0


def test_a_tasks_indicator_moves_with_the_award(app, demo):
    with app.app_context():
        world = build_wall_world()
        task = db.session.get(KeyTask, world.red_task_id)
        first = load_progress([task], world.today)[task.id]
        (awards,) = [p for p in first.indicators if p.indicator.id == world.red_awards_indicator_id]
    (application_id,) = add_bare_applications(app, EAGLE, 1, status=Status.DECIDED, prefix="W")
    make_award_final(app, application_id)
    with app.app_context():
        task = db.session.get(KeyTask, world.red_task_id)
        after = load_progress([task], world.today)[task.id]
        (moved,) = [p for p in after.indicators if p.indicator.id == world.red_awards_indicator_id]
        assert moved.value == awards.value + 1
        assert moved.verdict.percent > awards.verdict.percent


def _pay(app, amount: str, *, days_after_award: int) -> dict:
    """An award whose first tranche finance pays today, ``days_after_award`` days after the
    award was made final, recorded through the officer's payment page."""
    one = award(app, code=FLUORINE, amount=amount)
    today = bureau_today()
    with app.app_context():
        awarded = utcnow() - timedelta(days=days_after_award)
        db.session.get(Application, one["application_id"]).awarded_at = awarded
        db.session.get(Agreement, one["agreement_id"]).offered_at = awarded
        db.session.commit()
    officer, approver = english_client(app, OFFICER), english_client(app, APPROVER)
    batch_id = make_batch(officer, one["tranche_ids"])
    assert approve(app, approver, batch_id).status_code == 302
    tranche_id = one["tranche_ids"][0]
    prefix = f"t{tranche_id}-"
    response = officer.post(
        f"/staff/payments/tranches/{tranche_id}/paid",
        data={prefix + "paid_on": today.isoformat(), prefix + "bank_reference": f"BK{tranche_id}"},
    )
    assert response.status_code == 302, response.get_data(as_text=True)[:500]
    return one


def test_money_paid_moves_when_a_payment_is_recorded(app, demo):
    params = {"programs": [RD]}
    before = value(app, "money_paid", params)
    one = award(app, amount="38100.00")
    # Awarded is not paid.
    assert value(app, "money_paid", params) == before
    officer, approver = english_client(app, OFFICER), english_client(app, APPROVER)
    batch_id = make_batch(officer, one["tranche_ids"])
    assert approve(app, approver, batch_id).status_code == 302
    assert value(app, "money_paid", params) == before
    tranche_id = one["tranche_ids"][0]
    prefix = f"t{tranche_id}-"
    paid_on = bureau_today()
    data = {prefix + "paid_on": paid_on.isoformat(), prefix + "bank_reference": "BOC0001"}
    assert officer.post(f"/staff/payments/tranches/{tranche_id}/paid", data=data).status_code == 302
    # In 10,000 yuan (万元), in the year it was paid.
    assert value(app, "money_paid", params) == before + Decimal("3.81")
    assert value(app, "money_paid", params, year=paid_on.year + 1) == 0


def test_median_days_to_first_payment(app, demo):
    params = {"programs": [FLUORINE]}
    assert value(app, "median_days_to_payment", params) is None  # nothing paid yet
    _pay(app, "20000.00", days_after_award=10)
    assert value(app, "median_days_to_payment", params) == 10
    _pay(app, "30000.00", days_after_award=30)
    _pay(app, "40000.00", days_after_award=50)
    assert value(app, "median_days_to_payment", params) == 30
    assert indicator_kinds.kind_of("median_days_to_payment").direction is Direction.DOWN


def test_applications_decided(app, demo):
    params = {"programs": [RD]}
    before = value(app, "applications_processed", params)
    add_bare_applications(app, RD, 2, status=Status.REJECTED, prefix="R")
    add_bare_applications(app, RD, 1, status=Status.PUBLICITY, prefix="P")
    add_bare_applications(app, RD, 3, status=Status.EXPERT_REVIEW, prefix="E")  # not yet
    assert value(app, "applications_processed", params) == before + 3


def test_reports_overdue(app, demo):
    params = {"programs": [RD]}
    one = award(app, amount="10000.00")
    before = value(app, "reports_overdue", params)
    today = bureau_today()
    with app.app_context():
        for position, (due_on, status) in enumerate(
            (
                (today - timedelta(days=1), ReportStatus.DUE),  # overdue
                (today - timedelta(days=30), ReportStatus.RETURNED),  # overdue, owed again
                (today - timedelta(days=30), ReportStatus.SUBMITTED),  # handed in
                (today, ReportStatus.DUE),  # due today: not overdue yet
            ),
            start=50,
        ):
            db.session.add(
                ProgressReport(
                    agreement_id=one["agreement_id"],
                    application_id=one["application_id"],
                    program_id=db.session.get(Application, one["application_id"]).program_id,
                    enterprise_id=db.session.get(Application, one["application_id"]).enterprise_id,
                    kind=ReportKind.PROGRESS,
                    position=position,
                    due_on=due_on,
                    status=status,
                )
            )
        db.session.commit()
    assert value(app, "reports_overdue", params) == before + 2


def test_firms_with_a_recognition_in_the_year(app, demo):
    year = bureau_today().year
    params = {"recognition": "gazelle"}
    before = value(app, "firms_with_recognition", params)
    with app.app_context():
        firms = [new_firm(f"阜新认定测试{n}有限公司", f"91210900MR{n:07d}") for n in range(3)]
        db.session.add_all(
            [
                EnterpriseRecognition(enterprise_id=firms[0].id, kind="gazelle", year=year),
                EnterpriseRecognition(enterprise_id=firms[1].id, kind="gazelle", year=year),
                EnterpriseRecognition(enterprise_id=firms[1].id, kind="young_eagle", year=year),
                EnterpriseRecognition(enterprise_id=firms[2].id, kind="gazelle", year=year - 1),
            ]
        )
        db.session.commit()
    assert value(app, "firms_with_recognition", params) == before + 2
    assert value(app, "firms_with_recognition", {"recognition": "no-such"}) == 0


def test_a_reported_value_is_the_latest_by_its_date(app, demo):
    with app.app_context():
        world = build_wall_world()
    indicator_id = world.red_manual_indicator_id
    assert value(app, "manual", {}, indicator_id=indicator_id) is None
    today = world.today
    with app.app_context():
        for day, amount in (
            (today - timedelta(days=10), "12"),
            (today - timedelta(days=3), "20"),
            (today - timedelta(days=20), "30"),  # reported later, but as of an older date
            (today + timedelta(days=5), "99"),  # as of a day still to come: not yet
        ):
            db.session.add(
                IndicatorReport(
                    indicator_id=indicator_id,
                    value=Decimal(amount),
                    reported_on=day,
                    reported_by_id=world.hightech_id,
                )
            )
        db.session.commit()
    assert value(app, "manual", {}, indicator_id=indicator_id) == Decimal("20")


def test_an_unregistered_kind_reads_as_unknown(app, demo):
    assert value(app, "no-such-kind", {"programs": [RD]}) is None


def test_many_indicators_of_a_kind_cost_one_query(app, demo):
    from sqlalchemy import event

    def statements(count: int) -> int:
        with app.app_context():
            today = bureau_today()
            queries = [
                (kind, Query(None, {"programs": [RD, EAGLE][: 1 + n % 2]}, today.year))
                for n in range(count)
                for kind in ("final_awards", "money_paid", "applications_processed")
            ]
            seen: list[str] = []

            def count_it(_conn, _cursor, statement, *_args):
                seen.append(statement)

            event.listen(db.engine, "before_cursor_execute", count_it)
            try:
                values = compute_values(queries, today)
            finally:
                event.remove(db.engine, "before_cursor_execute", count_it)
            assert len(values) == 3 * count and None not in values
            return len(seen)

    small = statements(1)
    add_bare_applications(app, RD, 20, status=Status.AWARDED, prefix="M")
    assert statements(12) == small


def test_indicators_on_tasks_read_their_kind(app, demo):
    """A task's indicators of every kind, read by ``load_progress`` in one go."""
    with app.app_context():
        world = build_wall_world()
        task = db.session.get(KeyTask, world.green_task_id)
        for position, key in enumerate(sorted(indicator_kinds.KINDS), start=5):
            kind = indicator_kinds.kind_of(key)
            params = {"programs": [RD]} if "programs" in kind.params else {}
            if "recognition" in kind.params:
                params = {"recognition": "gazelle"}
            db.session.add(
                TaskIndicator(
                    task_id=task.id,
                    position=position,
                    name=key,
                    kind=key,
                    params=params,
                    direction=kind.direction,
                    target=Decimal(10),
                )
            )
        db.session.commit()
        task = db.session.get(KeyTask, world.green_task_id)
        progress = load_progress([task], bureau_today())[task.id]
        by_kind = {p.indicator.kind: p for p in progress.indicators}
        assert set(by_kind) == set(indicator_kinds.KINDS)
        assert by_kind["manual"].value is None and by_kind["manual"].verdict.behind
        assert by_kind["final_awards"].value is not None
