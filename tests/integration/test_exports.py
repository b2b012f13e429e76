"""Exports: applications as CSV (UTF-8 with BOM) and XLSX, final awards as 360Giving-shaped
open data; officers and admins only; every download audited; a fixed number of queries."""

from __future__ import annotations

import csv
import io
import json
import pathlib
from datetime import UTC, date, datetime
from decimal import Decimal

import jsonschema
import pytest
from openpyxl import load_workbook
from sqlalchemy import select

from portal.accounts.models import User
from portal.applications.models import Application, Status
from portal.core.audit import AuditEvent
from portal.core.extensions import db
from portal.core.jobs import commit
from portal.letters.issuing import issue_due_letters, reissue_letter
from portal.letters.models import Letter
from tests.helpers import add_final_decision, sign_in, statements_during
from tests.integration.test_decisions import (
    KEY,
    RD,
    make_application,
    make_firm,
    officer_client,
    program_id,
)

SCHEMA = json.loads(
    (pathlib.Path(__file__).parent.parent / "schemas" / "open_data_grants.json").read_text()
)
BOM = b"\xef\xbb\xbf"
FIRM_NAME = "阜新市海州区氟化工新材料有限公司"
OTHER_NAME = "辽宁阜新数字智造股份有限公司"
SUBMITTED = datetime(2026, 3, 1, 16, 30, tzinfo=UTC)  # 2026-03-02 00:30 in Shanghai
RELEASED = datetime(2026, 3, 10, 2, 0, tzinfo=UTC)
AWARDED = datetime(2026, 3, 20, 17, 5, tzinfo=UTC)  # 2026-03-21 01:05 in Shanghai
HEADERS = [
    "Reference",
    "Programme code",
    "Programme",
    "Enterprise",
    "Unified social credit code",
    "Status code",
    "Status",
    "Award",
    "First submitted (UTC+8)",
    "Requested (yuan)",
    "Formula amount (yuan)",
    "Number of reviews",
    "Mean score",
    "Spread",
    "Final score",
    "Decision",
    "Decided amount (yuan)",
    "Released (UTC+8)",
    "Publicity ends",
    "Final since (UTC+8)",
    "Notice number",
]


# --- helpers ----------------------------------------------------------------------------------


def download(client, name: str, program: int | None = None):
    query = f"?program={program}" if program is not None else ""
    return client.post(f"/staff/exports/{name}{query}")


def read_csv(response) -> list[dict[str, str]]:
    assert response.status_code == 200, response.get_data(as_text=True)[:500]
    assert response.mimetype == "text/csv"
    body = response.data
    assert body[:3] == BOM
    return list(csv.DictReader(io.StringIO(body[3:].decode("utf-8"), newline="")))


def csv_header(response) -> list[str]:
    return next(csv.reader(io.StringIO(response.data[3:].decode("utf-8"))))


def read_json(response) -> dict:
    assert response.status_code == 200, response.get_data(as_text=True)[:500]
    assert response.mimetype == "application/json"
    return json.loads(response.data.decode("utf-8"))


def issue_letters(app, *application_ids: int) -> dict[int, str]:
    with app.app_context():
        letters = issue_due_letters(list(application_ids))
        commit()
        return {letter.application_id: letter.number for letter in letters}


def export_events(app) -> list[AuditEvent]:
    with app.app_context():
        events = list(
            db.session.scalars(
                select(AuditEvent)
                .where(AuditEvent.action == "export.downloaded")
                .order_by(AuditEvent.id)
            )
        )
        for e in events:
            db.session.expunge(e)
        return events


