"""Eligibility rules as data.

A programme's eligibility is a JSON-able tree that an officer edits:

- a leaf ``{"rule": "<kind>", "params": {...}}`` names one of ``RULE_KINDS``;
- a group ``{"all": [node, ...]}`` or ``{"any": [node, ...]}`` combines nodes (nestable).

Every threshold is a parameter with a default taken from the demo programmes; nothing here is a
constant of a programme. ``evaluate`` reads only ``FirmFacts`` and says, for each leaf, pass, fail
or missing (the data needed is not given, and the detail tells the firm what to fill in).

The parameter machinery (``ParamSpec``, ``normalise_params``) is shared with ``formulas``.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from decimal import ROUND_DOWN, Decimal, InvalidOperation
from enum import StrEnum
from fractions import Fraction
from typing import Any, Literal, Protocol

from flask_babel import lazy_gettext as _l
from flask_babel.speaklater import LazyString

from portal.programs.facts import FirmFacts, Recognition

Text = Any  # a lazy string (flask_babel LazyString), or a plain str
ParamType = Literal["int", "decimal", "percent", "str", "choice", "bool", "tiers", "level_caps"]

MAX_DEPTH = 20
CENT = Decimal("0.01")

RECOGNITION_CHOICES: tuple[tuple[str, Text], ...] = (
    (Recognition.YOUNG_EAGLE, _l("Young eagle")),
    (Recognition.GAZELLE, _l("Gazelle")),
    (Recognition.UNICORN, _l("Unicorn")),
)
RECOGNITION_LABELS = dict(RECOGNITION_CHOICES)


# --- formatting -----------------------------------------------------------------------------


def format_amount(value: Decimal | int) -> str:
    """Yuan with thousands separators, decimals only when there are any: "620,000", "1,234.50".

    Cents are cut (ROUND_DOWN), so a figure below a threshold never shows as equal to it.
    """
    value = Decimal(value)
    if value == value.to_integral_value():
        return f"{int(value):,}"
    return f"{value.quantize(CENT, rounding=ROUND_DOWN):,.2f}"


def format_money(value: Decimal | int) -> str:
    """Yuan with thousands separators and always two decimals: "620,000.00"."""
    return f"{Decimal(value).quantize(CENT, rounding=ROUND_DOWN):,.2f}"


def format_number(value: Decimal | int) -> str:
    """A parameter as an officer typed it, without trailing zeros: "1.5", "10", "60"."""
    value = Decimal(value)
    if value == value.to_integral_value():
        return str(int(value))
    return f"{value.normalize():f}"


def lazy_join(parts: Iterable[Text], separator: str = ", ") -> LazyString:
    """Join lazy strings, translating each part only when the result is shown."""
    frozen = tuple(parts)
    return LazyString(lambda: separator.join(str(part) for part in frozen))


# --- parameters -----------------------------------------------------------------------------


@dataclass(frozen=True)
class ParamSpec:
    """One editable parameter of a rule or formula kind.

    ``percent`` values are Decimal numbers of percent (``Decimal("1.5")`` is 1.5 %), 0 to 100.
    ``tiers`` is a list of ``[number of firms, amount]`` pairs; ``level_caps`` maps a level
    (``"2"`` or ``2``) to an amount. A param is optional (its default is used when it is left
    out) unless ``required``; an explicit ``None`` is accepted only when the default is ``None``.
    ``pattern`` (a regular expression the whole ``str`` value must match) is optional.
    """

    name: str
    type: ParamType
    label: Text
    default: Any = field(hash=False)
    choices: tuple[tuple[str, Text], ...] = ()
    minimum: Decimal | int | None = None
    required: bool = False
    pattern: str | None = None


class HasParams(Protocol):
    key: str
    label: Text
    params: tuple[ParamSpec, ...]


class InvalidParams(ValueError):
    def __init__(self, problems: list[Text]) -> None:
        super().__init__(problems)
        self.problems = problems

    def __str__(self) -> str:
        return "; ".join(str(problem) for problem in self.problems)


class _Problem(Exception):
    def __init__(self, message: Text) -> None:
        super().__init__()
        self.message = message


def as_int(value: Any) -> int | None:
    """An int from a JSON value (int, integral str/Decimal/float); None when it is not one."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str) and re.fullmatch(r"\s*[+-]?\d+\s*", value):
        return int(value)
    if isinstance(value, Decimal | float):
        number = as_decimal(value)
        if number is not None and number == number.to_integral_value():
            return int(number)
    return None


