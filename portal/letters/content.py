"""What a letter says: the plain values its template prints, in Chinese or English, and the
HTML made from them. Everything here is text; the PDF is made in ``pdf.py``."""

from __future__ import annotations

from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

import cn2an
from flask import current_app

from portal.core.money import CENT, format_money, to_cents
from portal.letters import titles
from portal.letters.artwork import qr_data_uri, seal_data_uri
from portal.letters.models import Letter, LetterKind
from portal.letters.numbering import display_code
from portal.review.award_explanation import AwardExplanation

LANGUAGES = ("zh", "en")
_MONTHS = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)

# How the decision was reached, as the letter's first paragraph says it.
_PROCESS = {
    "formal_check": {"zh": "形式审查", "en": "formal check"},
    "expert_review": {"zh": "形式审查、专家评审", "en": "formal check and expert review"},
    "objection": {
        "zh": "形式审查、公示及对公示期间异议的核查",
        "en": "formal check, publicity and the investigation of an objection raised during it",
    },
}


def amount_in_capitals(amount: Decimal) -> str:
    """Chinese capital numerals for an amount in yuan: 100000 -> 壹拾万元整 (cn2an)."""
    return cn2an.an2cn(str(to_cents(amount)), "rmb")


def amount_in_figures(amount: Decimal) -> str:
    return format_money(amount)


def letter_date(value: date, lang: str) -> str:
    """GB/T 9704 dates in Arabic numerals: 2026年12月1日; in English 1 December 2026."""
    if lang == "en":
        return f"{value.day} {_MONTHS[value.month - 1]} {value.year}"
    return f"{value.year}年{value.month}月{value.day}日"


def process_key(*, kind: LetterKind, reason_code: str, expert_review: bool) -> str:
    if kind is LetterKind.REJECTION and reason_code == "objection_upheld":
        return "objection"
    if kind is LetterKind.REJECTION and reason_code == "ineligible":
        return "formal_check"
    return "expert_review" if expert_review else "formal_check"


def bureau_names() -> dict[str, str]:
    config = current_app.config
    return {"zh": config["BUREAU_NAME_ZH"], "en": config["BUREAU_NAME_EN"]}


def verify_url(code: str) -> str:
    return f"{current_app.config['BASE_URL'].rstrip('/')}/verify/{code}"


def letter_values(
    letter: Letter,
    lang: str,
    *,
    reference: str,
    process: str,
    supersedes_number: str = "",
    award: AwardExplanation | None = None,
) -> dict[str, Any]:
    """The template's values for one letter in one language (plain strings only).

    ``award`` explains the amount; the letter prints it when a pro-rata cut changed it."""
    bureau = bureau_names()
    zh = lang != "en"
    program = letter.program_name_zh if zh else letter.program_name_en
    approval = letter.kind is LetterKind.APPROVAL
    if zh:
        title_parts = (titles.approval_title_zh if approval else titles.rejection_title_zh)(
            letter.enterprise_name, program
        )
    else:
        title_parts = (titles.approval_title_en if approval else titles.rejection_title_en)(program)
    url = verify_url(letter.verification_code)
    footer = current_app.config["SEAL_FOOTER"]
    return {
        "lang": "en" if not zh else "zh",
        "kind": letter.kind.value,
        "bureau": bureau["zh"] if zh else bureau["en"],
        "issuer_mark": f"{bureau['zh']}文件" if zh else bureau["en"],
        "number": letter.number,
        "title": ("" if zh else " ").join(title_parts),
        # Each part with whether it is kept whole on a line (Chinese parts short enough).
        "title_parts": [
            (part, zh and len(part) <= titles.LONGEST_WHOLE_PART) for part in title_parts
        ],
        "firm": letter.enterprise_name,
        "uscc": letter.uscc,
        "program": program,
        "reference": reference,
        "process": _PROCESS[process]["zh" if zh else "en"],
        "amount": amount_in_figures(letter.amount) if letter.amount is not None else "",
        "amount_capitals": amount_in_capitals(letter.amount) if letter.amount is not None else "",
        "cut": pro_rata_values(award, letter.amount),
        "reason": letter.reason,
        "issue_date": letter_date(letter.issue_date, "zh" if zh else "en"),
        "supersedes_number": supersedes_number,
        "reissue_reason": letter.reissue_reason,
        "code": display_code(letter.verification_code),
        "verify_url": url,
        "qr": qr_data_uri(url),
        "seal": seal_data_uri(bureau["zh"], footer),
        "seal_footer": bool(footer.strip()),
        **closing_values(letter.kind, "zh" if zh else "en"),
    }


def closing_values(kind: LetterKind, lang: str) -> dict[str, Any]:
    """The configured parts around the decision: remedies or payment and next steps, the
    公开属性 and the 版记 (portal/config.py, PORTAL_LETTER_*)."""
    config = current_app.config
    suffix = "_EN" if lang == "en" else "_ZH"
    days = config["LETTER_RECONSIDERATION_DAYS"]
    months = config["LETTER_LAWSUIT_MONTHS"]
    disclosure = "APPROVAL" if kind is LetterKind.APPROVAL else "REJECTION"
    return {
        "disclosure": config[f"LETTER_DISCLOSURE_{disclosure}{suffix}"],
        "cc": config[f"LETTER_CC{suffix}"],
        "printed_by": config[f"LETTER_PRINTED_BY{suffix}"],
        "payment": config[f"LETTER_PAYMENT{suffix}"],
        "next_steps": config[f"LETTER_NEXT_STEPS{suffix}"],
        "reconsideration_body": config[f"LETTER_RECONSIDERATION_BODY{suffix}"],
        "court": config[f"LETTER_COURT{suffix}"],
        # 六十日, 六个月 in a Chinese letter; figures in the English one.
        "reconsideration_days": str(days) if lang == "en" else cn2an.an2cn(days),
        "lawsuit_months": str(months) if lang == "en" else cn2an.an2cn(months),
    }


def pro_rata_values(award: AwardExplanation | None, amount: Decimal | None) -> dict[str, str]:
    """The figures of a pro-rata cut as the letter prints them, or {} when the award was not
    cut (or the explanation is of another amount than the letter's)."""
    if award is None or not award.scaled or amount is None:
        return {}
    if amount not in (award.final_amount, award.released_amount):
        return {}  # a reissue corrected the amount since: the explanation would mislead
    ratio = award.pro_rata_ratio
    step = award.rounding_step
    values = {
        "formula": format_money(award.formula_amount) if award.formula_amount is not None else "",
        "approved": format_money(award.approved_amount),
        "ratio": str(ratio) if ratio is not None else "",
        "percent": _percent(ratio) if ratio is not None else "",
        "scaled": format_money(award.scaled_amount) if award.scaled_amount is not None else "",
        "step": format_money(step).removesuffix(".00") if step is not None else "",
        "released": format_money(award.released_amount),
        "corrected": format_money(amount) if amount != award.released_amount else "",
    }
    available, total = award.budget_available, award.approved_total
    if available is not None and total is not None:
        # The factor is printed as the division it is, so that the sum on the letter is exact.
        values["available"], values["total"] = format_money(available), format_money(total)
        values["percent"] = str((available / total * 100).quantize(CENT, ROUND_HALF_UP))
    return values


def _percent(ratio: Decimal) -> str:
    return f"{(ratio * 100).normalize():f}"


def letter_html(values: dict[str, Any]) -> str:
    """The letter's HTML (autoescaped). Rendered without the site's context processors: a
    letter needs no request, and is made in background jobs too."""
    return current_app.jinja_env.get_template("letters/letter.html").render(values)
