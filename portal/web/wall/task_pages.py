"""A key task: its page, creating and editing it, reporting values and milestones.

The editor works without JavaScript: the buttons named ``action`` add an empty indicator or
milestone row (``add_indicator``, ``add_milestone``) and draw the page again with everything
typed, saving nothing; only ``save`` writes.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from wtforms import MultipleFileField

from portal.core.access import ADMIN, SUPERVISOR, WALL_READERS, allow
from portal.core.concurrency import ConcurrentChange
from portal.core.domain import DomainError
from portal.core.extensions import db
from portal.core.files import send_stored_file
from portal.core.forms import INVALID_FORM_STATUS
from portal.core.i18n import select_locale
from portal.core.timeutil import bureau_today
from portal.core.uploads import UploadRejected
from portal.tasks import task_editing, task_queries, task_reporting
from portal.tasks.indicator_kinds import KINDS, MANUAL
from portal.tasks.models import KeyTask, Milestone
from portal.tasks.progress import reason_text
from portal.web.shared import evidence_files
from portal.web.wall.task_forms import (
    MilestoneDoneForm,
    ReportForm,
    TaskForm,
    parse_id,
    parse_number,
    today_default,
)

bp = Blueprint("key_tasks", __name__)

EDITORS = (SUPERVISOR, ADMIN)
CONFLICT_STATUS = 409
ROWS_MAX = 40


def _actor() -> Any:
    return current_user._get_current_object()


def _task_or_404(task_id: int) -> KeyTask:
    task = db.session.get(KeyTask, task_id)
    if task is None:
        abort(404)
    return task


# --- the task's page ------------------------------------------------------------------------


def _render_show(task: KeyTask, status: int = 200):
    locale = select_locale()
    today = bureau_today()
    page = task_queries.task_page(task, today, locale)
    user = _actor()
    return render_template(
        "wall/task_show.html",
        p=page,
        task=task,
        locale=locale,
        today=today,
        reasons=[reason_text(r) for r in page.progress.verdict.reasons],
        may_report=task_reporting.may_report(task, user),
        may_edit=task_editing.may_edit(user),
        manual=MANUAL,
        num=task_queries.plain_number,
        kind_label=_kind_label,
    ), status


def _kind_label(key: str) -> str:
    kind = KINDS.get(key)
    return str(kind.label) if kind is not None else key


@bp.route("/<int:task_id>")
@allow(*WALL_READERS)
def show(task_id: int):
    return _render_show(_task_or_404(task_id))


# --- creating and editing -------------------------------------------------------------------


def _editor(task: KeyTask | None):
    locale = select_locale()
    form = TaskForm() if request.method == "POST" else TaskForm(formdata=None)
    keep = (task.leader_id, task.owner_id) if task is not None else ()
    form.set_choices(task_queries.editor_choices(locale, keep))
    if request.method == "GET":
        if task is not None:
            form.fill(task, task_queries.indicator_rows(task), task_queries.milestone_rows(task))
        else:
            form.year.data = str(bureau_today().year)
            form.indicators.append_entry()
            form.milestones.append_entry()
        return _render_form(task, form)

    action = request.form.get("action", "save")
    if action in ("add_indicator", "add_milestone"):
        rows = form.indicators if action == "add_indicator" else form.milestones
        if len(rows.entries) < ROWS_MAX:
            rows.append_entry()
        return _render_form(task, form)

    valid = form.validate()
    if len(form.indicators.entries) > ROWS_MAX or len(form.milestones.entries) > ROWS_MAX:
        form.form_errors.append(_("At most %(count)d rows of each kind.", count=ROWS_MAX))
        valid = False
    if valid:
        actor = _actor()
        try:
            if task is None:
                task = task_editing.create_task(
                    actor, form.task_fields(), form.indicator_rows(), form.milestone_rows()
                )
                flash(_("Key task created."), "success")
            else:
                task = task_editing.edit_task(
                    task,
                    actor,
                    parse_id(form.lock_version.data),
                    form.task_fields(),
                    form.indicator_rows(),
                    form.milestone_rows(),
                )
                flash(_("Key task saved."), "success")
        except ConcurrentChange as error:
            form.form_errors.append(str(error.message))
            if error.current_version is not None:
                form.lock_version.data = str(error.current_version)
            return _render_form(_reload(task), form, CONFLICT_STATUS)
        except DomainError as error:
            form.attach(error.field, str(error.message))
        else:
            return redirect(url_for("key_tasks.show", task_id=task.id))
    return _render_form(_reload(task), form, INVALID_FORM_STATUS)


def _reload(task: KeyTask | None) -> KeyTask | None:
    return db.session.get(KeyTask, task.id) if task is not None else None


def _render_form(task: KeyTask | None, form: TaskForm, status: int = 200):
    return render_template(
        "wall/task_form.html",
        task=task,
        form=form,
        locale=select_locale(),
        rows_max=ROWS_MAX,
    ), status


@bp.route("/new", methods=["GET", "POST"])
@allow(*EDITORS)
def new():
    return _editor(None)


@bp.route("/<int:task_id>/edit", methods=["GET", "POST"])
@allow(*EDITORS)
def edit(task_id: int):
    return _editor(_task_or_404(task_id))


# --- reporting ------------------------------------------------------------------------------


def _checked_files(field: MultipleFileField) -> list[task_reporting.CheckedFile]:
    """The reported value's evidence files, checked (``ReportRefused`` when too many)."""
    return evidence_files.checked_files(
        field,
        kinds=task_reporting.FILE_KINDS,
        max_bytes=task_reporting.FILE_MAX_BYTES,
        max_files=task_reporting.FILES_MAX,
        too_many=task_reporting.ReportRefused,
    )