def as_decimal(value: Any) -> Decimal | None:
    """A finite Decimal from a JSON value (int, str, float, Decimal); None when it is not one."""
    if isinstance(value, bool):
        return None
    if isinstance(value, Decimal):
        number = value
    elif isinstance(value, int):
        number = Decimal(value)
    elif isinstance(value, float):
        number = Decimal(repr(value)) if math.isfinite(value) else Decimal("NaN")
    elif isinstance(value, str):
        try:
            number = Decimal(value.strip())
        except InvalidOperation:
            return None
    else:
        return None
    return number if number.is_finite() else None


def _check_minimum(spec: ParamSpec, number: Decimal | int, where: Text) -> None:
    if spec.minimum is not None and number < spec.minimum:
        raise _Problem(
            _l(
                "%(where)s: “%(param)s” must be at least %(minimum)s.",
                where=where,
                param=spec.label,
                minimum=format_number(spec.minimum),
            )
        )


def _convert(spec: ParamSpec, value: Any, where: Text) -> Any:
    if spec.type == "int":
        number = as_int(value)
        if number is None:
            raise _Problem(
                _l("%(where)s: “%(param)s” must be a whole number.", where=where, param=spec.label)
            )
        _check_minimum(spec, number, where)
        return number
    if spec.type in ("decimal", "percent"):
        number = as_decimal(value)
        if number is None:
            raise _Problem(
                _l("%(where)s: “%(param)s” must be a number.", where=where, param=spec.label)
            )
        if spec.type == "percent" and not Decimal(0) <= number <= Decimal(100):
            raise _Problem(
                _l(
                    "%(where)s: “%(param)s” must be a percentage from 0 to 100.",
                    where=where,
                    param=spec.label,
                )
            )
        _check_minimum(spec, number, where)
        return number
    if spec.type == "str":
        if not isinstance(value, str):
            raise _Problem(
                _l("%(where)s: “%(param)s” must be text.", where=where, param=spec.label)
            )
        text = value.strip()
        if spec.pattern is not None and not re.fullmatch(spec.pattern, text):
            raise _Problem(
                _l(
                    "%(where)s: “%(param)s” is not in the expected form: “%(value)s”.",
                    where=where,
                    param=spec.label,
                    value=text,
                )
            )
        return text
    if spec.type == "choice":
        if not isinstance(value, str) or value not in dict(spec.choices):
            raise _Problem(
                _l(
                    "%(where)s: “%(param)s” must be one of: %(choices)s.",
                    where=where,
                    param=spec.label,
                    choices=lazy_join(label for _key, label in spec.choices),
                )
            )
        return value
    if spec.type == "bool":
        if not isinstance(value, bool):
            raise _Problem(
                _l("%(where)s: “%(param)s” must be yes or no.", where=where, param=spec.label)
            )
        return value
    if spec.type == "tiers":
        return _convert_tiers(spec, value, where)
    if spec.type == "level_caps":
        return _convert_level_caps(spec, value, where)
    raise AssertionError(f"unknown parameter type {spec.type!r}")  # pragma: no cover


def _convert_tiers(spec: ParamSpec, value: Any, where: Text) -> tuple[tuple[int, Decimal], ...]:
    problem = _Problem(
        _l(
            "%(where)s: “%(param)s” must be a list of [number of firms, amount] pairs, "
            "each number at least 1 and each amount at least 0.",
            where=where,
            param=spec.label,
        )
    )
    if not isinstance(value, list | tuple) or not value:
        raise problem
    tiers = []
    for pair in value:
        if not isinstance(pair, list | tuple) or len(pair) != 2:
            raise problem
        count, amount = as_int(pair[0]), as_decimal(pair[1])
        if count is None or amount is None or count < 1 or amount < 0:
            raise problem
        tiers.append((count, amount))
    return tuple(tiers)


def _convert_level_caps(spec: ParamSpec, value: Any, where: Text) -> dict[int, Decimal]:
    problem = _Problem(
        _l(
            "%(where)s: “%(param)s” must give an amount (at least 0) for one or more levels "
            "(whole numbers, at least 0).",
            where=where,
            param=spec.label,
        )
    )
    if isinstance(value, Mapping):
        pairs = list(value.items())
    elif isinstance(value, list | tuple):
        pairs = list(value)
    else:
        raise problem
    if not pairs:
        raise problem
    caps: dict[int, Decimal] = {}
    for pair in pairs:
        if not isinstance(pair, list | tuple) or len(pair) != 2:
            raise problem
        level, amount = as_int(pair[0]), as_decimal(pair[1])
        if level is None or amount is None or level < 0 or amount < 0 or level in caps:
            raise problem
        caps[level] = amount
    return dict(sorted(caps.items()))


