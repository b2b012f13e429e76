"""Supervision slips (督办单): the closed loop after issuing.

::

    issued ─sign (签收)─▶ signed ─answer (反馈, progress + evidence)─▶ answered
    answered ─review: close (办结/销号)─▶ closed
             └review: send back (退回, with a note)─▶ returned ─answer again─▶ answered

A supervisor issues a slip by hand (``issue_by_supervisor``); the status rules raise theirs
through ``slip_issue.issue_slip`` directly. The responsible person of the slip's task, or a
member of its lead department, signs and answers; a supervisor reviews. Every step is a
``SlipStep`` row and an audit entry, checks the slip's state and the version the page showed
(a second click or a stale page is refused with a message, nothing written), and tells the
people concerned (in-app and mail): an answer goes to the issuer (every supervisor for a slip
the rules raised), a send-back and a closing go to the people named on the task.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from portal.accounts.models import Role, User
from portal.core import audit
from portal.core.audit import Action
from portal.core.concurrency import check_not_stale, lock_row, service
from portal.core.domain import DomainError
from portal.core.extensions import db
from portal.core.files import safe_download_name, save_in_transaction
from portal.core.timeutil import bureau_today, utcnow
from portal.core.uploads import CheckedFile
from portal.core.urls import path_for
from portal.notifications.services import notify
from portal.tasks import slip_issue
from portal.tasks.models import (
    KeyTask,
    SlipColour,
    SlipState,
    SlipStep,
    SlipStepKind,
    SupervisionSlip,
    TaskFile,
)

S = SlipState
# move -> (the states it starts from, the state it ends in)
TRANSITIONS: dict[str, tuple[frozenset[SlipState], SlipState]] = {
    "sign": (frozenset({S.ISSUED}), S.SIGNED),
    "answer": (frozenset({S.SIGNED, S.RETURNED}), S.ANSWERED),
    "close": (frozenset({S.ANSWERED}), S.CLOSED),
    "send_back": (frozenset({S.ANSWERED}), S.RETURNED),
}

FILE_KINDS = ("pdf", "image")
FILE_MAX_BYTES = 10 * 1024 * 1024
FILES_MAX = 5
TEXT_MAX = 4000


class SlipRefused(DomainError):
    pass


# --- who may do what --------------------------------------------------------------------------


def is_supervisor(user: Any) -> bool:
    return getattr(user, "role", None) is Role.SUPERVISOR


def answers_for(task: KeyTask, user: Any) -> bool:
    """The responsible person of the task, or a department member of its lead department."""
    if user is None or getattr(user, "id", None) is None:
        return False
    if user.id == task.owner_id:
        return True
    return user.role is Role.DEPARTMENT and user.department_id == task.department_id


def next_move(slip: SupervisionSlip, task: KeyTask, user: Any) -> str | None:
    """The one step ``user`` may take on the slip now: "sign", "answer", "review" or None."""
    if slip.state is S.ISSUED and answers_for(task, user):
        return "sign"
    if slip.state in (S.SIGNED, S.RETURNED) and answers_for(task, user):
        return "answer"
    if slip.state is S.ANSWERED and is_supervisor(user):
        return "review"
    return None


# --- helpers --------------------------------------------------------------------------------


def _move(slip: SupervisionSlip, move: str) -> SlipState:
    sources, target = TRANSITIONS[move]
    if slip.state not in sources:
        if slip.state is target:
            message = _l(
                "This step was already taken: the slip is now “%(state)s”.", state=slip.state.label
            )
        else:
            message = _l(
                "This step is not possible now: the slip is “%(state)s”.", state=slip.state.label
            )
        raise SlipRefused(message)
    slip.state = target
    return target


def _text(value: str | None, field: str, empty: Any, *, required: bool = True) -> str:
    text = (value or "").strip()
    if required and not text:
        raise SlipRefused(empty, field=field)
    if len(text) > TEXT_MAX:
        raise SlipRefused(_l("Keep it under %(count)d characters.", count=TEXT_MAX), field=field)
    return text


def _task_of(slip: SupervisionSlip) -> KeyTask:
    task = db.session.get(KeyTask, slip.task_id)
    assert task is not None  # the foreign key holds it
    return task


def _check_version(slip: SupervisionSlip, seen_version: int | None) -> None:
    check_not_stale(
        slip,
        seen_version,
        message=_l(
            "This slip changed after you opened the page (someone took a step meanwhile), so "
            "nothing was saved. Read it again below."
        ),
    )


def _step(slip: SupervisionSlip, kind: SlipStepKind, by: Any, text: str = "") -> SlipStep:
    step = SlipStep(slip_id=slip.id, kind=kind, at=utcnow(), by_id=by.id, text=text)
    db.session.add(step)
    db.session.flush()
    return step


def _link(slip: SupervisionSlip) -> str:
    return path_for("slips.show", slip_id=slip.id)


def _supervisors() -> list[int]:
    with db.session.no_autoflush:
        return list(
            db.session.scalars(
                select(User.id)
                .where(User.role == Role.SUPERVISOR, User.disabled_at.is_(None))
                .order_by(User.id)
            )
        )


def _params(slip: SupervisionSlip, task: KeyTask, **extra: Any) -> dict[str, Any]:
    return {**slip_issue.slip_params(slip, task), **extra}


def _store_files(step: SlipStep, files: Sequence[CheckedFile], by: Any) -> None:
    if not files:
        raise SlipRefused(_l("Attach the evidence (at least one file)."), field="files")
    if len(files) > FILES_MAX:
        raise SlipRefused(_l("Attach at most %(count)d files.", count=FILES_MAX), field="files")
    for item in files:
        if item.detected.size != len(item.data) or item.detected.kind not in FILE_KINDS:
            raise SlipRefused(_l("Attach the files again."), field="files")
        db.session.add(
            TaskFile(
                slip_step_id=step.id,
                original_name=safe_download_name(item.filename or "evidence"),
                storage_key=save_in_transaction(item.data),
                mime_type=item.detected.mime_type,
                size=item.detected.size,
                sha256=item.detected.sha256,
                uploaded_at=utcnow(),
                uploaded_by_id=by.id,
            )
        )


# --- commands -------------------------------------------------------------------------------


@service
def issue_by_supervisor(
    task: KeyTask,
    by: Any,
    colour: SlipColour,
    reason: str,
    requirements: str,
    deadline: date | None,
) -> SupervisionSlip:
    """A supervisor issues a slip on a task: with a reason, requirements and a deadline after
    today. The people named on the task are told (``slip_issue.issue_slip``)."""
    if not is_supervisor(by):
        raise SlipRefused(_l("Only a supervisor can issue a supervision slip."))
    if not isinstance(colour, SlipColour):
        raise SlipRefused(_l("Choose the slip's colour."), field="colour")
    reason = _text(reason, "reason", _l("Give the reason for the slip: the task's people read it."))
    requirements = _text(requirements, "requirements", None, required=False)
    if deadline is None:
        raise SlipRefused(_l("Enter the deadline."), field="deadline")
    if deadline <= bureau_today():
        raise SlipRefused(_l("The deadline must be after today."), field="deadline")
    slip = slip_issue.issue_slip(task, colour, reason, deadline, requirements=requirements, by=by)
    assert slip is not None  # a supervisor's slip has no cause, so it is never a duplicate
    return slip


@service
def sign(slip: SupervisionSlip, by: Any, *, seen_version: int | None = None) -> SupervisionSlip:
    """签收: the responsible person or a member of the lead department signs for the slip."""
    slip = lock_row(SupervisionSlip, slip.id)
    task = _task_of(slip)
    if not answers_for(task, by):
        raise SlipRefused(
            _l("Only the task's responsible person or its lead department can sign for it.")
        )
    _move(slip, "sign")
    _check_version(slip, seen_version)
    slip.signed_at = utcnow()
    slip.signed_by_id = by.id
    _step(slip, SlipStepKind.SIGNED, by)
    audit.record(Action.SLIP_SIGNED, slip, actor=by, code=slip.code, task_id=task.id)
    db.session.flush()
    return slip


@service
def answer(
    slip: SupervisionSlip,
    by: Any,
    progress_text: str,
    files: Sequence[CheckedFile],
    *,
    seen_version: int | None = None,
) -> SupervisionSlip:
    """反馈: the progress made and at least one evidence file; the issuer (every supervisor for
    a slip the rules raised) is told to review it."""
    slip = lock_row(SupervisionSlip, slip.id)
    task = _task_of(slip)
    if not answers_for(task, by):
        raise SlipRefused(
            _l("Only the task's responsible person or its lead department can answer it.")
        )
    _move(slip, "answer")
    _check_version(slip, seen_version)
    progress_text = _text(
        progress_text, "progress", _l("Describe the progress made: the supervisor reviews it.")
    )
    if not files:
        raise SlipRefused(_l("Attach the evidence (at least one file)."), field="files")
    slip.answered_at = utcnow()
    step = _step(slip, SlipStepKind.ANSWERED, by, progress_text)
    _store_files(step, files, by)
    audit.record(
        Action.SLIP_ANSWERED, slip, actor=by, code=slip.code, task_id=task.id, files=len(files)
    )
    issuer = [slip.issued_by_id] if slip.issued_by_id is not None else _supervisors()
    notify(issuer, "slip_answered", _params(slip, task, by=by.display_name), _link(slip))
    db.session.flush()
    return slip


@service
def review(
    slip: SupervisionSlip,
    by: Any,
    close: bool,
    note: str,
    *,
    seen_version: int | None = None,
) -> SupervisionSlip:
    """复核: a supervisor closes the slip (办结/销号) or sends it back (退回, with a note saying
    what is missing); the people named on the task are told either way."""
    slip = lock_row(SupervisionSlip, slip.id)
    task = _task_of(slip)
    if not is_supervisor(by):
        raise SlipRefused(_l("Only a supervisor can review a slip's answer."))
    _move(slip, "close" if close else "send_back")
    _check_version(slip, seen_version)
    note = _text(
        note, "note", _l("Say what is missing: the department answers again."), required=not close
    )
    if close:
        slip.closed_at = utcnow()
        slip.closed_by_id = by.id
        _step(slip, SlipStepKind.CLOSED, by, note)
        audit.record(Action.SLIP_CLOSED, slip, actor=by, code=slip.code, task_id=task.id)
        kind = "slip_closed"
    else:
        _step(slip, SlipStepKind.RETURNED, by, note)
        audit.record(
            Action.SLIP_RETURNED, slip, actor=by, code=slip.code, task_id=task.id, note=note
        )
        kind = "slip_returned"
    notify(slip_issue.people_named_on(task), kind, _params(slip, task, note=note), _link(slip))
    db.session.flush()
    return slip
