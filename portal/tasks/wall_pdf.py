"""The wall as a printable A3 landscape PDF (挂图作战图) for the meeting room: the twelve tasks as
a 4×3 grid of cards with their status colour and word, owners, indicators against their target
and expected value (序时进度), the next milestone and the open slips; the summary counts, the goal
tiles and a legend. Rendered through the letters' WeasyPrint entry point (``letters.pdf``: one
FontConfiguration per process, no fetching), on a named page so that the letters' A4 does not
apply.

Read in a fixed number of queries: the tasks, their owners and departments, their progress
(``progress.load_progress``), their open slips grouped by colour, and the goal tiles.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

from flask import current_app
from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy import func, select

from portal.accounts.models import Department, User
from portal.core.extensions import db
from portal.core.paths import PROJECT_ROOT
from portal.letters.content import bureau_names
from portal.letters.pdf import render_many
from portal.tasks.models import (
    GoalTile,
    KeyTask,
    SlipColour,
    SlipState,
    SupervisionSlip,
    TaskStatus,
)
from portal.tasks.progress import GoalProgress, TaskProgress, load_goals, load_progress, reason_text

PRINT_CSS_PATH = PROJECT_ROOT / "static" / "css" / "wall_print.css"
# The wall prints twelve cards; more still print (on more pages), fewer leave room.
CARDS_PER_PAGE = 12
INDICATORS_ON_A_CARD = 3


@dataclass(frozen=True)
class Owners:
    leader: str
    department: str
    person: str


@dataclass
class Card:
    progress: TaskProgress
    owners: Owners
    open_slips: dict[str, int] = field(default_factory=dict)  # colour value -> count

    @property
    def task(self) -> KeyTask:
        return self.progress.task

    @property
    def status(self) -> TaskStatus:
        return self.progress.status

    @property
    def open_slip_count(self) -> int:
        return sum(self.open_slips.values())


@dataclass(frozen=True)
class WallSheet:
    year: int
    today: date
    cards: list[Card]
    goals: list[GoalProgress]
    counts: dict[str, int]  # status value -> tasks
    open_slips: int
    overdue_milestones: int


def locale_code(locale: str) -> str:
    return "en" if str(locale).startswith("en") else "zh_CN"


def year_tasks(year: int) -> list[KeyTask]:
    return list(
        db.session.scalars(
            select(KeyTask).where(KeyTask.year == year).order_by(KeyTask.number, KeyTask.id)
        )
    )


def owner_names(tasks: Sequence[KeyTask], locale: str) -> dict[int, Owners]:
    """Each task's leader, lead department and responsible person, by name (two queries)."""
    user_ids = {t.leader_id for t in tasks} | {t.owner_id for t in tasks}
    users = (
        {
            row.id: row.display_name
            for row in db.session.execute(
                select(User.id, User.display_name).where(User.id.in_(user_ids))
            )
        }
        if user_ids
        else {}
    )
    department_ids = {t.department_id for t in tasks}
    departments = (
        {
            d.id: d.display_name(locale)
            for d in db.session.scalars(select(Department).where(Department.id.in_(department_ids)))
        }
        if department_ids
        else {}
    )
    return {
        t.id: Owners(
            users.get(t.leader_id, "—"),
            departments.get(t.department_id, "—"),
            users.get(t.owner_id, "—"),
        )
        for t in tasks
    }


def open_slip_counts(task_ids: Sequence[int]) -> dict[int, dict[str, int]]:
    """Open (not closed) slips per task and colour (one query)."""
    counts: dict[int, dict[str, int]] = defaultdict(dict)
    if not task_ids:
        return counts
    for task_id, colour, count in db.session.execute(
        select(SupervisionSlip.task_id, SupervisionSlip.colour, func.count())
        .where(SupervisionSlip.task_id.in_(task_ids), SupervisionSlip.state != SlipState.CLOSED)
        .group_by(SupervisionSlip.task_id, SupervisionSlip.colour)
    ):
        counts[task_id][SlipColour(colour).value] = count
    return counts


def wall_sheet(year: int, today: date, locale: str) -> WallSheet:
    """Everything the printed wall shows, read in a fixed number of queries."""
    tasks = year_tasks(year)
    progress = load_progress(tasks, today, locale)
    owners = owner_names(tasks, locale)
    slips = open_slip_counts([t.id for t in tasks])
    cards = [Card(progress[t.id], owners[t.id], dict(slips.get(t.id, {}))) for t in tasks]
    tiles = list(
        db.session.scalars(
            select(GoalTile).where(GoalTile.year == year).order_by(GoalTile.position, GoalTile.id)
        )
    )
    counts = {s.value: 0 for s in TaskStatus}
    for card in cards:
        counts[card.status.value] += 1
    return WallSheet(
        year=year,
        today=today,
        cards=cards,
        goals=load_goals(tiles, today),
        counts=counts,
        open_slips=sum(c.open_slip_count for c in cards),
        overdue_milestones=sum(len(c.progress.verdict.overdue) for c in cards),
    )


