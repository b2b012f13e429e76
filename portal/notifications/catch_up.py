"""``flask --app portal jobs catch-up``: make what lost background jobs would have made.

A job is queued after its change commits; if the queue (Redis) was down at that moment the job
is lost and ``core/jobs.py`` logged it. Run this after such an outage, or daily from cron: it
issues the letters, publicity notices and release-record PDFs that are missing, runs exports
that never started, and sends the notification mails not sent (those of the last
``MAIL_WINDOW``, older than ``MAIL_GRACE``, with tries left). It takes the cluster-wide lock,
so running it on every host at once is safe, and running it twice does nothing the second time.
"""

from __future__ import annotations

from datetime import timedelta

import click
from sqlalchemy import select

from portal.core.extensions import db
from portal.core.jobs import commit
from portal.core.operator_lock import one_at_a_time
from portal.core.timeutil import utcnow
from portal.letters.catch_up import catch_up_letters
from portal.letters.cli import jobs_cli
from portal.notifications.models import Notification
from portal.notifications.tasks import MailNotSent, send_notification_mails

# A mail younger than this may still be in the queue; one older than the window is stale news.
MAIL_GRACE = timedelta(minutes=10)
MAIL_WINDOW = timedelta(days=3)
# The mail job tries 1 + 5 times; a notification that used them up is not tried again here.
MAIL_ATTEMPTS = 6
MAIL_CHUNK = 100


def send_missing_mails() -> int:
    """Send the notification mails that were never sent; the number sent."""
    now = utcnow()
    ids = db.session.scalars(
        select(Notification.id)
        .where(
            Notification.emailed_at.is_(None),
            Notification.email_attempts < MAIL_ATTEMPTS,
            Notification.created_at < now - MAIL_GRACE,
            Notification.created_at > now - MAIL_WINDOW,
        )
        .order_by(Notification.id)
    ).all()
    sent = 0
    for start in range(0, len(ids), MAIL_CHUNK):
        try:
            sent += send_notification_mails(ids[start : start + MAIL_CHUNK])
        except MailNotSent as error:  # recorded on the rows; the next run tries them again
            click.echo(f"Some mails were not sent: {error}", err=True)
        commit()
    return sent


@jobs_cli.command("catch-up")
@one_at_a_time("jobs catch-up")
def catch_up_command() -> None:
    """Make what lost background jobs would have made (letters, notices, records, exports,
    mails); safe to run at any time, on any host."""
    letters = catch_up_letters()
    mails = send_missing_mails()
    if letters.total == 0 and mails == 0:
        click.echo("Nothing to do: no background work was missed.")
        return
    click.echo(
        f"Caught up: {letters.letters} letter(s), {letters.notices} publicity notice(s), "
        f"{letters.release_records} release record(s), {letters.exports} export(s), "
        f"{mails} mail(s)."
    )
