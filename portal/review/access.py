"""Loading applications and files for the person asking: 404 for what is not theirs."""

from __future__ import annotations

from flask import abort
from flask_login import current_user

from portal.accounts.models import Role
from portal.applications.models import Application, Attachment
from portal.core.extensions import db
from portal.review.models import Assignment, AssignmentStatus

STAFF_WHO_SEE_ALL = (Role.OFFICER, Role.ADMIN)


def can_see_application(user, application: Application) -> bool:
    if user.role is Role.ENTERPRISE:
        return application.enterprise_id == user.enterprise_id
    if user.role is Role.REVIEWER:
        return is_assigned_reviewer(user.id, application.id)
    return user.role in STAFF_WHO_SEE_ALL


def is_assigned_reviewer(reviewer_id: int, application_id: int) -> bool:
    """Reviewers see an application only while it is assigned to them (not after declining)."""
    from sqlalchemy import select

    return (
        db.session.scalar(
            select(Assignment.id).where(
                Assignment.application_id == application_id,
                Assignment.reviewer_id == reviewer_id,
                Assignment.status != AssignmentStatus.DECLINED,
            )
        )
        is not None
    )


def application_or_404(application_id: int) -> Application:
    application = db.session.get(Application, application_id)
    if application is None or not can_see_application(current_user, application):
        abort(404)  # never 403: a firm must not learn that another firm's id exists
    return application


def attachment_or_404(attachment_id: int) -> Attachment:
    attachment = db.session.get(Attachment, attachment_id)
    if attachment is None or not can_see_application(current_user, attachment.application):
        abort(404)
    return attachment
