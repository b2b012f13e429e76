"""Letters a bureau would sign: one page, the seal over the date and clear of the printed
sign-off, a picture and never text, the title without a repeated word, the closing parts
(公开属性, 版记), the remedies of a rejection, the payment of an approval, a pro-rata cut
explained, and the verification address the portal serves."""

from __future__ import annotations

import io
import logging
import re
import subprocess
from datetime import date, timedelta
from decimal import Decimal

import pytest
from PIL import Image

from portal import create_app
from portal.core.jobs import commit
from portal.core.timeutil import bureau_today
from portal.letters import artwork, content
from portal.letters.models import Letter, LetterKind
from portal.letters.pdf import html_to_pdf
from portal.review.award_explanation import describe_award
from portal.review.publicity import advance_publicity
from tests.helpers import letters_of
from tests.integration.test_decisions import (
    RD,
    decide,
    make_application,
    make_firm,
    officer_client,
    program_id,
    release,
    set_program,
)
from tests.integration.test_letters import stored

FIRM_NAME = "阜新氟化工新材料股份有限公司"
BUREAU = "阜新市科学技术局"
PAGE_NUMBER = re.compile(r"—\s*\d+\s*—")


def pages(data: bytes) -> int:
    info = subprocess.run(["pdfinfo", "-"], input=data, capture_output=True, check=True).stdout
    return int(re.search(rb"Pages:\s+(\d+)", info)[1])


def text(data: bytes, *, last_page: bool = False) -> str:
    """The PDF's text with white space taken out (Chinese lines break anywhere)."""
    args = ["pdftotext"]
    if last_page:
        count = str(pages(data))
        args += ["-f", count, "-l", count]
    out = subprocess.run([*args, "-", "-"], input=data, capture_output=True, check=True).stdout
    return re.sub(r"\s+", "", out.decode("utf-8"))


# --- through the portal: a pro-rata approval and a rejection, released and final ----------------


@pytest.fixture
def final_letters(app, demo):
    """The R&D programme's budget covers 84.75 % of its approvals (45,000 + 55,000 against
    84,750): 45,000 is scaled to 38,137.50 and rounded down to 38,100. A third firm is
    rejected. Publicity ends, and every letter is issued."""
    set_program(app, RD, budget=Decimal("84750"))
    cut = make_application(
        app, RD, make_firm(app, 1, FIRM_NAME), requested="45000", formula="45000"
    )
    other = make_application(app, RD, make_firm(app, 2), requested="55000", formula="55000")
    rejected = make_application(app, RD, make_firm(app, 3), requested="9000", formula="9000")
    officer = officer_client(app)
    assert decide(officer, app, cut, "approve", "45000").status_code == 302
    assert decide(officer, app, other, "approve", "55000").status_code == 302
    reason = "上年度研发费用较前一年度未增长，不符合申报指南规定的条件。"
    assert (
        decide(officer, app, rejected, "reject", code="ineligible", reason=reason).status_code
        == 302
    )
    assert release(officer, program_id(app, RD)).status_code == 302
    with app.app_context():
        advance_publicity(bureau_today() + timedelta(days=30))
        commit()
    (approval,) = letters_of(app, cut)
    (rejection,) = letters_of(app, rejected)
    return approval, rejection


def test_a_pro_rata_approval_fits_one_page_and_explains_the_cut(app, final_letters):
    approval, _rejection = final_letters
    assert approval.amount == Decimal("38100.00")
    zh, en = stored(app, approval.pdf_key), stored(app, approval.pdf_en_key)
    assert pages(zh) == 1 and pages(en) == 1
    assert not PAGE_NUMBER.search(text(zh)) and not PAGE_NUMBER.search(text(en))

    words = text(zh)
    # The title names the programme once: …“企业研发投入后补助”的通知, no 支持 after it.
    assert f"关于给予{FIRM_NAME}“企业研发投入后补助”的通知" in words
    # The cut: formula amount, the budget left against the approvals (the factor as that exact
    # division), the share, the scaled amount, the rounding, the result.
    for figure in (
        "45,000.00元",
        "84,750.00元",
        "100,000.00元",
        "84.75%",
        "84,750.00÷100,000.00",
        "38,137.50元",
        "100元",
        "38,100.00元",
    ):
        assert figure in words, figure
    assert "叁万捌仟壹佰元整" in words
    # How and when it is paid, and what the firm does next.
    assert "预算管理一体化系统" in words and "公示期满后15个工作日内" in words
    assert "签订资金支持协议" in words and "报送资金使用情况" in words
    # 附注 and 版记.
    assert "（此件公开发布）" in words
    assert "抄送：阜新市财政局。" in words and f"{BUREAU}办公室" in words
    assert f"{approval.issue_date.year}年{approval.issue_date.month}月" in words
    assert "印发" in words

    english = text(en)
    for figure in ("45,000.00", "84.75%", "84,750.00/100,000.00", "38,137.50", "38,100.00"):
        assert figure in english, figure
    assert "fundingagreement" in english and "Thisnoticeispublished." in english
    assert "Copyto:FuxinMunicipalFinanceBureau." in english