@pytest.fixture
def portfolio(app, demo):
    """Applications across two programmes in every kind of state; one letter issued."""
    ids = {}
    awarded_firm = make_firm(app, 1, FIRM_NAME)
    ids["awarded"] = make_application(
        app,
        RD,
        awarded_firm,
        status=Status.AWARDED,
        requested="1234567.8",
        formula="1500000",
        submitted_at=SUBMITTED,
        review_count=2,
        review_mean=Decimal("81.5"),
        review_spread=Decimal("7"),
        score="81.5",
        decision="approve",
        decided_amount=Decimal("1000000"),
        decided_at=RELEASED,
        released_at=RELEASED,
        publicity_starts_on=date(2026, 3, 11),
        publicity_ends_on=date(2026, 3, 17),
        awarded_at=AWARDED,
    )
    ids["draft"] = make_application(app, RD, make_firm(app, 2), status=Status.DRAFT)
    ids["publicity"] = make_application(
        app,
        RD,
        make_firm(app, 3),
        status=Status.PUBLICITY,
        requested="50000",
        decision="approve",
        decided_amount=Decimal("50000"),
        released_at=RELEASED,
        publicity_ends_on=date(2026, 3, 17),
    )
    ids["on_hold"] = make_application(
        app,
        RD,
        make_firm(app, 4),
        status=Status.ON_HOLD,
        decision="approve",
        decided_amount=Decimal("70000"),
        released_at=RELEASED,
    )
    ids["rejected"] = make_application(
        app,
        RD,
        make_firm(app, 5),
        status=Status.REJECTED,
        decision="reject",
        decision_reason="不符合条件。",
        released_at=RELEASED,
    )
    ids["review"] = make_application(
        app, KEY, make_firm(app, 6), status=Status.EXPERT_REVIEW, requested="300000"
    )
    ids["key_awarded"] = make_application(
        app,
        KEY,
        make_firm(app, 7, OTHER_NAME),
        status=Status.AWARDED,
        decision="approve",
        decided_amount=Decimal("500000.5"),
        released_at=RELEASED,
        awarded_at=AWARDED,
        score="92",
    )
    ids["letters"] = issue_letters(app, ids["awarded"])
    return ids


def reference_of(app, application_id: int) -> str:
    with app.app_context():
        return db.session.get(Application, application_id).reference


# --- CSV --------------------------------------------------------------------------------------


def test_csv_has_a_bom_every_column_and_one_row_per_non_draft_application(app, portfolio):
    client = officer_client(app)
    response = download(client, "applications.csv")
    rows = read_csv(response)
    assert csv_header(response) == HEADERS
    assert response.headers["Content-Disposition"].startswith(
        'attachment; filename="applications-all-'
    )
    assert response.headers["Cache-Control"] == "private, no-store"
    references = {row["Reference"] for row in rows}
    assert reference_of(app, portfolio["draft"]) not in references
    assert len(rows) == 6

    (row,) = [r for r in rows if r["Reference"] == reference_of(app, portfolio["awarded"])]
    assert row == {
        "Reference": reference_of(app, portfolio["awarded"]),
        "Programme code": RD,
        "Programme": "企业研发投入后补助",
        "Enterprise": FIRM_NAME,
        "Unified social credit code": row["Unified social credit code"],
        "Status code": "awarded",
        "Status": "Final",
        "Award": "Final",
        "First submitted (UTC+8)": "2026-03-02 00:30:00",
        "Requested (yuan)": "1234567.80",
        "Formula amount (yuan)": "1500000.00",
        "Number of reviews": "2",
        "Mean score": "81.50",
        "Spread": "7.00",
        "Final score": "81.50",
        "Decision": "Approve",
        "Decided amount (yuan)": "1000000.00",
        "Released (UTC+8)": "2026-03-10 10:00:00",
        "Publicity ends": "2026-03-17",
        "Final since (UTC+8)": "2026-03-21 01:05:00",
        "Notice number": portfolio["letters"][portfolio["awarded"]],
    }
    assert len(row["Unified social credit code"]) == 18
    assert portfolio["letters"][portfolio["awarded"]].startswith("阜科")

    # Values that are not there stay empty, never "None".
    (review,) = [r for r in rows if r["Reference"] == reference_of(app, portfolio["review"])]
    assert review["Status"] == "Expert review"
    assert review["Decided amount (yuan)"] == review["Notice number"] == ""
    assert review["Decision"] == review["Final since (UTC+8)"] == review["Award"] == ""
    assert "None" not in response.data.decode("utf-8")


def test_csv_speaks_the_officers_language(app, portfolio):
    client = app.test_client()
    assert sign_in(client, "officer@example.com").status_code == 302  # Chinese by default
    rows = read_csv(download(client, "applications.csv", program_id(app, RD)))
    assert {"申报编号", "企业", "统一社会信用代码", "状态", "文号"} <= set(rows[0])
    awarded = next(r for r in rows if r["企业"] == FIRM_NAME)
    assert awarded["状态"] == "已确定"  # until the translations are merged: "Final"
    assert awarded["审定结果"] == "予以支持"


