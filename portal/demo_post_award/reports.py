"""Demo states of the post-award stage: reports.

Accepting an agreement made its reports (due months later). So that every report page has
something to show, the demo moves some of them into the past: one report accepted by the
officer, one submitted and waiting for the officer's check, and one overdue, which blocks its
firm's new applications (the programme pages explain why). The overdue one goes, where there
is a choice, to a firm other than ent1, whose demo journeys start new applications. With fewer
than three reports (few accepted agreements), progress reports are added to the last accepted
agreement. The dates fall between the agreement's acceptance and today where there is room.
Safe to run again: once a report has left "due" or is past its date, nothing changes.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta
from decimal import Decimal

from sqlalchemy import or_, select

from portal.core.extensions import db
from portal.core.timeutil import to_bureau_time
from portal.demo_applications import Cast, DemoClock
from portal.payments import reports
from portal.payments.models import Agreement, AgreementStatus
from portal.payments.report_models import ProgressReport, ReportKind, ReportStatus
from portal.payments.reports import ReportFigures

_FIGURES = (
    ReportFigures(
        rd_spend=Decimal("1860000.00"),
        revenue=Decimal("12500000.00"),
        patents_filed=4,
        patents_granted=1,
        jobs_created=9,
        narrative="按计划完成生产执行系统一期建设，关键设备联网率达到85%。下一阶段推进质量追溯模块。",
    ),
    ReportFigures(
        rd_spend=Decimal("720000.00"),
        revenue=Decimal("4300000.00"),
        patents_filed=2,
        patents_granted=0,
        jobs_created=5,
        narrative="研发投入按计划使用，完成控制系统样机两台，正在进行第三方检测。",
    ),
)


def _seeded_before(today: date) -> bool:
    return (
        db.session.scalar(
            select(ProgressReport.id)
            .where(or_(ProgressReport.status != ReportStatus.DUE, ProgressReport.due_on < today))
            .limit(1)
        )
        is not None
    )


def _pool(enterprise_ids: set[int]) -> tuple[list[ProgressReport], int]:
    """The demo firms' reports, the first of each award before the later ones; and how many
    were made here for agreements accepted before reports existed."""
    accepted = list(
        db.session.scalars(
            select(Agreement)
            .where(
                Agreement.status == AgreementStatus.ACCEPTED,
                Agreement.enterprise_id.in_(enterprise_ids),
            )
            .order_by(Agreement.id)
        )
    )
    made = sum(len(reports.create_reports(agreement)) for agreement in accepted)
    rows = list(
        db.session.scalars(
            select(ProgressReport)
            .where(ProgressReport.agreement_id.in_([a.id for a in accepted]))
            .order_by(ProgressReport.position, ProgressReport.agreement_id)
        )
    )
    return rows, made


def _extra_reports(pool: list[ProgressReport], wanted: int) -> list[ProgressReport]:
    """Progress reports added to the last accepted agreement until the pool has ``wanted``
    (the demo has few accepted agreements; their dates are moved into the past below)."""
    last = pool[-1]
    extra = []
    for position in range(
        max(r.position for r in pool) + 1, max(r.position for r in pool) + 1 + wanted - len(pool)
    ):
        report = ProgressReport(
            agreement_id=last.agreement_id,
            application_id=last.application_id,
            program_id=last.program_id,
            enterprise_id=last.enterprise_id,
            kind=ReportKind.PROGRESS,
            position=position,
            due_on=last.due_on,
            status=ReportStatus.DUE,
            narrative="",
            return_reason="",
        )
        db.session.add(report)
        extra.append(report)
    db.session.flush()
    return extra


def _accepted_on(report: ProgressReport) -> date:
    agreement = db.session.get_one(Agreement, report.agreement_id)
    return to_bureau_time(agreement.accepted_at or agreement.offered_at).date()


def seed(clock: DemoClock, *, log: Callable[[str], None] = print) -> int:
    """Put demo awards into this part's states; return how many records were made."""
    cast = Cast.find()
    if cast is None:
        return 0
    firms_by_enterprise = {user.enterprise_id: user for user in cast.firms.values()}
    pool, made = _pool(set(firms_by_enterprise))
    if not pool or _seeded_before(clock.today):
        return made
    extra = _extra_reports(pool, 3) if len(pool) < 3 else []
    pool = [*extra, *pool]
    main_firm = cast.firms["ent1"].enterprise_id
    others = [r for r in pool if r.enterprise_id != main_firm]
    overdue = (others or pool)[-1]
    accepted, waiting = [r for r in pool if r is not overdue][:2]
    today = clock.today
    # The story runs between the agreement's acceptance and today (where there is room).
    start = max(
        min(_accepted_on(r) for r in (overdue, accepted, waiting)) + timedelta(days=1),
        today - timedelta(days=20),
    )
    if start > today - timedelta(days=6):
        start = today - timedelta(days=6)

    overdue.due_on = start + timedelta(days=2)
    accepted.due_on = start + timedelta(days=2)
    clock.set(start, "15:20")
    reports.submit_report(accepted, _FIGURES[0], actor=firms_by_enterprise[accepted.enterprise_id])
    clock.set(start + timedelta(days=3), "10:05")
    reports.accept_report(accepted, actor=cast.officer)
    waiting.due_on = today - timedelta(days=1)
    clock.set(today - timedelta(days=2), "16:40")
    reports.submit_report(waiting, _FIGURES[1], actor=firms_by_enterprise[waiting.enterprise_id])
    db.session.flush()
    log(
        f"Reports: {len(extra)} added, 3 put in their demo states (accepted, waiting for the "
        "officer, and one overdue that blocks its firm's new applications)."
    )
    return made + len(extra) + 3
