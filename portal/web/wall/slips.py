"""Supervision slips (督办单): the list, a slip, and each step of its loop.

The list and a slip are open to everyone who reads the wall; a slip's page shows the one form
its reader may use now (sign for it, answer it with evidence, or review the answer). A step
taken twice (a second click) or from a page drawn before someone else's step is refused with a
message on the slip's page, nothing written."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from wtforms.fields.choices import SelectChoice

from portal.core.access import SUPERVISOR, WALL_READERS, allow
from portal.core.concurrency import ConcurrentChange
from portal.core.domain import DomainError
from portal.core.extensions import db
from portal.core.files import send_stored_file
from portal.core.forms import INVALID_FORM_STATUS, attach_domain_error
from portal.core.i18n import select_locale
from portal.core.inputs import parse_int, query_int
from portal.core.pagination import page_arg
from portal.core.timeutil import bureau_today
from portal.core.uploads import UploadRejected
from portal.tasks import slip_queries, slips
from portal.tasks.models import KeyTask, SlipColour, SupervisionSlip
from portal.web.wall.slip_forms import (
    CLOSE,
    AnswerForm,
    IssueForm,
    ReviewForm,
    SignForm,
    checked_files,
    version_of,
)

bp = Blueprint("slips", __name__)

CONFLICT_STATUS = 409
# The colour in a word, beside the colour itself (never colour alone).
COLOUR_WORDS = {
    SlipColour.BLUE: _l("Blue"),
    SlipColour.YELLOW: _l("Yellow"),
    SlipColour.RED: _l("Red"),
}
TAB_LABELS = {"open": _l("Open slips"), "closed": _l("Closed slips"), "all": _l("All")}
ORDER_LABELS = {"newest": _l("Newest first"), "deadline": _l("By deadline")}


def _actor() -> Any:
    return current_user._get_current_object()


def _slip_or_404(slip_id: int) -> SupervisionSlip:
    slip = db.session.get(SupervisionSlip, slip_id)
    if slip is None:
        abort(404)
    return slip


def _status_of(error: DomainError) -> int:
    if isinstance(error, ConcurrentChange) or error.field is None:
        return CONFLICT_STATUS
    return INVALID_FORM_STATUS


@bp.app_template_global("slip_colour_word")
def slip_colour_word(colour: SlipColour) -> str:
    return str(COLOUR_WORDS[colour])


# --- the list ---------------------------------------------------------------------------------


def _filters(user: Any) -> slip_queries.SlipFilters:
    """The list's filters from the address; anything malformed falls back to the default."""
    args = request.args
    state = args.get("state", "open")
    colour = next((c for c in SlipColour if c.value == args.get("colour")), None)
    mine_arg = args.get("mine")
    mine = mine_arg == "1" if mine_arg in ("0", "1") else user.role.value != SUPERVISOR
    order = args.get("order", "newest")
    return slip_queries.SlipFilters(
        state=state if state in slip_queries.STATE_TABS else "open",
        colour=colour,
        department_id=query_int("department"),
        mine=mine,
        order=order if order in slip_queries.ORDERS else "newest",
    )


@bp.route("/")
@allow(*WALL_READERS)
def index():
    user = _actor()
    filters = _filters(user)
    locale = select_locale()
    listing = slip_queries.list_slips(filters, user, locale, bureau_today(), page=page_arg())
    query = {
        "colour": filters.colour.value if filters.colour else None,
        "department": filters.department_id,
        "mine": "1" if filters.mine else "0",
        "order": filters.order,
    }
    return render_template(
        "wall/slip_index.html",
        listing=listing,
        filters=filters,
        query=query,
        colours=list(SlipColour),
        colour_words=COLOUR_WORDS,
        departments=[(d.id, d.display_name(locale)) for d in slip_queries.departments()],
        tabs=[(key, TAB_LABELS[key]) for key in slip_queries.STATE_TABS],
        orders=ORDER_LABELS,
        is_supervisor=user.role.value == SUPERVISOR,
    )


# --- issuing ----------------------------------------------------------------------------------


def _task_choices(locale: str) -> list[SelectChoice]:
    tasks = slip_queries.tasks_to_choose()
    return [SelectChoice("", _("Choose a task"))] + [
        SelectChoice(str(t.id), f"{t.year} · {t.number}. {t.display_title(locale)}") for t in tasks
    ]


