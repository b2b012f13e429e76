"""The wall map's settings: departments and the goal tiles (supervisors and admins)."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import IntegerField, SelectField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import InputRequired, Length, NumberRange, Optional

from portal.accounts.models import Department
from portal.core.access import ADMIN, SUPERVISOR, allow
from portal.core.domain import DomainError
from portal.core.extensions import db
from portal.core.forms import INVALID_FORM_STATUS, attach_domain_error
from portal.core.i18n import select_locale
from portal.core.timeutil import bureau_today
from portal.programs.rule_checks import RECOGNITION_CHOICES
from portal.tasks import settings
from portal.tasks.models import GoalTile

bp = Blueprint("task_settings", __name__)

KEEPERS = (SUPERVISOR, ADMIN)
ORDER = NumberRange(min=0, max=9999, message=_l("Enter an order from 0 to 9999."))
YEAR = NumberRange(min=2000, max=2100, message=_l("Enter a year from 2000 to 2100."))


class DepartmentForm(FlaskForm):
    name = StringField(
        _l("Name"),
        validators=[InputRequired(_l("Enter the department's name.")), Length(max=100)],
    )
    name_en = StringField(_l("Name in English"), validators=[Optional(), Length(max=100)])
    position = IntegerField(
        _l("Order on the wall"),
        default=0,
        validators=[InputRequired(_l("Enter an order from 0 to 9999.")), ORDER],
        description=_l("Departments are listed from the lowest number."),
    )


def _kind_choices() -> list[SelectChoice]:
    return [SelectChoice(k.key, k.label) for k in settings.tile_kinds()]


def _recognition_choices() -> list[SelectChoice]:
    return [SelectChoice("", _l("None (the kind needs no recognition)"))] + [
        SelectChoice(key, label) for key, label in RECOGNITION_CHOICES
    ]


class GoalTileForm(FlaskForm):
    title = StringField(
        _l("Title"), validators=[InputRequired(_l("Enter the tile's title.")), Length(max=200)]
    )
    title_en = StringField(_l("Title in English"), validators=[Optional(), Length(max=200)])
    kind = SelectField(
        _l("Computed as"),
        choices=_kind_choices,
        validate_choice=True,
        description=_l("The value is computed from the portal's data, as a task's indicator is."),
    )
    programs = StringField(
        _l("Programme codes"),
        validators=[Optional(), Length(max=500)],
        description=_l("For kinds read from programmes: codes separated by commas."),
    )
    recognition = SelectField(
        _l("Recognition"),
        choices=_recognition_choices,
        validate_choice=True,
        description=_l("For the kind 'Firms holding a recognition this year'."),
    )
    unit = StringField(
        _l("Unit"),
        validators=[Optional(), Length(max=20)],
        description=_l("e.g. 家 or 万元; empty: the kind's own unit."),
    )
    target = StringField(
        _l("Target"), validators=[InputRequired(_l("Enter a target of 0 or more."))]
    )
    year = IntegerField(
        _l("Year"), validators=[InputRequired(_l("Enter a year from 2000 to 2100.")), YEAR]
    )
    position = IntegerField(
        _l("Order on the wall"),
        default=0,
        validators=[InputRequired(_l("Enter an order from 0 to 9999.")), ORDER],
    )


def _actor() -> Any:
    return current_user._get_current_object()


# --- the overview ------------------------------------------------------------------------------


@bp.route("/")
@allow(*KEEPERS)
def index():
    return render_template(
        "wall/settings_index.html",
        departments=settings.department_rows(),
        tiles=settings.goal_tiles(),
        kinds={k.key: k.label for k in settings.tile_kinds()},
        recognitions=dict(RECOGNITION_CHOICES),
        locale=select_locale(),
    )


# --- departments -------------------------------------------------------------------------------


def _department_or_404(department_id: int) -> Department:
    department = db.session.get(Department, department_id)
    if department is None:
        abort(404)
    return department


@bp.route("/departments/new", methods=["GET", "POST"])
@allow(*KEEPERS)
def new_department():
    return _department_page(None)


@bp.route("/departments/<int:department_id>", methods=["GET", "POST"])
@allow(*KEEPERS)
def edit_department(department_id: int):
    return _department_page(_department_or_404(department_id))


def _department_page(department: Department | None):
    form = DepartmentForm(obj=department)
    if form.validate_on_submit():
        try:
            saved = settings.save_department(
                department,
                name=form.name.data or "",
                name_en=form.name_en.data or "",
                position=form.position.data or 0,
                actor=_actor(),
            )
        except DomainError as error:
            attach_domain_error(form, error)
        else:
            flash(_("Department %(name)s saved.", name=saved.name), "success")
            return redirect(url_for("task_settings.index"))
    status = INVALID_FORM_STATUS if form.errors or form.form_errors else 200
    return render_template(
        "wall/settings_department.html", form=form, department=department
    ), status


# --- goal tiles --------------------------------------------------------------------------------


def _tile_or_404(tile_id: int) -> GoalTile:
    tile = db.session.get(GoalTile, tile_id)
    if tile is None:
        abort(404)
    return tile


@bp.route("/goal-tiles/new", methods=["GET", "POST"])
@allow(*KEEPERS)
def new_goal_tile():
    return _tile_page(None)


@bp.route("/goal-tiles/<int:tile_id>", methods=["GET", "POST"])
@allow(*KEEPERS)
def edit_goal_tile(tile_id: int):
    return _tile_page(_tile_or_404(tile_id))


def _tile_form(tile: GoalTile | None) -> GoalTileForm:
    if tile is None:
        form = GoalTileForm(year=bureau_today().year)
    else:
        params = tile.params or {}
        programs = params.get("programs") or []
        form = GoalTileForm(
            data={
                "title": tile.title,
                "title_en": tile.title_en,
                "kind": tile.kind,
                "programs": ", ".join(programs) if isinstance(programs, list) else str(programs),
                "recognition": str(params.get("recognition", "")),
                "unit": tile.unit,
                "target": _plain(tile.target),
                "year": tile.year,
                "position": tile.position,
            }
        )
    return form


def _plain(value: Decimal) -> str:
    normal = value.normalize()
    return f"{normal:f}" if normal == normal.to_integral() else f"{value:f}"


def _target(text: str) -> Decimal:
    cleaned = text.strip().replace(",", "").replace("，", "")
    try:
        value = Decimal(cleaned)
    except InvalidOperation:
        raise DomainError(_l("Enter a target of 0 or more."), field="target") from None
    if not value.is_finite() or value < 0 or value > settings.MAX_TARGET:
        raise DomainError(_l("Enter a target of 0 or more."), field="target")
    return value


def _tile_page(tile: GoalTile | None):
    form = _tile_form(tile)
    if form.validate_on_submit():
        try:
            params = settings.tile_params(
                form.kind.data or "", form.programs.data or "", form.recognition.data or ""
            )
            saved = settings.save_goal_tile(
                tile,
                title=form.title.data or "",
                title_en=form.title_en.data or "",
                kind=form.kind.data or "",
                params=params,
                unit=form.unit.data or "",
                target=_target(form.target.data or ""),
                year=form.year.data or 0,
                position=form.position.data or 0,
                actor=_actor(),
            )
        except DomainError as error:
            attach_domain_error(form, error)
        else:
            flash(_("Goal tile %(title)s saved.", title=saved.title), "success")
            return redirect(url_for("task_settings.index"))
    status = INVALID_FORM_STATUS if form.errors or form.form_errors else 200
    return render_template("wall/settings_goal_tile.html", form=form, tile=tile), status