def check_params(kind: HasParams, raw: Any, where: Text) -> tuple[dict[str, Any], list[Text]]:
    """Typed values (defaults applied) and the problems found; the values are complete only
    when there are no problems."""
    if raw is None:
        raw = {}
    if not isinstance(raw, Mapping):
        return {}, [_l("%(where)s: the parameters must be a set of named values.", where=where)]
    problems: list[Text] = []
    known = {spec.name for spec in kind.params}
    for name in raw:
        if name not in known:
            problems.append(
                _l(
                    "%(where)s: “%(param)s” is not a parameter of “%(kind)s”.",
                    where=where,
                    param=str(name),
                    kind=kind.label,
                )
            )
    values: dict[str, Any] = {}
    for spec in kind.params:
        value = raw.get(spec.name)
        if value is None:
            if spec.required or (spec.name in raw and spec.default is not None):
                problems.append(
                    _l("%(where)s: “%(param)s” is required.", where=where, param=spec.label)
                )
                continue
            value = spec.default
        if value is None:
            values[spec.name] = None
            continue
        try:
            values[spec.name] = _convert(spec, value, where)
        except _Problem as problem:
            problems.append(problem.message)
    return values, problems


def normalise_params(kind: HasParams | str, raw: Mapping[str, Any] | None) -> dict[str, Any]:
    """Typed parameter values from JSON ones (Decimal from str/int/float, int, bool, ...),
    with defaults for those left out. ``kind`` is a rule key, a ``RuleKind`` or a
    ``FormulaKind``. Idempotent. Raises ``InvalidParams`` listing every problem."""
    if isinstance(kind, str):
        kind = RULE_KINDS[kind]
    values, problems = check_params(kind, raw, kind.label)
    if problems:
        raise InvalidParams(problems)
    return values


# --- outcomes -------------------------------------------------------------------------------


class Status(StrEnum):
    PASS = "pass"  # noqa: S105 - a status, not a password
    FAIL = "fail"
    MISSING = "missing"  # the data needed is not given; the detail says what to fill in


@dataclass(frozen=True)
class Outcome:
    status: Status
    detail: Text


@dataclass(frozen=True)
class RuleResult:
    kind: str | None  # None for groups
    label: Text
    status: Status
    detail: Text | None
    children: tuple[RuleResult, ...] = ()
    combinator: str | None = None  # "all" / "any" for groups


@dataclass(frozen=True)
class RuleKind:
    """``summary`` (optional) gives the label with the parameters filled in, for results."""

    key: str
    label: Text
    params: tuple[ParamSpec, ...]
    reads_project: bool
    evaluate: Callable[[FirmFacts, dict[str, Any]], Outcome]
    summary: Callable[[dict[str, Any]], Text] | None = None

    def describe(self, params: dict[str, Any]) -> Text:
        """The label with these (normalised) parameters, e.g. "R&D spend last year at least
        500,000 yuan"."""
        return self.summary(params) if self.summary is not None else self.label


def _passes(condition: bool, detail_pass: Text, detail_fail: Text) -> Outcome:
    return Outcome(Status.PASS, detail_pass) if condition else Outcome(Status.FAIL, detail_fail)


def _yes_no(
    value: bool | None, *, passes_when: bool, yes: Text, no: Text, unknown: Text
) -> Outcome:
    """A yes/no fact: ``yes`` is the detail when it is True, ``no`` when False."""
    if value is None:
        return Outcome(Status.MISSING, unknown)
    return Outcome(Status.PASS if value is passes_when else Status.FAIL, yes if value else no)


# --- rule kinds -----------------------------------------------------------------------------

RECOGNITION_WITHIN_LABEL = _l("Years counted (0 = this year only, 1 = this year or last)")


def _missing_rd(year: int) -> Outcome:
    return Outcome(
        Status.MISSING, _l("R&D spend for %(year)d is not in your profile yet.", year=year)
    )


def _missing_revenue(year: int) -> Outcome:
    return Outcome(
        Status.MISSING, _l("Revenue for %(year)d is not in your profile yet.", year=year)
    )


def _missing_founding_date() -> Outcome:
    return Outcome(Status.MISSING, _l("Your founding date is not in your profile yet."))


def _registered_in_region(facts: FirmFacts, params: dict[str, Any]) -> Outcome:
    if len(facts.uscc or "") < 8:
        return Outcome(
            Status.MISSING, _l("Your unified social credit code is not in your profile yet.")
        )
    code, prefix = facts.region_code, params["prefix"]
    return _passes(
        code.startswith(prefix),
        _l("Region code %(code)s is in the area %(prefix)s.", code=code, prefix=prefix),
        _l("Region code %(code)s is outside the area %(prefix)s.", code=code, prefix=prefix),
    )


