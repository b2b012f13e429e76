"""What a letter says: the plain values its template prints, in Chinese or English, and the
HTML made from them. Everything here is text; the PDF is made in ``pdf.py``."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

import cn2an
from flask import current_app

from portal.core.money import format_money, to_cents
from portal.letters.artwork import qr_data_uri, seal_data_uri
from portal.letters.models import Letter, LetterKind
from portal.letters.numbering import display_code

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
    letter: Letter, lang: str, *, reference: str, process: str, supersedes_number: str = ""
) -> dict[str, Any]:
    """The template's values for one letter in one language (plain strings only)."""
    bureau = bureau_names()
    zh = lang != "en"
    program = letter.program_name_zh if zh else letter.program_name_en
    if letter.kind is LetterKind.APPROVAL:
        title = (
            f"关于同意给予{letter.enterprise_name}“{program}”支持的通知"
            if zh
            else f"Notice of approval: {program}"
        )
    else:
        title = (
            f"关于{letter.enterprise_name}“{program}”申请结果的通知"
            if zh
            else f"Notice of decision: {program}"
        )
    url = verify_url(letter.verification_code)
    return {
        "lang": "en" if not zh else "zh",
        "kind": letter.kind.value,
        "bureau": bureau["zh"] if zh else bureau["en"],
        "issuer_mark": f"{bureau['zh']}文件" if zh else bureau["en"],
        "number": letter.number,
        "title": title,
        "firm": letter.enterprise_name,
        "uscc": letter.uscc,
        "program": program,
        "reference": reference,
        "process": _PROCESS[process]["zh" if zh else "en"],
        "amount": amount_in_figures(letter.amount) if letter.amount is not None else "",
        "amount_capitals": amount_in_capitals(letter.amount) if letter.amount is not None else "",
        "reason": letter.reason,
        "issue_date": letter_date(letter.issue_date, "zh" if zh else "en"),
        "supersedes_number": supersedes_number,
        "reissue_reason": letter.reissue_reason,
        "code": display_code(letter.verification_code),
        "verify_url": url,
        "qr": qr_data_uri(url),
        "seal": seal_data_uri(bureau["zh"], current_app.config["SEAL_FOOTER"]),
    }


def letter_html(values: dict[str, Any]) -> str:
    """The letter's HTML (autoescaped). Rendered without the site's context processors: a
    letter needs no request, and is made in background jobs too."""
    return current_app.jinja_env.get_template("letters/letter.html").render(values)
