"""After the award, at scale: agreements, tranches and progress reports for the awarded
applications ``seed_large.py`` wrote, inserted in bulk (no services, no audit events), so that
the post-award list pages and the dashboard's money are measured over as many rows as the
applications make.

Every award gets its agreement and tranches from its programme's default plan (``plan.py``).
Four in five agreements are accepted: their first tranche is paid (three in five, on the day
of the seed: the awards of ``seed_large`` are final "now"), due or in no batch yet, and each
accepted agreement owes a progress report, a third of them overdue. The money tallies follow
through the database's triggers, as they do for rows the services write.
"""

from __future__ import annotations

import random
from datetime import datetime, timedelta
from typing import Any


def seed_post_award(session, insert, now: datetime, rng: random.Random) -> dict[str, int]:
    """Insert the rows; ``insert(table, rows)`` is seed_large's batched insert."""
    from sqlalchemy import select

    from portal.applications.models import Application, Status
    from portal.payments.models import Agreement, Tranche
    from portal.payments.plan import default_plan, split_amount
    from portal.payments.report_models import ProgressReport
    from portal.programs.models import Program

    kinds = dict(session.execute(select(Program.id, Program.kind)).all())
    awarded = session.execute(
        select(
            Application.id,
            Application.program_id,
            Application.enterprise_id,
            Application.decided_amount,
        )
        .where(
            Application.status == Status.AWARDED,
            Application.decided_amount.is_not(None),
            Application.reference.like("L%"),
        )
        .order_by(Application.id)
    ).all()
    accepted = {row.id: rng.random() < 0.8 for row in awarded}
    counts: dict[str, int] = {}
    counts["agreements"] = insert(
        Agreement.__table__,
        (
            {
                "application_id": row.id,
                "program_id": row.program_id,
                "enterprise_id": row.enterprise_id,
                "status": "accepted" if accepted[row.id] else "offered",
                "amount": row.decided_amount,
                "terms": default_plan(kinds[row.program_id]).as_json(),
                "offered_at": now,
                "accepted_at": now if accepted[row.id] else None,
                "declaration": "",
                "lock_version": 1,
            }
            for row in awarded
        ),
    )
    agreement_of = dict(
        session.execute(
            select(Agreement.application_id, Agreement.id).where(
                Agreement.application_id.in_(
                    select(Application.id).where(Application.reference.like("L%"))
                )
            )
        ).all()
    )

    def tranches():
        for row in awarded:
            plan = default_plan(kinds[row.program_id])
            amounts = split_amount(row.decided_amount, [t.share_percent for t in plan.tranches])
            first = rng.choice(("paid", "paid", "paid", "due", "due")) if accepted[row.id] else ""
            for position, (term, amount) in enumerate(
                zip(plan.tranches, amounts, strict=True), start=1
            ):
                status = first if position == 1 and first else "planned"
                yield _tranche(row, agreement_of[row.id], position, term, amount, status, now)

    counts["tranches"] = insert(Tranche.__table__, tranches())
    today = now.date()
    counts["progress_reports"] = insert(
        ProgressReport.__table__,
        (
            {
                "agreement_id": agreement_of[row.id],
                "application_id": row.id,
                "program_id": row.program_id,
                "enterprise_id": row.enterprise_id,
                "kind": "progress",
                "position": 1,
                "due_on": today + timedelta(days=rng.choice((-20, 30, 90))),
                "status": "due",
                "narrative": "",
                "return_reason": "",
                "created_at": now,
                "lock_version": 1,
            }
            for row in awarded
            if accepted[row.id]
        ),
    )
    return counts


def _tranche(
    row, agreement_id: int, position: int, term, amount, status: str, now
) -> dict[str, Any]:
    paid = status == "paid"
    return {
        "agreement_id": agreement_id,
        "application_id": row.id,
        "program_id": row.program_id,
        "enterprise_id": row.enterprise_id,
        "position": position,
        "share_percent": term.share_percent,
        "amount": amount,
        "condition": term.condition.value,
        "status": status,
        "due_at": now if status in ("due", "paid") else None,
        "paid_on": now.date() if paid else None,
        "bank_reference": f"BENCH-{row.id}-{position}" if paid else None,
        "paid_recorded_at": now if paid else None,
        "lock_version": 1,
    }
