"""Officers' programme editor: one page to create a programme or edit one.

The page works without JavaScript: buttons named ``action`` add and remove rows
(``add_rule``, ``remove_rule:<i>``, ``add_document``, ...) or show the parameters of a newly
chosen kind (``refresh``); they draw the page again with everything typed and save nothing.
Only ``save`` writes, through ``services.create_program`` / ``services.update_program``.
"""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from portal.core.access import ADMIN, OFFICER, allow
from portal.core.domain import DomainError
from portal.core.extensions import db
from portal.core.forms import INVALID_FORM_STATUS, attach_domain_error
from portal.core.i18n import select_locale
from portal.programs import services
from portal.programs.models import Program, ProgramVersion
from portal.web.admin.program_editor_data import ProgramEditor
from portal.web.admin.program_editor_forms import ProgramDetailsForm
from portal.web.admin.program_editor_presenters import editor_view
from portal.web.templating import bureau_time

bp = Blueprint("program_editor", __name__, url_prefix="/staff/programmes")


@bp.route("/new", methods=["GET", "POST"])
@allow(OFFICER, ADMIN)
def create():
    return _editor_page(None)


@bp.route("/<int:program_id>/edit", methods=["GET", "POST"])
@allow(OFFICER, ADMIN)
def edit(program_id: int):
    program = db.session.get(Program, program_id)
    if program is None:
        abort(404)
    return _editor_page(program)


def _editor_page(program: Program | None):
    version = services.current_version(program) if program is not None else None
    if request.method == "GET":
        form = ProgramDetailsForm.for_program(program)
        seen = program.lock_version if program is not None else None
        return _render(program, version, form, ProgramEditor.from_version(version), seen=seen)

    form = ProgramDetailsForm()
    form.editing_id = program.id if program is not None else None
    editor = ProgramEditor.from_form(request.form, version)
    # The programme's lock version when this page was first drawn, carried through every
    # redraw (adding a row, a refused save) until a save succeeds.
    seen = request.form.get("lock_version", type=int)
    action = request.form.get("action", "save")
    if action != "save":
        editor.apply(action)
        return _render(program, version, form, editor, seen=seen)

    details_valid = form.validate()  # before building, so that every problem shows at once
    data = editor.build(version)
    if details_valid and data is not None:
        data.update(form.program_data())
        actor = current_user._get_current_object()
        try:
            if program is None:
                program = services.create_program(data, actor=actor)
                new_version = False
            else:
                new_version = services.update_program(program, data, actor=actor, seen_version=seen)
        except services.EditedMeanwhile as error:
            form.form_errors.append(_edited_meanwhile_message(error))
            seen = error.current_version  # Save again: over the other edit, knowingly
        except DomainError as error:
            _show_refusal(form, error)
        else:
            if new_version:
                flash(
                    _(
                        "Programme saved. Applications already submitted keep the rules they "
                        "were made under; new applications use version %(number)d.",
                        number=program.current_version_number,
                    ),
                    "success",
                )
            else:
                flash(_("Programme saved."), "success")
            return redirect(url_for("program_admin.index"))
    return _render(program, version, form, editor, INVALID_FORM_STATUS, seen=seen)


def _edited_meanwhile_message(error: services.EditedMeanwhile) -> str:
    return _(
        "%(who)s saved this programme at %(time)s, after you opened it. Nothing of yours "
        "has been saved; your changes are still on this page. Open the programme in "
        "another tab to see theirs, then press Save again to save yours over them.",
        who=error.by or _("Another officer"),
        time=bureau_time(error.at),
    )


def _show_refusal(form: ProgramDetailsForm, error: DomainError) -> None:
    """Beside its field, or at the top: one item per problem of a "; "-joined message."""
    if error.field and getattr(form, error.field, None) is not None:
        attach_domain_error(form, error)
        return
    form.form_errors.extend(part for part in str(error.message).split("; ") if part)


def _render(
    program: Program | None,
    version: ProgramVersion | None,
    form: ProgramDetailsForm,
    editor: ProgramEditor,
    status: int = 200,
    *,
    seen: int | None = None,
):
    submitted = version is not None and services.has_submitted_applications(version)
    return render_template(
        "program_editor/editor.html",
        form=form,
        editor=editor_view(editor),
        program_id=program.id if program is not None else None,
        program_name=program.name(select_locale()) if program is not None else "",
        version_number=version.number if version is not None else None,
        has_submitted=submitted,
        lock_version=seen,
    ), status