def _not_on_risk_lists(facts: FirmFacts, params: dict[str, Any]) -> Outcome:
    abnormal, dishonest = facts.on_abnormal_list, facts.on_dishonesty_list
    if abnormal is True and dishonest is True:
        return Outcome(
            Status.FAIL, _l("On the abnormal-operations list and the serious-dishonesty list.")
        )
    if abnormal is True:
        return Outcome(Status.FAIL, _l("On the abnormal-operations list."))
    if dishonest is True:
        return Outcome(Status.FAIL, _l("On the serious-dishonesty list."))
    if abnormal is None or dishonest is None:
        return Outcome(
            Status.MISSING,
            _l(
                "Whether you are on the abnormal-operations or serious-dishonesty list "
                "is not in your profile yet."
            ),
        )
    return Outcome(Status.PASS, _l("Not on the abnormal-operations or serious-dishonesty list."))


def qualifying_recognition_years(
    facts: FirmFacts, recognition: str, within_years: int
) -> list[int]:
    """Years of ``recognition`` from ``as_of.year - within_years`` to this year (1 = this year
    or last); later years are not counted."""
    first = facts.as_of.year - within_years
    return [y for y in facts.recognition_years(recognition) if first <= y <= facts.as_of.year]


def _recognition_held(facts: FirmFacts, params: dict[str, Any]) -> Outcome:
    recognition, within = params["recognition"], params["within_years"]
    max_age = params["max_company_age"]
    name = RECOGNITION_LABELS[recognition]
    from_year = facts.as_of.year - within
    held = qualifying_recognition_years(facts, recognition, within)
    if not held:
        return Outcome(
            Status.FAIL,
            _l(
                "%(recognition)s: none from %(from_year)d or later in your profile.",
                recognition=name,
                from_year=from_year,
            ),
        )
    year = max(held)
    if max_age is None:
        return Outcome(
            Status.PASS,
            _l(
                "%(recognition)s %(year)d held (%(from_year)d or later counts).",
                recognition=name,
                year=year,
                from_year=from_year,
            ),
        )
    age = facts.company_age_years()
    if age is None:
        return _missing_founding_date()
    return _passes(
        age <= max_age,
        _l(
            "%(recognition)s %(year)d held; company age %(age)d years ≤ %(max_age)d.",
            recognition=name,
            year=year,
            age=age,
            max_age=max_age,
        ),
        _l(
            "%(recognition)s %(year)d held, but company age %(age)d years > %(max_age)d.",
            recognition=name,
            year=year,
            age=age,
            max_age=max_age,
        ),
    )


def _recognition_summary(params: dict[str, Any]) -> Text:
    name = RECOGNITION_LABELS[params["recognition"]]
    within = params["within_years"]
    if within == 0:
        text = _l("%(recognition)s recognition this year", recognition=name)
    elif within == 1:
        text = _l("%(recognition)s recognition this year or last", recognition=name)
    else:
        text = _l(
            "%(recognition)s recognition this year or in the %(years)d years before",
            recognition=name,
            years=within,
        )
    if params["max_company_age"] is None:
        return text
    return _l(
        "%(recognition)s, company at most %(years)d years old",
        recognition=text,
        years=params["max_company_age"],
    )


def _company_age_at_most(facts: FirmFacts, params: dict[str, Any]) -> Outcome:
    age, limit = facts.company_age_years(), params["years"]
    if age is None or facts.founded_on is None:
        return _missing_founding_date()
    founded = facts.founded_on.isoformat()
    return _passes(
        age <= limit,
        _l(
            "Company age %(age)d years ≤ %(limit)d (founded %(founded)s).",
            age=age,
            limit=limit,
            founded=founded,
        ),
        _l(
            "Company age %(age)d years > %(limit)d (founded %(founded)s).",
            age=age,
            limit=limit,
            founded=founded,
        ),
    )


def _super_deduction_filed_last_year(facts: FirmFacts, params: dict[str, Any]) -> Outcome:
    year = facts.last_year
    return _yes_no(
        facts.year(year).super_deduction_filed,
        passes_when=True,
        yes=_l("R&D super-deduction filed for %(year)d.", year=year),
        no=_l("No R&D super-deduction filed for %(year)d.", year=year),
        unknown=_l(
            "Whether you filed the R&D super-deduction for %(year)d is not in your profile yet.",
            year=year,
        ),
    )


