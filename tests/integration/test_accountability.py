"""The year-end accountability export (考核): per department and responsible person, their
tasks, indicators against targets, milestones on time / late / missed, months by status, slips
by colour with the median days to close; as XLSX and CSV that no spreadsheet runs as formulas;
the HTML page; who may read it; a fixed number of queries."""

from __future__ import annotations

import csv
import io
from decimal import Decimal

from openpyxl import load_workbook
from sqlalchemy import select

from portal.core.extensions import db
from portal.core.timeutil import stopped_clock
from portal.tasks.models import KeyTask, SlipColour
from tests.helpers import statements_during
from tests.integration.test_wall_pdf import (
    FORMULA_TITLE,
    TODAY,
    YEAR,
    _milestone,
    _slip,
    at,
    build_print_world,
    client_as,
    d,
)


def test_rows_per_department_person_and_task(app, demo):
    from portal.tasks.accountability import accountability_rows, row_values

    build_print_world(app)
    with app.app_context():
        rows = accountability_rows(YEAR, "zh_CN", today=TODAY)
    levels = [(r.level, r.department, r.number) for r in rows]
    # The department of the first task on the wall comes first; a department's total, then
    # each person's total followed by their tasks.
    assert levels[0] == ("department", "高新技术科", None)
    assert levels[1][0] == "person" and levels[2:4] == [
        ("task", "高新技术科", 1),
        ("task", "高新技术科", 2),
    ]
    assert sum(1 for r in rows if r.level == "task") == 12

    values = {r.number: row_values(r) for r in rows if r.level == "task"}
    t3 = values[3]
    assert (t3["indicators_met"], t3["indicators_total"]) == (0, 2)
    assert (t3["on_time"], t3["late"], t3["missed"]) == (0, 0, 1)
    assert (t3["months_red"], t3["months_yellow"], t3["months_green"]) == (2, 0, 9)
    assert (t3["slips_red"], t3["slips_open"], t3["slips_overdue"]) == (1, 1, 1)
    assert t3["median_days"] is None and "补助企业 30/40家 (未达成)" in t3["indicators"]
    t5 = values[5]
    assert (t5["indicators_met"], t5["on_time"], t5["late"]) == (1, 1, 1)
    assert (t5["slips_yellow"], t5["slips_closed"], t5["median_days"]) == (1, 1, Decimal("14.2"))

    transfer = next(r for r in rows if r.level == "department" and r.department == "成果转化科")
    total = row_values(transfer)
    # Tasks 5, 6 and 11: two slips closed after 14.2 and 4.2 days.
    assert (total["slips_blue"], total["slips_yellow"], total["slips_closed"]) == (1, 1, 2)
    assert total["median_days"] == Decimal("9.2")
    assert (total["indicators_met"], total["indicators_total"]) == (1, 3)


def test_the_xlsx_and_csv_downloads_are_formula_safe(app, demo):
    build_print_world(app)
    client = client_as(app, "supervisor@example.com")
    with stopped_clock(at(TODAY)):
        xlsx = client.get(f"/tasks/accountability/download?year={YEAR}&format=xlsx&lang=en")
        text_csv = client.get(f"/tasks/accountability/download?year={YEAR}&format=csv&lang=zh")
    assert xlsx.status_code == 200 and xlsx.mimetype.endswith("spreadsheetml.sheet")
    assert 'filename="accountability-2026-20261118.xlsx"' in xlsx.headers["Content-Disposition"]
    sheet = load_workbook(io.BytesIO(xlsx.data)).active
    rows = list(sheet.iter_rows(values_only=True))
    header = rows[0]
    assert header[:5] == ("Level", "Lead department", "Responsible person", "No.", "Task")
    assert "Median days to close" in header
    assert len(rows) == 1 + 12 + sum(1 for r in rows[1:] if r[0] in ("Department", "Person"))
    formula_cells = [
        cell for row in sheet.iter_rows() for cell in row if str(cell.value).startswith("+SUM")
    ]
    assert formula_cells and all(cell.data_type == "s" for cell in formula_cells)
    task12 = next(r for r in rows if r[3] == 12)
    assert task12[4] == "+SUM(A1:A2) firms"

    assert text_csv.status_code == 200 and text_csv.mimetype == "text/csv"
    decoded = text_csv.data.decode("utf-8")
    assert decoded.startswith("\ufeff")
    table = list(csv.reader(io.StringIO(decoded.lstrip("\ufeff"))))
    task12 = next(r for r in table if r[3] == "12")
    assert task12[4] == "'" + FORMULA_TITLE  # defused: shown as text, never run
    assert not any(cell.startswith(("=", "+", "@")) for row in table for cell in row)


def test_the_page_shows_the_same_table(app, demo):
    build_print_world(app)
    client = client_as(app, "leader@example.com")
    with stopped_clock(at(TODAY)):
        page = client.get(f"/tasks/accountability?year={YEAR}&lang=en").get_data(as_text=True)
    assert "Year-end accountability 2026" in page
    assert "Technology Transfer Department" in page and "R&amp;D investment subsidies" in page
    assert "format=xlsx" in page and "format=csv" in page
    assert "2 (9.2)" in page  # the department's closed slips and their median days


def test_who_may_read_it_and_bad_parameters(app, demo):
    build_print_world(app)
    member = client_as(app, "hightech@example.com")
    assert member.get("/tasks/accountability").status_code == 403
    assert member.get("/tasks/accountability/download").status_code == 403
    admin = client_as(app, "admin@example.com")
    assert admin.get("/tasks/accountability/download?format=pdf").status_code == 400
    assert admin.get("/tasks/accountability?year=20x6").status_code == 400
    empty = admin.get("/tasks/accountability/download?year=2030&format=csv")
    assert empty.status_code == 200 and len(empty.data.decode("utf-8").splitlines()) == 1


def test_a_fixed_number_of_queries(app, demo):
    build_print_world(app)
    client = client_as(app, "supervisor@example.com")

    def count(url: str) -> int:
        with stopped_clock(at(TODAY)):
            return len(statements_during(app, lambda: client.get(url)))

    page, download = "/tasks/accountability?year=2026", "/tasks/accountability/download?format=csv"
    small = (count(page), count(download))
    with app.app_context(), stopped_clock(at(TODAY)):
        for task in db.session.scalars(select(KeyTask)).all():
            _milestone(task, d(9, 2), "又一节点", "Another milestone", done=d(9, 9))
            _slip(task, SlipColour.RED, d(10, 9), d(10, 3), closed_on=d(10, 8))
        db.session.commit()
    assert (count(page), count(download)) == small
