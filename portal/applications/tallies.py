"""Running tallies of applications per programme, kept by the database.

Triggers on ``applications`` (migration 0006; review/tallies.py has those on ``assignments``)
add and subtract each row's contribution, so reading a programme's counts and sums costs a
handful of rows however many applications it has. The ORM never writes these tables;
``check_application_tallies`` compares them with a full count (``flask tallies check``) and
``rebuild_application_tallies`` recounts them after a repair.
"""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal

from sqlalchemy import (
    ForeignKey,
    Integer,
    String,
    delete,
    func,
    insert,
    literal_column,
    select,
)
from sqlalchemy.orm import Mapped, mapped_column

from portal.applications.models import Application, Status
from portal.core.extensions import Model, db
from portal.core.money import MONEY_SUM, sum_from_db


class ApplicationTally(Model):
    """Applications of a programme in one status with one pending or released decision
    (``""`` before any), with the sums of their requested and decided amounts."""

    __tablename__ = "application_tallies"

    program_id: Mapped[int] = mapped_column(
        ForeignKey("programs.id", ondelete="CASCADE"), primary_key=True
    )
    status: Mapped[str] = mapped_column(String(30), primary_key=True)
    decision: Mapped[str] = mapped_column(String(10), primary_key=True)
    applications: Mapped[int] = mapped_column(Integer)
    requested: Mapped[Decimal] = mapped_column(MONEY_SUM)
    decided: Mapped[Decimal] = mapped_column(MONEY_SUM)


def count_applications(
    *, program_ids: Iterable[int] | None = None, statuses: Iterable[Status] | None = None
) -> int:
    """How many applications are in these programmes and statuses (all when None): one query
    over the tally rows."""
    query = select(func.coalesce(func.sum(ApplicationTally.applications), 0))
    if program_ids is not None:
        query = query.where(ApplicationTally.program_id.in_(list(program_ids)))
    if statuses is not None:
        query = query.where(ApplicationTally.status.in_([s.value for s in statuses]))
    return int(db.session.scalar(query) or 0)


# --- checking and repairing -----------------------------------------------------------------


def _counted_applications():
    decision = func.coalesce(Application.decision, literal_column("''"))
    return select(
        Application.program_id,
        Application.status,
        decision,
        func.count(),
        func.coalesce(func.sum(Application.requested_amount), 0),
        func.coalesce(func.sum(Application.decided_amount), 0),
    ).group_by(Application.program_id, Application.status, decision)


def check_application_tallies() -> list[str]:
    """The differences between the application tallies and a full count; empty when they
    agree."""
    problems = []
    kept = {
        (row.program_id, row.status, row.decision): (
            row.applications,
            sum_from_db(row.requested),
            sum_from_db(row.decided),
        )
        for row in db.session.scalars(select(ApplicationTally))
        if row.applications or sum_from_db(row.requested) or sum_from_db(row.decided)
    }
    counted = {
        (program_id, str(getattr(status, "value", status)), decision): (
            n,
            sum_from_db(requested),
            sum_from_db(decided),
        )
        for program_id, status, decision, n, requested, decided in db.session.execute(
            _counted_applications()
        )
    }
    for key in sorted(set(kept) | set(counted), key=str):
        if kept.get(key) != counted.get(key):
            problems.append(f"applications {key}: tally {kept.get(key)}, count {counted.get(key)}")
    return problems


def rebuild_application_tallies() -> None:
    """Recount the application tallies from the rows (inside the caller's transaction)."""
    db.session.execute(delete(ApplicationTally))
    db.session.execute(
        insert(ApplicationTally).from_select(
            ["program_id", "status", "decision", "applications", "requested", "decided"],
            _counted_applications(),
        )
    )
