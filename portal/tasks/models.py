"""The records of the key-task wall map (挂图作战).

A key task of the year has owners (the leader in charge, the lead department, the responsible
person), an annual target made of indicators, and monthly milestones. An indicator's value is
computed from the portal's own data by a registered kind (``indicator_kinds``), or reported by
hand with evidence (``IndicatorReport``). The task's status (green / yellow / red) follows the
rules in ``status_rules``; every evaluation keeps the month's status in ``TaskStatusMonth``,
which is what the year-end accountability is judged on. Supervision slips (督办单) run a closed
loop: issued -> signed -> answered -> closed, or sent back to be answered again; every step is a
``SlipStep`` row as well as an audit entry.

Goal tiles are the city's headline goals (e.g. 双千双百) with a target and a value computed by
the same indicator kinds.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from flask_babel import lazy_gettext as _l
from sqlalchemy import (
    JSON,
    CheckConstraint,
    ForeignKey,
    Index,
    Integer,
    Numeric,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column

from portal.core.extensions import Model, str_enum_column_type
from portal.core.labels import LabelledEnum
from portal.core.timeutil import UTCDateTime, utcnow

# Indicator values: counts, yuan, days, percentages; four decimals are plenty for all of them.
VALUE = Numeric(16, 4)


class TaskStatus(LabelledEnum):
    GREEN = "green", _l("On schedule")
    YELLOW = "yellow", _l("Behind or due soon")
    RED = "red", _l("Overdue")


task_status_type = str_enum_column_type(TaskStatus, "task_status", 10)


class Direction(LabelledEnum):
    """Whether more is better (firms supported) or less (reports overdue, days to cash)."""

    UP = "up", _l("At least the target")
    DOWN = "down", _l("At most the target")


class KeyTask(Model):
    """One of the year's key tasks (重点任务)."""

    __tablename__ = "key_tasks"
    __table_args__ = (
        UniqueConstraint("year", "number", name="uq_key_tasks_year_number"),
        Index("ix_key_tasks_department", "department_id", "year"),
        Index("ix_key_tasks_owner", "owner_id", "year"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    year: Mapped[int] = mapped_column(Integer)
    number: Mapped[int] = mapped_column(Integer)  # 1..12 on the wall, in the bureau's order
    title: Mapped[str] = mapped_column(String(200))
    title_en: Mapped[str] = mapped_column(String(200), default="")
    # 分管领导: an approver account (the bureau's leadership).
    leader_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    # 牵头科室 and 责任人 (a member of that department, as a rule).
    department_id: Mapped[int] = mapped_column(ForeignKey("departments.id"))
    owner_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    cooperating_units: Mapped[str] = mapped_column(Text, default="")  # 配合单位, free text
    requirements: Mapped[str] = mapped_column(Text, default="")  # 工作要求
    requirements_en: Mapped[str] = mapped_column(Text, default="")
    # The status of the last evaluation (``status_rules``), kept for the red rule (a red task
    # returns to yellow only once caught up) and for lists that must not recompute it.
    status: Mapped[TaskStatus] = mapped_column(task_status_type, default=TaskStatus.GREEN)
    status_reason: Mapped[str] = mapped_column(String(300), default="")
    evaluated_on: Mapped[date | None]
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)
    lock_version: Mapped[int] = mapped_column(Integer, default=1, server_default="1")

    __mapper_args__ = {"version_id_col": lock_version}

    def display_title(self, locale: str) -> str:
        return self.title_en if locale.startswith("en") and self.title_en else self.title


class TaskIndicator(Model):
    """One indicator of a task's annual target: computed by ``kind`` from the portal's data
    with ``params`` (e.g. ``{"program": "RD-2026"}``), or ``kind == "manual"`` (reported)."""

    __tablename__ = "task_indicators"
    __table_args__ = (
        Index("ix_task_indicators_task", "task_id", "position"),
        CheckConstraint("target >= 0", name="target_not_negative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    task_id: Mapped[int] = mapped_column(ForeignKey("key_tasks.id", ondelete="CASCADE"))
    position: Mapped[int] = mapped_column(Integer, default=0)
    name: Mapped[str] = mapped_column(String(200))
    name_en: Mapped[str] = mapped_column(String(200), default="")
    kind: Mapped[str] = mapped_column(String(40))
    params: Mapped[dict] = mapped_column(JSON, default=dict)
    unit: Mapped[str] = mapped_column(String(20), default="")  # 家, 万元, 天, 项, %
    direction: Mapped[Direction] = mapped_column(
        str_enum_column_type(Direction, "indicator_direction", 10), default=Direction.UP
    )
    # The value at the start of the year (序时进度 runs from it to the target).
    baseline: Mapped[Decimal] = mapped_column(VALUE, default=Decimal(0))
    target: Mapped[Decimal] = mapped_column(VALUE)

    def display_name(self, locale: str) -> str:
        return self.name_en if locale.startswith("en") and self.name_en else self.name


class IndicatorReport(Model):
    """A value reported by hand for a manual indicator, with its date and evidence; the latest
    by ``reported_on`` (then id) is the indicator's value."""

    __tablename__ = "indicator_reports"
    __table_args__ = (Index("ix_indicator_reports_indicator", "indicator_id", "reported_on"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    indicator_id: Mapped[int] = mapped_column(ForeignKey("task_indicators.id", ondelete="CASCADE"))
    value: Mapped[Decimal] = mapped_column(VALUE)
    reported_on: Mapped[date]  # the date the value is as of
    note: Mapped[str] = mapped_column(Text, default="")
    reported_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    reported_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class Milestone(Model):
    """A step of the task's road map (路线图), due on a day of the year."""

    __tablename__ = "task_milestones"
    __table_args__ = (
        Index("ix_task_milestones_task", "task_id", "due_on"),
        Index("ix_task_milestones_due", "due_on", "done_on"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    task_id: Mapped[int] = mapped_column(ForeignKey("key_tasks.id", ondelete="CASCADE"))
    due_on: Mapped[date]
    title: Mapped[str] = mapped_column(String(200))
    title_en: Mapped[str] = mapped_column(String(200), default="")
    done_on: Mapped[date | None]
    done_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    done_note: Mapped[str] = mapped_column(Text, default="")
    # When the 3-day reminder went out (once per milestone).
    reminded_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    def display_title(self, locale: str) -> str:
        return self.title_en if locale.startswith("en") and self.title_en else self.title


class TaskStatusMonth(Model):
    """The status of a task in a month: the latest and the worst evaluated in it, with the
    progress against the time-proportional target at the latest evaluation."""

    __tablename__ = "task_status_months"
    __table_args__ = (UniqueConstraint("task_id", "month", name="uq_task_status_months"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    task_id: Mapped[int] = mapped_column(ForeignKey("key_tasks.id", ondelete="CASCADE"))
    month: Mapped[date]  # the first day of the month
    status: Mapped[TaskStatus] = mapped_column(task_status_type)
    worst_status: Mapped[TaskStatus] = mapped_column(task_status_type)
    reason: Mapped[str] = mapped_column(String(300), default="")
    # Share of the expected value reached (100 = on schedule), over the task's indicators.
    progress_percent: Mapped[Decimal | None] = mapped_column(Numeric(8, 2))
    overdue_milestones: Mapped[int] = mapped_column(Integer, default=0)
    evaluated_on: Mapped[date]


class SlipColour(LabelledEnum):
    BLUE = "blue", _l("Blue slip: deadline near")
    YELLOW = "yellow", _l("Yellow slip: behind schedule or poor quality")
    RED = "red", _l("Red slip: overdue")


class SlipState(LabelledEnum):
    ISSUED = "issued", _l("Issued: waiting to be signed for")
    SIGNED = "signed", _l("Signed for: answer due")
    ANSWERED = "answered", _l("Answered: waiting for review")
    RETURNED = "returned", _l("Sent back: answer again")
    CLOSED = "closed", _l("Closed")


class SlipOrigin(LabelledEnum):
    RULE = "rule", _l("Raised by the status rules")
    SUPERVISOR = "supervisor", _l("Issued by a supervisor")


class SupervisionSlip(Model):
    """A supervision slip (督办单) on a task."""

    __tablename__ = "supervision_slips"
    __table_args__ = (
        UniqueConstraint("year", "serial", name="uq_supervision_slips_serial"),
        # A rule raises at most one open slip per task, colour and cause (``cause_key``, e.g.
        # "milestone:17" or "behind:2026-11"), so that evaluating twice raises nothing new.
        Index(
            "uq_supervision_slips_open_cause",
            "task_id",
            "colour",
            "cause_key",
            unique=True,
            sqlite_where=text("state <> 'closed' AND cause_key <> ''"),
            postgresql_where=text("state <> 'closed' AND cause_key <> ''"),
        ),
        Index("ix_supervision_slips_state_deadline", "state", "deadline"),
        Index("ix_supervision_slips_task", "task_id", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    task_id: Mapped[int] = mapped_column(ForeignKey("key_tasks.id", ondelete="CASCADE"))
    milestone_id: Mapped[int | None] = mapped_column(
        ForeignKey("task_milestones.id", ondelete="SET NULL")
    )
    year: Mapped[int] = mapped_column(Integer)
    serial: Mapped[int] = mapped_column(Integer)  # 督办〔2026〕7号: gapless per year
    colour: Mapped[SlipColour] = mapped_column(str_enum_column_type(SlipColour, "slip_colour", 10))
    origin: Mapped[SlipOrigin] = mapped_column(str_enum_column_type(SlipOrigin, "slip_origin", 12))
    cause_key: Mapped[str] = mapped_column(String(60), default="")
    reason: Mapped[str] = mapped_column(Text)
    requirements: Mapped[str] = mapped_column(Text, default="")
    deadline: Mapped[date]
    state: Mapped[SlipState] = mapped_column(
        str_enum_column_type(SlipState, "slip_state", 12), default=SlipState.ISSUED
    )
    issued_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    issued_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))  # None: by rule
    signed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    signed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    answered_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    closed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    # When the 3-day reminder of the deadline went out (once per slip).
    reminded_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    lock_version: Mapped[int] = mapped_column(Integer, default=1, server_default="1")

    __mapper_args__ = {"version_id_col": lock_version}

    @property
    def code(self) -> str:
        return f"督办〔{self.year}〕{self.serial}号"


class SlipStepKind(LabelledEnum):
    ISSUED = "issued", _l("Slip issued")
    SIGNED = "signed", _l("Signed for")
    ANSWERED = "answered", _l("Answered")
    RETURNED = "returned", _l("Sent back")
    CLOSED = "closed", _l("Slip closed")
    REMINDED = "reminded", _l("Reminder sent")


class SlipStep(Model):
    """One step of a slip's loop, with who took it, when, and what they wrote (the answer's
    progress, the review's reason); the answer's evidence files hang on its step."""

    __tablename__ = "supervision_slip_steps"
    __table_args__ = (Index("ix_supervision_slip_steps_slip", "slip_id", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    slip_id: Mapped[int] = mapped_column(ForeignKey("supervision_slips.id", ondelete="CASCADE"))
    kind: Mapped[SlipStepKind] = mapped_column(
        str_enum_column_type(SlipStepKind, "slip_step_kind", 12)
    )
    at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    text: Mapped[str] = mapped_column(Text, default="")


class TaskFile(Model):
    """Evidence: a file of a hand-reported indicator value or of a slip's answer, checked like
    any upload (kind by content, size) before it is stored. Exactly one owner is set."""

    __tablename__ = "task_files"
    __table_args__ = (
        CheckConstraint("(report_id IS NULL) <> (slip_step_id IS NULL)", name="exactly_one_owner"),
        Index("ix_task_files_report", "report_id"),
        Index("ix_task_files_slip_step", "slip_step_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    report_id: Mapped[int | None] = mapped_column(
        ForeignKey("indicator_reports.id", ondelete="CASCADE")
    )
    slip_step_id: Mapped[int | None] = mapped_column(
        ForeignKey("supervision_slip_steps.id", ondelete="CASCADE")
    )
    original_name: Mapped[str] = mapped_column(String(200))
    storage_key: Mapped[str] = mapped_column(String(120))
    mime_type: Mapped[str] = mapped_column(String(100))
    size: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64))
    uploaded_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    uploaded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))


class GoalTile(Model):
    """A headline goal of the city on the wall (e.g. 双千双百: technology SMEs and high-tech
    firms), computed by an indicator kind against its target."""

    __tablename__ = "goal_tiles"
    __table_args__ = (Index("ix_goal_tiles_year", "year", "position"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    year: Mapped[int] = mapped_column(Integer)
    position: Mapped[int] = mapped_column(Integer, default=0)
    title: Mapped[str] = mapped_column(String(200))
    title_en: Mapped[str] = mapped_column(String(200), default="")
    kind: Mapped[str] = mapped_column(String(40))
    params: Mapped[dict] = mapped_column(JSON, default=dict)
    unit: Mapped[str] = mapped_column(String(20), default="")
    target: Mapped[Decimal] = mapped_column(VALUE)

    def display_title(self, locale: str) -> str:
        return self.title_en if locale.startswith("en") and self.title_en else self.title
