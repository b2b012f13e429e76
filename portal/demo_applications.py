"""Demo applications at every stage, for ``flask seed-demo`` (``make run``).

A newcomer should find a living portal: drafts, applications waiting for the formal check or
returned for changes, expert reviews under way, a decision not yet released, awards in
publicity, and final decisions with their letters. Each story below is told by the real
services (start, save, upload, submit, formal check, assignment, scoring, decision, release,
the end of publicity, letters), acting as the demo accounts, so every page, tally, audit entry
and notification agrees with what happened.

What happened must also have happened *when* it says: a letter dated today cannot follow a
publicity period that ended today. So each step runs at its own moment in the past, counted in
working days back from today with the business calendar (``review.calendar``, holidays from
``PORTAL_HOLIDAYS``): ``DemoClock`` stops the clock every service reads
(``core.timeutil.utcnow``) at that moment for the seed only, and restores it afterwards.

Idempotent: a programme that already has applications (an earlier seed, or a newcomer's own)
is left alone, so a second run changes nothing and reads only a few rows.

The stories (firm: programme, stage):

- ent1, ent2: R&D post-subsidy, final with letters; the budget (50,000 yuan) is short, so the
  release scaled both awards pro rata, and the firm's page and letter explain the cut.
- ent5: R&D post-subsidy, rejected, with its letter.
- ent3: R&D post-subsidy, submitted yesterday, waiting for the formal check.
- ent3: young-eagle and gazelle support, approved and in publicity (ending in a few days).
- ent1: young-eagle and gazelle support, approved but not yet released.
- ent1: key above-size selection, in expert review: one review in, one half-scored.
- ent2: key above-size selection, submitted, waiting for the formal check.
- ent5: fluorine-park digital transformation, returned for changes (a missing signature page).
- ent1: fluorine-park digital transformation, a draft begun yesterday.
- ent4 qualifies for no programme: its programme pages show why.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from typing import Any, ClassVar

from sqlalchemy import exists, select

from portal.accounts.models import User
from portal.accounts.services import find_user_by_email
from portal.applications import sections
from portal.applications import services as applications
from portal.applications.models import Application, Status
from portal.core import timeutil
from portal.core.extensions import db
from portal.core.timeutil import BUREAU_ZONE, bureau_today
from portal.core.uploads import DetectedFile, check_upload
from portal.demo import seed_demo_data
from portal.letters import issuing
from portal.letters.publicity_notice import issue_notice
from portal.letters.release_record_pdf import render_record
from portal.programs.models import Program
from portal.programs.services import (
    PROGRAM_FIELDS,
    VERSIONED_FIELDS,
    current_version,
    update_program,
)
from portal.review import assignment, calendar, decisions, formal_check, scoring
from portal.review.decision_rules import APPROVE, REJECT, Choice
from portal.review.publicity import advance_publicity
from portal.review.ranking import snapshot_of
from portal.review.release_record_models import ReleaseRecord

# How far back the demo's history reaches, in working days: the R&D round, the oldest story,
# was submitted then. Accounts and programmes are made a few days before it.
HISTORY_WORKING_DAYS = 32

RD = "rd-post-subsidy-2026"
EAGLE = "young-eagle-gazelle-2026"
KEY = "key-above-size-2026"
FLUORINE = "fluorine-digital-2026"

# The R&D round's budget, short of the two approvals (45,000 + 14,000 yuan): the release
# scales each award to 84.75 % (a pro-rata cut the firms see explained).
RD_ROUND_BUDGET = Decimal("50000")


# --- the demo's clock -------------------------------------------------------------------------


class DemoClock:
    """Moments in the demo's past, counted in working days back from ``today``."""

    def __init__(self, today: date) -> None:
        self.today = today
        self.holidays, self.extra_working_days = decisions.holidays_from_config()

    def working_day(self, offset: int) -> date:
        """The working day ``offset`` working days from today (negative: before it)."""
        day, step, left = self.today, (1 if offset > 0 else -1), abs(offset)
        while left:
            day += timedelta(days=step)
            if calendar.is_working_day(day, self.holidays, self.extra_working_days):
                left -= 1
        return day

    def next_working_day(self, day: date) -> date:
        return calendar.add_working_days(
            day + timedelta(days=1), 1, self.holidays, self.extra_working_days
        )

    def set(self, when: int | date, at: str = "10:00") -> date:
        """Stop the clock at ``at`` (Asia/Shanghai) on ``when``, a date or a number of working
        days from today (negative: before it); return the day."""
        # Rows take their times (``default=utcnow``) when flushed: write what the last
        # moment did before the clock moves on.
        db.session.flush()
        day = when if isinstance(when, date) else self.working_day(when)
        hour, minute = (int(part) for part in at.split(":"))
        moment = datetime.combine(day, time(hour, minute), tzinfo=BUREAU_ZONE)
        timeutil.set_stopped_clock(moment)
        return day


