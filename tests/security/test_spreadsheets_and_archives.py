"""Every CSV and XLSX the portal writes is safe to open in a spreadsheet, and every ZIP member
name is a plain file name (issue 12, items 2 and 11).

A firm named ``=HYPERLINK("http://x","y")`` must not run a formula on the officer's PC: in each
CSV (the applications export, the letters' manifest) every text cell starting with a formula
sign is defused with an apostrophe, and the XLSX holds no formula cell. Numbers stay numbers:
a negative amount is not text. An issuer code is letters and digits only; a programme whose
stored code is hostile (written before the rule, or straight into the database) still exports
a ZIP whose member names are all plain.
"""

from __future__ import annotations

import csv
import io
import zipfile
from decimal import Decimal

import openpyxl
from sqlalchemy import select, update

from portal.accounts.models import Enterprise
from portal.applications.models import Application
from portal.core.archives import is_safe_member_name, member_name
from portal.core.csv_safe import FORMULA_STARTS, csv_text, defuse, safe_cell
from portal.core.extensions import db
from portal.letters.models import Letter, LetterExport
from portal.programs.models import Program
from tests.security import world as w
from tests.security.forms import fill

HYPERLINK = '=HYPERLINK("http://x","y")'
SUM = "@SUM(1+1)"
HOSTILE_ISSUER = "../../x"


def _text_cells_are_defused(rows: list[list[str]], where: str) -> None:
    for row in rows:
        for cell in row:
            assert not cell.startswith(FORMULA_STARTS) or _is_number(cell), (where, cell)


def _is_number(cell: str) -> bool:
    try:
        Decimal(cell)
    except ArithmeticError:
        return False
    return True


def _hostile_names(app, world) -> None:
    """Firm A and a publicity firm with formula names; a negative formula amount."""
    with app.app_context():
        firm_a = w.enterprise_id(app, w.FIRM_A)
        db.session.execute(update(Enterprise).where(Enterprise.id == firm_a).values(name=HYPERLINK))
        publicity = db.session.get(Application, world["publicity_application"])
        db.session.get(Enterprise, publicity.enterprise_id).name = SUM
        db.session.get(Application, world["rd_application"]).formula_amount = Decimal("-12.50")
        db.session.execute(update(Letter).values(enterprise_name=HYPERLINK))
        db.session.commit()


# --- the writers, without a database ------------------------------------------------------------


def test_the_csv_writer_defuses_text_and_keeps_numbers():
    assert defuse(HYPERLINK) == "'" + HYPERLINK
    for start in ("=", "+", "-", "@", "\t", "\r", "＝"):
        assert safe_cell(f"{start}1") == f"'{start}1"
    assert safe_cell(Decimal("-12.50")) == Decimal("-12.50")
    assert safe_cell(-3) == -3
    assert safe_cell("阜新化工") == "阜新化工"
    text = csv_text([["name", "amount"], [SUM, Decimal("-1.00")]])
    assert text.startswith("\ufeff")
    assert list(csv.reader(io.StringIO(text[1:]))) == [["name", "amount"], ["'" + SUM, "-1.00"]]


def test_member_names_are_plain_file_names():
    for hostile in ("../../x.pdf", "/etc/passwd", "\\\\server\\x", "C:\\x", "a\x00b", "..", ""):
        name = member_name(hostile)
        assert is_safe_member_name(name), (hostile, name)
        assert "/" not in name and "\\" not in name and ".." not in name.split("/")
    assert member_name("阜科发〔2026〕12号.pdf") == "阜科发〔2026〕12号.pdf"
    assert member_name("x.pdf", folder="../letters") == "_letters/x.pdf"


# --- every CSV and XLSX the portal produces -----------------------------------------------------


