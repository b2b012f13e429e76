"""Parameters of rule and formula kinds: their specs, and typed values from JSON ones.

Every threshold, rate, cap and tier of a programme is a parameter with a default; an officer
edits them as JSON-able values (numbers may come as text). ``check_params`` converts them and
lists every problem, each naming where it is; ``normalise_params`` returns the typed values or
raises ``InvalidParams``. Shared by ``rule_catalogue`` and ``formulas``.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any, Literal, Protocol

from flask_babel import lazy_gettext as _l
from flask_babel.speaklater import LazyString

Text = Any  # a lazy string (flask_babel LazyString), or a plain str
ParamType = Literal["int", "decimal", "percent", "str", "choice", "bool", "tiers", "level_caps"]


# --- showing parameters ---------------------------------------------------------------------


def format_number(value: Decimal | int) -> str:
    """A parameter as an officer typed it, without trailing zeros: "1.5", "10", "60"."""
    value = Decimal(value)
    if value == value.to_integral_value():
        if value.adjusted() >= 4000:  # str(int) refuses over 4300 digits; shown as typed
            return f"{value.to_integral_value():f}"
        return str(int(value))
    return f"{value.normalize():f}"


def lazy_join(parts: Iterable[Text], separator: str = ", ") -> LazyString:
    """Join lazy strings, translating each part only when the result is shown."""
    frozen = tuple(parts)
    return LazyString(lambda: separator.join(str(part) for part in frozen))


# --- specs ----------------------------------------------------------------------------------


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
    """A rule or formula kind (frozen dataclasses: the members are read-only)."""

    @property
    def key(self) -> str: ...

    @property
    def label(self) -> Text: ...

    @property
    def params(self) -> tuple[ParamSpec, ...]: ...


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
        try:
            return int(value)
        except ValueError:  # more digits than Python converts (4300): not a number we use
            return None
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


def _convert_int(spec: ParamSpec, value: Any, where: Text) -> int:
    number = as_int(value)
    if number is None:
        raise _Problem(
            _l("%(where)s: “%(param)s” must be a whole number.", where=where, param=spec.label)
        )
    _check_minimum(spec, number, where)
    return number


def _convert_number(spec: ParamSpec, value: Any, where: Text) -> Decimal:
    """A ``decimal`` or a ``percent`` (0 to 100)."""
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


def _convert_str(spec: ParamSpec, value: Any, where: Text) -> str:
    if not isinstance(value, str):
        raise _Problem(_l("%(where)s: “%(param)s” must be text.", where=where, param=spec.label))
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


def _convert_choice(spec: ParamSpec, value: Any, where: Text) -> str:
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


def _convert_bool(spec: ParamSpec, value: Any, where: Text) -> bool:
    if not isinstance(value, bool):
        raise _Problem(
            _l("%(where)s: “%(param)s” must be yes or no.", where=where, param=spec.label)
        )
    return value


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


_CONVERTERS: dict[str, Callable[[ParamSpec, Any, Text], Any]] = {
    "int": _convert_int,
    "decimal": _convert_number,
    "percent": _convert_number,
    "str": _convert_str,
    "choice": _convert_choice,
    "bool": _convert_bool,
    "tiers": _convert_tiers,
    "level_caps": _convert_level_caps,
}


def _convert(spec: ParamSpec, value: Any, where: Text) -> Any:
    converter = _CONVERTERS.get(spec.type)
    if converter is None:  # pragma: no cover - ParamType lists every type
        raise AssertionError(f"unknown parameter type {spec.type!r}")
    return converter(spec, value, where)


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


def normalise_params(kind: HasParams, raw: Mapping[str, Any] | None) -> dict[str, Any]:
    """Typed parameter values from JSON ones (Decimal from str/int/float, int, bool, ...),
    with defaults for those left out. ``kind`` is a ``RuleKind`` or a ``FormulaKind``
    (``rules.normalise_params`` also takes a rule's key). Idempotent. Raises ``InvalidParams``
    listing every problem."""
    values, problems = check_params(kind, raw, kind.label)
    if problems:
        raise InvalidParams(problems)
    return values