def test_csv_filters_by_programme(app, portfolio):
    client = officer_client(app)
    rd = read_csv(download(client, "applications.csv", program_id(app, RD)))
    key = read_csv(download(client, "applications.csv", program_id(app, KEY)))
    assert {r["Programme code"] for r in rd} == {RD}
    assert {r["Programme code"] for r in key} == {KEY}
    assert len(rd) == 4 and len(key) == 2
    assert {r["Enterprise"] for r in key} >= {OTHER_NAME}


def test_an_unknown_programme_is_not_found_not_everything(app, portfolio):
    client = officer_client(app)
    assert download(client, "applications.csv", 99999).status_code == 404
    assert client.post("/staff/exports/applications.xlsx?program=abc").status_code == 404
    assert client.get("/staff/exports?program=99999").status_code == 404
    assert client.get("/staff/exports?program=99999999999999999999").status_code == 404
    assert client.get("/staff/exports?program=-1").status_code == 404
    assert client.get("/staff/exports?program=" + "9" * 5000).status_code == 404
    assert export_events(app) == []


def test_text_a_spreadsheet_would_run_as_a_formula_is_defused(app, demo):
    add_final_decision(app, RD, firm_name='=HYPERLINK("http://evil.invalid","点击")')
    client = officer_client(app)
    (row,) = read_csv(download(client, "applications.csv"))
    assert row["Enterprise"] == '\'=HYPERLINK("http://evil.invalid","点击")'
    sheet = load_workbook(io.BytesIO(download(client, "applications.xlsx").data)).active
    cell = sheet.cell(row=2, column=HEADERS.index("Enterprise") + 1)
    assert cell.data_type == "s"
    assert cell.value == '=HYPERLINK("http://evil.invalid","点击")'


def test_only_the_current_letter_is_listed_after_a_reissue(app, portfolio):
    with app.app_context():
        letter = db.session.scalar(
            select(Letter).where(Letter.application_id == portfolio["awarded"])
        )
        officer = db.session.scalar(select(User).where(User.email == "officer@example.com"))
        new = reissue_letter(letter, reason="更正笔误。", actor=officer)
        commit()
        old_number, new_number = letter.number, new.number
    rows = read_csv(download(officer_client(app), "applications.csv", program_id(app, RD)))
    mine = [r for r in rows if r["Enterprise"] == FIRM_NAME]
    assert [r["Notice number"] for r in mine] == [new_number]
    assert old_number != new_number


# --- XLSX -------------------------------------------------------------------------------------


