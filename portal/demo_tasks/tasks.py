"""The twelve key tasks of the demo year: owners, requirements, indicators and monthly milestones
with dates relative to today, so that on whatever day the demo is seeded the wall shows green,
yellow and red tasks (the plan per task is ``Plan``); hand-reported values with evidence; and a
monthly status history with a plausible story."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import ROUND_DOWN, Decimal
from typing import Any

from portal.accounts.models import Department, User
from portal.accounts.services import find_user_by_email
from portal.core import audit
from portal.core.audit import Action
from portal.core.extensions import db
from portal.core.files import save_in_transaction
from portal.core.timeutil import utcnow
from portal.demo_applications import DemoClock, DemoDocument
from portal.tasks import indicator_kinds
from portal.tasks.models import (
    Direction,
    IndicatorReport,
    KeyTask,
    Milestone,
    TaskFile,
    TaskIndicator,
    TaskStatus,
    TaskStatusMonth,
)
from portal.tasks.status_rules import year_fraction

# How each task should look on the wall, whatever the day:
GREEN = "green"  # past milestones done, indicators on schedule, next milestone > 7 days away
DUE_SOON = "due_soon"  # a milestone due in 3 days (yellow)
BEHIND = "behind"  # an indicator behind schedule (yellow)
OVERDUE = "overdue"  # a milestone 6 days overdue and not done (red)


@dataclass(frozen=True)
class Ind:
    name: str
    name_en: str
    kind: str
    params: dict[str, Any] = field(default_factory=dict)
    unit: str = ""
    direction: Direction = Direction.UP
    # None: chosen from today's computed value so the indicator is on schedule (computed kinds),
    # or the target of a manual indicator.
    target: Decimal | None = None
    # Manual indicators: the share of the time-proportional value reported (1.05 = a little
    # ahead; 0.5 = far behind).
    pace: Decimal = Decimal("1.05")


@dataclass(frozen=True)
class Spec:
    number: int
    title: str
    title_en: str
    requirements: str
    requirements_en: str
    leader: str  # email
    owner: str  # email (the department is the owner's)
    cooperating: str
    plan: str
    indicators: tuple[Ind, ...]
    milestones: tuple[tuple[str, str], ...]
    # The status of each past month, oldest first, ending with last month: "G", "Y" or "R"
    # (months before these are green).
    story: str = ""


P = "programs"
R = "recognition"
YEG, KEY, RD = "young-eagle-gazelle-2026", "key-above-size-2026", "rd-post-subsidy-2026"
FLUORINE = ["fluorine-digital-2025", "fluorine-digital-2026"]
L1, L2 = "leader@example.com", "leader2@example.com"
HT, FUNDS, TRANSFER, TALENT, REGION = (
    "hightech@example.com",
    "funds@example.com",
    "transfer@example.com",
    "talent@example.com",
    "region@example.com",
)

SPECS: tuple[Spec, ...] = (
    Spec(
        1,
        "雏鹰瞪羚企业补充支持政策",
        "Supplementary support for young-eagle and gazelle firms",
        "出台雏鹰、瞪羚企业补充支持政策，完成年度申报、评审和资金兑现，全年支持企业不少于既定目标。",
        "Issue the supplementary policy for young-eagle and gazelle firms and complete this "
        "year's round: applications, review and payment.",
        L1,
        HT,
        "资源配置与管理科、市财政局",
        BEHIND,
        (
            Ind(
                "获得最终支持的企业",
                "Firms with a final award",
                "final_awards",
                {P: [YEG]},
                "家",
                target=Decimal(6),
            ),
            Ind("瞪羚企业数量", "Gazelle firms", "firms_with_recognition", {R: "gazelle"}, "家"),
        ),
        (
            ("起草补充支持政策", "Draft the supplementary policy"),
            ("征求相关部门意见", "Consult the departments concerned"),
            ("政策印发实施", "Issue the policy"),
            ("发布年度申报通知", "Publish this year's call"),
            ("完成形式审查", "Finish the formal checks"),
            ("组织专家评审", "Hold the expert review"),
            ("公示并下达资金", "Publicity and award of the funds"),
        ),
        story="GGGGYY",
    ),
    Spec(
        2,
        "遴选支持重点规上企业",
        "Selecting key above-size firms for support",
        "会同工信、统计部门遴选一批重点规上企业，建立培育库并给予研发投入支持。",
        "With the industry and statistics bureaus, select key above-size firms, keep a "
        "development list and support their R&D spending.",
        L1,
        FUNDS,
        "市工信局、市统计局",
        OVERDUE,
        (
            Ind(
                "获得最终支持的企业",
                "Firms with a final award",
                "final_awards",
                {P: [KEY]},
                "家",
                target=Decimal(10),
            ),
        ),
        (
            ("制定遴选标准", "Set the selection criteria"),
            ("县区推荐企业", "Counties nominate firms"),
            ("数据核实与实地走访", "Check the figures and visit the firms"),
            ("形成重点企业名单", "Draw up the list of key firms"),
            ("名单报局党组审定", "Submit the list to the bureau's leadership"),
            ("发布支持通知", "Publish the call for support"),
        ),
        story="GGGGGY",
    ),
    Spec(
        3,
        "争取上级研发投入后补助支持",
        "Winning provincial R&D post-subsidies",
        "组织企业申报省研发投入后补助，做好政策宣讲和材料审核，确保资金及时拨付到企业。",
        "Help firms apply for the provincial R&D post-subsidy, check their files and make sure "
        "the money reaches them in time.",
        L1,
        FUNDS,
        "市财政局、国家税务总局阜新市税务局",
        BEHIND,
        (
            Ind("获得最终支持的企业", "Firms with a final award", "final_awards", {P: [RD]}, "家"),
            Ind("已拨付资金", "Money paid", "money_paid", {P: [RD]}, "万元", target=Decimal(200)),
        ),
        (
            ("政策宣讲培训", "Policy briefings for firms"),
            ("企业研发费用归集辅导", "Coaching on R&D cost records"),
            ("组织企业申报", "Firms apply"),
            ("材料审核推荐", "Check and recommend the files"),
            ("配合省厅核查", "Support the province's checks"),
            ("资金拨付到企业", "Pay the money to the firms"),
        ),
        story="GGGGGG",
    ),
    Spec(
        4,
        "氟产业园区企业数字化转型后补助",
        "Post-subsidies for digital transformation in the fluorine park",
        "对氟产业园区完成数字化改造的企业给予后补助，缩短从审定到拨付的时间。",
        "Grant post-subsidies to fluorine-park firms that completed their digital "
        "transformation, and shorten the time from the final award to payment.",
        L1,
        TRANSFER,
        "阜新氟产业开发区管委会、市工信局",
        GREEN,
        (
            Ind(
                "获得最终支持的企业",
                "Firms with a final award",
                "final_awards",
                {P: FLUORINE},
                "家",
            ),
            Ind("已拨付资金", "Money paid", "money_paid", {P: FLUORINE}, "万元"),
            Ind(
                "审定至首笔拨付天数（中位数）",
                "Median days from award to first payment",
                "median_days_to_payment",
                {P: FLUORINE},
                "天",
                Direction.DOWN,
                target=Decimal(60),
            ),
        ),
        (
            ("梳理园区企业改造项目", "List the park firms' projects"),
            ("发布申报通知", "Publish the call"),
            ("项目验收", "Accept the projects"),
            ("审定补助名单", "Approve the list of awards"),
            ("签订资金协议", "Sign the funding agreements"),
            ("拨付首笔资金", "Pay the first tranches"),
            ("开展绩效评价", "Evaluate the results"),
        ),
        story="GGYGGG",
    ),
    Spec(
        5,
        "氟精细化工中试基地建设方案",
        "Plan for the fluorine fine-chemicals pilot base",
        "完成氟精细化工中试基地建设方案编制、论证和报批，落实建设用地和运营主体。",
        "Write, review and submit the plan for the fluorine fine-chemicals pilot base, and "
        "settle its site and operator.",
        L1,
        TRANSFER,
        "阜新氟产业开发区管委会、市自然资源局",
        OVERDUE,
        (
            Ind(
                "建设方案编制进度",
                "Progress of the plan",
                "manual",
                {},
                "%",
                target=Decimal(100),
                pace=Decimal("0.6"),
            ),
        ),
        (
            ("调研省内外中试基地", "Study pilot bases elsewhere"),
            ("确定运营模式", "Choose the operating model"),
            ("编制方案初稿", "Write the first draft"),
            ("专家论证", "Expert review of the draft"),
            ("确定建设选址", "Settle the site"),
            ("方案报市政府审定", "Submit the plan to the city government"),
        ),
        story="GGGYYR",
    ),
    Spec(
        6,
        "高新技术企业培育",
        "Developing high-tech enterprises",
        "建立高企培育库，开展一对一辅导，全年新增认定高新技术企业达到目标。",
        "Keep a list of candidate high-tech firms, coach them one by one and reach this year's "
        "number of new high-tech certifications.",
        L2,
        HT,
        "国家税务总局阜新市税务局、各县区科技局",
        GREEN,
        (
            Ind(
                "高新技术企业数量",
                "High-tech enterprises",
                "firms_with_recognition",
                {R: "high_tech"},
                "家",
            ),
        ),
        (
            ("建立高企培育库", "Set up the candidate list"),
            ("开展政策培训", "Policy training"),
            ("一对一辅导申报", "One-to-one coaching"),
            ("组织第一批申报", "First round of applications"),
            ("组织第二批申报", "Second round of applications"),
            ("认定结果跟踪", "Follow up the certifications"),
        ),
    ),
    Spec(
        7,
        "科技型中小企业评价入库",
        "Registering technology-based SMEs",
        "组织科技型中小企业评价入库，做到应入尽入，提升研发费用加计扣除政策覆盖面。",
        "Register every eligible technology-based SME and widen the reach of the R&D super "
        "deduction.",
        L2,
        HT,
        "各县区科技局",
        GREEN,
        (
            Ind(
                "入库科技型中小企业",
                "Registered technology-based SMEs",
                "firms_with_recognition",
                {R: "tech_sme"},
                "家",
            ),
        ),
        (
            ("摸底潜在入库企业", "Survey eligible firms"),
            ("县区动员部署", "Brief the counties"),
            ("第一批评价入库", "First batch registered"),
            ("第二批评价入库", "Second batch registered"),
            ("第三批评价入库", "Third batch registered"),
            ("入库企业抽查", "Spot checks of registered firms"),
        ),
        story="GYGGGG",
    ),
    Spec(
        8,
        "技术合同登记",
        "Registering technology contracts",
        "做好技术合同认定登记服务，全年技术合同成交额达到目标。",
        "Register technology contracts promptly and reach this year's contract value.",
        L2,
        TRANSFER,
        "各技术合同登记点、高校院所",
        GREEN,
        (
            Ind(
                "技术合同成交额",
                "Value of technology contracts",
                "manual",
                {},
                "亿元",
                target=Decimal(30),
            ),
        ),
        (
            ("年度登记工作部署", "Plan the year's registrations"),
            ("登记人员业务培训", "Train the registration staff"),
            ("一季度数据核报", "First-quarter figures"),
            ("二季度数据核报", "Second-quarter figures"),
            ("三季度数据核报", "Third-quarter figures"),
            ("四季度数据核报", "Fourth-quarter figures"),
        ),
    ),
    Spec(
        9,
        "创新平台建设",
        "Building innovation platforms",
        "推动企业和高校院所建设重点实验室、技术创新中心等平台，新增省级以上平台达到目标。",
        "Help firms and institutes set up key laboratories and technology innovation centres, "
        "and reach this year's number of new provincial platforms.",
        L2,
        REGION,
        "各县区、辽宁工程技术大学",
        DUE_SOON,
        (
            Ind(
                "新增省级以上平台",
                "New provincial or national platforms",
                "manual",
                {},
                "个",
                target=Decimal(8),
            ),
        ),
        (
            ("梳理平台培育名单", "List the candidate platforms"),
            ("组织平台申报", "Platform applications"),
            ("现场考察指导", "Site visits"),
            ("推荐省级评审", "Recommend to the province"),
            ("平台绩效评估", "Evaluate existing platforms"),
            ("年度建设总结", "Year's summary"),
        ),
    ),
    Spec(
        10,
        "科技人才与科技特派团",
        "Science talent and science commissioner teams",
        "引进培育科技人才，选派科技特派团服务企业和乡村，开展技术指导和成果对接。",
        "Attract and train science talent; send science commissioner teams to firms and "
        "villages for technical advice and matching.",
        L2,
        TALENT,
        "市委组织部、市农业农村局",
        GREEN,
        (
            Ind(
                "选派科技特派团",
                "Science commissioner teams sent",
                "manual",
                {},
                "个",
                target=Decimal(40),
            ),
        ),
        (
            ("制定人才工作要点", "Set the talent plan"),
            ("科技特派团选派", "Select the commissioner teams"),
            ("特派团进驻服务", "Teams start work"),
            ("开展技术培训", "Technical training"),
            ("中期考核", "Mid-year review"),
            ("成果对接活动", "Matching events"),
            ("年度考核", "Year-end review"),
        ),
        story="GGGRYG",
    ),
    Spec(
        11,
        "“双千双百”工程",
        "The “two thousands, two hundreds” programme",
        "实施科技型中小企业、高新技术企业“双千”和瞪羚、雏鹰企业“双百”培育工程。",
        "Grow the city's technology-based SMEs and high-tech firms towards a thousand each, "
        "and its gazelle and young-eagle firms towards a hundred each.",
        L2,
        REGION,
        "高新技术科、各县区科技局",
        GREEN,
        (
            Ind(
                "科技型中小企业",
                "Technology-based SMEs",
                "firms_with_recognition",
                {R: "tech_sme"},
                "家",
            ),
            Ind(
                "高新技术企业",
                "High-tech enterprises",
                "firms_with_recognition",
                {R: "high_tech"},
                "家",
            ),
        ),
        (
            ("印发工程实施方案", "Issue the programme's plan"),
            ("分解县区目标", "Split the targets by county"),
            ("建立梯次培育库", "Set up the development tiers"),
            ("半年调度推进", "Mid-year review"),
            ("开展专项服务活动", "Services for firms"),
            ("年度目标考核", "Year-end assessment"),
        ),
    ),
    Spec(
        12,
        "资金拨付与绩效管理",
        "Payments and performance management",
        "加快科技资金拨付进度，督促企业按时提交项目进展报告，开展资金绩效评价。",
        "Pay science funds faster, make sure firms file their progress reports on time, and "
        "evaluate how the funds performed.",
        L1,
        FUNDS,
        "办公室、市财政局",
        OVERDUE,
        (
            Ind(
                "逾期未交的进展报告",
                "Progress reports overdue",
                "reports_overdue",
                {P: [*FLUORINE, RD]},
                "份",
                Direction.DOWN,
                target=Decimal(0),
            ),
            Ind(
                "审定至首笔拨付天数（中位数）",
                "Median days from award to first payment",
                "median_days_to_payment",
                {P: FLUORINE},
                "天",
                Direction.DOWN,
                target=Decimal(45),
            ),
        ),
        (
            ("建立资金拨付台账", "Set up the payment ledger"),
            ("上半年拨付调度", "Half-year payments review"),
            ("开展绩效自评", "Self-assessment of results"),
            ("督促逾期报告企业提交", "Chase the overdue progress reports"),
            ("第三方绩效评价", "External evaluation"),
            ("年度资金清算", "Year-end settlement of the funds"),
        ),
        story="GGGYYY",
    ),
)


# --- dates --------------------------------------------------------------------------------


def milestone_dates(plan: str, count: int, today: date) -> list[date]:
    """``count`` monthly dates: the past ones done (but the last one for an overdue plan), then
    the future ones, the first due in 3 days (``DUE_SOON``) or at least 12 days away."""
    year_end = date(today.year, 12, 31)
    future = 2
    past = count - future
    first_future = 3 if plan == DUE_SOON else 12
    days = [first_future, first_future + 30]
    if (year_end - today).days > first_future + 10:
        days[-1] = max(days[0] + 5, min(days[-1], (year_end - today).days))
    # Past ones: the latest 6 days ago (the overdue one, or done), then a month apart, kept in
    # the year where there is room for them.
    room = max((today - date(today.year, 1, 10)).days - 6, 0)
    spacing = 30 if past <= 1 else max(min(30, room // (past - 1)), 1)
    dates = [today - timedelta(days=6 + spacing * j) for j in reversed(range(past))]
    return dates + [today + timedelta(days=d) for d in days]


# --- values ---------------------------------------------------------------------------------


def _floor(value: Decimal, unit: str) -> Decimal:
    step = Decimal("0.1") if unit in ("万元", "亿元") else Decimal(1)
    return (value / step).to_integral_value(rounding=ROUND_DOWN) * step


def on_schedule_target(value: Decimal, fraction: Decimal, unit: str) -> Decimal:
    """The largest round target that ``value`` meets on schedule today (never below it)."""
    if value <= 0:
        return Decimal(0)
    return max(value, _floor(value / max(fraction, Decimal("0.25")), unit))


def reported_value(target: Decimal, fraction: Decimal, pace: Decimal, unit: str) -> Decimal:
    raw = target * fraction * pace
    value = Decimal(math.ceil(raw * 10)) / 10 if unit in ("亿元",) else Decimal(math.ceil(raw))
    return min(value, target)


# --- making them ----------------------------------------------------------------------------


@dataclass
class Made:
    tasks: list[KeyTask]
    plans: dict[int, str]  # task id -> plan
    overdue: dict[int, Milestone]  # task id -> its overdue milestone
    due_soon: dict[int, Milestone]  # task id -> its milestone due in 3 days
    late: dict[int, Milestone]  # task id -> a milestone done late (the red month of its story)
    records: int = 0


def seed_tasks(clock: DemoClock, supervisor: User) -> Made:
    today = clock.today
    year = today.year
    people = _people()
    departments = {d.id: d for d in db.session.query(Department)}
    start = max(date(year, 1, 5), today - timedelta(days=330))
    clock.set(min(start, today), "09:30")
    created: list[tuple[Spec, KeyTask]] = []
    for spec in SPECS:
        owner = people[spec.owner]
        task = KeyTask(
            year=year,
            number=spec.number,
            title=spec.title,
            title_en=spec.title_en,
            leader_id=people[spec.leader].id,
            department_id=owner.department_id or next(iter(departments)),
            owner_id=owner.id,
            cooperating_units=spec.cooperating,
            requirements=spec.requirements,
            requirements_en=spec.requirements_en,
            created_by_id=supervisor.id,
        )
        db.session.add(task)
        db.session.flush()
        audit.record(
            Action.TASK_CREATED, task, actor=supervisor, number=task.number, title=task.title
        )
        created.append((spec, task))
    made = Made([t for _s, t in created], {}, {}, {}, {})
    fraction = year_fraction(year, today)
    computed = _computed_values(created, year, today)
    for spec, task in created:
        made.plans[task.id] = spec.plan
        _indicators(spec, task, computed, fraction)
        _milestones(spec, task, people[spec.owner], today, made)
        made.records += 1
    db.session.flush()
    _reports(created, people, clock)
    return made


def _people() -> dict[str, User]:
    emails = {L1, L2, HT, FUNDS, TRANSFER, TALENT, REGION}
    found = {email: find_user_by_email(email) for email in emails}
    return {email: user for email, user in found.items() if user is not None}


def _computed_values(
    created: list[tuple[Spec, KeyTask]], year: int, today: date
) -> dict[tuple[int, int], Decimal | None]:
    keys, queries = [], []
    for spec, _task in created:
        for position, ind in enumerate(spec.indicators):
            if ind.kind != indicator_kinds.MANUAL:
                keys.append((spec.number, position))
                queries.append((ind.kind, indicator_kinds.Query(None, ind.params, year)))
    values = indicator_kinds.compute_values(queries, today)
    return dict(zip(keys, values, strict=True))


def _indicators(
    spec: Spec,
    task: KeyTask,
    computed: dict[tuple[int, int], Decimal | None],
    fraction: Decimal,
) -> None:
    for position, ind in enumerate(spec.indicators):
        target = ind.target
        if target is None:
            value = computed.get((spec.number, position)) or Decimal(0)
            target = on_schedule_target(value, fraction, ind.unit)
        db.session.add(
            TaskIndicator(
                task_id=task.id,
                position=position,
                name=ind.name,
                name_en=ind.name_en,
                kind=ind.kind,
                params=ind.params,
                unit=ind.unit,
                direction=ind.direction,
                baseline=Decimal(0),
                target=target,
            )
        )


def _milestones(spec: Spec, task: KeyTask, owner: User, today: date, made: Made) -> None:
    dates = milestone_dates(spec.plan, len(spec.milestones), today)
    past = [d for d in dates if d < today]
    rows = []
    for index, ((title, title_en), due) in enumerate(zip(spec.milestones, dates, strict=True)):
        done_on = None
        if due < today:
            is_last_past = index == len(past) - 1
            if not (spec.plan == OVERDUE and is_last_past):
                done_on = min(due - timedelta(days=1 + index % 3), today)
        milestone = Milestone(
            task_id=task.id,
            due_on=due,
            title=title,
            title_en=title_en,
            done_on=done_on,
            done_by_id=owner.id if done_on else None,
            done_note="已按计划完成，相关材料已归档。" if done_on else "",
        )
        db.session.add(milestone)
        rows.append(milestone)
    db.session.flush()
    pending = [m for m in rows if m.done_on is None]
    if spec.plan == OVERDUE:
        made.overdue[task.id] = next(m for m in pending if m.due_on < today)
    if spec.plan == DUE_SOON:
        made.due_soon[task.id] = pending[0]
    if "R" in spec.story and len(past) >= 3:
        # The red month of the story: a milestone finished late, about three months ago.
        late = rows[max(len(past) - 3, 0)]
        late.done_on = min(late.due_on + timedelta(days=24), today - timedelta(days=2))
        late.done_note = "因协调进驻单位推迟，现已补齐。"
        made.late[task.id] = late


def _reports(created: list[tuple[Spec, KeyTask]], people: dict[str, User], clock: DemoClock):
    """Hand-reported values for the manual indicators: one at the end of each past month and one
    three days ago, each with a scanned statement as evidence."""
    today = clock.today
    data, detected = DemoDocument.get()
    indicators = {
        (i.task_id, i.position): i
        for i in db.session.query(TaskIndicator).filter(
            TaskIndicator.task_id.in_([t.id for _s, t in created])
        )
    }
    for spec, task in created:
        reporter = people[spec.owner]
        for position, ind in enumerate(spec.indicators):
            if ind.kind != indicator_kinds.MANUAL:
                continue
            indicator = indicators[(task.id, position)]
            days = _report_days(today)
            for number, day in enumerate(days, start=1):
                clock.set(day, "16:00")
                fraction = year_fraction(task.year, today if day == days[-1] else day)
                report = IndicatorReport(
                    indicator_id=indicator.id,
                    value=reported_value(indicator.target, fraction, ind.pace, ind.unit),
                    reported_on=day,
                    note="据各登记点、县区报送数据汇总。",
                    reported_by_id=reporter.id,
                    reported_at=utcnow(),
                )
                db.session.add(report)
                db.session.flush()
                db.session.add(
                    TaskFile(
                        report_id=report.id,
                        original_name=f"{ind.name}-{day:%Y%m%d}.pdf",
                        storage_key=save_in_transaction(data),
                        mime_type=detected.mime_type,
                        size=detected.size,
                        sha256=detected.sha256,
                        uploaded_at=utcnow(),
                        uploaded_by_id=reporter.id,
                    )
                )
                audit.record(
                    Action.TASK_INDICATOR_REPORTED,
                    task,
                    actor=reporter,
                    indicator_id=indicator.id,
                    value=str(report.value),
                    on=day.isoformat(),
                    report=number,
                )


def _report_days(today: date) -> list[date]:
    """The last day of each past month of the year (at most the latest five), and 3 days ago."""
    ends = []
    for month in range(1, today.month):
        nxt = date(today.year, month + 1, 1)
        ends.append(nxt - timedelta(days=1))
    latest = max(today - timedelta(days=3), date(today.year, 1, 1))
    ends = [d for d in ends if d < latest][-5:]
    return [*ends, latest]


# --- the month's history ---------------------------------------------------------------------

REASONS = {
    "G": "按计划推进",
    "Y": "指标进度滞后于序时进度",
    "R": "里程碑节点逾期未完成",
}
PERCENT = {"G": Decimal(100), "Y": Decimal("82.5"), "R": Decimal("61.0")}


def seed_history(made: Made, today: date, percents: dict[int, Decimal | None]) -> int:
    """A row per task and past month of the year from its story, then this month's from today's
    verdict (as the daily evaluation keeps it)."""
    specs = {s.number: s for s in SPECS}
    rows = 0
    current = today.replace(day=1)
    for task in made.tasks:
        story = specs[task.number].story
        months = [date(today.year, m, 1) for m in range(1, today.month)]
        codes = ("G" * len(months) + story)[-len(months) :] if months else ""
        for month, code in zip(months, codes, strict=True):
            status = {"G": TaskStatus.GREEN, "Y": TaskStatus.YELLOW, "R": TaskStatus.RED}[code]
            next_month = (month + timedelta(days=32)).replace(day=1)
            db.session.add(
                TaskStatusMonth(
                    task_id=task.id,
                    month=month,
                    status=status,
                    worst_status=status,
                    reason=REASONS[code],
                    progress_percent=PERCENT[code],
                    overdue_milestones=1 if code == "R" else 0,
                    evaluated_on=next_month - timedelta(days=1),
                )
            )
            rows += 1
        db.session.add(
            TaskStatusMonth(
                task_id=task.id,
                month=current,
                status=task.status,
                worst_status=task.status,
                reason=task.status_reason,
                progress_percent=percents.get(task.id),
                overdue_milestones=1 if task.status is TaskStatus.RED else 0,
                evaluated_on=today,
            )
        )
        rows += 1
    return rows