@bp.route("/new", methods=["GET", "POST"])
@allow(SUPERVISOR)
def issue():
    locale = select_locale()
    form = IssueForm()
    form.task_id.choices = _task_choices(locale)
    if request.method == "GET":
        wanted = request.args.get("task_id", "")
        if any(choice.value == wanted for choice in form.task_id.choices):
            form.task_id.data = wanted
    if form.validate_on_submit():
        task_id = parse_int(form.task_id.data)
        task = db.session.get(KeyTask, task_id) if task_id else None
        if task is None:
            form.task_id.errors = [*form.task_id.errors, _("Choose the task the slip is about.")]
        else:
            try:
                slip = slips.issue_by_supervisor(
                    task,
                    _actor(),
                    SlipColour(form.colour.data),
                    form.reason.data,
                    form.requirements.data,
                    form.deadline.data,
                )
            except DomainError as error:
                attach_domain_error(form, error)
            else:
                flash(
                    _(
                        "Slip %(code)s issued. The task's people are told and sign for it next.",
                        code=slip.code,
                    ),
                    "success",
                )
                return redirect(url_for("slips.show", slip_id=slip.id))
    status = INVALID_FORM_STATUS if form.is_submitted() else 200
    return render_template("wall/slip_issue.html", form=form), status


# --- one slip ---------------------------------------------------------------------------------


def _render_show(slip: SupervisionSlip, *, status: int = 200, errors=(), **forms: Any):
    locale = select_locale()
    details = slip_queries.slip_details(slip, locale, bureau_today())
    user = _actor()
    move = slips.next_move(slip, details.task, user)
    version = str(slip.lock_version)
    sign_form = forms.get("sign_form") or SignForm(formdata=None)
    answer_form = forms.get("answer_form") or AnswerForm(formdata=None)
    review_form = forms.get("review_form") or ReviewForm(formdata=None)
    for form in (sign_form, answer_form, review_form):
        form.lock_version.data = version
    return render_template(
        "wall/slip_show.html",
        d=details,
        slip=slip,
        task_title=details.task.display_title(locale),
        move=move,
        errors=list(errors),
        sign_form=sign_form,
        answer_form=answer_form,
        review_form=review_form,
        answer_failed=bool(forms.get("answer_form")),
    ), status


@bp.route("/<int:slip_id>")
@allow(*WALL_READERS)
def show(slip_id: int):
    return _render_show(_slip_or_404(slip_id))


def _refused(slip_id: int, form_name: str, form: Any, error: DomainError):
    """The slip's page again, with the refusal beside its field (or at the top)."""
    if error.field is None:
        return _render_show(
            _slip_or_404(slip_id), errors=[str(error.message)], status=_status_of(error)
        )
    attach_domain_error(form, error)
    return _render_show(_slip_or_404(slip_id), status=_status_of(error), **{form_name: form})


@bp.route("/<int:slip_id>/sign", methods=["POST"])
@allow(*WALL_READERS)
def sign(slip_id: int):
    slip = _slip_or_404(slip_id)
    if not slips.answers_for(db.session.get(KeyTask, slip.task_id), _actor()):
        abort(403)
    form = SignForm()
    try:
        slips.sign(slip, _actor(), seen_version=version_of(form))
    except DomainError as error:
        return _refused(slip_id, "sign_form", form, error)
    flash(_("Signed for. Answer with the progress and evidence by the deadline."), "success")
    return redirect(url_for("slips.show", slip_id=slip_id))


@bp.route("/<int:slip_id>/answer", methods=["POST"])
@allow(*WALL_READERS)
def answer(slip_id: int):
    slip = _slip_or_404(slip_id)
    if not slips.answers_for(db.session.get(KeyTask, slip.task_id), _actor()):
        abort(403)
    form = AnswerForm()
    if not form.validate_on_submit():
        return _render_show(slip, answer_form=form, status=INVALID_FORM_STATUS)
    try:
        files = checked_files(form.files)
        slips.answer(
            _slip_or_404(slip_id),
            _actor(),
            form.progress.data,
            files,
            seen_version=version_of(form),
        )
    except UploadRejected as rejected:
        form.files.errors = [*form.files.errors, str(rejected.message)]
        return _render_show(_slip_or_404(slip_id), answer_form=form, status=INVALID_FORM_STATUS)
    except DomainError as error:
        return _refused(slip_id, "answer_form", form, error)
    flash(_("Answer sent. The supervisor reviews it next."), "success")
    return redirect(url_for("slips.show", slip_id=slip_id))


@bp.route("/<int:slip_id>/review", methods=["POST"])
@allow(SUPERVISOR)
def review(slip_id: int):
    slip = _slip_or_404(slip_id)
    form = ReviewForm()
    if not form.validate_on_submit():
        return _render_show(slip, review_form=form, status=INVALID_FORM_STATUS)
    close = form.decision.data == CLOSE
    try:
        slips.review(slip, _actor(), close, form.note.data, seen_version=version_of(form))
    except DomainError as error:
        return _refused(slip_id, "review_form", form, error)
    if close:
        flash(_("Slip closed (办结). The task's people are told."), "success")
    else:
        flash(_("Slip sent back. The department answers again."), "success")
    return redirect(url_for("slips.show", slip_id=slip_id))


@bp.route("/files/<int:file_id>")
@allow(*WALL_READERS)
def file(file_id: int):
    item = slip_queries.file_of_slips(file_id)
    if item is None:
        abort(404)
    return send_stored_file(
        item.storage_key, mimetype=item.mime_type, download_name=item.original_name
    )