def _rd_last_year_at_least(facts: FirmFacts, params: dict[str, Any]) -> Outcome:
    year = facts.last_year
    value, threshold = facts.year(year).rd_expense, params["amount"]
    if value is None:
        return _missing_rd(year)
    shown = {"year": year, "value": format_amount(value), "threshold": format_amount(threshold)}
    return _passes(
        value >= threshold,
        _l("R&D %(year)d: %(value)s yuan ≥ %(threshold)s yuan", **shown),
        _l("R&D %(year)d: %(value)s yuan < %(threshold)s yuan", **shown),
    )


def _rd_grew(facts: FirmFacts, params: dict[str, Any]) -> Outcome:
    year, previous_year = facts.last_year, facts.last_year - 1
    value, previous = facts.year(year).rd_expense, facts.year(previous_year).rd_expense
    if value is None and previous is None:
        return Outcome(
            Status.MISSING,
            _l(
                "R&D spend for %(year)d and %(previous_year)d is not in your profile yet.",
                year=year,
                previous_year=previous_year,
            ),
        )
    if value is None:
        return _missing_rd(year)
    if previous is None:
        return _missing_rd(previous_year)
    shown = {
        "year": year,
        "value": format_amount(value),
        "previous_year": previous_year,
        "previous": format_amount(previous),
    }
    return _passes(
        value > previous,
        _l("R&D %(year)d: %(value)s yuan > %(previous_year)d: %(previous)s yuan", **shown),
        _l("R&D %(year)d: %(value)s yuan ≤ %(previous_year)d: %(previous)s yuan", **shown),
    )


def _above_designated_size(facts: FirmFacts, params: dict[str, Any]) -> Outcome:
    year = facts.last_year
    value, threshold = facts.year(year).revenue, params["min_revenue"]
    if value is None:
        return _missing_revenue(year)
    shown = {"year": year, "value": format_amount(value), "threshold": format_amount(threshold)}
    return _passes(
        value >= threshold,
        _l("Revenue %(year)d: %(value)s yuan ≥ %(threshold)s yuan", **shown),
        _l("Revenue %(year)d: %(value)s yuan < %(threshold)s yuan", **shown),
    )


def _high_tech_certificate(facts: FirmFacts, params: dict[str, Any]) -> Outcome:
    return _yes_no(
        facts.high_tech_certificate,
        passes_when=True,
        yes=_l("Holds a high-tech enterprise certificate."),
        no=_l("No high-tech enterprise certificate."),
        unknown=_l(
            "Whether you hold a high-tech enterprise certificate is not in your profile yet."
        ),
    )


def _in_fluorine_park(facts: FirmFacts, params: dict[str, Any]) -> Outcome:
    return _yes_no(
        facts.in_fluorine_park,
        passes_when=True,
        yes=_l("In the fluorine industrial park."),
        no=_l("Not in the fluorine industrial park."),
        unknown=_l("Whether you are in the fluorine industrial park is not in your profile yet."),
    )


def _rd_intensity_at_least(facts: FirmFacts, params: dict[str, Any]) -> Outcome:
    year = facts.last_year
    figures = facts.year(year)
    rd, revenue, threshold = figures.rd_expense, figures.revenue, params["percent"]
    if rd is None and revenue is None:
        return Outcome(
            Status.MISSING,
            _l("R&D spend and revenue for %(year)d are not in your profile yet.", year=year),
        )
    if rd is None:
        return _missing_rd(year)
    if revenue is None:
        return _missing_revenue(year)
    if revenue <= 0:
        return Outcome(
            Status.FAIL,
            _l(
                "Revenue %(year)d is %(revenue)s yuan, so R&D intensity cannot reach "
                "%(threshold)s %%.",
                year=year,
                revenue=format_amount(revenue),
                threshold=format_number(threshold),
            ),
        )
    # exact: compare rd / revenue >= percent / 100 without dividing; show 2 decimals cut down
    ratio = Fraction(rd) * 100 / Fraction(revenue)
    shown = {
        "year": year,
        "rd": format_amount(rd),
        "revenue": format_amount(revenue),
        "value": format_money(Decimal(math.floor(ratio * 100)) / 100),
        "threshold": format_number(threshold),
    }
    return _passes(
        ratio >= Fraction(threshold),
        _l(
            "R&D intensity %(year)d: %(rd)s / %(revenue)s yuan = %(value)s %% ≥ %(threshold)s %%",
            **shown,
        ),
        _l(
            "R&D intensity %(year)d: %(rd)s / %(revenue)s yuan = %(value)s %% < %(threshold)s %%",
            **shown,
        ),
    )


