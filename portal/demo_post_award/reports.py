"""Demo states of the post-award stage: reports.

Accepting an agreement made its reports (due months later). Last year's awards (``last_year``)
have progress reports that fell due in July 2026: ent3's was handed in and accepted, ent4's
handed in late and waits for the officer's check, ent5's is overdue. Without them, the demo
moves some recent reports into the past: one report accepted by the
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

from sqlalchemy import select

from portal.accounts.models import User
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

# Last year's projects (``last_year``): the report accepted, and the one handed in late.
_LAST_YEAR_FIGURES = ReportFigures(
    rd_spend=Decimal("640000.00"),
    revenue=Decimal("8600000.00"),
    patents_filed=1,
    patents_granted=1,
    jobs_created=4,
    narrative="设备远程运维平台已上线运行，接入设备126台，故障平均处理时间缩短约30%。",
)
_LATE_FIGURES = ReportFigures(
    rd_spend=Decimal("210000.00"),
    revenue=Decimal("5100000.00"),
    patents_filed=0,
    patents_granted=0,
    jobs_created=2,
    narrative="两条包装生产线改造完成，数据采集系统试运行；因设备调试延期，报告逾期提交。",
)


def _seeded_before() -> bool:
    return (
        db.session.scalar(
            select(ProgressReport.id).where(ProgressReport.status != ReportStatus.DUE).limit(1)
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
    if not pool or _seeded_before():
        return made
    today = clock.today
    main_firm = cast.firms["ent1"].enterprise_id
    # Not ent1's: its journeys start applications, which an overdue report would block.
    past = [r for r in pool if r.due_on < today and r.enterprise_id != main_firm]
    if len(past) >= 3:
        # Last year's awards (``last_year``): their progress reports fell due months ago.
        # The first was handed in on time and accepted, the second handed in late and waits
        # for the officer, the rest are overdue.
        accepted, waiting = past[0], past[1]
        clock.set(accepted.due_on - timedelta(days=3), "15:20")
        reports.submit_report(
            accepted, _LAST_YEAR_FIGURES, actor=firms_by_enterprise[accepted.enterprise_id]
        )
        clock.set(clock.next_working_day(accepted.due_on), "10:05")
        reports.accept_report(accepted, actor=cast.officer)
        clock.set(today - timedelta(days=2), "16:40")
        reports.submit_report(
            waiting, _LATE_FIGURES, actor=firms_by_enterprise[waiting.enterprise_id]
        )
        db.session.flush()
        log(
            "Reports: 3 put in their demo states (accepted, waiting for the officer, and one "
            "overdue that blocks its firm's new applications)."
        )
        return made + 2
    return made + _recent_story(clock, cast, pool, firms_by_enterprise, log)


def _recent_story(
    clock: DemoClock,
    cast: Cast,
    pool: list[ProgressReport],
    firms_by_enterprise: dict[int | None, User],
    log: Callable[[str], None],
) -> int:
    """Without last year's awards: the dates of recent reports are moved into the past."""
    today = clock.today
    extra = _extra_reports(pool, 3) if len(pool) < 3 else []
    pool = [*extra, *pool]
    main_firm = cast.firms["ent1"].enterprise_id
    others = [r for r in pool if r.enterprise_id != main_firm]
    overdue = (others or pool)[-1]
    accepted, waiting = [r for r in pool if r is not overdue][:2]
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
    return len(extra) + 3