def _indicator_or_404(task: KeyTask, indicator_id: int):
    indicator = task_queries.indicator_of(task.id, indicator_id)
    if indicator is None:
        abort(404)
    return indicator


def _refuse_stranger(task: KeyTask) -> None:
    if not task_reporting.may_report(task, _actor()):
        abort(403)


@bp.route("/<int:task_id>/indicators/<int:indicator_id>/report", methods=["GET", "POST"])
@allow(*WALL_READERS)
def report_value(task_id: int, indicator_id: int):
    task = _task_or_404(task_id)
    indicator = _indicator_or_404(task, indicator_id)
    _refuse_stranger(task)
    if indicator.kind != MANUAL:
        abort(404)
    form = ReportForm() if request.method == "POST" else ReportForm(formdata=None)
    if request.method == "GET":
        today_default(form, bureau_today())
        return _render_report(task, indicator, form)
    if form.validate_on_submit():
        try:
            files = _checked_files(form.files)
            task_reporting.report_value(
                indicator,
                _actor(),
                parse_number(form.value.data),
                form.as_of.data,
                form.note.data or "",
                files,
            )
        except UploadRejected as rejected:
            form.files.errors = [*form.files.errors, str(rejected.message)]
        except DomainError as error:
            _attach(form, error)
        else:
            flash(_("Value reported."), "success")
            return redirect(url_for("key_tasks.show", task_id=task_id, _anchor="indicators"))
    task = _task_or_404(task_id)
    return _render_report(task, _indicator_or_404(task, indicator_id), form, INVALID_FORM_STATUS)


def _attach(form: Any, error: DomainError) -> None:
    field = getattr(form, error.field, None) if error.field else None
    if field is not None and hasattr(field, "errors"):
        field.errors = [*field.errors, str(error.message)]
    else:
        form.form_errors.append(str(error.message))


def _render_report(task: KeyTask, indicator: Any, form: ReportForm, status: int = 200):
    locale = select_locale()
    return render_template(
        "wall/task_report.html",
        task=task,
        indicator=indicator,
        form=form,
        locale=locale,
        num=task_queries.plain_number,
    ), status


@bp.route("/<int:task_id>/milestones/<int:milestone_id>/done", methods=["GET", "POST"])
@allow(*WALL_READERS)
def milestone_done(task_id: int, milestone_id: int):
    task = _task_or_404(task_id)
    milestone = db.session.get(Milestone, milestone_id)
    if milestone is None or milestone.task_id != task.id:
        abort(404)
    _refuse_stranger(task)
    form = MilestoneDoneForm() if request.method == "POST" else MilestoneDoneForm(formdata=None)
    if request.method == "GET":
        today_default(form, bureau_today())
        return _render_done(task, milestone, form)
    if form.validate_on_submit():
        try:
            task_reporting.mark_milestone_done(
                milestone, _actor(), form.done_on.data, form.note.data or ""
            )
        except DomainError as error:
            _attach(form, error)
        else:
            flash(_("Milestone marked done."), "success")
            return redirect(url_for("key_tasks.show", task_id=task_id, _anchor="milestones"))
    return _render_done(
        _task_or_404(task_id), db.session.get(Milestone, milestone_id), form, INVALID_FORM_STATUS
    )


def _render_done(task: KeyTask, milestone: Milestone, form: MilestoneDoneForm, status: int = 200):
    return render_template(
        "wall/task_milestone_done.html",
        task=task,
        milestone=milestone,
        form=form,
        locale=select_locale(),
    ), status


@bp.route("/<int:task_id>/files/<int:file_id>")
@allow(*WALL_READERS)
def report_file(task_id: int, file_id: int):
    item = task_queries.report_file(task_id, file_id)
    if item is None:
        abort(404)
    return send_stored_file(
        item.storage_key, mimetype=item.mime_type, download_name=item.original_name
    )
