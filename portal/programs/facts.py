"""The facts about a firm that eligibility rules and subsidy formulas read.

Built from the enterprise profile (and, for project-based programmes, from the figures the
application states). Plain values only: the rule engine never touches the database.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal


class Recognition:
    YOUNG_EAGLE = "young_eagle"
    GAZELLE = "gazelle"
    UNICORN = "unicorn"
    HIGH_TECH = "high_tech"  # 高新技术企业
    TECH_SME = "tech_sme"  # 科技型中小企业
    ALL = (YOUNG_EAGLE, GAZELLE, UNICORN, HIGH_TECH, TECH_SME)


@dataclass(frozen=True)
class YearFigures:
    """One financial year as declared by the firm. None means "not given"."""

    year: int
    revenue: Decimal | None = None  # main-business revenue, yuan
    employees: int | None = None
    rd_expense: Decimal | None = None  # R&D as declared for the super-deduction (A107012)
    super_deduction_filed: bool | None = None


@dataclass(frozen=True)
class ProjectFigures:
    """What a project-based application states (digital transformation and the like)."""

    eligible_investment: Decimal | None = None
    digital_level: int | None = None
    project_accepted: bool | None = None
    other_public_funding: bool | None = None


@dataclass(frozen=True)
class OverdueReport:
    """A report the firm owes on an earlier award, past its due date."""

    title_zh: str  # e.g. 中期进展报告 (数字化转型后补助 2026)
    title_en: str
    due_on: date


@dataclass(frozen=True)
class CreditBan:
    """A ban from applying, recorded in the firm's credit record by a recovery decision."""

    until: date  # the last day of the ban
    notice_number: str  # the recovery notice: 阜科追〔2026〕3号
    reason_zh: str = ""
    reason_en: str = ""


@dataclass(frozen=True)
class Standing:
    """The firm's standing after earlier awards (``portal.profiles.standing``)."""

    overdue_reports: tuple[OverdueReport, ...] = ()
    bans: tuple[CreditBan, ...] = ()


@dataclass(frozen=True)
class FirmFacts:
    as_of: date  # the day of evaluation, in Asia/Shanghai
    uscc: str
    founded_on: date | None = None
    in_fluorine_park: bool | None = None
    high_tech_certificate: bool | None = None
    has_rd_institution: bool | None = None
    branch_or_trading_company: bool | None = None
    on_abnormal_list: bool | None = None
    on_dishonesty_list: bool | None = None
    ip_class_i: int | None = None
    ip_class_ii: int | None = None
    software_copyrights: int | None = None
    years: dict[int, YearFigures] = field(default_factory=dict)
    recognitions: tuple[tuple[str, int], ...] = ()  # (Recognition.*, year)
    project: ProjectFigures | None = None  # None when no application is in hand
    # Read live where the firm is about to apply; empty where a past application is shown.
    standing: Standing = field(default_factory=Standing)

    @property
    def region_code(self) -> str:
        return self.uscc[2:8]

    @property
    def last_year(self) -> int:
        return self.as_of.year - 1

    def year(self, year: int) -> YearFigures:
        return self.years.get(year) or YearFigures(year=year)

    def company_age_years(self) -> int | None:
        """Whole years since founding, on the evaluation day."""
        if self.founded_on is None:
            return None
        born = self.founded_on
        years = self.as_of.year - born.year
        if (self.as_of.month, self.as_of.day) < (born.month, born.day):
            years -= 1
        return years

    def recognition_years(self, kind: str) -> list[int]:
        return sorted(year for held, year in self.recognitions if held == kind)
