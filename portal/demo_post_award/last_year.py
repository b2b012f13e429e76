"""Demo states of the post-award stage: last year's round, for the later parts to work from.

The 2026 stories (``demo_applications``) make only two final awards, both recent. So that the
post-award pages show awards months into their life, a closed 2025 project programme (the
fluorine park's digital transformation: 60 % on the agreement, 40 % after acceptance, reports
at 6 and 12 months) is taken through the same services with the demo clock set back: ent3, ent4
and ent5 submit in November 2025, the officer checks and approves them (that round had no
expert review), the release, the
publicity period and the letters make the awards final in December; in January 2026 each firm
enters its bank account and accepts its agreement, and the officer confirms the account. Their
first tranches are then due and their progress reports fall due in July 2026, for the next parts.

Only after the 2026 stories (a database where they were not told gets no history). Safe to
run again: nothing is done once the programme has applications.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime, time
from decimal import Decimal

from sqlalchemy import exists, select

from portal.accounts.models import Enterprise, User
from portal.applications import sections
from portal.applications import services as applications
from portal.applications.models import Application
from portal.core.extensions import db
from portal.core.timeutil import BUREAU_ZONE
from portal.demo_applications import (
    RD,
    Cast,
    DemoClock,
    DemoDocument,
    approve,
    issue_letters,
    release,
)
from portal.payments import agreements, bank_accounts
from portal.payments.bank_account_rules import BankAccountInput
from portal.payments.models import Agreement
from portal.programs.demo import COMMON_RULES, DEMO_PROGRAMS, _rule
from portal.programs.models import Program
from portal.programs.services import create_program
from portal.review import formal_check
from portal.review.publicity import advance_publicity

CODE = "fluorine-digital-2025"
NAME_ZH = "2025 年氟化工园区企业数字化转型后补助"
NAME_EN = "2025 fluorine park enterprise digital-transformation post-subsidy"

# Firm: (project title, summary, eligible investment, digital level, bank, branch, account).
_STORIES = {
    "ent3": (
        "设备运维平台数字化改造",
        "建设设备远程运维平台与备件管理系统，已完成竣工验收。",
        "1500000",
        3,
        ("中国银行", "阜新海州支行", "2987 6543 2100 0012"),
    ),
    "ent4": (
        "包装生产线自动化改造",
        "改造两条包装生产线，上线生产数据采集系统，已完成竣工验收。",
        "900000",
        2,
        ("中国农业银行", "阜新太平支行", "0616 0101 0400 1234 5"),
    ),
    "ent5": (
        "精细化工车间DCS改造",
        "建设DCS控制系统与安全环保在线监测平台，已完成竣工验收。",
        "2600000",
        3,
        ("阜新银行", "玉龙支行", "1208 0000 0000 8866 001"),
    ),
}
_DECLARANTS = {"ent3": "陈静", "ent4": "杨帆", "ent5": "黄磊"}


def _moment(day: date, at: str) -> datetime:
    hour, minute = (int(part) for part in at.split(":"))
    return datetime.combine(day, time(hour, minute), tzinfo=BUREAU_ZONE).astimezone(UTC)


def _program(officer: User) -> Program:
    """The closed 2025 programme, made like the 2026 fluorine programme (its documents,
    formula and rubric) but open from June to November 2025."""
    program = db.session.scalar(select(Program).where(Program.code == CODE))
    if program is not None:
        return program
    spec = next(p for p in DEMO_PROGRAMS if p["code"] == "fluorine-digital-2026")
    create_program(
        {
            **spec,
            "issuer_code": "阜科发",
            "publicity_days": 5,
            "code": CODE,
            "name_zh": NAME_ZH,
            "name_en": NAME_EN,
            "budget": Decimal("3000000"),
            # Decided on the formal check and the officer's site visits, without experts.
            "reviewers_per_application": 0,
            # The firms' profiles are today's: last year's park list is not in them.
            "eligibility": {
                "all": [
                    *COMMON_RULES,
                    _rule("project_accepted"),
                    _rule("eligible_investment_at_least", amount="500000"),
                    _rule("digital_level_at_least", level=2),
                    _rule("no_other_public_funding"),
                ]
            },
            "opens_at": _moment(date(2025, 6, 3), "09:00"),
            "closes_at": _moment(date(2025, 11, 28), "17:00"),
        },
        actor=officer,
    )
    return db.session.scalars(select(Program).where(Program.code == CODE)).one()


def _submit(firm: User, program: Program, key: str) -> Application:
    title, summary, investment, level, _bank = _STORIES[key]
    enterprise = db.session.get_one(Enterprise, firm.enterprise_id)
    application = applications.start_application(enterprise, program, actor=firm)
    applications.save_summary(application, title, summary, actor=firm)
    figures = {
        "eligible_investment": investment,
        "digital_level": level,
        "project_accepted": True,
        "other_public_funding": False,
    }
    applications.save_figures(application, [], figures, confirm=True, actor=firm)
    applications.save_amount(application, None, actor=firm)
    data, detected = DemoDocument.get()
    for doc in sections.required_documents(application.program_version, application):
        applications.upload_attachment(
            application, doc["key"], f"{doc['key']}.pdf", data, detected=detected, actor=firm
        )
    applications.save_declaration(application, _DECLARANTS[key], "总经理", actor=firm)
    db.session.flush()
    applications.submit(application, actor=firm)
    db.session.flush()
    return application


def _accept(clock: DemoClock, cast: Cast, key: str, application: Application, day: date) -> int:
    """The firm enters its account and accepts; the officer confirms the account next day."""
    firm = cast.firms[key]
    agreement = db.session.scalar(
        select(Agreement).where(Agreement.application_id == application.id)
    ) or agreements.offer_agreement(application, actor=cast.officer)
    if agreement is None:
        return 0
    enterprise = db.session.get_one(Enterprise, agreement.enterprise_id)
    bank, branch, number = _STORIES[key][4]
    clock.set(day, "09:30")
    account = bank_accounts.enter_account(
        agreement, BankAccountInput(enterprise.name, bank, branch, number), actor=firm
    )
    clock.set(day, "10:15")
    agreements.accept_agreement(agreement, actor=firm, lang="zh")
    clock.set(clock.next_working_day(day), "14:00")
    bank_accounts.confirm_account(account, actor=cast.officer)
    return 3


def seed(clock: DemoClock, *, log: Callable[[str], None] = print) -> int:
    """Put demo awards into this part's states; return how many records were made."""
    cast = Cast.find()
    if cast is None:
        return 0
    if not db.session.scalar(
        select(exists().where(Application.program_id == Program.id, Program.code == RD))
    ):
        return 0  # the 2026 stories were not told here (not a demo database): no history
    officer = cast.officer
    clock.set(date(2025, 5, 20), "10:00")
    existed = db.session.scalar(select(Program.id).where(Program.code == CODE)) is not None
    program = _program(officer)
    made = 0 if existed else 1
    if db.session.scalar(select(exists().where(Application.program_id == program.id))):
        return made
    submitted = {}
    for key, day, at in (
        ("ent3", date(2025, 11, 10), "10:20"),
        ("ent4", date(2025, 11, 12), "15:40"),
        ("ent5", date(2025, 11, 14), "09:50"),
    ):
        clock.set(day, at)
        submitted[key] = _submit(cast.firms[key], program, key)
    for hour, application in zip(("09:10", "10:00", "10:40"), submitted.values(), strict=True):
        clock.set(date(2025, 11, 20), hour)
        formal_check.pass_formal_check(application, actor=officer)
    clock.set(date(2025, 12, 3), "10:00")
    for application in submitted.values():
        approve(application, officer)
    day = clock.set(date(2025, 12, 5), "16:00")
    pending = list(submitted.values())
    release(program, pending, officer, day)
    ended_on = pending[0].publicity_ends_on
    assert ended_on is not None
    day = clock.set(clock.next_working_day(ended_on), "08:30")
    advance_publicity(day)
    clock.set(day, "08:40")
    issue_letters(pending, officer, day)
    made += len(pending)
    for key, accepted_on in (
        ("ent3", date(2026, 1, 12)),
        ("ent4", date(2026, 1, 14)),
        ("ent5", date(2026, 1, 16)),
    ):
        made += _accept(clock, cast, key, submitted[key], min(accepted_on, clock.today))
    log(
        f"Last year: {CODE} closed, {len(pending)} final awards (ent3, ent4, ent5), "
        "agreements accepted in January 2026 with confirmed accounts."
    )
    return made
