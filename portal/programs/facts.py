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
    ALL = (YOUNG_EAGLE, GAZELLE, UNICORN)


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