def test_the_applications_exports_defuse_hostile_names(world_app, fresh_world):
    app, world = world_app, fresh_world
    _hostile_names(app, world)
    officer = w.signed_in_client(app, w.OFFICER)

    response = officer.post("/staff/exports/applications.csv")
    assert response.status_code == 200
    text = response.get_data(as_text=True).removeprefix("\ufeff")
    rows = list(csv.reader(io.StringIO(text, newline="")))
    _text_cells_are_defused(rows, "applications.csv")
    cells = [cell for row in rows for cell in row]
    assert "'" + HYPERLINK in cells and "'" + SUM in cells
    assert "-12.50" in cells  # a negative amount is a number, not defused

    response = officer.post("/staff/exports/applications.xlsx")
    assert response.status_code == 200
    sheet = openpyxl.load_workbook(io.BytesIO(response.data)).active
    values = []
    for row in sheet.iter_rows():
        for cell in row:
            assert cell.data_type != "f", (cell.coordinate, cell.value)
            values.append(cell.value)
    assert HYPERLINK in values and SUM in values  # stored as text
    assert Decimal("-12.5") in [Decimal(str(v)) for v in values if isinstance(v, int | float)]


def _export_zip(app, officer, program_id: int) -> zipfile.ZipFile:
    response = officer.post(f"/staff/letters/programmes/{program_id}/export")
    assert response.status_code == 302, response.get_data(as_text=True)[:500]
    with app.app_context():
        export_id = db.session.scalar(select(LetterExport.id).order_by(LetterExport.id.desc()))
    response = officer.get(f"/staff/letters/exports/{export_id}/download")
    assert response.status_code == 200
    return zipfile.ZipFile(io.BytesIO(response.data))


def test_the_letters_manifest_defuses_hostile_names(world_app, fresh_world):
    app, world = world_app, fresh_world
    _hostile_names(app, world)
    officer = w.signed_in_client(app, w.OFFICER)
    archive = _export_zip(app, officer, world["eagle_programme"])
    text = archive.read("manifest.csv").decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text, newline="")))
    _text_cells_are_defused(rows, "manifest.csv")
    assert "'" + HYPERLINK in [cell for row in rows for cell in row]


# --- issuer codes and archive member names ------------------------------------------------------


def test_an_officer_cannot_save_a_path_as_issuer_code(world_app, fresh_world):
    app, world = world_app, fresh_world
    officer = w.signed_in_client(app, w.OFFICER)
    url = f"/staff/programmes/{world['eagle_programme']}/edit"
    for hostile in (HOSTILE_ISSUER, "阜科 发", "a/b", "阜科发.", "阜科发〔"):
        data = fill(officer, url, issuer_code=hostile)
        response = officer.post(url, data=data)
        assert response.status_code == 422, (hostile, response.status_code)
        page = response.get_data(as_text=True)
        assert 'id="issuer_code-error"' in page, hostile  # said beside the field
        with app.app_context():
            stored = db.session.get(Program, world["eagle_programme"]).issuer_code
        assert stored == "阜科发", hostile
    data = fill(officer, url, issuer_code="辽科发2")
    assert officer.post(url, data=data).status_code == 302


def test_a_hostile_stored_issuer_code_still_exports_safe_member_names(world_app, fresh_world):
    app, world = world_app, fresh_world
    with app.app_context():
        db.session.get(Program, world["eagle_programme"]).issuer_code = HOSTILE_ISSUER
        db.session.commit()
    # A new award: the export issues its letter, numbered with the hostile code.
    w.awarded_application(app, w.FIRM_B, w.EAGLE)
    officer = w.signed_in_client(app, w.OFFICER)
    archive = _export_zip(app, officer, world["eagle_programme"])
    with app.app_context():
        numbers = db.session.scalars(select(Letter.number)).all()
    assert any(number.startswith(HOSTILE_ISSUER) for number in numbers), numbers
    names = archive.namelist()
    assert len(names) == 2 * len(numbers) + 1
    for name in names:
        assert is_safe_member_name(name), name
        assert not name.startswith(("/", "\\")) and ".." not in name.split("/"), name
    rows = list(csv.DictReader(io.StringIO(archive.read("manifest.csv").decode("utf-8-sig"))))
    assert {row["file_zh"] for row in rows} | {row["file_en"] for row in rows} == set(names) - {
        "manifest.csv"
    }