def test_xlsx_has_typed_cells_a_bold_frozen_header_and_widths(app, portfolio):
    client = officer_client(app)
    response = download(client, "applications.xlsx", program_id(app, RD))
    assert response.status_code == 200
    assert response.mimetype == (
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    disposition = response.headers["Content-Disposition"]
    assert disposition.startswith(f'attachment; filename="applications-{RD}-')
    assert disposition.endswith('.xlsx"')
    workbook = load_workbook(io.BytesIO(response.data))
    sheet = workbook.active
    assert sheet.title == "Applications"
    assert sheet.freeze_panes == "A2"
    header = [cell.value for cell in sheet[1]]
    assert header == HEADERS
    assert all(cell.font.b for cell in sheet[1])
    assert sheet.max_row == 5  # header + the four non-draft RD applications

    by_name = {HEADERS[i]: i for i in range(len(HEADERS))}
    rows = [list(r) for r in sheet.iter_rows(min_row=2)]
    (row,) = [r for r in rows if r[by_name["Enterprise"]].value == FIRM_NAME]

    def cell(name):
        return row[by_name[name]]

    assert cell("Requested (yuan)").value == pytest.approx(1234567.8)
    assert cell("Requested (yuan)").data_type == "n"
    assert cell("Requested (yuan)").number_format == "#,##0.00"
    assert cell("Decided amount (yuan)").value == 1000000
    assert cell("Number of reviews").value == 2
    assert cell("Final score").value == pytest.approx(81.5)
    assert cell("First submitted (UTC+8)").value == datetime(2026, 3, 2, 0, 30)
    assert cell("First submitted (UTC+8)").is_date
    assert cell("Final since (UTC+8)").value == datetime(2026, 3, 21, 1, 5)
    assert cell("Publicity ends").value.date() == date(2026, 3, 17)
    assert cell("Publicity ends").is_date
    assert cell("Status code").value == "awarded"
    assert cell("Notice number").value == portfolio["letters"][portfolio["awarded"]]
    # Empty values are empty cells, not zeros or "None".
    (publicity,) = [r for r in rows if r[by_name["Status code"]].value == "publicity"]
    assert publicity[by_name["Final score"]].value is None
    # Chinese names are about two columns a character wide: their column is widened to fit.
    enterprise_width = sheet.column_dimensions["D"].width
    assert enterprise_width >= 2 * len(FIRM_NAME)
    assert sheet.column_dimensions["K"].width < enterprise_width


# --- open data ---------------------------------------------------------------------------------


def test_open_data_publishes_final_awards_valid_against_the_schema(app, portfolio):
    client = officer_client(app)
    package = read_json(download(client, "awards.json"))
    jsonschema.validate(package, SCHEMA, format_checker=jsonschema.FormatChecker())
    grants = {g["id"]: g for g in package["grants"]}
    # AWARDED only: publicity, on hold, approved-not-final and rejected stay out.
    expected = {
        "360G-fuxinkj-" + reference_of(app, portfolio[k]) for k in ("awarded", "key_awarded")
    }
    assert set(grants) == expected

    grant = grants["360G-fuxinkj-" + reference_of(app, portfolio["awarded"])]
    with app.app_context():
        uscc = db.session.get(Application, portfolio["awarded"]).enterprise.uscc
    assert grant["currency"] == "CNY"
    assert grant["amountAwarded"] == 1000000
    assert grant["awardDate"] == "2026-03-21"  # the bureau's date, not UTC's 20 March
    assert grant["recipientOrganization"] == [{"id": f"CN-SAIC-{uscc}", "name": FIRM_NAME}]
    assert grant["fundingOrganization"] == [{"id": "360G-fuxinkj", "name": "阜新市科学技术局"}]
    assert grant["grantProgramme"][0]["code"] == RD
    assert grant["grantProgramme"][0]["title"] == "企业研发投入后补助"
    assert grant["title"] == f"企业研发投入后补助：{FIRM_NAME}"
    assert datetime.fromisoformat(grant["dateModified"]).utcoffset().total_seconds() == 8 * 3600
    # The firm's own project texts are not published.
    assert "测试项目" not in json.dumps(package, ensure_ascii=False)
    key_grant = grants["360G-fuxinkj-" + reference_of(app, portfolio["key_awarded"])]
    assert key_grant["amountAwarded"] == pytest.approx(500000.5)


def test_open_data_filters_by_programme_and_uses_the_configured_prefix(app, portfolio):
    app.config["OPEN_DATA_PREFIX"] = "360G-fxkjj"
    client = officer_client(app)
    package = read_json(download(client, "awards.json", program_id(app, KEY)))
    jsonschema.validate(package, SCHEMA)
    assert [g["id"] for g in package["grants"]] == [
        "360G-fxkjj-" + reference_of(app, portfolio["key_awarded"])
    ]
    assert package["grants"][0]["fundingOrganization"][0]["id"] == "360G-fxkjj"
    assert read_json(download(client, "awards.json", program_id(app, "fluorine-digital-2026"))) == {
        "grants": []
    }


def test_the_schema_refuses_what_the_standard_would(app, portfolio):
    package = read_json(download(officer_client(app), "awards.json"))
    broken = [
        ("currency", "GBP"),
        ("amountAwarded", "1000000.00"),
        ("awardDate", "21/03/2026"),
        ("id", "L-2-00001"),
    ]
    for field, value in broken:
        grant = {**package["grants"][0], field: value}
        with pytest.raises(jsonschema.ValidationError):
            jsonschema.validate({"grants": [grant]}, SCHEMA)
    missing = {k: v for k, v in package["grants"][0].items() if k != "recipientOrganization"}
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate({"grants": [missing]}, SCHEMA)


# --- the page ---------------------------------------------------------------------------------


def test_page_offers_each_programme_and_counts_what_will_be_exported(app, portfolio):
    client = officer_client(app)
    page = client.get("/staff/exports").get_data(as_text=True)
    assert "Key above-size enterprise selection" in page
    assert 'id="count-applications">6<' in page and 'id="count-awards">2<' in page
    # Awards by where they stand, in the words of the dashboard; on hold is still in publicity.
    assert 'id="count-proposed">0<' in page and 'id="count-publicity">2<' in page
    assert ">Proposed award<" in page and ">In publicity<" in page and ">Final<" in page
    assert 'action="/staff/exports/applications.csv"' in page
    rd = program_id(app, RD)
    chosen = client.get(f"/staff/exports?program={rd}").get_data(as_text=True)
    assert 'id="count-applications">4<' in chosen and 'id="count-awards">1<' in chosen
    assert f'action="/staff/exports/applications.xlsx?program={rd}"' in chosen
    assert f'action="/staff/exports/awards.json?program={rd}"' in chosen
    assert f'<option value="{rd}" selected>' in chosen


# --- who may export ---------------------------------------------------------------------------


@pytest.mark.parametrize("email", ["ent1@example.com", "reviewer1@example.com"])
def test_firms_and_reviewers_are_refused(app, portfolio, email):
    client = app.test_client()
    assert sign_in(client, email).status_code == 302
    assert client.get("/staff/exports").status_code == 403
    for name in ("applications.csv", "applications.xlsx", "awards.json"):
        assert download(client, name).status_code == 403
    assert export_events(app) == []


def test_visitors_are_sent_to_sign_in(app, portfolio):
    client = app.test_client()
    for response in (
        client.get("/staff/exports"),
        download(client, "applications.csv"),
        download(client, "awards.json"),
    ):
        assert response.status_code == 302
        assert response.headers["Location"].startswith("/login?next=")


def test_admins_may_export(app, portfolio):
    client = app.test_client()
    assert sign_in(client, "admin@example.com").status_code == 302
    assert client.get("/staff/exports").status_code == 200
    assert len(read_csv(download(client, "applications.csv"))) == 6


# --- audit ------------------------------------------------------------------------------------


def test_every_download_is_audited_with_format_programme_and_rows(app, portfolio):
    client = officer_client(app)
    rd = program_id(app, RD)
    download(client, "applications.csv", rd)
    download(client, "applications.xlsx")
    download(client, "awards.json", rd)
    events = export_events(app)
    with app.app_context():
        officer_id = db.session.scalar(select(User.id).where(User.email == "officer@example.com"))
    assert [(e.summary["format"], e.summary["program_id"], e.summary["rows"]) for e in events] == [
        ("csv", rd, 4),
        ("xlsx", None, 6),
        ("json", rd, 1),
    ]
    assert {e.actor_id for e in events} == {officer_id}
    assert {e.object_type for e in events} == {"system"}


def test_a_download_without_its_csrf_token_is_refused_and_not_audited(app, portfolio):
    client = officer_client(app)
    app.config["WTF_CSRF_ENABLED"] = True
    try:
        response = download(client, "applications.csv")
    finally:
        app.config["WTF_CSRF_ENABLED"] = False
    assert response.status_code == 400
    assert export_events(app) == []


def test_viewing_the_page_writes_nothing(app, portfolio):
    client = officer_client(app)
    assert client.get(f"/staff/exports?program={program_id(app, RD)}").status_code == 200
    assert export_events(app) == []


# --- a fixed number of queries ----------------------------------------------------------------


def test_exports_run_a_fixed_number_of_queries_whatever_the_size(app, demo):
    client = officer_client(app)
    rd = program_id(app, RD)
    sends = {
        "page": lambda: client.get(f"/staff/exports?program={rd}"),
        "csv": lambda: download(client, "applications.csv"),
        "xlsx": lambda: download(client, "applications.xlsx", rd),
        "json": lambda: download(client, "awards.json"),
    }

    def add(count: int) -> list[int]:
        return [add_final_decision(app, RD, amount="80000") for _ in range(count)]

    issue_letters(app, *add(2))
    few = {name: statements_during(app, send) for name, send in sends.items()}
    issue_letters(app, *add(3))
    add(15)
    many = {name: statements_during(app, send) for name, send in sends.items()}
    assert {k: len(v) for k, v in many.items()} == {k: len(v) for k, v in few.items()}
    rows = read_csv(download(client, "applications.csv"))
    assert len(rows) == 20 and sum(1 for r in rows if r["Notice number"]) == 5
    # Each download reads its rows in one statement (applications joined to programme,
    # enterprise and current letter) and writes one audit row.
    for name in ("csv", "xlsx", "json"):
        reads = [s for s in many[name] if "FROM applications" in s]
        writes = [s for s in many[name] if s.startswith("INSERT")]
        assert len(reads) == 1 and "JOIN letters" in reads[0], name
        assert len(writes) == 1 and "audit_events" in writes[0], name