@contextmanager
def demo_clock(today: date | None = None) -> Iterator[DemoClock]:
    """Let the seed set the time every service reads (``core.timeutil``'s stopped clock); the
    real clock comes back afterwards."""
    clock = DemoClock(today or bureau_today())
    with timeutil.stopped_clock(timeutil.utcnow()):
        yield clock
        db.session.flush()


# --- the people -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Cast:
    officer: User
    reviewers: list[User]
    firms: dict[str, User]  # "ent1" -> the firm's demo account

    @classmethod
    def find(cls) -> Cast | None:
        officer = find_user_by_email("officer@example.com")
        reviewers = [find_user_by_email(f"reviewer{n}@example.com") for n in (1, 2, 3)]
        firms = {f"ent{n}": find_user_by_email(f"ent{n}@example.com") for n in range(1, 6)}
        if officer is None or None in reviewers or None in firms.values():
            return None
        return cls(officer, reviewers, firms)  # type: ignore[arg-type]


# --- what a firm does -------------------------------------------------------------------------

_PROJECTS = {
    (RD, "ent1"): (
        "含氟电子化学品研发投入",
        "上年度研发投入185万元，较前一年增长45万元，主要用于电子级氢氟酸提纯工艺。",
    ),
    (RD, "ent2"): (
        "智能装备研发投入",
        "上年度研发投入62万元，较前一年增长14万元，用于数控折弯机控制系统。",
    ),
    (RD, "ent3"): (
        "工业软件研发投入",
        "上年度研发投入90万元，较前一年增长30万元，用于设备运维平台。",
    ),
    (RD, "ent5"): ("精细化工工艺研发投入", "上年度研发投入210万元，较前一年增长10万元。"),
    (EAGLE, "ent1"): ("瞪羚企业补充支持", "上年度认定为辽宁省瞪羚企业，申请补充支持。"),
    (EAGLE, "ent3"): ("雏鹰企业补充支持", "上年度认定为辽宁省雏鹰企业，申请补充支持。"),
    (KEY, "ent1"): ("含氟新材料中试线", "建设年产500吨含氟新材料中试线，配套检测中心。"),
    (KEY, "ent2"): ("高端数控装备产业化", "建设数控折弯机智能化生产线，年产300台。"),
    (FLUORINE, "ent1"): ("氟化工车间数字化改造", "建设生产执行系统与设备联网平台。"),
    (FLUORINE, "ent5"): (
        "精细化工园区智能工厂",
        "建设DCS控制系统与安全环保在线监测平台，已通过验收。",
    ),
}
_PROJECT_FIGURES = {
    "eligible_investment": "1800000",
    "digital_level": 3,
    "project_accepted": True,
    "other_public_funding": False,
}
_DECLARANTS = {"ent1": "张伟", "ent2": "刘洋", "ent3": "陈静", "ent4": "杨帆", "ent5": "黄磊"}


class DemoDocument:
    """One small PDF stands for every uploaded document; it is checked once, as uploads are."""

    _data: ClassVar[bytes | None] = None
    _detected: ClassVar[DetectedFile | None] = None

    @classmethod
    def get(cls) -> tuple[bytes, DetectedFile]:
        if cls._data is None or cls._detected is None:
            from weasyprint import HTML

            cls._data = HTML(
                string="<p style='font-size:20pt'>演示材料 · Demo document</p>"
                "<p>本文件仅用于演示，不是真实材料。</p>"
                "<p>This file is demo data, not a real document.</p>"
            ).write_pdf()
            cls._detected = check_upload(cls._data, ["pdf"], 10 * 1024 * 1024)
        return cls._data, cls._detected


def _program(code: str) -> Program | None:
    return db.session.scalar(select(Program).where(Program.code == code))


def start(firm: User, program: Program) -> Application:
    """Start an application and fill its summary (a draft, as left after a first visit)."""
    application = applications.start_application(firm.enterprise, program, actor=firm)
    title, summary = _PROJECTS[(program.code, firm.email.split("@")[0])]
    applications.save_summary(application, title, summary, actor=firm)
    return application


def complete(application: Application, firm: User) -> None:
    """Fill every other section: figures confirmed, amount, documents, declaration."""
    project = _PROJECT_FIGURES if application.program.code == FLUORINE else {}
    applications.save_figures(application, [], dict(project), confirm=True, actor=firm)
    applications.save_amount(application, None, actor=firm)
    data, detected = DemoDocument.get()
    for doc in sections.required_documents(application.program_version, application):
        applications.upload_attachment(
            application, doc["key"], f"{doc['key']}.pdf", data, detected=detected, actor=firm
        )
    name = _DECLARANTS[firm.email.split("@")[0]]
    applications.save_declaration(application, name, "总经理", actor=firm)


