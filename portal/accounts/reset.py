"""Password reset by email.

The link carries a signed token (itsdangerous, salted, time-limited) naming the account and a
fingerprint of its current password hash: once the password changes, by this reset or any
other way, every earlier link stops working, so a link works once. Asking for a link says the
same thing whether or not the address has an account, and an address gets at most one reset
mail per ACCOUNT_MAIL_INTERVAL_MINUTES (counted in the database), however often it is asked. A
reset ends every session of the account and lifts its sign-in locks.
"""

from __future__ import annotations

from flask import current_app
from flask_babel import lazy_gettext as _l

from portal.accounts import throttle
from portal.accounts.mail_limits import claim_mail_slot
from portal.accounts.models import User
from portal.accounts.passwords import hash_password
from portal.accounts.services import check_new_password, find_user_by_email, normalise_email
from portal.accounts.signed_links import SignedLink, fingerprint
from portal.core import audit
from portal.core.audit import Action
from portal.core.domain import DomainError
from portal.core.extensions import db
from portal.core.jobs import enqueue_after_commit
from portal.core.timeutil import utcnow
from portal.core.urls import absolute, path_for

SALT = "portal.password-reset"


class ResetRefused(DomainError):
    pass


LINK_PROBLEM = _l(
    "This link to reset your password has expired or has already been used. Ask for a new one."
)


LINK = SignedLink(SALT)


def _fingerprint(user: User) -> str:
    return fingerprint(user.password_hash)


def make_token(user: User) -> str:
    return LINK.make(user.id, _fingerprint(user))


def user_for_token(token: str) -> User:
    """The account a valid token names, or ResetRefused."""
    found = LINK.read(token, current_app.config["PASSWORD_RESET_MINUTES"] * 60)
    user = db.session.get(User, found[0]) if found else None
    if user is None or not user.is_active or found is None or found[1] != _fingerprint(user):
        raise ResetRefused(LINK_PROBLEM)
    return user


def request_reset(email: str) -> None:
    """Queue a reset mail if the address has an active account; say nothing either way."""
    user = find_user_by_email(email or "")
    if user is None or not user.is_active:
        audit.record(
            Action.ACCOUNT_PASSWORD_RESET_REQUESTED, actor=None, object_type="system", known=False
        )
        return
    mailed = claim_mail_slot(user, "reset", utcnow())
    audit.record(
        Action.ACCOUNT_PASSWORD_RESET_REQUESTED, user, actor=None, known=True, mailed=mailed
    )
    if mailed:
        url = absolute(path_for("accounts.reset_password", token=make_token(user)))
        enqueue_after_commit("send_password_reset", user.id, url)


def reset_password(token: str, new_password: str) -> User:
    user = user_for_token(token)
    check_new_password(new_password, user.email, field="new_password")
    user.password_hash = hash_password(new_password)
    user.session_version += 1  # every session of the account ends, this one too
    user.failed_sign_ins = 0
    user.locked_until = None
    throttle.forget(throttle.subject_of(user, normalise_email(user.email)))
    # Following a link mailed to the address proves it as well as the registration link does.
    if user.email_confirmed_at is None:
        user.email_confirmed_at = utcnow()
    audit.record(Action.ACCOUNT_PASSWORD_RESET, user, actor=user)
    return user
