"""The four demo programmes of shared/DOMAIN.md (every figure is data an officer can edit)."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import select

from portal.core.extensions import db
from portal.core.timeutil import utcnow
from portal.programs.models import Program, ProgramKind
from portal.programs.services import create_program


def _rule(kind: str, **params: Any) -> dict[str, Any]:
    return {"rule": kind, "params": params}


def _doc(key: str, zh: str, en: str, kinds=("pdf",), max_mb: int = 10, **extra) -> dict:
    return {
        "key": key,
        "name_zh": zh,
        "name_en": en,
        "kinds": list(kinds),
        "max_mb": max_mb,
        "required": extra.pop("required", True),
        **extra,
    }


def _criterion(key: str, zh: str, en: str, weight: int, scale_max: int = 10) -> dict:
    return {
        "key": key,
        "name_zh": zh,
        "name_en": en,
        "weight": weight,
        "scale_max": scale_max,
        "minimum": None,
    }


COMMON_RULES = [
    _rule("registered_in_region", prefix="2109"),
    _rule("not_on_risk_lists"),
    _rule("no_overdue_reports"),
    _rule("no_credit_ban"),
]

DEMO_PROGRAMS: list[dict[str, Any]] = [
    {
        "code": "young-eagle-gazelle-2026",
        "name_zh": "雏鹰瞪羚企业补充支持",
        "name_en": "Young-eagle and gazelle supplementary support",
        "summary_zh": "对当年或上年认定的雏鹰企业、瞪羚企业给予补充支持，按企业档案数据核定，无需专家评审。",
        "summary_en": "Supplementary support for enterprises recognised as young eagles or "
        "gazelles this year or last, checked against the profile; no expert review.",
        "kind": ProgramKind.RECOGNITION,
        "budget": Decimal("3000000"),
        "per_firm_cap": None,
        "reviewers_per_application": 0,
        "eligibility": {
            "all": [
                *COMMON_RULES,
                {
                    "any": [
                        _rule(
                            "recognition_held",
                            recognition="young_eagle",
                            within_years=1,
                            max_company_age=10,
                        ),
                        _rule(
                            "recognition_held",
                            recognition="gazelle",
                            within_years=1,
                            max_company_age=20,
                        ),
                    ]
                },
            ]
        },
        "formula": {
            "formula": "recognition_award",
            "params": {
                "young_eagle_rate": "10",
                "young_eagle_cap": "200000",
                "gazelle_first": "300000",
                "gazelle_renewal": "100000",
                "within_years": 1,
            },
        },
        "documents": [
            _doc("bank_account", "银行开户许可证或基本存款账户信息", "Bank account confirmation"),
            _doc("credit_pledge", "信用承诺书", "Credit pledge"),
        ],
        "rubric": [],
    },
    {
        "code": "rd-post-subsidy-2026",
        "name_zh": "企业研发投入后补助",
        "name_en": "R&D investment post-subsidy",
        "summary_zh": "上年度享受研发费用加计扣除、研发投入不低于50万元且较上年增长的企业，按增量的10%给予后补助。",
        "summary_en": "Firms that filed the R&D super-deduction last year, spent at least "
        "500,000 yuan on R&D and grew it receive 10 % of the increase.",
        "kind": ProgramKind.POST_SUBSIDY,
        "budget": Decimal("5000000"),
        "per_firm_cap": Decimal("1000000"),
        "reviewers_per_application": 0,
        "pro_rata": True,
        "eligibility": {
            "all": [
                *COMMON_RULES,
                _rule("super_deduction_filed_last_year"),
                _rule("rd_last_year_at_least", amount="500000"),
                _rule("rd_grew"),
            ]
        },
        "formula": {
            "formula": "rd_increase_share",
            "params": {
                "rate": "10",
                "cap": "300000",
                "cap_large": "1000000",
                "large_min_revenue": "20000000",
            },
        },
        "documents": [
            _doc(
                "a107012",
                "近两年研发费用加计扣除优惠明细表（A107012）",
                "Form A107012 for the last two years",
            ),
            _doc("tax_return", "企业所得税年度纳税申报表", "Annual corporate income-tax return"),
            _doc(
                "rd_ledger",
                "研发费用辅助账汇总表",
                "R&D ledger summary",
                kinds=("pdf", "xlsx"),
                required=False,
            ),
            _doc("audit_report", "年度审计报告", "Audit report", max_mb=20, required=False),
        ],
        "rubric": [],
    },
    {
        "code": "key-above-size-2026",
        "name_zh": "规上重点企业遴选支持",
        "name_en": "Key above-size enterprise selection",
        "summary_zh": "面向规模以上、研发投入强度不低于1.5%的企业，经专家评审择优支持：前10名各50万元，其后20名各20万元。",
        "summary_en": "Enterprises above designated size with R&D intensity of at least "
        "1.5 % are ranked by experts: the top 10 receive 500,000 yuan, the next 20 receive "
        "200,000.",
        "kind": ProgramKind.SELECTION,
        "budget": Decimal("9000000"),
        "per_firm_cap": None,
        "reviewers_per_application": 2,
        "eligibility": {
            "all": [
                *COMMON_RULES,
                _rule("above_designated_size", min_revenue="20000000"),
                _rule("rd_intensity_at_least", percent="1.5"),
                {"any": [_rule("ip_class_i_at_least", count=1), _rule("has_rd_institution")]},
            ]
        },
        "formula": {
            "formula": "ranked_tiers",
            "params": {"tiers": [[10, "500000"], [20, "200000"]], "min_score": "60"},
        },
        "documents": [
            _doc("statistics_filing", "统计报表（规上企业）", "Statistics filing"),
            _doc("audit_report", "年度审计报告", "Audit report", max_mb=20),
            _doc(
                "ip_certificates",
                "知识产权证书",
                "IP certificates",
                kinds=("pdf", "image"),
                max_mb=20,
            ),
            _doc("development_plan", "企业发展规划", "Development plan"),
        ],
        "rubric": [
            _criterion("innovation", "创新能力", "Innovation", 25),
            _criterion("technology_ip", "技术水平与知识产权", "Technology and IP", 20),
            _criterion("market_benefit", "市场前景与经济效益", "Market and economic benefit", 20),
            _criterion("rd_team", "研发投入与团队", "R&D input and team", 15),
            _criterion("financial_health", "财务状况", "Financial health", 10),
            _criterion("fluorine_chain", "氟产业链关联度", "Fluorine-chain linkage", 10),
        ],
    },
    {
        "code": "fluorine-digital-2026",
        "name_zh": "氟产业开发区数字化转型后补助",
        "name_en": "Fluorine park digital-transformation post-subsidy",
        "summary_zh": "对开发区内已验收、合规投资不低于50万元的数字化转型项目，按投资额20%给予后补助，按数字化水平设上限。",
        "summary_en": "Accepted digital-transformation projects in the park with eligible "
        "investment of at least 500,000 yuan receive 20 % of it, capped by digital level.",
        "kind": ProgramKind.PROJECT,
        "budget": Decimal("6000000"),
        "per_firm_cap": None,
        "reviewers_per_application": 2,
        "eligibility": {
            "all": [
                *COMMON_RULES,
                _rule("in_fluorine_park"),
                _rule("project_accepted"),
                _rule("eligible_investment_at_least", amount="500000"),
                _rule("digital_level_at_least", level=2),
                _rule("no_other_public_funding"),
            ]
        },
        "formula": {
            "formula": "investment_share_by_level",
            "params": {"rate": "20", "caps": {"2": "300000", "3": "500000", "4": "1000000"}},
        },
        "documents": [
            _doc("contracts", "项目合同", "Contracts", max_mb=20),
            _doc("invoices", "发票", "Invoices", kinds=("pdf", "image"), max_mb=20),
            _doc("payments", "付款凭证", "Payment records", kinds=("pdf", "image"), max_mb=20),
            _doc("acceptance_report", "项目验收报告", "Acceptance report"),
            _doc("digital_assessment", "数字化水平评估报告", "Digital-level assessment"),
            _doc(
                "special_audit",
                "专项审计报告",
                "Special audit report",
                max_mb=20,
                required=False,
                required_from_investment="2000000",
            ),
        ],
        "rubric": [
            _criterion("results", "转型成效", "Results", 30),
            _criterion("advancement", "先进性", "Advancement", 20),
            _criterion("authenticity", "投资真实性", "Investment authenticity", 20),
            _criterion("safety_environment", "安全与环保", "Safety and environment", 15),
            _criterion("demonstration", "示范价值", "Demonstration value", 15),
        ],
    },
]


def demo_schedule() -> tuple:
    """Open since a week ago, closing in 60 days: "open now" whenever the demo is seeded."""
    now = utcnow().replace(microsecond=0)
    return now - timedelta(days=7), now + timedelta(days=60)


def seed_demo_programs(*, actor: Any = None, schedule: tuple | None = None) -> int:
    """Create the demo programmes that are missing, open over ``schedule`` (opens, closes;
    default ``demo_schedule()``)."""
    created = 0
    opens_at, closes_at = schedule or demo_schedule()
    for spec in DEMO_PROGRAMS:
        if db.session.scalar(select(Program.id).where(Program.code == spec["code"])):
            continue
        create_program(
            {
                "issuer_code": "阜科发",
                "publicity_days": 5,
                "opens_at": opens_at,
                "closes_at": closes_at,
                **spec,
            },
            actor=actor,
        )
        created += 1
    return created