def _ip_class_i_at_least(facts: FirmFacts, params: dict[str, Any]) -> Outcome:
    value, threshold = facts.ip_class_i, params["count"]
    if value is None:
        return Outcome(
            Status.MISSING,
            _l("Your count of class I intellectual property rights is not in your profile yet."),
        )
    return _passes(
        value >= threshold,
        _l(
            "Class I intellectual property: %(value)d ≥ %(threshold)d",
            value=value,
            threshold=threshold,
        ),
        _l(
            "Class I intellectual property: %(value)d < %(threshold)d",
            value=value,
            threshold=threshold,
        ),
    )


def _ip_class_ii_at_least(facts: FirmFacts, params: dict[str, Any]) -> Outcome:
    value, threshold = facts.ip_class_ii, params["count"]
    if value is None:
        return Outcome(
            Status.MISSING,
            _l("Your count of class II intellectual property rights is not in your profile yet."),
        )
    return _passes(
        value >= threshold,
        _l(
            "Class II intellectual property: %(value)d ≥ %(threshold)d",
            value=value,
            threshold=threshold,
        ),
        _l(
            "Class II intellectual property: %(value)d < %(threshold)d",
            value=value,
            threshold=threshold,
        ),
    )


def _has_rd_institution(facts: FirmFacts, params: dict[str, Any]) -> Outcome:
    return _yes_no(
        facts.has_rd_institution,
        passes_when=True,
        yes=_l("Has an R&D institution."),
        no=_l("No R&D institution."),
        unknown=_l("Whether you have an R&D institution is not in your profile yet."),
    )


def _not_branch_or_trading_company(facts: FirmFacts, params: dict[str, Any]) -> Outcome:
    return _yes_no(
        facts.branch_or_trading_company,
        passes_when=False,
        yes=_l("A branch or trading company."),
        no=_l("Not a branch or trading company."),
        unknown=_l("Whether you are a branch or trading company is not in your profile yet."),
    )


def _project_accepted(facts: FirmFacts, params: dict[str, Any]) -> Outcome:
    if facts.project is None:
        return Outcome(Status.MISSING, _l("Stated in the application (project acceptance)."))
    return _yes_no(
        facts.project.project_accepted,
        passes_when=True,
        yes=_l("The project has passed acceptance."),
        no=_l("The project has not passed acceptance."),
        unknown=_l("Project acceptance is not stated in the application yet."),
    )


def _eligible_investment_at_least(facts: FirmFacts, params: dict[str, Any]) -> Outcome:
    if facts.project is None:
        return Outcome(Status.MISSING, _l("Stated in the application (eligible investment)."))
    value, threshold = facts.project.eligible_investment, params["amount"]
    if value is None:
        return Outcome(
            Status.MISSING, _l("The eligible investment is not stated in the application yet.")
        )
    shown = {"value": format_amount(value), "threshold": format_amount(threshold)}
    return _passes(
        value >= threshold,
        _l("Eligible investment: %(value)s yuan ≥ %(threshold)s yuan", **shown),
        _l("Eligible investment: %(value)s yuan < %(threshold)s yuan", **shown),
    )


def _digital_level_at_least(facts: FirmFacts, params: dict[str, Any]) -> Outcome:
    if facts.project is None:
        return Outcome(Status.MISSING, _l("Stated in the application (digital level)."))
    value, threshold = facts.project.digital_level, params["level"]
    if value is None:
        return Outcome(
            Status.MISSING, _l("The digital level is not stated in the application yet.")
        )
    return _passes(
        value >= threshold,
        _l("Digital level %(value)d ≥ %(threshold)d", value=value, threshold=threshold),
        _l("Digital level %(value)d < %(threshold)d", value=value, threshold=threshold),
    )


def _no_other_public_funding(facts: FirmFacts, params: dict[str, Any]) -> Outcome:
    if facts.project is None:
        return Outcome(Status.MISSING, _l("Stated in the application (other public funding)."))
    return _yes_no(
        facts.project.other_public_funding,
        passes_when=False,
        yes=_l("The project has other public funding."),
        no=_l("No other public funding for the project."),
        unknown=_l(
            "Whether the project has other public funding is not stated in the application yet."
        ),
    )


AMOUNT_LABEL = _l("Amount (yuan)")

