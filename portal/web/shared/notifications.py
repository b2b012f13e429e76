"""Everyone's notifications: the list, opening one (marks it read), marking all read."""

from __future__ import annotations

from flask import Blueprint, abort, redirect, render_template, url_for
from flask_login import current_user

from portal.core.access import SIGNED_IN, allow
from portal.core.extensions import db
from portal.core.i18n import select_locale
from portal.core.pagination import page_arg
from portal.core.security import safe_next_url
from portal.notifications import services
from portal.notifications.messages import compose
from portal.notifications.models import Notification
from portal.web.shared.forms import ActionForm

bp = Blueprint("notifications", __name__, url_prefix="/notifications")


@bp.route("")
@allow(*SIGNED_IN)
def index():
    locale = select_locale()
    page = services.page_of(current_user.id, page_arg())
    rows = []
    for notification in page.rows:
        message = compose(notification.kind, notification.params, notification.link, locale)
        rows.append(
            {
                "id": notification.id,
                "title": message.title,
                "text": message.paragraphs[0] if message.paragraphs else "",
                "unread": notification.read_at is None,
                "created_at": notification.created_at,
            }
        )
    return render_template(
        "notifications/index.html", rows=rows, page=page, form=ActionForm(formdata=None)
    )


@bp.route("/<int:notification_id>/open", methods=["POST"])
@allow(*SIGNED_IN)
def open_notification(notification_id: int):
    notification = db.session.get(Notification, notification_id)
    if notification is None or notification.user_id != current_user.id:
        abort(404)
    if not ActionForm().validate_on_submit():
        abort(400)
    services.mark_read(current_user.id, notification.id)
    # Our own links are paths; anything else (another site, however spelt) is not followed.
    return redirect(safe_next_url(notification.link) or url_for("notifications.index"))


@bp.route("/read", methods=["POST"])
@allow(*SIGNED_IN)
def mark_all_read():
    if not ActionForm().validate_on_submit():
        abort(400)
    services.mark_read(current_user.id)
    return redirect(url_for("notifications.index"))
