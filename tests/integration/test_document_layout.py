"""Every printed document of the demo, as stored: the publicity notices, the decision letters,
the funding agreements, the acceptance notice and the recovery notice, in both languages,
close with the verification block on the left and the bureau's sign-off (under its seal) on
the right of the same row, and run to the pages they need (a notice or a letter: one)."""

from __future__ import annotations

import re
import subprocess

import pytest
from sqlalchemy import select

from portal.core.extensions import db
from portal.core.files import file_store
from portal.letters.models import Letter
from portal.payments.models import DocumentKind, PostAwardDocument
from portal.review.models import PublicityNotice
from tests.demo_snapshot import POST_AWARD

A4_WIDTH = 595.3  # points
LINE = re.compile(
    r'<line xMin="([\d.]+)" yMin="([\d.]+)" xMax="([\d.]+)" yMax="([\d.]+)">(.*?)</line>', re.S
)
SIGNER = {"zh": "阜新市科学技术局", "en": "FuxinMunicipalBureauofScienceandTechnology"}
CODE_LABEL = {"zh": "验证码", "en": "Verificationcode"}


def pages(data: bytes) -> int:
    info = subprocess.run(["pdfinfo", "-"], input=data, capture_output=True, check=True).stdout
    return int(re.search(rb"Pages:\s+(\d+)", info)[1])


def last_page_lines(data: bytes) -> list[tuple[float, float, float, float, str]]:
    count = str(pages(data))
    html = subprocess.run(
        ["pdftotext", "-bbox-layout", "-f", count, "-l", count, "-", "-"],
        input=data,
        capture_output=True,
        check=True,
    ).stdout.decode("utf-8")
    return [
        (*map(float, box), "".join(re.findall(r">([^<]+)</word>", inner)))
        for *box, inner in LINE.findall(html)
    ]


def documents() -> list[tuple[str, str, str | None, int | None]]:
    """(what, language, stored key, most pages) of every stored printed document."""
    found = []
    for notice in db.session.scalars(select(PublicityNotice)):
        found += [("notice", "zh", notice.pdf_key, 1), ("notice", "en", notice.pdf_en_key, 1)]
    for letter in db.session.scalars(select(Letter)):
        found += [("letter", "zh", letter.pdf_key, 1), ("letter", "en", letter.pdf_en_key, 1)]
    for document in db.session.scalars(select(PostAwardDocument)):
        most = 1 if document.kind is DocumentKind.ACCEPTANCE_NOTICE else None
        found += [
            (document.kind.value, "zh", document.pdf_key, most),
            (document.kind.value, "en", document.pdf_en_key, most),
        ]
    return found


@pytest.fixture
def stored_documents(app, demo_snapshots):
    demo_snapshots.fill(app, POST_AWARD)
    with app.app_context():
        store = file_store()
        yield [(what, lang, store.read(key), most) for what, lang, key, most in documents()]


def test_every_document_signs_off_on_the_right_beside_its_verification(stored_documents):
    kinds = {what for what, *_ in stored_documents}
    assert {"notice", "letter", "agreement", "acceptance_notice", "recovery_notice"} <= kinds
    for what, lang, data, most in stored_documents:
        if most is not None:
            assert pages(data) <= most, f"{what} ({lang}) runs to {pages(data)} pages"
        lines = last_page_lines(data)
        signer = [line for line in lines if line[4].startswith(SIGNER[lang]) and line[0] > 250]
        code = [line for line in lines if line[4].startswith(CODE_LABEL[lang])]
        assert code, f"{what} ({lang}): no verification block on its last page"
        assert signer, (
            f"{what} ({lang}): the sign-off is not on the right half of the page: "
            + "; ".join(
                f"{line[4]} at x={line[0]:.0f}" for line in lines if SIGNER[lang] in line[4]
            )
        )
        # on the verification block's row: the name starts right of the block, below its top
        assert signer[-1][0] > code[-1][2] and signer[-1][1] > code[-1][1] - 10, what
