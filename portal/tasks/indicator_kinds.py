"""The registry of indicator kinds: how an indicator's value is computed from the portal's data
(as ``programs.rule_catalogue`` is for eligibility rules).

Each kind reads its values for many indicators at once, in one query through the tallies the
database keeps (applications per programme and status, money per programme and year, days to
first payment), so that the wall costs the same few queries at 100,000 applications as at
1,000. A kind declares its parameters (programmes by code, a recognition) for the task editor.

``manual`` is the kind for values reported by hand (``IndicatorReport``): the latest report
counts.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select

from portal.applications.models import Status
from portal.applications.tallies import ApplicationTally
from portal.core.extensions import db
from portal.payments.money import MoneyTally, PaymentDaysTally, days_of, overdue_reports
from portal.profiles.models import EnterpriseRecognition
from portal.programs.models import Program
from portal.tasks.models import Direction, IndicatorReport

MANUAL = "manual"
TEN_THOUSAND = Decimal(10000)
# An application counts as processed once a decision on it has been recorded.
PROCESSED = (Status.DECIDED, Status.PUBLICITY, Status.ON_HOLD, Status.AWARDED, Status.REJECTED)


@dataclass(frozen=True)
class Query:
    """One indicator to compute: its id (for manual values), parameters and year."""

    indicator_id: int | None
    params: dict[str, Any]
    year: int


Compute = Callable[[Sequence[Query], date], list[Decimal | None]]


@dataclass(frozen=True)
class IndicatorKind:
    key: str
    label: Any  # a lazy string
    params: tuple[str, ...]  # "programs" (codes), "recognition"
    unit: str  # the default unit, as the bureau writes it
    direction: Direction
    compute: Compute


KINDS: dict[str, IndicatorKind] = {}


def register(kind: IndicatorKind) -> None:
    KINDS[kind.key] = kind


def kind_of(key: str) -> IndicatorKind:
    return KINDS[key]


def compute_values(queries: Sequence[tuple[str, Query]], today: date) -> list[Decimal | None]:
    """The values of many indicators: one batch (so one query, as a rule) per kind."""
    by_kind: dict[str, list[int]] = defaultdict(list)
    for index, (key, _query) in enumerate(queries):
        by_kind[key].append(index)
    values: list[Decimal | None] = [None] * len(queries)
    for key, indexes in by_kind.items():
        kind = KINDS.get(key)
        if kind is None:
            continue  # a kind no longer registered reads as unknown, never as an error
        computed = kind.compute([queries[i][1] for i in indexes], today)
        for index, value in zip(indexes, computed, strict=True):
            values[index] = value
    return values


# --- helpers -------------------------------------------------------------------------------


def _codes(query: Query) -> list[str]:
    codes = query.params.get("programs") or []
    return [str(c) for c in codes] if isinstance(codes, list) else [str(codes)]


def _program_ids(queries: Sequence[Query]) -> dict[str, int]:
    codes = sorted({c for q in queries for c in _codes(q)})
    if not codes:
        return {}
    rows = db.session.execute(select(Program.code, Program.id).where(Program.code.in_(codes)))
    return {code: pid for code, pid in rows}


def _ids(query: Query, ids: dict[str, int]) -> list[int]:
    return [ids[c] for c in _codes(query) if c in ids]


# --- the kinds -------------------------------------------------------------------------------


def _final_awards(queries: Sequence[Query], today: date) -> list[Decimal | None]:
    ids = _program_ids(queries)
    rows = db.session.execute(
        select(ApplicationTally.program_id, func.sum(ApplicationTally.applications))
        .where(
            ApplicationTally.program_id.in_(list(ids.values())),
            ApplicationTally.status == Status.AWARDED.value,
        )
        .group_by(ApplicationTally.program_id)
    ).all()
    counts = {pid: int(n or 0) for pid, n in rows}
    return [Decimal(sum(counts.get(pid, 0) for pid in _ids(q, ids))) for q in queries]


def _processed(queries: Sequence[Query], today: date) -> list[Decimal | None]:
    ids = _program_ids(queries)
    rows = db.session.execute(
        select(ApplicationTally.program_id, func.sum(ApplicationTally.applications))
        .where(
            ApplicationTally.program_id.in_(list(ids.values())),
            ApplicationTally.status.in_([s.value for s in PROCESSED]),
        )
        .group_by(ApplicationTally.program_id)
    ).all()
    counts = {pid: int(n or 0) for pid, n in rows}
    return [Decimal(sum(counts.get(pid, 0) for pid in _ids(q, ids))) for q in queries]


def _money_paid(queries: Sequence[Query], today: date) -> list[Decimal | None]:
    """Money paid in the task's year under the programmes, in 万元 (ten thousand yuan)."""
    ids = _program_ids(queries)
    years = sorted({q.year for q in queries})
    rows = db.session.execute(
        select(MoneyTally.program_id, MoneyTally.year, MoneyTally.paid).where(
            MoneyTally.program_id.in_(list(ids.values())), MoneyTally.year.in_(years)
        )
    ).all()
    paid = {(pid, year): amount or Decimal(0) for pid, year, amount in rows}
    return [
        (sum((paid.get((pid, q.year), Decimal(0)) for pid in _ids(q, ids)), Decimal(0)))
        / TEN_THOUSAND
        for q in queries
    ]