def test_a_rejection_fits_one_page_and_names_its_remedies(app, final_letters):
    _approval, rejection = final_letters
    zh, en = stored(app, rejection.pdf_key), stored(app, rejection.pdf_en_key)
    assert pages(zh) == 1 and pages(en) == 1
    words = text(zh)
    assert "六十日内向阜新市人民政府申请行政复议" in words
    assert "六个月内向阜新市细河区人民法院提起行政诉讼" in words
    assert "申报结果的通知" in words and "（此件依申请公开）" in words
    english = text(en)
    assert "FuxinMunicipalPeople'sGovernment" in english and "within60days" in english
    assert "XiheDistrictPeople'sCourtofFuxin" in english and "within6months" in english


# --- rendered directly: the seal, the closing parts, the settings -------------------------------


def sample_letter(kind: LetterKind = LetterKind.APPROVAL, reason: str = "") -> Letter:
    return Letter(
        kind=kind,
        number="阜科发〔2026〕12号",
        verification_code="ABCD2345EFGH6789",
        issue_date=date(2026, 12, 2),
        enterprise_name=FIRM_NAME,
        uscc="91210900MA0XXXXX1K",
        program_name_zh="规上重点企业遴选支持",
        program_name_en="Key above-size enterprise selection",
        amount=Decimal("500000.00") if kind is LetterKind.APPROVAL else None,
        reason=reason,
        reissue_reason="",
    )


def render(app, letter: Letter, lang: str, **values) -> bytes:
    with app.app_context():
        return html_to_pdf(
            content.letter_html(
                content.letter_values(
                    letter, lang, reference="KEY-2026-0001", process="expert_review", **values
                )
            )
        )


def test_title_drops_the_word_the_programme_name_already_ends_with(app):
    words = text(render(app, sample_letter(), "zh"))
    assert f"关于给予{FIRM_NAME}“规上重点企业遴选支持”的通知" in words
    assert "支持”支持" not in words


@pytest.mark.parametrize("footer", ["", "业务专用章"])
def test_the_seal_is_a_picture_not_text(app, footer):
    app.config["SEAL_FOOTER"] = footer
    words = text(render(app, sample_letter(), "zh"))
    # The bureau's name is printed three times (header, sign-off, 版记), never from the seal.
    assert words.count(BUREAU) == 3
    assert "专用章" not in words


def red_pixels(image: Image.Image, box: tuple[float, float, float, float], dpi: int) -> int:
    """Seal-red pixels inside a box given in PDF points."""
    scale = dpi / 72
    left, top, right, bottom = (round(v * scale) for v in box)
    count = 0
    for x in range(left, right):
        for y in range(top, bottom):
            r, g, b = image.getpixel((x, y))[:3]
            count += r > 150 and g < 110 and b < 110
    return count


def sign_off_boxes(data: bytes, lang: str) -> dict[str, tuple[float, float, float, float]]:
    """Where the printed name and date of the sign-off are (PDF points), from pdftotext."""
    html = subprocess.run(
        ["pdftotext", "-bbox-layout", "-", "-"], input=data, capture_output=True, check=True
    ).stdout.decode("utf-8")
    lines = re.findall(
        r'<line xMin="([\d.]+)" yMin="([\d.]+)" xMax="([\d.]+)" yMax="([\d.]+)">(.*?)</line>',
        html,
        re.S,
    )
    found = {}
    for *box, inner in lines:
        words = "".join(re.findall(r">([^<]+)</word>", inner))
        if float(box[0]) + float(box[2]) < 600:  # the sign-off is centred right of the middle
            continue
        name = BUREAU if lang == "zh" else "FuxinMunicipal"
        if words.startswith(name):
            found["name"] = tuple(map(float, box))
        elif words in ("2026年12月2日", "2December2026") or words.startswith("2December"):
            found["date"] = tuple(map(float, box))
    assert set(found) == {"name", "date"}, html
    return found


