"""Reporting on a key task: a value of a hand-reported (``manual``) indicator with its evidence,
and a milestone done.

Who reports: the task's responsible person, or a department member of its lead department.
A value is as of a day of the task's year, not after today, with at least one evidence file
(checked in the sandbox by the view, like every upload, and stored here as ``TaskFile``).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from decimal import Decimal
from typing import Any

from flask_babel import lazy_gettext as _l

from portal.accounts.models import Role
from portal.core import audit
from portal.core.audit import Action
from portal.core.concurrency import lock_row, service
from portal.core.domain import DomainError
from portal.core.extensions import db
from portal.core.files import safe_download_name, save_in_transaction
from portal.core.timeutil import bureau_today, utcnow
from portal.core.uploads import CheckedFile
from portal.tasks.indicator_kinds import MANUAL
from portal.tasks.models import IndicatorReport, KeyTask, Milestone, TaskFile, TaskIndicator

FILE_KINDS = ("pdf", "image", "xlsx")
FILE_MAX_BYTES = 10 * 1024 * 1024
FILES_MAX = 5
NOTE_MAX = 2000
VALUE_MAX = Decimal("999999999999")


class ReportRefused(DomainError):
    pass


def may_report(task: KeyTask, user: Any) -> bool:
    """The responsible person, or a department member of the lead department."""
    if getattr(user, "id", None) is None or getattr(user, "disabled_at", None) is not None:
        return False
    if user.id == task.owner_id:
        return True
    return user.role is Role.DEPARTMENT and user.department_id == task.department_id


def _refuse_reporter(task: KeyTask, by: Any) -> None:
    if not may_report(task, by):
        raise ReportRefused(
            _l("Only the responsible person or a member of the lead department reports on it.")
        )


def _note(note: str) -> str:
    text = (note or "").strip()
    if len(text) > NOTE_MAX:
        raise ReportRefused(_l("Keep it under %(count)d characters.", count=NOTE_MAX), field="note")
    return text


def _day(day: date | None, task: KeyTask, name: str) -> date:
    today = bureau_today()
    if day is None:
        raise ReportRefused(_l("Enter the day."), field=name)
    if day > today:
        raise ReportRefused(_l("Enter today or a day before."), field=name)
    if day.year != task.year:
        raise ReportRefused(
            _l("Enter a day in %(year)d, the task's year.", year=task.year), field=name
        )
    return day


@service
def report_value(
    indicator: TaskIndicator,
    by: Any,
    value: Decimal | None,
    as_of: date | None,
    note: str,
    files: Sequence[CheckedFile],
) -> IndicatorReport:
    task = lock_row(KeyTask, indicator.task_id)
    _refuse_reporter(task, by)
    if indicator.kind != MANUAL:
        raise ReportRefused(
            _l("This indicator is computed from the portal's data: it cannot be reported by hand.")
        )
    if value is None or not value.is_finite() or not 0 <= value <= VALUE_MAX:
        raise ReportRefused(_l("Enter a number of 0 or more, for example 20."), field="value")
    as_of = _day(as_of, task, "as_of")
    note = _note(note)
    if not files:
        raise ReportRefused(_l("Attach the evidence (at least one file)."), field="files")
    if len(files) > FILES_MAX:
        raise ReportRefused(_l("Attach at most %(count)d files.", count=FILES_MAX), field="files")
    report = IndicatorReport(
        indicator_id=indicator.id,
        value=value,
        reported_on=as_of,
        note=note,
        reported_by_id=by.id,
        reported_at=utcnow(),
    )
    db.session.add(report)
    db.session.flush()
    for item in files:
        if item.detected.size != len(item.data) or item.detected.kind not in FILE_KINDS:
            raise ReportRefused(_l("Attach the files again."), field="files")
        db.session.add(
            TaskFile(
                report_id=report.id,
                original_name=safe_download_name(item.filename or "evidence"),
                storage_key=save_in_transaction(item.data),
                mime_type=item.detected.mime_type,
                size=item.detected.size,
                sha256=item.detected.sha256,
                uploaded_by_id=by.id,
            )
        )
    audit.record(
        Action.TASK_INDICATOR_REPORTED,
        report,
        actor=by,
        task_id=task.id,
        indicator_id=indicator.id,
        value=f"{value.normalize():f}",
        as_of=as_of.isoformat(),
        files=len(files),
    )
    db.session.flush()
    return report


@service
def mark_milestone_done(
    milestone: Milestone, by: Any, done_on: date | None, note: str
) -> Milestone:
    task = lock_row(KeyTask, milestone.task_id)
    _refuse_reporter(task, by)
    milestone = lock_row(Milestone, milestone.id)
    if milestone.done_on is not None:
        raise ReportRefused(
            _l("This milestone was marked done on %(day)s.", day=milestone.done_on.isoformat())
        )
    today = bureau_today()
    if done_on is None:
        raise ReportRefused(_l("Enter the day."), field="done_on")
    if done_on > today:
        raise ReportRefused(_l("Enter today or a day before."), field="done_on")
    milestone.done_on = done_on
    milestone.done_by_id = by.id
    milestone.done_note = _note(note)
    audit.record(
        Action.TASK_MILESTONE_DONE,
        milestone,
        actor=by,
        task_id=task.id,
        done_on=done_on.isoformat(),
        due_on=milestone.due_on.isoformat(),
    )
    db.session.flush()
    return milestone