# --- words and numbers, as printed ------------------------------------------------------------


def plain_number(value: Decimal | None) -> str:
    """12, 3.5, 1,234.56: no trailing zeros, thousands grouped; "—" when unknown."""
    if value is None:
        return "—"
    normal = value.normalize()
    if normal == normal.to_integral():
        return f"{int(normal):,}"
    return f"{value.quantize(Decimal('0.01')):,}".rstrip("0").rstrip(".")


def print_date(day: date, locale: str) -> str:
    if locale_code(locale) == "en":
        return f"{day.day} {day:%B} {day.year}"
    return f"{day.year}年{day.month}月{day.day}日"


def short_date(day: date, locale: str) -> str:
    if locale_code(locale) == "en":
        return f"{day.day} {day:%b}"
    return f"{day.month}月{day.day}日"


def bar_width(percent: Decimal | None) -> int:
    """A gauge's filled share, 0..100."""
    if percent is None:
        return 0
    return int(max(Decimal(0), min(Decimal(100), percent)))


def card_values(card: Card, today: date, locale: str) -> dict[str, Any]:
    progress = card.progress
    indicators = []
    for item in progress.indicators[:INDICATORS_ON_A_CARD]:
        indicator = item.indicator
        unit = indicator.unit or ""
        indicators.append(
            {
                "name": indicator.display_name(locale),
                "value": plain_number(item.value),
                "target": plain_number(indicator.target),
                "expected": plain_number(item.verdict.expected),
                "unit": unit,
                "percent": item.verdict.percent,
                "bar": bar_width(item.verdict.percent),
                "behind": item.verdict.behind,
            }
        )
    upcoming = progress.next_milestone
    next_milestone = None
    if upcoming is not None:
        next_milestone = {
            "day": short_date(upcoming.due_on, locale),
            "title": upcoming.display_title(locale),
            "overdue": upcoming.due_on < today,
        }
    reasons = [reason_text(r) for r in progress.verdict.reasons[:1]]
    return {
        "number": card.task.number,
        "title": card.task.display_title(locale),
        "status": card.status.value,
        "status_word": str(card.status.label),
        "owners": card.owners,
        "indicators": indicators,
        "more_indicators": max(0, len(progress.indicators) - INDICATORS_ON_A_CARD),
        "next_milestone": next_milestone,
        "milestones_done": sum(1 for m in progress.milestones if m.done_on is not None),
        "milestones_total": len(progress.milestones),
        "overdue": len(progress.verdict.overdue),
        "open_slips": [
            {"colour": colour.value, "count": card.open_slips.get(colour.value, 0)}
            for colour in SlipColour
            if card.open_slips.get(colour.value)
        ],
        "reason": reasons[0] if reasons else "",
    }


def sheet_values(sheet: WallSheet, locale: str) -> dict[str, Any]:
    english = locale_code(locale) == "en"
    return {
        "lang": "en" if english else "zh-CN",
        "colon": ": " if english else "：",
        "title": _("Key tasks of %(year)s: the wall map", year=sheet.year),
        "bureau": bureau_names()["en" if english else "zh"],
        "as_of": print_date(sheet.today, locale),
        "cards": [card_values(card, sheet.today, locale) for card in sheet.cards],
        "statuses": [
            {"value": s.value, "word": str(s.label), "count": sheet.counts[s.value]}
            for s in (TaskStatus.RED, TaskStatus.YELLOW, TaskStatus.GREEN)
        ],
        "slip_colours": [{"value": c.value, "word": str(c.label)} for c in SlipColour],
        "task_count": len(sheet.cards),
        "open_slips": sheet.open_slips,
        "overdue_milestones": sheet.overdue_milestones,
        "goals": [
            {
                "title": g.tile.display_title(locale),
                "value": plain_number(g.value),
                "target": plain_number(g.tile.target),
                "unit": g.tile.unit,
                "percent": g.percent,
                "bar": bar_width(g.percent),
            }
            for g in sheet.goals
        ],
        "css": PRINT_CSS_PATH.read_text("utf-8"),
    }


def wall_html(year: int, today: date, locale: str) -> str:
    code = locale_code(locale)
    with force_locale(code):
        sheet = wall_sheet(year, today, code)
        template = current_app.jinja_env.get_template("wall/pdf/wall.html")
        return template.render(sheet_values(sheet, code))


def render_wall_pdf(year: int, today: date, locale: str) -> bytes:
    """The year's wall as it stands on ``today``, one A3 landscape page for twelve tasks."""
    return render_many([wall_html(year, today, locale)])[0]