@pytest.mark.parametrize("lang", ["zh", "en"])
@pytest.mark.parametrize("footer", ["", "业务专用章"])
def test_the_seal_sits_over_the_date_clear_of_the_printed_sign_off(app, monkeypatch, lang, footer):
    """The seal's characters and star never touch the printed name and date; its rim runs
    across the date (压年盖月)."""
    app.config["SEAL_FOOTER"] = footer
    dpi = 100

    def page_image(data: bytes) -> Image.Image:
        png = subprocess.run(
            ["pdftoppm", "-png", "-r", str(dpi), "-f", "1", "-l", "1", "-"],
            input=data,
            capture_output=True,
            check=True,
        ).stdout
        return Image.open(io.BytesIO(png)).convert("RGB")

    whole = render(app, sample_letter(), lang)
    boxes = sign_off_boxes(whole, lang)
    assert red_pixels(page_image(whole), boxes["date"], dpi) > 20  # the rim crosses the date

    def without_ring(name: str, footer: str = "") -> str:
        return artwork._data_uri(artwork.seal_svg(name, footer, ring=False))

    monkeypatch.setattr(content, "seal_data_uri", without_ring)
    bare = render(app, sample_letter(), lang)
    image = page_image(bare)
    for part, box in sign_off_boxes(bare, lang).items():
        assert red_pixels(image, box, dpi) == 0, f"the seal touches the printed {part}"


def test_page_numbers_only_when_a_letter_runs_past_one_page(app):
    one = render(app, sample_letter(), "zh")
    assert pages(one) == 1 and not PAGE_NUMBER.search(text(one))
    long_reason = "经专家评审，申报材料与实际情况不符，综合评分未达到60分。" * 40
    two = render(app, sample_letter(LetterKind.REJECTION, long_reason), "zh")
    assert pages(two) >= 2
    words = text(two)
    assert "—1—" in words and "—2—" in words
    # The 版记 is on the last page only.
    assert "印发" in text(two, last_page=True)
    first_page = subprocess.run(
        ["pdftotext", "-f", "1", "-l", "1", "-", "-"], input=two, capture_output=True
    ).stdout.decode("utf-8")
    assert "印发" not in first_page


def test_closing_parts_and_remedies_follow_the_settings(app):
    app.config.update(
        LETTER_DISCLOSURE_REJECTION_ZH="不予公开",
        LETTER_CC_ZH="阜新市审计局",
        LETTER_PRINTED_BY_ZH="阜新市科学技术局综合科",
        LETTER_RECONSIDERATION_BODY_ZH="辽宁省科学技术厅",
        LETTER_COURT_ZH="阜新市海州区人民法院",
        LETTER_RECONSIDERATION_DAYS=30,
    )
    words = text(render(app, sample_letter(LetterKind.REJECTION, "材料不全。"), "zh"))
    assert "（不予公开）" in words and "抄送：阜新市审计局。" in words
    assert "阜新市科学技术局综合科" in words
    assert "三十日内向辽宁省科学技术厅申请行政复议" in words
    assert "向阜新市海州区人民法院提起行政诉讼" in words


def test_an_explanation_of_another_amount_is_not_printed(app):
    """After a reissue corrected the amount the release's cut no longer explains it."""
    cut = describe_award(
        formula_amount=Decimal("45000.00"),
        approved_amount=Decimal("45000.00"),
        released_amount=Decimal("38100.00"),
        final_amount=Decimal("38100.00"),
        ratio=Decimal("0.8475"),
    )
    letter = sample_letter()
    letter.amount = Decimal("38100.00")
    assert "0.8475" in text(render(app, letter, "zh", award=cut))
    letter.amount = Decimal("40000.00")
    assert "0.8475" not in text(render(app, letter, "zh", award=cut))


# --- the verification address -------------------------------------------------------------------


def test_letters_print_the_port_the_portal_serves_on(app_config, monkeypatch):
    monkeypatch.delenv("PORTAL_BASE_URL", raising=False)
    monkeypatch.setenv("PORT", "8000")
    app = create_app(app_config)
    assert app.config["BASE_URL"] == "http://127.0.0.1:8000"
    words = text(render(app, sample_letter(), "zh"))
    assert "http://127.0.0.1:8000/verify/" in words


def test_a_base_url_on_another_port_is_warned_of_at_start_up(app_config, monkeypatch, caplog):
    monkeypatch.setenv("PORTAL_BASE_URL", "http://127.0.0.1:5000")
    monkeypatch.setenv("PORT", "8000")
    # The migrations' logging.config.fileConfig (alembic) disabled the loggers that existed.
    monkeypatch.setattr(logging.getLogger("portal.letters"), "disabled", False)
    with caplog.at_level(logging.WARNING, logger="portal.letters"):
        create_app(app_config)
    assert any("port 8000" in record.getMessage() for record in caplog.records)
