"""What each role sees on its home page. Each loads in a fixed number of queries."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select

from portal.accounts.models import Enterprise, Role, User
from portal.applications.models import Application, Status
from portal.core.audit import AuditEvent
from portal.core.extensions import db
from portal.core.i18n import select_locale
from portal.review.reviewer_queue import queue_summary
from portal.web.shared import application_presenters as presenters

RECENT_ROWS = 10


def home_context(user: User) -> tuple[str, dict[str, Any]]:
    builders = {
        Role.ENTERPRISE: _enterprise_home,
        Role.OFFICER: _officer_home,
        Role.REVIEWER: _reviewer_home,
        Role.ADMIN: _admin_home,
    }
    return builders[user.role](user)


def _enterprise_home(user: User) -> tuple[str, dict[str, Any]]:
    enterprise = user.enterprise
    applications = db.session.scalars(
        select(Application)
        .where(Application.enterprise_id == enterprise.id)
        .order_by(Application.updated_at.desc())
        .limit(RECENT_ROWS)
    ).all()
    names = presenters.program_names([a.program_id for a in applications], select_locale())
    return "accounts/home_enterprise.html", {
        "applications": [presenters.list_row(a, names[a.program_id]) for a in applications],
        "profile_updated_at": enterprise.profile_updated_at,
        "enterprise": {
            "name": enterprise.name,
            "uscc": enterprise.uscc,
            "region_code": enterprise.region_code,
            "contact_person": enterprise.contact_person,
            "mobile": enterprise.mobile,
            "email": user.email,
            "registered_at": enterprise.created_at,
        },
    }


def _officer_home(user: User) -> tuple[str, dict[str, Any]]:
    total = db.session.scalar(select(func.count()).select_from(Enterprise)) or 0
    recent = db.session.execute(
        select(Enterprise.name, Enterprise.uscc, Enterprise.created_at)
        .order_by(Enterprise.created_at.desc(), Enterprise.id.desc())
        .limit(RECENT_ROWS)
    ).all()

    waiting = (
        db.session.scalar(
            select(func.count())
            .select_from(Application)
            .where(Application.status == Status.SUBMITTED)
        )
        or 0
    )
    return "accounts/home_officer.html", {
        "enterprise_count": total,
        "submitted_count": waiting,
        "recent_enterprises": [row._asdict() for row in recent],
    }


def _reviewer_home(user: User) -> tuple[str, dict[str, Any]]:
    return "accounts/home_reviewer.html", {"summary": queue_summary(user.id)}


def _admin_home(user: User) -> tuple[str, dict[str, Any]]:
    counts = dict(db.session.execute(select(User.role, func.count()).group_by(User.role)).all())
    recent = db.session.execute(
        select(
            AuditEvent.occurred_at,
            AuditEvent.action,
            AuditEvent.object_type,
            AuditEvent.object_id,
            User.email,
        )
        .outerjoin(User, User.id == AuditEvent.actor_id)
        .order_by(AuditEvent.id.desc())
        .limit(RECENT_ROWS)
    ).all()
    return "accounts/home_admin.html", {
        "role_counts": {role.value: counts.get(role, 0) for role in Role},
        "recent_events": [row._asdict() for row in recent],
    }
