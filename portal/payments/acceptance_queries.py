"""What the acceptance pages list, each in a fixed number of statements whatever the number of
awards: the officer's awards requiring acceptance by state (keyset pages by agreement id), an
expert's panels (keyset pages by assignment id), a round's panel with the experts' names, and
what the firm is shown of its award's acceptance.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from sqlalchemy import Select, and_, func, or_, select

from portal.accounts.models import Enterprise, User
from portal.applications.models import Application
from portal.core.extensions import db
from portal.payments.acceptance_models import (
    AcceptanceAssignment,
    AcceptanceOutcome,
    AcceptanceReview,
    AcceptanceStatus,
)
from portal.payments.models import Agreement, AgreementStatus, PostAwardDocument
from portal.programs.models import Program

PER_PAGE = 25


class ListState(StrEnum):
    """The officer's tabs (the page's ``?state=``)."""

    WAITING = "waiting"  # no round yet, or the last one asks for a fix (its notice issued)
    OPEN = "open"  # a panel is formed
    DONE = "done"  # passed or failed (or concluded with its notice still to issue)


@dataclass(frozen=True)
class KeysetPage:
    rows: list[Any]
    next_after: int | None  # the key to ask for the next page with, None on the last one


def _latest_rounds() -> Any:
    return (
        select(
            AcceptanceReview.application_id.label("application_id"),
            func.max(AcceptanceReview.id).label("review_id"),
        )
        .group_by(AcceptanceReview.application_id)
        .subquery()
    )


def _awards_query() -> Select[Any]:
    latest = _latest_rounds()
    return (
        select(
            Agreement.id.label("agreement_id"),
            Agreement.application_id,
            Agreement.amount,
            Agreement.accepted_at,
            Application.reference,
            Application.project_title,
            Enterprise.name.label("firm"),
            Enterprise.uscc,
            Program.name_zh,
            Program.name_en,
            AcceptanceReview.id.label("review_id"),
            AcceptanceReview.round,
            AcceptanceReview.status,
            AcceptanceReview.outcome,
            AcceptanceReview.fix_deadline,
            AcceptanceReview.document_id,
        )
        .join(Application, Application.id == Agreement.application_id)
        .join(Enterprise, Enterprise.id == Agreement.enterprise_id)
        .join(Program, Program.id == Agreement.program_id)
        .outerjoin(latest, latest.c.application_id == Agreement.application_id)
        .outerjoin(AcceptanceReview, AcceptanceReview.id == latest.c.review_id)
        .where(
            Agreement.status == AgreementStatus.ACCEPTED,
            Agreement.terms["acceptance_required"].as_boolean().is_(True),
        )
    )


def _state_filter(state: ListState) -> Any:
    fix_issued = and_(
        AcceptanceReview.outcome == AcceptanceOutcome.FIX,
        AcceptanceReview.document_id.is_not(None),
    )
    if state is ListState.WAITING:
        return or_(AcceptanceReview.id.is_(None), fix_issued)
    if state is ListState.OPEN:
        return AcceptanceReview.status == AcceptanceStatus.PANEL_FORMED
    return and_(AcceptanceReview.status == AcceptanceStatus.CONCLUDED, ~fix_issued)


def awards(state: ListState, *, after: int | None = None, per_page: int = PER_PAGE) -> KeysetPage:
    """One page of the awards requiring acceptance in ``state``, newest agreement first (one
    statement: a page and one more row to know whether another page follows)."""
    query = _awards_query().where(_state_filter(state))
    if after is not None:
        query = query.where(Agreement.id < after)
    rows = list(db.session.execute(query.order_by(Agreement.id.desc()).limit(per_page + 1)))
    more = len(rows) > per_page
    rows = rows[:per_page]
    return KeysetPage(rows=rows, next_after=rows[-1].agreement_id if more and rows else None)


def award_row(application_id: int) -> Any | None:
    """The list's row of one award (None when it does not require acceptance)."""
    return db.session.execute(
        _awards_query().where(Agreement.application_id == application_id)
    ).first()


def expert_assignments(
    expert_id: int, *, after: int | None = None, per_page: int = PER_PAGE
) -> KeysetPage:
    """An expert's own panels, newest first, with the award's words (one statement)."""
    query = (
        select(
            AcceptanceAssignment.id,
            AcceptanceAssignment.conclusion,
            AcceptanceAssignment.submitted_at,
            AcceptanceAssignment.assigned_at,
            AcceptanceReview.status,
            AcceptanceReview.round,
            Application.reference,
            Application.project_title,
            Enterprise.name.label("firm"),
            Program.name_zh,
            Program.name_en,
        )
        .join(AcceptanceReview, AcceptanceReview.id == AcceptanceAssignment.review_id)
        .join(Application, Application.id == AcceptanceReview.application_id)
        .join(Enterprise, Enterprise.id == AcceptanceReview.enterprise_id)
        .join(Program, Program.id == AcceptanceReview.program_id)
        .where(AcceptanceAssignment.expert_id == expert_id)
    )
    if after is not None:
        query = query.where(AcceptanceAssignment.id < after)
    rows = list(
        db.session.execute(query.order_by(AcceptanceAssignment.id.desc()).limit(per_page + 1))
    )
    more = len(rows) > per_page
    rows = rows[:per_page]
    return KeysetPage(rows=rows, next_after=rows[-1].id if more and rows else None)


def open_count(expert_id: int) -> int:
    """Panels still waiting for this expert's conclusion."""
    return int(
        db.session.scalar(
            select(func.count())
            .select_from(AcceptanceAssignment)
            .join(AcceptanceReview, AcceptanceReview.id == AcceptanceAssignment.review_id)
            .where(
                AcceptanceAssignment.expert_id == expert_id,
                AcceptanceAssignment.submitted_at.is_(None),
                AcceptanceReview.status == AcceptanceStatus.PANEL_FORMED,
            )
        )
        or 0
    )


def panel_rows(review_id: int) -> list[Any]:
    """A round's experts with their names and conclusions (one statement)."""
    return list(
        db.session.execute(
            select(AcceptanceAssignment, User.display_name)
            .join(User, User.id == AcceptanceAssignment.expert_id)
            .where(AcceptanceAssignment.review_id == review_id)
            .order_by(AcceptanceAssignment.id)
        )
    )


def firm_rounds(application_id: int) -> list[tuple[AcceptanceReview, PostAwardDocument | None]]:
    """The rounds of an award with their notices, as the firm is shown them: concluded rounds
    whose notice is issued, and whether a round is under way (never the experts)."""
    rows = db.session.execute(
        select(AcceptanceReview, PostAwardDocument)
        .outerjoin(PostAwardDocument, PostAwardDocument.id == AcceptanceReview.document_id)
        .where(AcceptanceReview.application_id == application_id)
        .order_by(AcceptanceReview.id)
    ).all()
    return [(review, document) for review, document in rows]
