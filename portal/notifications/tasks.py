"""Mail jobs: each notification's mail, and the account mails (password reset, registration).
Retried on failure; a mail already sent is never sent twice."""

from __future__ import annotations

from typing import Any

from flask import current_app

from portal.accounts.models import User
from portal.core.extensions import db
from portal.core.jobs import commit, job
from portal.core.timeutil import utcnow
from portal.core.urls import path_for
from portal.notifications.mail import build_mail, deliver
from portal.notifications.messages import compose
from portal.notifications.models import Notification


class MailNotSent(Exception):
    pass


@job(retries=5, retry_delay=30)
def send_notification_mails(notification_ids: list[int]) -> int:
    sent, failed = 0, []
    for notification_id in notification_ids:
        notification = db.session.get(Notification, notification_id)
        if notification is None or notification.emailed_at is not None:
            continue
        user = db.session.get(User, notification.user_id)
        try:
            message = compose(
                notification.kind, notification.params, notification.link, user.mail_locale
            )
            deliver(build_mail(user.email, message, user.mail_locale))
        except Exception as error:  # kept on the row; the job is tried again
            notification.email_attempts += 1
            notification.email_error = f"{type(error).__name__}: {error}"[:1000]
            failed.append(notification_id)
            current_app.logger.warning(
                "mail for notification %s not sent: %s", notification_id, error
            )
        else:
            notification.email_attempts += 1
            notification.emailed_at = utcnow()
            notification.email_error = ""
            sent += 1
        commit()
    if failed:
        raise MailNotSent(f"{len(failed)} mail(s) not sent: {failed}")
    return sent


def _mail_to_account(user_id: int, kind: str, params: dict[str, Any], link: str) -> None:
    """One mail of ``kind`` to an account's own address (gone accounts get none)."""
    user = db.session.get(User, user_id)
    if user is None:
        return
    message = compose(kind, params, link, user.mail_locale)
    deliver(build_mail(user.email, message, user.mail_locale))


@job(retries=3, retry_delay=30)
def send_password_reset(user_id: int, url: str) -> None:
    minutes = current_app.config["PASSWORD_RESET_MINUTES"]
    _mail_to_account(user_id, "password_reset", {"minutes": minutes}, url)


@job(retries=3, retry_delay=30)
def send_registration_confirmation(user_id: int, url: str) -> None:
    hours = current_app.config["REGISTRATION_CONFIRM_HOURS"]
    _mail_to_account(user_id, "registration_confirmation", {"hours": hours}, url)


@job(retries=3, retry_delay=30)
def send_registration_attempt(user_id: int) -> None:
    """Tell the owner of an address that someone tried to register with it."""
    _mail_to_account(user_id, "registration_attempt", {}, path_for("accounts.login"))