_KINDS = (
    RuleKind(
        "registered_in_region",
        _l("Registered in the region"),
        (
            ParamSpec(
                "prefix",
                "str",
                _l("Region code starts with (1 to 6 digits)"),
                "2109",
                pattern=r"\d{1,6}",
            ),
        ),
        False,
        _registered_in_region,
        lambda p: _l("Registered in the region with code %(prefix)s", prefix=p["prefix"]),
    ),
    RuleKind(
        "not_on_risk_lists",
        _l("Not on the abnormal-operations or serious-dishonesty list"),
        (),
        False,
        _not_on_risk_lists,
    ),
    RuleKind(
        "recognition_held",
        _l("Recognition held"),
        (
            ParamSpec(
                "recognition",
                "choice",
                _l("Recognition"),
                None,
                choices=RECOGNITION_CHOICES,
                required=True,
            ),
            ParamSpec("within_years", "int", RECOGNITION_WITHIN_LABEL, 1, minimum=0),
            ParamSpec(
                "max_company_age",
                "int",
                _l("Company at most this many years old (empty = any age)"),
                None,
                minimum=0,
            ),
        ),
        False,
        _recognition_held,
        _recognition_summary,
    ),
    RuleKind(
        "company_age_at_most",
        _l("Company age at most"),
        (ParamSpec("years", "int", _l("Years"), 10, minimum=0),),
        False,
        _company_age_at_most,
        lambda p: _l("Company age at most %(years)d years", years=p["years"]),
    ),
    RuleKind(
        "super_deduction_filed_last_year",
        _l("R&D super-deduction filed last year"),
        (),
        False,
        _super_deduction_filed_last_year,
    ),
    RuleKind(
        "rd_last_year_at_least",
        _l("R&D spend last year at least"),
        (ParamSpec("amount", "decimal", AMOUNT_LABEL, Decimal("500000"), minimum=Decimal(0)),),
        False,
        _rd_last_year_at_least,
        lambda p: _l(
            "R&D spend last year at least %(amount)s yuan", amount=format_amount(p["amount"])
        ),
    ),
    RuleKind("rd_grew", _l("R&D spend grew last year"), (), False, _rd_grew),
    RuleKind(
        "above_designated_size",
        _l("Above designated size (revenue last year at least)"),
        (
            ParamSpec(
                "min_revenue",
                "decimal",
                _l("Revenue (yuan)"),
                Decimal("20000000"),
                minimum=Decimal(0),
            ),
        ),
        False,
        _above_designated_size,
        lambda p: _l(
            "Above designated size: revenue last year at least %(amount)s yuan",
            amount=format_amount(p["min_revenue"]),
        ),
    ),
    RuleKind(
        "high_tech_certificate",
        _l("High-tech enterprise certificate"),
        (),
        False,
        _high_tech_certificate,
    ),
    RuleKind(
        "in_fluorine_park", _l("In the fluorine industrial park"), (), False, _in_fluorine_park
    ),
    RuleKind(
        "rd_intensity_at_least",
        _l("R&D spend last year as a share of revenue at least"),
        (ParamSpec("percent", "percent", _l("Percent"), Decimal("1.5")),),
        False,
        _rd_intensity_at_least,
        lambda p: _l(
            "R&D spend last year at least %(percent)s %% of revenue",
            percent=format_number(p["percent"]),
        ),
    ),
    RuleKind(
        "ip_class_i_at_least",
        _l("Class I intellectual property rights at least"),
        (ParamSpec("count", "int", _l("Number"), 1, minimum=1),),
        False,
        _ip_class_i_at_least,
        lambda p: _l("Class I intellectual property rights: at least %(count)d", count=p["count"]),
    ),
    RuleKind(
        "ip_class_ii_at_least",
        _l("Class II intellectual property rights at least"),
        (ParamSpec("count", "int", _l("Number"), 2, minimum=1),),
        False,
        _ip_class_ii_at_least,
        lambda p: _l("Class II intellectual property rights: at least %(count)d", count=p["count"]),
    ),
    RuleKind("has_rd_institution", _l("Has an R&D institution"), (), False, _has_rd_institution),
    RuleKind(
        "not_branch_or_trading_company",
        _l("Not a branch or trading company"),
        (),
        False,
        _not_branch_or_trading_company,
    ),
    RuleKind("project_accepted", _l("Project accepted"), (), True, _project_accepted),
    RuleKind(
        "eligible_investment_at_least",
        _l("Eligible investment at least"),
        (ParamSpec("amount", "decimal", AMOUNT_LABEL, Decimal("500000"), minimum=Decimal(0)),),
        True,
        _eligible_investment_at_least,
        lambda p: _l(
            "Eligible investment at least %(amount)s yuan", amount=format_amount(p["amount"])
        ),
    ),
    RuleKind(
        "digital_level_at_least",
        _l("Digital level at least"),
        (ParamSpec("level", "int", _l("Level"), 2, minimum=1),),
        True,
        _digital_level_at_least,
        lambda p: _l("Digital level at least %(level)d", level=p["level"]),
    ),
    RuleKind(
        "no_other_public_funding",
        _l("No other public funding for the project"),
        (),
        True,
        _no_other_public_funding,
    ),
)