def submit(firm: User, program: Program) -> Application:
    application = start(firm, program)
    complete(application, firm)
    db.session.flush()  # submit rereads the row under its lock, as a later request would
    applications.submit(application, actor=firm)
    db.session.flush()
    return application


# --- what the bureau does ---------------------------------------------------------------------


def decide(application: Application, officer: User, choice: Choice) -> None:
    decisions.record_decision(
        application,
        choice,
        actor=officer,
        seen_lock_version=application.lock_version,
        seen_decision=application.decision,
    )


def approve(application: Application, officer: User) -> None:
    decide(application, officer, Choice(APPROVE, application.formula_amount))


def release(program: Program, pending: list[Application], officer: User, day: date) -> None:
    """Release the programme's pending decisions; its printable publicity notice and the
    release's record (评审结果汇总表) are rendered now (dated with the release) rather than
    queued, like the letters below: the seed commits without a job queue to hand them to."""
    decisions.release_decisions(program, actor=officer, snapshot=snapshot_of(pending), today=day)
    starts = {a.publicity_starts_on for a in pending if a.publicity_starts_on is not None}
    for starts_on in starts:
        issue_notice(program.id, starts_on)
    unrendered = select(ReleaseRecord.id).where(
        ReleaseRecord.program_id == program.id, ReleaseRecord.pdf_key.is_(None)
    )
    for record_id in db.session.scalars(unrendered).all():
        render_record(record_id)


def issue_letters(applications_: list[Application], officer: User, day: date) -> None:
    """The letters of final decisions, rendered now (dated ``day``) rather than queued: the
    job the decision also queued finds them issued and issues nothing twice."""
    issuing.issue_due_letters([a.id for a in applications_], actor=officer, today=day)


def set_budget(program: Program, budget: Decimal, officer: User) -> None:
    """The officer's edit of the programme's budget, as the programme editor saves it."""
    version = current_version(program)
    data: dict[str, Any] = {name: getattr(program, name) for name in PROGRAM_FIELDS}
    data.update({name: getattr(version, name) for name in VERSIONED_FIELDS})
    data["budget"] = budget
    update_program(program, data, actor=officer)


def _scores(values: list[str], comment: str) -> dict[str, tuple[Decimal | None, str]]:
    keys = [criterion["key"] for criterion in current_version(_program(KEY)).rubric]  # type: ignore[arg-type]
    return {
        key: (Decimal(value) if value else None, comment if value else "")
        for key, value in zip(keys, values, strict=False)
    }


# --- the stories ------------------------------------------------------------------------------


def rd_round(cast: Cast, clock: DemoClock, program: Program) -> int:
    """R&D post-subsidy: a round released with a pro-rata cut, made final with letters; a
    rejection with its letter; and a late application waiting for the formal check."""
    officer, firms = cast.officer, cast.firms
    clock.set(-30, "09:30")
    ent1 = submit(firms["ent1"], program)
    clock.set(-30, "15:10")
    ent2 = submit(firms["ent2"], program)
    clock.set(-29, "11:20")
    ent5 = submit(firms["ent5"], program)
    for hour, application in zip(("09:10", "09:40", "10:20"), (ent1, ent2, ent5), strict=True):
        clock.set(-27, hour)
        formal_check.pass_formal_check(application, actor=officer)
    clock.set(-25, "14:00")
    set_budget(program, RD_ROUND_BUDGET, officer)
    clock.set(-24, "10:00")
    approve(ent1, officer)
    approve(ent2, officer)
    reason = "研发费用辅助账与审计报告所列研发投入不一致，经核查无法确认研发投入增量，不予支持。"
    decide(ent5, officer, Choice(REJECT, None, "other", reason))
    day = clock.set(-22, "16:00")
    release(program, [ent1, ent2, ent5], officer, day)
    issue_letters([ent5], officer, day)
    # The publicity period ended without objection: the daily step makes the awards final.
    ended_on = ent1.publicity_ends_on
    assert ended_on is not None
    day = clock.set(clock.next_working_day(ended_on), "08:30")
    advance_publicity(day)
    clock.set(day, "08:40")
    issue_letters([ent1, ent2], officer, day)
    clock.set(-1, "16:45")
    submit(firms["ent3"], program)
    return 4


