"""What a funding agreement says, in Chinese (the official text) and in English: the values
the agreement's template reads, for the firm's page before acceptance and for the PDF issued
at acceptance. The words of the agreement are the bureau's document, written in both
languages in ``templates/agreements/_text.html`` as letters are; this module gives the facts.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from flask import current_app

from portal.accounts.models import Enterprise, User
from portal.applications.models import Application
from portal.core.extensions import db
from portal.core.paths import PROJECT_ROOT
from portal.core.timeutil import bureau_today, to_bureau_time
from portal.letters.artwork import qr_data_uri, seal_data_uri
from portal.letters.content import amount_in_capitals, amount_in_figures, bureau_names, letter_date
from portal.letters.numbering import display_code
from portal.payments.bank_account_rules import grouped_number
from portal.payments.models import (
    Agreement,
    BankAccount,
    PostAwardDocument,
    TrancheCondition,
)
from portal.payments.plan import PlanTerms, split_amount
from portal.programs.models import Program, ProgramKind

AGREEMENT_CSS_PATH = PROJECT_ROOT / "static" / "css" / "agreement_pdf.css"

CONDITION_WORDS = {
    TrancheCondition.AGREEMENT: {
        "zh": "本协议经乙方确认接受、乙方收款账户经甲方核实后拨付",
        "en": "paid once this agreement is accepted and the bank account confirmed by the bureau",
    },
    TrancheCondition.ACCEPTANCE: {
        "zh": "项目通过甲方组织的验收后拨付",
        "en": "paid after the project passes the bureau's acceptance (验收)",
    },
}
REPORT_WORDS = {
    "progress": {"zh": "项目进展报告", "en": "progress report"},
    "final": {"zh": "项目总结报告", "en": "final report"},
}


def titles(program: Program) -> dict[str, str]:
    """The agreement's title: a project's task agreement (项目任务书), otherwise a funding
    agreement (资金支持协议)."""
    if program.kind == ProgramKind.PROJECT:
        return {
            "zh": f"“{program.name_zh}”项目任务书",
            "en": f"Project task agreement: {program.name_en}",
        }
    return {
        "zh": f"“{program.name_zh}”资金支持协议",
        "en": f"Funding agreement: {program.name_en}",
    }


def _percent(share: Decimal) -> str:
    text = f"{share.normalize():f}"
    return f"{text}%"


def tranche_rows(terms: PlanTerms, amount: Decimal, lang: str) -> list[dict[str, str]]:
    shares = [t.share_percent for t in terms.tranches]
    amounts = split_amount(amount, shares) if shares else []
    return [
        {
            "position": str(position),
            "share": _percent(term.share_percent),
            "amount": amount_in_figures(part),
            "condition": CONDITION_WORDS[term.condition]["en" if lang == "en" else "zh"],
        }
        for position, (term, part) in enumerate(zip(terms.tranches, amounts, strict=True), 1)
    ]


def report_rows(terms: PlanTerms, lang: str) -> list[dict[str, str]]:
    key = "en" if lang == "en" else "zh"
    return [
        {
            "kind": REPORT_WORDS.get(r.kind, {"zh": r.kind, "en": r.kind})[key],
            "months": str(r.months),
        }
        for r in terms.reports
    ]


def agreement_values(
    agreement: Agreement,
    lang: str,
    *,
    account: BankAccount | None = None,
    document: PostAwardDocument | None = None,
    accepted_on: date | None = None,
    accepted_by: str = "",
    for_pdf: bool = False,
) -> dict[str, Any]:
    """The template's values for one agreement in one language (plain strings only)."""
    zh = lang != "en"
    application = db.session.get(Application, agreement.application_id)
    enterprise = db.session.get(Enterprise, agreement.enterprise_id)
    program = db.session.get(Program, agreement.program_id)
    terms = PlanTerms.from_json(agreement.terms)
    bureau = bureau_names()
    title = titles(program)["zh" if zh else "en"]
    values: dict[str, Any] = {
        "lang": "zh" if zh else "en",
        "title": title,
        "bureau": bureau["zh"] if zh else bureau["en"],
        "project_kind": program.kind == ProgramKind.PROJECT,
        "enterprise": enterprise.name,
        "uscc": enterprise.uscc,
        "program": program.name_zh if zh else program.name_en,
        "reference": application.reference,
        "project": application.project_title or "—",
        "amount": amount_in_figures(agreement.amount),
        "amount_capitals": amount_in_capitals(agreement.amount),
        "tranches": tranche_rows(terms, agreement.amount, lang),
        "reports": report_rows(terms, lang),
        "acceptance_required": terms.acceptance_required,
        "statement_days": terms.statement_days,
        "repayment_days": terms.repayment_days,
        "ban_years": terms.ban_years,
        "offered_on": letter_date(to_bureau_time(agreement.offered_at).date(), lang),
        "account": None,
        "accepted_on": letter_date(accepted_on, lang) if accepted_on else "",
        "accepted_by": accepted_by,
        "number": document.number if document else "",
        "for_pdf": for_pdf,
    }
    if account is not None:
        values["account"] = {
            "name": account.account_name,
            "bank": account.bank_name,
            "branch": account.branch_name,
            "number": grouped_number(account.account_number),
        }
    if document is not None:
        url = f"{current_app.config['BASE_URL'].rstrip('/')}/verify/{document.verification_code}"
        values.update(
            {
                "issue_date": letter_date(document.issue_date, lang),
                "code": display_code(document.verification_code),
                "verify_url": url,
                "qr": qr_data_uri(url),
                "seal": seal_data_uri(bureau["zh"], current_app.config["SEAL_FOOTER"]),
                "seal_footer": bool(current_app.config["SEAL_FOOTER"]),
            }
        )
    if for_pdf:
        values["css"] = AGREEMENT_CSS_PATH.read_text("utf-8")
    return values


def agreement_html(values: dict[str, Any]) -> str:
    """The agreement's PDF page (autoescaped; rendered without a request, as letters are)."""
    template = current_app.jinja_env.get_template("agreements/agreement.html")
    return template.render(values)


def accepted_by_name(agreement: Agreement) -> str:
    user = db.session.get(User, agreement.accepted_by_id) if agreement.accepted_by_id else None
    return user.display_name if user is not None else ""


def acceptance_day(agreement: Agreement) -> date:
    return to_bureau_time(agreement.accepted_at).date() if agreement.accepted_at else bureau_today()
