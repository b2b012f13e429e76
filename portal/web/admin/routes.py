"""Admin pages: staff and enterprise accounts; the audit log is registered from audit_log.py."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import Select, func, literal, select, tuple_

from portal.accounts import services
from portal.accounts.models import Department, Enterprise, Role, User
from portal.core.access import ADMIN, allow
from portal.core.domain import DomainError
from portal.core.extensions import db
from portal.core.forms import INVALID_FORM_STATUS, attach_domain_error
from portal.core.inputs import query_int
from portal.core.pagination import DEFAULT_PER_PAGE
from portal.web.admin import audit_log
from portal.web.admin.forms import ConfirmForm, StaffCreateForm, StaffRoleForm

bp = Blueprint("admin", __name__)

ACCOUNT_KINDS = ("staff", "enterprise")
# The caption counts the accounts up to this many and says "more than" beyond: a bounded count
# reads at most this many index entries, however many firms have signed up.
COUNT_UP_TO = 1000


@dataclass(frozen=True)
class AccountPage:
    """A page of accounts with its neighbours' cursors (user ids): "Next" carries ``?after=``
    its last account, "Previous" ``?before=`` its first; ``count`` is bounded (``COUNT_UP_TO``
    + 1 means more)."""

    rows: list[Any]
    first: bool
    next_after: int | None
    prev_before: int | None
    count: int

    @property
    def count_is_bounded(self) -> bool:
        return self.count > COUNT_UP_TO


def _account_key(kind: str) -> tuple[tuple[Any, ...], bool]:
    """The list's order as key columns ending in the id, and whether it runs descending: staff
    by role and email, firms newest first (``ix_users_role_created``)."""
    if kind == "staff":
        return (User.role, User.email, User.id), False
    return (User.created_at, User.id), True


def _account_page(kind: str, per_page: int = DEFAULT_PER_PAGE) -> AccountPage:
    """One page by key (keyset): the cursor account's key is read, then one index range of
    ``per_page`` + 1 rows, whatever the page; a cursor that names no account shows the first
    page. Two to three statements and no full count."""
    is_staff = User.role != Role.ENTERPRISE if kind == "staff" else User.role == Role.ENTERPRISE
    key, descending = _account_key(kind)
    query: Select[Any] = (
        select(User, Enterprise.name, Enterprise.uscc, Department)
        .outerjoin(Enterprise, Enterprise.id == User.enterprise_id)
        .outerjoin(Department, Department.id == User.department_id)
        .where(is_staff)
    )
    after = query_int("after", None, minimum=1)
    before = None if after else query_int("before", None, minimum=1)
    found_key = db.session.execute(select(*key).where(User.id == (after or before))).first()
    if found_key is None:
        after = before = None
    # The cursor's key, bound with the columns' types (the role's enum, the stored form of times).
    cursor = tuple_(
        *(literal(value, column.type) for column, value in zip(key, found_key or (), strict=False))
    )
    forward = [column.desc() for column in key] if descending else list(key)
    backward = list(key) if descending else [column.desc() for column in key]
    rows: list[Any] = []
    first, more_after = True, False
    if before:
        is_before = tuple_(*key) > cursor if descending else tuple_(*key) < cursor
        found = db.session.execute(query.where(is_before).order_by(*backward).limit(per_page + 1))
        earlier = found.all()
        if len(earlier) > per_page:  # a page with more before it
            rows, first, more_after = list(reversed(earlier[:per_page])), False, True
    if not rows:
        if after:
            is_after = tuple_(*key) < cursor if descending else tuple_(*key) > cursor
            query = query.where(is_after)
        found_rows = db.session.execute(query.order_by(*forward).limit(per_page + 1)).all()
        more_after = len(found_rows) > per_page
        rows, first = found_rows[:per_page], not after
    count = db.session.scalar(
        select(func.count()).select_from(
            select(User.id).where(is_staff).limit(COUNT_UP_TO + 1).subquery()
        )
    )
    return AccountPage(
        rows=rows,
        first=first,
        next_after=rows[-1][0].id if more_after and rows else None,
        prev_before=rows[0][0].id if not first and rows else None,
        count=count or 0,
    )


@bp.route("/accounts")
@allow(ADMIN)
def accounts():
    kind = request.args.get("kind", "staff")
    if kind not in ACCOUNT_KINDS:
        kind = "staff"
    page = _account_page(kind)
    locale = str(get_locale() or "zh_CN")
    rows = [
        {
            "id": user.id,
            "email": user.email,
            "name": user.display_name,
            "company": company,
            "uscc": uscc,
            "role": user.role,
            "role_label": user.role.label,
            "active": user.is_active,
            "last_sign_in_at": user.last_sign_in_at,
            "is_self": user.id == current_user.id,
            "department": department.display_name(locale) if department else "",
        }
        for user, company, uscc, department in page.rows
    ]
    return render_template(
        "admin/accounts.html",
        kind=kind,
        rows=rows,
        page=page,
        role_form=StaffRoleForm(),
        confirm_form=ConfirmForm(),
        role_labels={role: role.label for role in Role},
    )


@bp.route("/staff/new", methods=["GET", "POST"])
@allow(ADMIN)
def create_staff():
    form = StaffCreateForm()
    if form.validate_on_submit():
        try:
            user = services.create_staff(
                form.email.data,
                Role(form.role.data),
                form.display_name.data,
                form.password.data,
                actor=current_user,
                department_id=_department_id(form.department.data),
            )
        except DomainError as error:
            attach_domain_error(form, error)
        else:
            flash(_("Staff account %(email)s created.", email=user.email), "success")
            return redirect(url_for("admin.accounts"))
    status = INVALID_FORM_STATUS if form.errors or form.form_errors else 200
    return render_template("admin/staff_new.html", form=form), status


def _department_id(value: str | None) -> int | None:
    """The chosen department's id; an id that is no number names no department (-1), which
    the service refuses beside the field."""
    if not value:
        return None
    return int(value) if value.isdigit() and len(value) < 10 else -1


def _account_or_404(user_id: int) -> User:
    user = db.session.get(User, user_id)
    if user is None:
        abort(404)
    return user


@bp.route("/accounts/<int:user_id>/role", methods=["POST"])
@allow(ADMIN)
def change_role(user_id: int):
    user = _account_or_404(user_id)
    form = StaffRoleForm()
    if not user.is_staff:
        flash(_("An enterprise account cannot hold a staff role."), "error")
    elif form.validate_on_submit():
        try:
            services.change_staff_role(user, Role(form.role.data), actor=current_user)
        except DomainError as error:
            flash(str(error.message), "error")
        else:
            flash(
                _(
                    "Role of %(email)s is now: %(role)s.",
                    email=user.email,
                    role=user.role.label,
                ),
                "success",
            )
    else:
        flash(_("Choose one of the staff roles."), "error")
    return redirect(url_for("admin.accounts", kind="staff"))


@bp.route("/accounts/<int:user_id>/disable", methods=["POST"])
@allow(ADMIN)
def disable_account(user_id: int):
    return _set_disabled(user_id, True)


@bp.route("/accounts/<int:user_id>/enable", methods=["POST"])
@allow(ADMIN)
def enable_account(user_id: int):
    return _set_disabled(user_id, False)


def _set_disabled(user_id: int, disabled: bool):
    user = _account_or_404(user_id)
    kind = "staff" if user.is_staff else "enterprise"
    if ConfirmForm().validate_on_submit():
        try:
            services.set_account_disabled(user, disabled, actor=current_user)
        except DomainError as error:
            flash(str(error.message), "error")
        else:
            message = (
                _("%(email)s is disabled and can no longer sign in.", email=user.email)
                if disabled
                else _("%(email)s can sign in again.", email=user.email)
            )
            flash(message, "success")
    return redirect(url_for("admin.accounts", kind=kind))


# The audit log's pages live in their own module (filters, names, paging, CSV).
audit_log.register(bp)
