"""Confirming a self-registered account's address by an emailed link.

The link carries a signed token (itsdangerous, salted, time-limited) naming the account and a
fingerprint of its address; it works only while the account is unconfirmed, so once followed
it stops working. Until then the account cannot sign in. A registration with an address that
already has an account creates nothing and mails the owner instead, and the page answers the
same either way; each address gets at most one such mail per few minutes.
"""

from __future__ import annotations

from datetime import datetime

from flask import current_app
from flask_babel import lazy_gettext as _l

from portal.accounts.mail_limits import claim_mail_slot
from portal.accounts.models import User
from portal.accounts.signed_links import SignedLink, fingerprint
from portal.core import audit
from portal.core.audit import Action
from portal.core.domain import DomainError
from portal.core.extensions import db
from portal.core.jobs import enqueue_after_commit
from portal.core.timeutil import utcnow
from portal.core.urls import absolute, path_for

SALT = "portal.registration-confirmation"


class ConfirmationRefused(DomainError):
    pass


LINK_PROBLEM = _l(
    "This link to finish registering has expired or has already been used. If you have not "
    "finished registering, sign in and ask for a new link."
)


LINK = SignedLink(SALT)


def _fingerprint(user: User) -> str:
    return fingerprint(user.email)


def make_token(user: User) -> str:
    return LINK.make(user.id, _fingerprint(user))


def user_for_token(token: str) -> User:
    """The unconfirmed account a valid token names, or ConfirmationRefused."""
    found = LINK.read(token, current_app.config["REGISTRATION_CONFIRM_HOURS"] * 3600)
    user = db.session.get(User, found[0]) if found else None
    if (
        user is None
        or found is None
        or user.is_confirmed
        or not user.is_active
        or found[1] != _fingerprint(user)
    ):
        raise ConfirmationRefused(LINK_PROBLEM)
    return user


def confirm(token: str) -> User:
    user = user_for_token(token)
    user.email_confirmed_at = utcnow()
    audit.record(Action.ACCOUNT_CONFIRMED, user, actor=user)
    return user


def send_link(user: User, now: datetime | None = None) -> bool:
    """Mail the link to finish registering, unless one went to the address just now."""
    if not claim_mail_slot(user, "registration", now or utcnow()):
        return False
    url = absolute(path_for("accounts.confirm_registration", token=make_token(user)))
    enqueue_after_commit("send_registration_confirmation", user.id, url)
    return True


def resend_link(user_id: int) -> None:
    """Send the link again to an account that is still unconfirmed; say nothing either way."""
    user = db.session.get(User, user_id)
    if user is not None and user.is_active and not user.is_confirmed:
        send_link(user)


def tell_owner_of_attempt(user: User) -> None:
    """Someone registered with an address that has an account: the owner hears of it (an
    unconfirmed owner gets the link again instead, having perhaps lost the first mail)."""
    audit.record(Action.ACCOUNT_REGISTRATION_REPEATED, user, actor=None)
    if not user.is_confirmed:
        send_link(user)
    elif claim_mail_slot(user, "registration", utcnow()):
        enqueue_after_commit("send_registration_attempt", user.id)