def eagle_round(cast: Cast, clock: DemoClock, program: Program) -> int:
    """Young eagles and gazelles: one award in publicity now, one approval not yet released."""
    officer, firms = cast.officer, cast.firms
    clock.set(-12, "10:30")
    ent3 = submit(firms["ent3"], program)
    clock.set(-9, "09:15")
    formal_check.pass_formal_check(ent3, actor=officer)
    clock.set(-8, "14:20")
    ent1 = submit(firms["ent1"], program)
    clock.set(-4, "10:00")
    approve(ent3, officer)
    day = clock.set(-3, "15:30")
    release(program, [ent3], officer, day)
    clock.set(-2, "09:30")
    formal_check.start_formal_check(ent1, actor=officer)
    clock.set(-2, "11:00")
    formal_check.pass_formal_check(ent1, actor=officer)
    clock.set(-1, "10:10")
    approve(ent1, officer)
    return 2


def key_round(cast: Cast, clock: DemoClock, program: Program) -> int:
    """Key above-size selection: expert review under way; a new application to check."""
    officer, firms = cast.officer, cast.firms
    reviewer1, reviewer2 = cast.reviewers[0], cast.reviewers[1]
    clock.set(-14, "16:00")
    ent1 = submit(firms["ent1"], program)
    clock.set(-12, "10:00")
    formal_check.pass_formal_check(ent1, actor=officer)
    clock.set(-11, "09:30")
    due = clock.working_day(5)
    due_at = assignment.due_at_end_of(due)
    first = assignment.assign_reviewer(ent1, reviewer1.id, due_at, actor=officer)
    second = assignment.assign_reviewer(ent1, reviewer2.id, due_at, actor=officer)
    clock.set(-4, "20:15")
    scoring.submit_review(
        first,
        _scores(["8", "7.5", "8", "7", "8", "9"], "中试线技术路线清晰，氟产业链带动作用明显。"),
        reviewer1,
    )
    clock.set(-1, "21:40")
    scoring.save_draft(second, _scores(["7", "7", "6.5", "", "", ""], "待核实。"), reviewer2)
    clock.set(-1, "14:05")
    submit(firms["ent2"], program)
    return 2


def fluorine_round(cast: Cast, clock: DemoClock, program: Program) -> int:
    """Fluorine park: an application returned for changes; a draft just begun."""
    officer, firms = cast.officer, cast.firms
    clock.set(-8, "15:00")
    ent5 = submit(firms["ent5"], program)
    clock.set(-6, "10:30")
    formal_check.start_formal_check(ent5, actor=officer)
    clock.set(-6, "11:10")
    formal_check.return_for_changes(
        ent5,
        [sections.ATTACHMENTS],
        "项目验收报告缺少验收专家组签字页，请补充上传完整的验收报告后重新提交。",
        actor=officer,
    )
    clock.set(-1, "17:20")
    start(firms["ent1"], program)
    return 2


STORIES: list[tuple[str, Callable[[Cast, DemoClock, Program], int]]] = [
    (RD, rd_round),
    (EAGLE, eagle_round),
    (KEY, key_round),
    (FLUORINE, fluorine_round),
]


def _has_applications(program: Program) -> bool:
    return bool(db.session.scalar(select(exists().where(Application.program_id == program.id))))


def seed_demo_applications(clock: DemoClock, *, log: Callable[[str], None] = print) -> int:
    """Tell each programme's story unless the programme already has applications; return how
    many applications were made. Runs inside ``demo_clock``; the caller commits."""
    cast = Cast.find()
    if cast is None:
        return 0
    made = 0
    story_start = clock.working_day(-HISTORY_WORKING_DAYS)
    for code, story in STORIES:
        program = _program(code)
        if program is None or _has_applications(program):
            continue
        opened = timeutil.to_bureau_time(program.opens_at).date()
        if opened > story_start:
            log(
                f"Demo applications for {code} skipped: the programme opened on {opened}, "
                "too late for their history (start afresh: delete instance/portal.db)."
            )
            continue
        made += story(cast, clock, program)
    return made


def demo_stage_counts() -> dict[str, int]:
    """How many applications are at each stage (for the seed's report and its tests)."""
    counts = {status.value: 0 for status in Status}
    for (status,) in db.session.execute(select(Application.status)):
        counts[status.value] += 1
    return counts


@dataclass(frozen=True)
class SeedResult:
    records: int  # accounts, profiles and programmes made
    applications: int  # demo applications made


def seed_demo(*, log: Callable[[str], None] = print) -> SeedResult:
    """The whole demo: accounts, profiles and programmes (made a few days before the history
    starts, the programmes open until 60 days from now), then the applications' stories.
    The caller commits."""
    real_now = timeutil.utcnow()
    with demo_clock() as clock:
        history_start = clock.set(-HISTORY_WORKING_DAYS - 3, "09:00")
        opens_at = datetime.combine(history_start, time(9), tzinfo=BUREAU_ZONE).astimezone(UTC)
        records = seed_demo_data(schedule=(opens_at, real_now + timedelta(days=60)))
        made = seed_demo_applications(clock, log=log)
    return SeedResult(records, made)
