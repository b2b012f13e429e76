"""Admin pages: staff and enterprise accounts, and the audit log."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from portal.accounts import services
from portal.accounts.models import Enterprise, Role, User
from portal.core import audit
from portal.core.access import ADMIN, allow
from portal.core.domain import DomainError
from portal.core.extensions import db
from portal.core.forms import INVALID_FORM_STATUS, attach_domain_error
from portal.core.pagination import page_arg, paginate
from portal.web.admin.forms import ConfirmForm, StaffCreateForm, StaffRoleForm

bp = Blueprint("admin", __name__)

ACCOUNT_KINDS = ("staff", "enterprise")


@bp.route("/accounts")
@allow(ADMIN)
def accounts():
    kind = request.args.get("kind", "staff")
    if kind not in ACCOUNT_KINDS:
        kind = "staff"
    query = select(User, Enterprise.name, Enterprise.uscc).outerjoin(
        Enterprise, Enterprise.id == User.enterprise_id
    )
    if kind == "staff":
        query = query.where(User.role != Role.ENTERPRISE).order_by(User.role, User.email)
    else:
        query = query.where(User.role == Role.ENTERPRISE).order_by(User.created_at.desc())
    page = paginate(query, page=page_arg())
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
        }
        for user, company, uscc in page.rows
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
            )
        except DomainError as error:
            attach_domain_error(form, error)
        else:
            flash(_("Staff account %(email)s created.", email=user.email), "success")
            return redirect(url_for("admin.accounts"))
    status = INVALID_FORM_STATUS if form.errors or form.form_errors else 200
    return render_template("admin/staff_new.html", form=form), status


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


@bp.route("/audit")
@allow(ADMIN)
def audit_log():
    action = request.args.get("action", "").strip()
    query = (
        select(audit.AuditEvent, User.email)
        .outerjoin(User, User.id == audit.AuditEvent.actor_id)
        .order_by(audit.AuditEvent.id.desc())
    )
    if action:
        query = query.where(audit.AuditEvent.action == action)
    page = paginate(query, page=page_arg(), per_page=50)
    actions = db.session.scalars(
        select(audit.AuditEvent.action)
        .group_by(audit.AuditEvent.action)
        .order_by(audit.AuditEvent.action)
    ).all()
    rows = [
        {
            "occurred_at": event.occurred_at,
            "actor": email,
            "action": event.action,
            "object": f"{event.object_type} {event.object_id or ''}".strip(),
            "summary": event.summary,
            "ip": event.ip_address,
        }
        for event, email in page.rows
    ]
    return render_template("admin/audit.html", rows=rows, page=page, action=action, actions=actions)
