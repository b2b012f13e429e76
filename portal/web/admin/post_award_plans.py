"""An admin edits a programme's post-award plan: tranches, reports, acceptance, recovery.

Officers see the plan read-only. The tranches and the reports are small repeating fieldsets
(three rows each, ``tranches-<i>-share``, ``tranches-<i>-condition``, ``reports-<i>-kind``,
``reports-<i>-months``); a row left empty is ignored. A refused plan comes back with every
value as typed and the message beside its field (422), nothing saved.
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import BooleanField, FieldList, Form, FormField, IntegerField, SelectField, StringField
from wtforms.validators import InputRequired

from portal.accounts.models import Role
from portal.core.access import ADMIN, OFFICER, allow
from portal.core.extensions import db
from portal.core.forms import INVALID_FORM_STATUS
from portal.core.i18n import select_locale
from portal.core.inputs import parse_int
from portal.payments import plan_editing
from portal.payments.models import PostAwardPlan, TrancheCondition
from portal.payments.plan import PlanTerms, ReportTerm, TrancheTerm, default_plan, plan_for
from portal.programs.models import Program

bp = Blueprint("post_award_plans", __name__, url_prefix="/staff/post-award-plans")

REPORT_KIND_LABELS = {"progress": _l("Progress report"), "final": _l("Final report")}


class TrancheRow(Form):
    share = StringField(_l("Share (%)"))
    condition = SelectField(
        _l("When it is paid"),
        choices=[("", "—")] + [(c.value, c.label) for c in TrancheCondition],
        default="",
    )


class ReportRow(Form):
    kind = SelectField(_l("Kind"), choices=[("", "—"), *REPORT_KIND_LABELS.items()], default="")
    months = StringField(_l("Months after the agreement"))


class PlanForm(FlaskForm):
    tranches = FieldList(FormField(TrancheRow), min_entries=3, max_entries=3)
    reports = FieldList(FormField(ReportRow), min_entries=3, max_entries=3)
    acceptance_required = BooleanField(_l("The project must pass acceptance (验收)"))
    statement_days = IntegerField(
        _l("Days for the firm to state its case"),
        validators=[InputRequired(_l("Enter a number of days from 1 to 60."))],
    )
    repayment_days = IntegerField(
        _l("Days to repay a recovered amount"),
        validators=[InputRequired(_l("Enter a number of days from 1 to 365."))],
    )
    ban_years = IntegerField(
        _l("Years of the credit-record ban"),
        validators=[InputRequired(_l("Enter a number of years from 0 to 10."))],
    )


def _program_or_404(program_id: str) -> Program:
    number = parse_int(program_id)
    program = db.session.get(Program, number) if number is not None else None
    if program is None:
        abort(404)
    return program


def _fill(form: PlanForm, terms: PlanTerms) -> None:
    for row, tranche in zip(form.tranches, [*terms.tranches, None, None, None], strict=False):
        row.form.share.data = plan_editing.plain_percent(tranche.share_percent) if tranche else ""
        row.form.condition.data = tranche.condition.value if tranche else ""
    for row, report in zip(form.reports, [*terms.reports, None, None, None], strict=False):
        row.form.kind.data = report.kind if report else ""
        row.form.months.data = str(report.months) if report else ""
    form.acceptance_required.data = terms.acceptance_required
    form.statement_days.data = terms.statement_days
    form.repayment_days.data = terms.repayment_days
    form.ban_years.data = terms.ban_years


def _read_rows(form: PlanForm) -> tuple[list[TrancheTerm], list[ReportTerm], bool]:
    """The tranche and report rows as typed (empty rows left out); False when one cannot be
    read, its error set beside it."""
    readable = True
    tranches = []
    for row in form.tranches:
        share_raw = (row.form.share.data or "").strip().rstrip("%").strip()
        condition = row.form.condition.data or ""
        if not share_raw and not condition:
            continue
        try:
            share = Decimal(share_raw)
            if not share.is_finite():
                raise InvalidOperation
        except InvalidOperation:
            row.form.share.errors = [_("Enter a share from 0.01 to 100.")]
            readable = False
            continue
        if not condition:
            row.form.condition.errors = [_("Choose when this tranche is paid.")]
            readable = False
            continue
        tranches.append(TrancheTerm(share, TrancheCondition(condition)))
    reports = []
    for row in form.reports:
        kind = row.form.kind.data or ""
        months_raw = (row.form.months.data or "").strip()
        if not kind and not months_raw:
            continue
        months = parse_int(months_raw) if months_raw.isdigit() else None
        if months is None:
            row.form.months.errors = [_("Enter a number of months from 1 to 60.")]
            readable = False
            continue
        reports.append(ReportTerm(kind, months))
    return tranches, reports, readable


def _read(form: PlanForm) -> PlanTerms | None:
    """The plan as typed (the form's own fields valid), or None when a row cannot be read."""
    tranches, reports, readable = _read_rows(form)
    if not readable:
        return None
    return PlanTerms(
        tranches=tuple(tranches),
        reports=tuple(reports),
        acceptance_required=bool(form.acceptance_required.data),
        statement_days=int(form.statement_days.data),
        repayment_days=int(form.repayment_days.data),
        ban_years=int(form.ban_years.data),
    )


def _show_problems(form: PlanForm, problems: list[plan_editing.Problem]) -> dict[str, list[str]]:
    """Each problem beside its field; those of a whole fieldset are returned by its name."""
    groups: dict[str, list[str]] = {"tranches": [], "reports": []}
    for problem in problems:
        parts = problem.field.split("-")
        if len(parts) == 3:
            row = getattr(form, parts[0])[int(parts[1])]
            field = getattr(row.form, parts[2])
            field.errors = [*field.errors, str(problem.message)]
        elif problem.field in groups:
            groups[problem.field].append(str(problem.message))
        else:
            field = getattr(form, problem.field)
            field.errors = [*field.errors, str(problem.message)]
    return groups


def _page(program: Program, form: PlanForm, groups: dict[str, list[str]], status: int = 200):
    saved = db.session.get(PostAwardPlan, program.id)
    return (
        render_template(
            "post_award_plans/edit.html",
            program=program,
            program_name=program.name(select_locale()),
            form=form,
            groups=groups,
            saved=saved,
            default=default_plan(program.kind),
            editable=current_user.role is Role.ADMIN,
            report_kinds=REPORT_KIND_LABELS,
        ),
        status,
    )


@bp.route("/<program_id>", methods=["GET"])
@allow(ADMIN, OFFICER)
def edit(program_id: str):
    program = _program_or_404(program_id)
    form = PlanForm()
    _fill(form, plan_for(program))
    return _page(program, form, {"tranches": [], "reports": []})


@bp.route("/<program_id>", methods=["POST"])
@allow(ADMIN)
def save(program_id: str):
    program = _program_or_404(program_id)
    form = PlanForm()
    groups: dict[str, list[str]] = {"tranches": [], "reports": []}
    if not form.validate_on_submit():
        _read_rows(form)  # the rows' own errors too
        return _page(program, form, groups, INVALID_FORM_STATUS)
    terms = _read(form)
    if terms is None:
        return _page(program, form, groups, INVALID_FORM_STATUS)
    try:
        changed = plan_editing.save_plan(program, terms, actor=current_user)
    except plan_editing.PlanRefused as refused:
        _fill(form, terms)  # the rows kept, in order: the problems name them by position
        groups = _show_problems(form, refused.problems)
        return _page(program, form, groups, INVALID_FORM_STATUS)
    flash(
        _("The post-award plan is saved.") if changed else _("Nothing was changed."),
        "success" if changed else "info",
    )
    return redirect(url_for("post_award_plans.edit", program_id=program.id))
