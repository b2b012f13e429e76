"""What the exports read: one query per export, returning plain rows.

Every export is a single SELECT joining what it shows (programme, enterprise, the current
letter), whatever the number of applications: no per-row queries and no ORM objects, so a
programme with thousands of applications costs the same number of round trips as one with two.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import and_, case, func, select

from portal.accounts.models import Enterprise
from portal.applications.award_terms import (
    FINAL_STATUSES,
    IN_PUBLICITY_STATUSES,
    AwardTerm,
    award_term,
)
from portal.applications.models import Application, Status
from portal.core.extensions import db
from portal.letters.models import Letter, LetterStatus
from portal.payments.models import Tranche, TrancheStatus
from portal.programs.models import Program
from portal.reporting.formats import COUNT, DATE, DATETIME, MONEY, SCORE, Column

# Only final awards are published as open data: an award in publicity (or on hold after an
# objection) can still be overturned, and the public publicity page already lists those. An
# award becomes final (AWARDED) when its publicity period ends; its letter is issued then.
OPEN_DATA_STATUSES = tuple(FINAL_STATUSES)

DECISION_LABELS = {"approve": _l("Approve"), "reject": _l("Reject")}

APPLICATION_COLUMNS: tuple[Column, ...] = (
    Column("reference", _l("Reference")),
    Column("program_code", _l("Programme code")),
    Column("program_name", _l("Programme")),
    Column("enterprise_name", _l("Enterprise")),
    Column("uscc", _l("Unified social credit code")),
    Column("status", _l("Status code")),
    Column("status_label", _l("Status")),
    Column("award_label", _l("Award")),
    Column("first_submitted_at", _l("First submitted (UTC+8)"), DATETIME),
    Column("requested_amount", _l("Requested (yuan)"), MONEY),
    Column("formula_amount", _l("Formula amount (yuan)"), MONEY),
    Column("review_count", _l("Number of reviews"), COUNT),
    Column("review_mean", _l("Mean score"), SCORE),
    Column("review_spread", _l("Spread"), SCORE),
    Column("final_score", _l("Final score"), SCORE),
    Column("decision", _l("Decision")),
    Column("decided_amount", _l("Decided amount (yuan)"), MONEY),
    Column("released_at", _l("Released (UTC+8)"), DATETIME),
    Column("publicity_ends_on", _l("Publicity ends"), DATE),
    Column("awarded_at", _l("Final since (UTC+8)"), DATETIME),
    Column("letter_number", _l("Notice number")),
)


# Money after the award per programme and bureau year (portal.payments.money): each figure in
# the year of its own event (awarded: agreement offered; due: fell due; paid; recovered).
MONEY_COLUMNS: tuple[Column, ...] = (
    Column("program_code", _l("Programme code")),
    Column("program_name", _l("Programme")),
    Column("year", _l("Year"), COUNT),
    Column("awarded", _l("Awarded (yuan)"), MONEY),
    Column("paid", _l("Paid (yuan)"), MONEY),
    Column("tranches_paid", _l("Payments made"), COUNT),
    Column("due", _l("Due for payment (yuan)"), MONEY),
    Column("tranches_due", _l("Payments due"), COUNT),
    Column("recovered", _l("Recovered (yuan)"), MONEY),
    Column("days_median", _l("Days from final award to first payment (median)"), SCORE),
    Column("days_worst", _l("Days from final award to first payment (worst)"), COUNT),
)


def _current_letter_join():
    # At most one current letter per application (a partial unique index): no duplicate rows.
    return and_(Letter.application_id == Application.id, Letter.status == LetterStatus.CURRENT)


def application_rows(program_id: int | None) -> list[dict[str, Any]]:
    """Every application that is not a draft (of one programme, or of all), in one query.

    Values are left as the database gives them (Decimal, aware UTC datetimes, dates, the status
    enum); the writers format them. ``status_label`` is the label in the current language.
    """
    query = (
        select(
            Application.reference,
            Program.code.label("program_code"),
            Program.name_zh.label("program_name"),
            Enterprise.name.label("enterprise_name"),
            Enterprise.uscc,
            Application.status,
            Application.first_submitted_at,
            Application.requested_amount,
            Application.formula_amount,
            Application.review_count,
            Application.review_mean,
            Application.review_spread,
            Application.final_score,
            Application.decision,
            Application.decided_amount,
            Application.released_at,
            Application.publicity_ends_on,
            Application.awarded_at,
            Letter.number.label("letter_number"),
        )
        .join(Program, Program.id == Application.program_id)
        .join(Enterprise, Enterprise.id == Application.enterprise_id)
        .outerjoin(Letter, _current_letter_join())
        .where(Application.status != Status.DRAFT)
        .order_by(Program.code, Application.reference)
    )
    if program_id is not None:
        query = query.where(Application.program_id == program_id)
    rows = []
    for row in db.session.execute(query):
        values = row._asdict()
        status = values["status"]
        values["status"] = status.value
        values["status_label"] = str(status.label)
        term = award_term(status, values["decision"])
        values["award_label"] = str(term.label) if term else None
        decision = values["decision"]
        values["decision"] = str(DECISION_LABELS.get(decision, decision or "")) or None
        rows.append(values)
    return rows


def award_rows(program_id: int | None) -> list[dict[str, Any]]:
    """Final awards for open data (OPEN_DATA_STATUSES), in one query.

    Only what the bureau already makes public is read: programme, enterprise and USCC, the
    amount and dates, and what has been paid of it (``disbursed``: the paid tranches, with the
    day of the last payment). The firm's own project texts are not published.
    """
    paid = (
        select(
            Tranche.application_id,
            func.sum(Tranche.amount).label("disbursed"),
            func.max(Tranche.paid_on).label("last_paid_on"),
            func.max(Tranche.paid_recorded_at).label("paid_recorded_at"),
        )
        .where(Tranche.status == TrancheStatus.PAID)
        .group_by(Tranche.application_id)
        .subquery()
    )
    query = (
        select(
            Application.reference,
            Application.decided_amount,
            Application.decided_at,
            Application.released_at,
            Application.awarded_at,
            Application.updated_at,
            Program.code.label("program_code"),
            Program.name_zh.label("program_name"),
            Program.summary_zh.label("program_summary"),
            Enterprise.name.label("enterprise_name"),
            Enterprise.uscc,
            Letter.number.label("letter_number"),
            paid.c.disbursed,
            paid.c.last_paid_on,
            paid.c.paid_recorded_at,
        )
        .join(Program, Program.id == Application.program_id)
        .join(Enterprise, Enterprise.id == Application.enterprise_id)
        .outerjoin(Letter, _current_letter_join())
        .outerjoin(paid, paid.c.application_id == Application.id)
        .where(Application.status.in_(OPEN_DATA_STATUSES))
        .order_by(Program.code, Application.reference)
    )
    if program_id is not None:
        query = query.where(Application.program_id == program_id)
    return [row._asdict() for row in db.session.execute(query)]


def programme_choices(locale: str) -> list[dict[str, Any]]:
    """Programmes with what each export would hold (two queries whatever their number)."""
    programs = db.session.execute(
        select(Program.id, Program.code, Program.name_zh, Program.name_en).order_by(
            Program.opens_at.desc(), Program.id.desc()
        )
    ).all()
    proposed = and_(Application.status == Status.DECIDED, Application.decision == "approve")
    counts = {
        row.program_id: row
        for row in db.session.execute(
            select(
                Application.program_id,
                func.count(Application.id).label("applications"),
                _count_where(proposed).label("proposed"),
                _count_where(Application.status.in_(IN_PUBLICITY_STATUSES)).label("publicity"),
                _count_where(Application.status.in_(OPEN_DATA_STATUSES)).label("awards"),
            )
            .where(Application.status != Status.DRAFT)
            .group_by(Application.program_id)
        )
    }
    return [
        {
            "id": p.id,
            "code": p.code,
            "name": p.name_en if locale == "en" else p.name_zh,
            **{key: int(getattr(counts.get(p.id), key, 0) or 0) for key in _COUNTED},
        }
        for p in programs
    ]


# What the exports page counts per programme: applications, and awards by where they stand.
_COUNTED = ("applications", "proposed", "publicity", "awards")


def _count_where(condition):
    return func.sum(case((condition, 1), else_=0))


def totals(choices: Sequence[dict[str, Any]], program_id: int | None) -> dict[str, Any]:
    """What the chosen scope (one programme, or all) holds, from the choices already loaded:
    the counts, and the awards by where they stand with the words the dashboard uses."""
    chosen = [c for c in choices if program_id is None or c["id"] == program_id]
    counts: dict[str, Any] = {key: sum(c[key] for c in chosen) for key in _COUNTED}
    counts["by_term"] = [
        {"key": key, "label": term.label, "count": counts[key]}
        for key, term in (
            ("proposed", AwardTerm.PROPOSED),
            ("publicity", AwardTerm.IN_PUBLICITY),
            ("awards", AwardTerm.FINAL),
        )
    ]
    return counts