def _median_days_to_payment(queries: Sequence[Query], today: date) -> list[Decimal | None]:
    ids = _program_ids(queries)
    rows = db.session.execute(
        select(PaymentDaysTally.program_id, PaymentDaysTally.days, PaymentDaysTally.tranches).where(
            PaymentDaysTally.program_id.in_(list(ids.values()))
        )
    ).all()
    histograms: dict[int, list[tuple[int, int]]] = defaultdict(list)
    for pid, days, n in rows:
        histograms[pid].append((days, n))
    values: list[Decimal | None] = []
    for q in queries:
        merged = [pair for pid in _ids(q, ids) for pair in histograms.get(pid, [])]
        values.append(days_of(merged).median)
    return values


def _reports_overdue(queries: Sequence[Query], today: date) -> list[Decimal | None]:
    ids = _program_ids(queries)
    counts = overdue_reports(list(ids.values()), today)
    return [Decimal(sum(counts.get(pid, 0) for pid in _ids(q, ids))) for q in queries]


def _firms_with_recognition(queries: Sequence[Query], today: date) -> list[Decimal | None]:
    """Firms holding a recognition in the task's year (the parameter ``recognition``)."""
    wanted = sorted({(str(q.params.get("recognition", "")), q.year) for q in queries})
    kinds = sorted({kind for kind, _year in wanted})
    years = sorted({year for _kind, year in wanted})
    rows = db.session.execute(
        select(
            EnterpriseRecognition.kind,
            EnterpriseRecognition.year,
            func.count(func.distinct(EnterpriseRecognition.enterprise_id)),
        )
        .where(EnterpriseRecognition.kind.in_(kinds), EnterpriseRecognition.year.in_(years))
        .group_by(EnterpriseRecognition.kind, EnterpriseRecognition.year)
    ).all()
    counts = {(kind, year): int(n) for kind, year, n in rows}
    return [Decimal(counts.get((str(q.params.get("recognition", "")), q.year), 0)) for q in queries]


def _manual(queries: Sequence[Query], today: date) -> list[Decimal | None]:
    """The latest reported value of each indicator (by the date it is as of, then id)."""
    ids = [q.indicator_id for q in queries if q.indicator_id is not None]
    latest = (
        select(
            IndicatorReport.indicator_id,
            IndicatorReport.value,
            func.row_number()
            .over(
                partition_by=IndicatorReport.indicator_id,
                order_by=(IndicatorReport.reported_on.desc(), IndicatorReport.id.desc()),
            )
            .label("rank"),
        )
        .where(IndicatorReport.indicator_id.in_(ids), IndicatorReport.reported_on <= today)
        .subquery()
    )
    rows = db.session.execute(
        select(latest.c.indicator_id, latest.c.value).where(latest.c.rank == 1)
    ).all()
    values = {iid: value for iid, value in rows}
    return [values.get(q.indicator_id) if q.indicator_id else None for q in queries]


register(
    IndicatorKind(
        "final_awards",
        _l("Final awards under programmes"),
        ("programs",),
        "家",
        Direction.UP,
        _final_awards,
    )
)
register(
    IndicatorKind(
        "applications_processed",
        _l("Applications decided under programmes"),
        ("programs",),
        "项",
        Direction.UP,
        _processed,
    )
)
register(
    IndicatorKind(
        "money_paid",
        _l("Money paid under programmes this year (10,000 yuan)"),
        ("programs",),
        "万元",
        Direction.UP,
        _money_paid,
    )
)
register(
    IndicatorKind(
        "median_days_to_payment",
        _l("Median days from final award to first payment"),
        ("programs",),
        "天",
        Direction.DOWN,
        _median_days_to_payment,
    )
)
register(
    IndicatorKind(
        "reports_overdue",
        _l("Progress reports overdue"),
        ("programs",),
        "份",
        Direction.DOWN,
        _reports_overdue,
    )
)
register(
    IndicatorKind(
        "firms_with_recognition",
        _l("Firms holding a recognition this year"),
        ("recognition",),
        "家",
        Direction.UP,
        _firms_with_recognition,
    )
)
register(
    IndicatorKind(
        MANUAL,
        _l("Reported by hand, with evidence"),
        (),
        "",
        Direction.UP,
        _manual,
    )
)
