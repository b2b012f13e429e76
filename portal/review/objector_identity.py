"""Who signs an objection: a signed-in account, or a name and an address (email, or a phone
when an SMS gateway is configured) confirmed by a one-time code.

A code has 6 digits and works for ``PUBLICITY_CODE_MINUTES`` (15) and for
``PUBLICITY_CODE_ATTEMPTS`` (5) tries; only a keyed hash of it is stored (HMAC with the app's
secret key and a salt per code: a copy of the database alone does not give the codes away,
however few digits they have). An address gets at most one code a minute and
``CODES_PER_ADDRESS_PER_HOUR`` an hour, counted in the database; the routes are rate-limited
per client address too. A confirmed code signs one objection.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from datetime import datetime, timedelta

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select

from portal.applications.models import Application
from portal.core.domain import DomainError
from portal.core.extensions import db
from portal.core.jobs import enqueue_after_commit
from portal.core.timeutil import utcnow
from portal.programs.parameters import Text
from portal.review.models import ObjectorChallenge

CODE_DIGITS = 6
EMAIL = "email"
PHONE = "phone"
CHANNELS = (EMAIL, PHONE)
CODES_PER_ADDRESS_PER_HOUR = 5
RESEND_AFTER = timedelta(minutes=1)
# A confirmed address signs an objection sent within this time of confirming it.
CONFIRMED_FOR = timedelta(hours=1)
# The job that sends the code (declared where mail and text messages are sent).
SEND_CODE_JOB = "send_objector_code"

# Names that sign nothing: an objection signed like this is anonymous.
_ANONYMOUS_NAMES = {"匿名", "无名", "佚名", "不详", "某某", "anonymous", "anon", "n/a", "none"}
_EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")
_PHONE = re.compile(r"\+?[0-9]{6,15}")
_PHONE_SEPARATORS = re.compile(r"[\s\-()]")


class IdentityRefused(DomainError):
    pass


def name_problem(name: str) -> Text | None:
    name = (name or "").strip()
    if len(name) < 2 or name.casefold() in _ANONYMOUS_NAMES:
        return _l("Give your full name: anonymous objections are not accepted.")
    return None


def sms_available() -> bool:
    return bool(current_app.config["PUBLICITY_SMS_GATEWAY_URL"])


def normalise_address(channel: str, typed: str) -> str | None:
    """The address as stored (email lower-cased, phone without separators), or None."""
    typed = (typed or "").strip()
    if channel == EMAIL:
        return typed.lower() if _EMAIL.fullmatch(typed) and len(typed) <= 254 else None
    if channel == PHONE:
        phone = _PHONE_SEPARATORS.sub("", typed)
        return phone if _PHONE.fullmatch(phone) else None
    return None


def address_problem(channel: str, typed: str) -> Text | None:
    if channel == PHONE and not sms_available():
        return _l("Codes can be sent by email only: the bureau has no text-message service.")
    if channel not in CHANNELS:
        return _l("Choose how we send you the code.")
    if normalise_address(channel, typed) is None:
        if channel == PHONE:
            return _l("Enter a mobile number, e.g. 13904181234.")
        return _l("Enter an email address, e.g. name@example.com.")
    return None


def _hash(salt: str, code: str) -> str:
    key = current_app.config["SECRET_KEY"].encode("utf-8")
    return hmac.new(key, f"{salt}:{code}".encode(), hashlib.sha256).hexdigest()


def _codes_sent_since(address: str, since: datetime) -> tuple[int, datetime | None]:
    count, latest = db.session.execute(
        select(func.count(ObjectorChallenge.id), func.max(ObjectorChallenge.created_at)).where(
            ObjectorChallenge.address == address, ObjectorChallenge.created_at > since
        )
    ).one()
    return int(count or 0), latest


def start(
    application: Application,
    name: str,
    channel: str,
    typed_address: str,
    *,
    locale: str,
    ip_address: str | None,
) -> ObjectorChallenge:
    """Send a new code to the address (after this request commits); IdentityRefused naming
    the field when the name or address will not do or the address had codes enough."""
    problem = name_problem(name)
    if problem:
        raise IdentityRefused(problem, field="name")
    problem = address_problem(channel, typed_address)
    if problem:
        raise IdentityRefused(problem, field="address")
    address = normalise_address(channel, typed_address) or ""
    now = utcnow()
    count, latest = _codes_sent_since(address, now - timedelta(hours=1))
    if count >= CODES_PER_ADDRESS_PER_HOUR or (latest and latest > now - RESEND_AFTER):
        raise IdentityRefused(
            _l("A code was sent to this address a moment ago. Wait a minute, then ask again."),
            field="address",
        )
    code = f"{secrets.randbelow(10**CODE_DIGITS):0{CODE_DIGITS}d}"
    salt = secrets.token_hex(16)
    challenge = ObjectorChallenge(
        application_id=application.id,
        name=name.strip(),
        channel=channel,
        address=address,
        code_salt=salt,
        code_hash=_hash(salt, code),
        attempts=0,
        created_at=now,
        expires_at=now + timedelta(minutes=current_app.config["PUBLICITY_CODE_MINUTES"]),
        ip_address=ip_address,
    )
    db.session.add(challenge)
    db.session.flush()
    # The code travels in the job's arguments only (the queue is private to the server).
    enqueue_after_commit(SEND_CODE_JOB, challenge.id, code, locale)
    return challenge


def confirm(challenge: ObjectorChallenge, typed: str) -> None:
    """Mark the challenge confirmed if ``typed`` is its code; otherwise count the try and
    refuse. The caller keeps the count even though it answers with an error."""
    if challenge.confirmed_at is not None:
        return
    now = utcnow()
    attempts = current_app.config["PUBLICITY_CODE_ATTEMPTS"]
    if challenge.expires_at <= now:
        raise IdentityRefused(_l("This code has expired. Ask for a new one."), field="code")
    if challenge.attempts >= attempts:
        raise IdentityRefused(
            _l("Too many wrong codes. Ask for a new one."),
            field="code",
        )
    code = re.sub(r"\s", "", typed or "")
    challenge.attempts += 1
    db.session.flush()
    right = hmac.compare_digest(challenge.code_hash, _hash(challenge.code_salt, code))
    if not (code.isdigit() and right):
        left = attempts - challenge.attempts
        if left <= 0:
            raise IdentityRefused(_l("Too many wrong codes. Ask for a new one."), field="code")
        raise IdentityRefused(
            _l("That code is not right. You can try %(count)d more time(s).", count=left),
            field="code",
        )
    challenge.confirmed_at = now


def confirmed_challenge(challenge_id: object, application_id: int) -> ObjectorChallenge | None:
    """The confirmed, unused challenge of this session for this award, or None."""
    if not isinstance(challenge_id, int):
        return None
    challenge = db.session.get(ObjectorChallenge, challenge_id)
    if (
        challenge is None
        or challenge.application_id != application_id
        or challenge.confirmed_at is None
        or challenge.used_at is not None
        or challenge.confirmed_at <= utcnow() - CONFIRMED_FOR
    ):
        return None
    return challenge


def pending_challenge(challenge_id: object, application_id: int) -> ObjectorChallenge | None:
    """The session's challenge for this award that still waits for its code, or None."""
    if not isinstance(challenge_id, int):
        return None
    challenge = db.session.get(ObjectorChallenge, challenge_id)
    if challenge is None or challenge.application_id != application_id or challenge.used_at:
        return None
    return challenge


def masked(address: str) -> str:
    """``zh***@example.com``, ``139****1234``: enough for the owner to recognise it."""
    if "@" in address:
        local, _sep, domain = address.partition("@")
        return f"{local[:2]}***@{domain}"
    return f"{address[:3]}****{address[-4:]}" if len(address) > 7 else address