RULE_KINDS: dict[str, RuleKind] = {kind.key: kind for kind in _KINDS}

GROUP_LABELS: dict[str, Text] = {"all": _l("All of these"), "any": _l("At least one of these")}


# --- trees ----------------------------------------------------------------------------------


class InvalidRuleTree(ValueError):
    def __init__(self, problems: list[str]) -> None:
        super().__init__(problems)
        self.problems = problems

    def __str__(self) -> str:
        return "; ".join(str(problem) for problem in self.problems)


def _where(path: tuple[int, ...]) -> Text:
    if not path:
        return _l("Top level")
    return _l("Rule %(position)s", position=".".join(str(index) for index in path))


def validate_tree(tree: Any) -> list[str]:
    """Every problem in a rule tree, in tree order, each naming where it is ("Rule 2.1");
    an empty list when the tree is valid. Plain strings in the current locale."""
    problems: list[Text] = []
    _check_node(tree, (), problems)
    return [str(problem) for problem in problems]


def _check_node(node: Any, path: tuple[int, ...], problems: list[Text]) -> None:
    where = _where(path)
    if len(path) > MAX_DEPTH:
        problems.append(_l("%(where)s: the rules are nested too deeply.", where=where))
        return
    shapes = [key for key in ("rule", "all", "any") if isinstance(node, Mapping) and key in node]
    if len(shapes) != 1:
        problems.append(_l("%(where)s: expected a rule or a group of rules.", where=where))
        return
    shape = shapes[0]
    allowed = {"rule", "params"} if shape == "rule" else {shape}
    for key in node:
        if key not in allowed:
            problems.append(_l("%(where)s: unknown entry “%(key)s”.", where=where, key=str(key)))
    if shape == "rule":
        key = node["rule"]
        kind = RULE_KINDS.get(key) if isinstance(key, str) else None
        if kind is None:
            problems.append(
                _l("%(where)s: unknown rule kind “%(kind)s”.", where=where, kind=str(key))
            )
            return
        problems.extend(check_params(kind, node.get("params"), where)[1])
        return
    children = node[shape]
    if not isinstance(children, list | tuple):
        problems.append(_l("%(where)s: a group must list its rules.", where=where))
        return
    if not children:
        problems.append(_l("%(where)s: the group is empty.", where=where))
        return
    for index, child in enumerate(children, start=1):
        _check_node(child, (*path, index), problems)


def combine(combinator: str, statuses: Iterable[Status]) -> Status:
    """all: fail if any fails, else missing if any is missing, else pass.
    any: pass if any passes, else missing if any is missing, else fail."""
    found = set(statuses)
    if combinator == "all":
        decisive, otherwise = Status.FAIL, Status.PASS
    elif combinator == "any":
        decisive, otherwise = Status.PASS, Status.FAIL
    else:
        raise ValueError(f"unknown combinator {combinator!r}")
    if decisive in found:
        return decisive
    return Status.MISSING if Status.MISSING in found else otherwise


def evaluate(tree: Mapping[str, Any], facts: FirmFacts) -> RuleResult:
    """Evaluate a rule tree for a firm. Raises ``InvalidRuleTree`` when ``validate_tree``
    finds problems."""
    problems = validate_tree(tree)
    if problems:
        raise InvalidRuleTree(problems)
    return _evaluate(tree, facts)


def _evaluate(node: Mapping[str, Any], facts: FirmFacts) -> RuleResult:
    if "rule" in node:
        kind = RULE_KINDS[node["rule"]]
        params = normalise_params(kind, node.get("params"))
        outcome = kind.evaluate(facts, params)
        return RuleResult(kind.key, kind.describe(params), outcome.status, outcome.detail)
    combinator = "all" if "all" in node else "any"
    children = tuple(_evaluate(child, facts) for child in node[combinator])
    return RuleResult(
        kind=None,
        label=GROUP_LABELS[combinator],
        status=combine(combinator, (child.status for child in children)),
        detail=None,
        children=children,
        combinator=combinator,
    )


def missing_data(result: RuleResult) -> list[Text]:
    """The details of every missing leaf, in tree order, each said once: what to fill in."""
    found: list[Text] = []

    def walk(node: RuleResult) -> None:
        if node.combinator is not None:
            for child in node.children:
                walk(child)
        elif (
            node.status is Status.MISSING
            and node.detail is not None
            and all(str(node.detail) != str(seen) for seen in found)
        ):
            found.append(node.detail)

    walk(result)
    return found
