"""Money at a glance: the dashboard shows awarded, paid, due and recovered per programme with
the days from the final award to the first payment and the overdue reports, in a fixed number
of statements; the money export has them per programme and year; the open data carries what
has been paid."""

from __future__ import annotations

import io
import json
import pathlib
from datetime import date, timedelta
from decimal import Decimal

import jsonschema
from openpyxl import load_workbook
from sqlalchemy import event, select

from portal.core.extensions import db
from portal.payments.models import Tranche, TrancheStatus
from portal.reporting import dashboard as services
from tests.helpers import sign_in, use_english
from tests.integration.test_exports import download, read_csv
from tests.integration.test_money_tallies import RD, _award

SCHEMA = json.loads(
    (pathlib.Path(__file__).parent.parent / "schemas" / "open_data_grants.json").read_text()
)


def _officer(app):
    client = app.test_client()
    assert sign_in(client, "officer@example.com").status_code == 302
    use_english(client)
    return client


def _pay(app, tranche_id: int, on: date) -> None:
    with app.app_context():
        tranche = db.session.get(Tranche, tranche_id)
        tranche.status = TrancheStatus.PAID
        tranche.paid_on = on
        tranche.bank_reference = f"B-{tranche_id}"
        db.session.commit()


def _make_due(app, tranche_id: int) -> None:
    with app.app_context():
        tranche = db.session.get(Tranche, tranche_id)
        tranche.status = TrancheStatus.DUE
        db.session.commit()


def _money_statements(app) -> tuple[int, dict]:
    with app.test_request_context():
        statements: list[str] = []

        def count(_conn, _cursor, statement, *_args):
            if statement.lstrip().upper().startswith("SELECT"):
                statements.append(statement)

        event.listen(db.engine, "before_cursor_execute", count)
        try:
            board = services.dashboard(2026, "en")
        finally:
            event.remove(db.engine, "before_cursor_execute", count)
        return len(statements), board


def _rd(board) -> dict:
    return next(p for p in board["programmes"] if p["code"] == RD)


def test_dashboard_shows_the_money_in_a_fixed_number_of_statements(app, demo):
    _program_id, (first, second) = _award(app, ["60000.00", "40000.00"])
    _pay(app, first, date(2026, 4, 11))  # 10 days after the award (1 April, Shanghai)
    _make_due(app, second)
    small, board = _money_statements(app)
    money = _rd(board)["money"]
    assert money["awarded"] == Decimal("100000.00")
    assert money["paid"] == Decimal("60000.00")
    assert money["due"] == Decimal("40000.00")
    assert (money["days"].median, money["days"].worst) == (Decimal("10.0"), 10)

    for days in (20, 30, 90):
        _program, (tranche,) = _award(app, ["5000.00"])
        _pay(app, tranche, date(2026, 4, 1) + timedelta(days=days))
    large, board = _money_statements(app)
    assert large == small
    money = _rd(board)["money"]
    assert money["paid"] == Decimal("75000.00")
    assert (money["days"].paid, money["days"].median, money["days"].worst) == (
        4,
        Decimal("25.0"),
        90,
    )
    assert board["totals"]["money"]["paid"] >= Decimal("75000.00")

    html = _officer(app).get("/staff/dashboard?year=2026").get_data(as_text=True)
    assert f'data-money="{RD}"' in html
    assert "Days from final award to first payment" in html
    assert "median 25, worst 90" in html
    assert "75,000.00" in html


def test_overdue_reports_are_counted(app, demo):
    from portal.payments.report_models import ProgressReport, ReportKind, ReportStatus

    program_id, _ids = _award(app, ["1000.00"])
    with app.app_context():
        tranche = db.session.scalar(select(Tranche).where(Tranche.program_id == program_id))
        for position, due_on in enumerate((date(2020, 1, 1), date(2099, 1, 1)), start=1):
            db.session.add(
                ProgressReport(
                    agreement_id=tranche.agreement_id,
                    application_id=tranche.application_id,
                    program_id=program_id,
                    enterprise_id=tranche.enterprise_id,
                    kind=ReportKind.PROGRESS,
                    position=position + 10,
                    due_on=due_on,
                    status=ReportStatus.DUE,
                )
            )
        db.session.commit()
    _count, board = _money_statements(app)
    assert _rd(board)["money"]["overdue_reports"] >= 1
    before = _rd(board)["money"]["overdue_reports"]
    with app.app_context():
        late = db.session.scalar(
            select(ProgressReport).where(ProgressReport.due_on == date(2020, 1, 1))
        )
        late.status = ReportStatus.SUBMITTED
        db.session.commit()
    _count, board = _money_statements(app)
    assert _rd(board)["money"]["overdue_reports"] == before - 1


def test_money_export_per_programme_and_year(app, demo):
    program_id, (first, second) = _award(app, ["60000.00", "40000.00"])
    _pay(app, first, date(2026, 5, 1))
    _pay(app, second, date(2027, 2, 1))
    client = _officer(app)
    rows = read_csv(download(client, "money.csv", program_id))
    by_year = {row["Year"]: row for row in rows}
    assert set(by_year) == {"2026", "2027"}
    assert by_year["2026"]["Awarded (yuan)"] == "100000.00"
    assert by_year["2026"]["Paid (yuan)"] == "60000.00"
    assert by_year["2027"]["Paid (yuan)"] == "40000.00"
    assert by_year["2027"]["Awarded (yuan)"] == "0.00"
    assert by_year["2026"]["Days from final award to first payment (worst)"] == "30"
    assert all(row["Programme code"] == RD for row in rows)

    response = download(client, "money.xlsx", program_id)
    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(response.data)).active
    header = [cell.value for cell in sheet[1]]
    assert "Recovered (yuan)" in header and "Paid (yuan)" in header
    assert sheet.max_row == 3


def test_open_data_carries_the_amount_paid(app, demo):
    _program_id, (first, _second) = _award(app, ["60000.00", "40000.00"])
    _pay(app, first, date(2026, 5, 1))
    response = download(_officer(app), "awards.json")
    package = json.loads(response.data)
    jsonschema.validate(package, SCHEMA, format_checker=jsonschema.FormatChecker())
    disbursed = {grant["amountAwarded"]: grant["amountDisbursed"] for grant in package["grants"]}
    assert disbursed[100000.0] == 60000.0
    assert all(grant["amountDisbursed"] >= 0 for grant in package["grants"])
