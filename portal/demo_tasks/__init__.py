"""Demo data of the key-task wall map: the bureau's departments and wall-map staff (in
``portal.demo``), the twelve key tasks of a plausible Fuxin year with indicators and milestones
in every status, slips in every state of their loop, and the city's goal tiles. Run by
``flask seed-demo`` after the post-award demo (its indicators read the demo's awards and
payments).

The tasks' milestones are dated relative to today and their computed indicators' targets are
chosen from today's values, so that on whatever day the demo is seeded the wall shows red
tasks (2, 5, 12: a milestone overdue), yellow ones (1 and 3: an indicator behind; 9: a
milestone due in three days) and green ones (the rest). Each task's status is then stored as
the rules give it, with this month's history row, as the daily evaluation would.
"""

from __future__ import annotations

from collections.abc import Callable

from flask_babel import force_locale
from sqlalchemy import select

from portal.accounts.services import find_user_by_email
from portal.applications.models import Application, Status
from portal.core.extensions import db
from portal.core.timeutil import bureau_today
from portal.demo_applications import demo_clock
from portal.demo_tasks.goals import seed_goal_tiles, seed_recognitions
from portal.demo_tasks.slips import seed_slips
from portal.demo_tasks.tasks import seed_history, seed_tasks
from portal.programs.models import Program
from portal.tasks.models import KeyTask
from portal.tasks.progress import load_progress, reason_text

WALL_STAFF = (
    "supervisor@example.com",
    "leader@example.com",
    "leader2@example.com",
    "hightech@example.com",
    "funds@example.com",
    "transfer@example.com",
    "talent@example.com",
    "region@example.com",
)


def _post_award_demo_present() -> bool:
    """The indicators read last year's fluorine round, which the post-award demo makes."""
    return (
        db.session.scalar(
            select(Application.id)
            .join(Program, Program.id == Application.program_id)
            .where(Program.code == "fluorine-digital-2025", Application.status == Status.AWARDED)
            .limit(1)
        )
        is not None
    )


def seed_demo(*, log: Callable[[str], None] = print) -> int:
    """Seed the wall map's demo (idempotent: a second run adds nothing); return how many
    records were made. The caller commits."""
    today = bureau_today()
    if db.session.scalar(select(KeyTask.id).where(KeyTask.year == today.year).limit(1)):
        return 0
    people = [find_user_by_email(email) for email in WALL_STAFF]
    if None in people or not _post_award_demo_present():
        log("Wall map demo skipped: it needs the demo accounts and the post-award demo.")
        return 0
    supervisor = people[0]
    assert supervisor is not None
    made_records = seed_recognitions(today.year) + seed_goal_tiles(today.year)
    with demo_clock(today) as clock:
        made = seed_tasks(clock, supervisor)
        clock.set(today, "07:00")
        progress = load_progress(made.tasks, today)
        for task in made.tasks:
            verdict = progress[task.id].verdict
            task.status = verdict.status
            with force_locale("zh_CN"):  # stored in Chinese, as the daily evaluation does
                reason = "；".join(reason_text(r) for r in verdict.reasons)
            task.status_reason = reason[:300]
            task.evaluated_on = today
        db.session.flush()
        history = seed_history(
            made, today, {t.id: progress[t.id].verdict.percent for t in made.tasks}
        )
        slips = seed_slips(made, clock, supervisor)
    log(
        f"Wall map: {len(made.tasks)} key tasks, {history} monthly statuses, {slips} slips,"
        f" {made_records} goal tiles and recognitions."
    )
    return made.records + history + slips + made_records
