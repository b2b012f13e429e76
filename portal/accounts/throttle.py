"""Sign-in throttling, kept in the database so that every process sees the same counts.

Two limits, so that a stranger cannot lock the owner out:

* per account and client address: after ``LOGIN_MAX_FAILURES`` failures from one address the
  account is locked *for that address* for ``LOGIN_LOCKOUT_MINUTES``; the owner signing in
  from their usual address is not affected;
* per account from everywhere: after ``LOGIN_GLOBAL_MAX_FAILURES`` failures within
  ``LOGIN_GLOBAL_WINDOW_MINUTES`` (from any addresses), every further failure makes every
  address wait ``LOGIN_BACKOFF_SECONDS`` before the next attempt, so a spread-out attack gets a
  few guesses a minute while the owner waits at most that long.

An address without an account is throttled exactly like an account (its subject is a hash of
the address), so the answers do not tell which addresses have accounts.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError

from portal.accounts.models import SignInThrottle, User
from portal.core.extensions import db

EVERYWHERE = "*"
_CLIENT_LENGTH = 45


def subject_of(user: User | None, normalised_email: str) -> str:
    """The throttle's key: the account, or a hash of an address that has no account."""
    if user is not None:
        return f"user:{user.id}"
    return "email:" + hashlib.sha256(normalised_email.encode()).hexdigest()[:58]


def _client(client: str | None) -> str:
    return (client or "unknown")[:_CLIENT_LENGTH]


def refused_until(subject: str, client: str | None, now: datetime) -> datetime | None:
    """The end of the lock (this address) or back-off (every address) in force, if any."""
    rows = db.session.scalars(
        select(SignInThrottle).where(
            SignInThrottle.subject == subject,
            SignInThrottle.client.in_([_client(client), EVERYWHERE]),
        )
    )
    ends = [row.locked_until for row in rows if row.locked_until and row.locked_until > now]
    return max(ends, default=None)


def _row(subject: str, client: str, now: datetime) -> SignInThrottle:
    query = (
        select(SignInThrottle)
        .where(SignInThrottle.subject == subject, SignInThrottle.client == client)
        .with_for_update()
    )
    row = db.session.scalar(query)
    if row is not None:
        return row
    row = SignInThrottle(subject=subject, client=client, failures=0, window_started_at=now)
    try:
        with db.session.begin_nested():  # a simultaneous first failure may have made it
            db.session.add(row)
            db.session.flush()
    except IntegrityError:
        row = db.session.scalar(query)
        assert row is not None
    return row


@dataclass(frozen=True)
class Failure:
    failures: int  # from this address since its last lock or success
    account_failures: int  # from everywhere in the current window
    locked_until: datetime | None  # set when this failure locked the account or backed it off


def record_failure(subject: str, client: str | None, now: datetime) -> Failure:
    config = current_app.config
    here = _row(subject, _client(client), now)
    here.failures += 1
    failures, locked_until = here.failures, None
    if here.failures >= config["LOGIN_MAX_FAILURES"]:
        locked_until = here.locked_until = now + timedelta(minutes=config["LOGIN_LOCKOUT_MINUTES"])
        here.failures = 0
    everywhere = _row(subject, EVERYWHERE, now)
    if everywhere.window_started_at <= now - timedelta(
        minutes=config["LOGIN_GLOBAL_WINDOW_MINUTES"]
    ):
        everywhere.failures, everywhere.window_started_at = 0, now
    everywhere.failures += 1
    if everywhere.failures >= config["LOGIN_GLOBAL_MAX_FAILURES"]:
        backoff = now + timedelta(seconds=config["LOGIN_BACKOFF_SECONDS"])
        everywhere.locked_until = backoff
        locked_until = max(locked_until or backoff, backoff)
    return Failure(failures, everywhere.failures, locked_until)


def record_success(subject: str, client: str | None) -> None:
    """A right password from an address clears that address's count; the account-wide count
    runs out with its window (else an attacker could reset it by any success)."""
    db.session.execute(
        delete(SignInThrottle).where(
            SignInThrottle.subject == subject, SignInThrottle.client == _client(client)
        )
    )


def forget(subject: str) -> None:
    """Lift every lock and count of a subject (after a password reset by the owner)."""
    db.session.execute(delete(SignInThrottle).where(SignInThrottle.subject == subject))
