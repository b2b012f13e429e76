"""Account rules: registration, sign-in with lockout, passwords, staff management.

Services add and flush; the request commits (see portal/core/database.py).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import NoReturn

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from portal.accounts.models import Enterprise, Role, User
from portal.accounts.passwords import (
    MIN_PASSWORD_LENGTH,
    burn_password_check,
    hash_password,
    verify_password,
)
from portal.accounts.uscc import normalise_uscc
from portal.core import audit
from portal.core.audit import Action, AuditEvent
from portal.core.domain import DomainError
from portal.core.extensions import db
from portal.core.timeutil import utcnow


def normalise_email(email: str) -> str:
    return email.strip().lower()


def find_user_by_email(email: str) -> User | None:
    return db.session.scalar(select(User).where(User.email == normalise_email(email)))


def enterprise_by_uscc(uscc: str) -> Enterprise | None:
    return db.session.scalar(select(Enterprise).where(Enterprise.uscc == normalise_uscc(uscc)))


# --- registration -------------------------------------------------------------------------


@dataclass(frozen=True)
class EnterpriseRegistration:
    company_name: str
    uscc: str
    contact_person: str
    mobile: str
    email: str
    password: str
    locale: str = "zh_CN"
    founded_on: date | None = None
    in_fluorine_park: bool = False


DUPLICATE_USCC = _l(
    "An account already exists for this unified social credit code. "
    "Sign in with it, or contact the bureau if you did not register it."
)
DUPLICATE_EMAIL = _l("An account with this email address already exists. Sign in instead.")


def register_enterprise(data: EnterpriseRegistration) -> User:
    uscc = normalise_uscc(data.uscc)
    email = normalise_email(data.email)
    if enterprise_by_uscc(uscc) is not None:
        raise DomainError(DUPLICATE_USCC, field="uscc")
    if find_user_by_email(email) is not None:
        raise DomainError(DUPLICATE_EMAIL, field="email")
    enterprise = Enterprise(
        name=data.company_name.strip(),
        uscc=uscc,
        contact_person=data.contact_person.strip(),
        mobile=data.mobile,
        founded_on=data.founded_on,
        in_fluorine_park=data.in_fluorine_park,
    )
    user = User(
        email=email,
        password_hash=hash_password(data.password),
        role=Role.ENTERPRISE,
        display_name=data.contact_person.strip(),
        enterprise=enterprise,
        locale=data.locale,
    )
    db.session.add_all([enterprise, user])
    try:
        # Two simultaneous registrations both pass the checks above; the unique index decides.
        with db.session.begin_nested():
            db.session.flush()
    except IntegrityError as exc:
        raise DomainError(DUPLICATE_USCC, field="uscc") from exc
    audit.record(Action.ACCOUNT_REGISTERED, user, actor=user, uscc=uscc, company=enterprise.name)
    return user


# --- sign-in ------------------------------------------------------------------------------


class SignInRefused(DomainError):
    def __init__(self, message, *, locked_until: datetime | None = None) -> None:
        super().__init__(message)
        self.locked_until = locked_until


BAD_CREDENTIALS = _l("The email address or password is not right.")
ACCOUNT_DISABLED = _l("This account has been disabled. Contact the bureau to have it restored.")


def sign_in(email: str, password: str, now: datetime | None = None) -> User:
    """Check the credentials and lockout; raise SignInRefused with the reason to show."""
    now = now or utcnow()
    config = current_app.config
    user = find_user_by_email(email)
    if user is None:
        burn_password_check(password)
        _refuse_unknown_email(email, now)
    if user.is_locked(now):
        audit.record(Action.ACCOUNT_SIGN_IN_REFUSED, user, actor=user, reason="locked")
        raise SignInRefused(BAD_CREDENTIALS, locked_until=user.locked_until)
    if not verify_password(user.password_hash, password):
        user.failed_sign_ins += 1
        audit.record(
            Action.ACCOUNT_SIGN_IN_FAILED,
            user,
            actor=user,
            reason="bad_password",
            failures=user.failed_sign_ins,
        )
        if user.failed_sign_ins >= config["LOGIN_MAX_FAILURES"]:
            user.locked_until = now + timedelta(minutes=config["LOGIN_LOCKOUT_MINUTES"])
            user.failed_sign_ins = 0
            audit.record(
                Action.ACCOUNT_LOCKED, user, actor=user, until=user.locked_until.isoformat()
            )
            raise SignInRefused(BAD_CREDENTIALS, locked_until=user.locked_until)
        raise SignInRefused(BAD_CREDENTIALS)
    if not user.is_active:
        audit.record(Action.ACCOUNT_SIGN_IN_REFUSED, user, actor=user, reason="disabled")
        raise SignInRefused(ACCOUNT_DISABLED)
    user.failed_sign_ins = 0
    user.locked_until = None
    user.last_sign_in_at = now
    audit.record(Action.ACCOUNT_SIGNED_IN, user, actor=user)
    return user


def _unknown_email_key(email: str) -> str:
    """The audit log's object id for an address without an account (64 characters at most)."""
    return "email:" + hashlib.sha256(normalise_email(email).encode()).hexdigest()[:58]


def _refuse_unknown_email(email: str, now: datetime) -> NoReturn:
    """Refuse an address that has no account exactly as an account would be refused: it is
    locked after the same number of failures, for the same time, so that the answers do not
    tell which addresses have accounts. Its failures and lock are kept in the audit log."""
    config = current_app.config
    key = _unknown_email_key(email)
    shown = normalise_email(email)[:254]
    events = select(AuditEvent).where(
        AuditEvent.object_type == "users", AuditEvent.object_id == key
    )
    last_lock = db.session.scalar(
        events.where(AuditEvent.action == Action.ACCOUNT_LOCKED).order_by(AuditEvent.id.desc())
    )
    if last_lock is not None:
        until = datetime.fromisoformat(last_lock.summary["until"])
        if until > now:
            audit.record(
                Action.ACCOUNT_SIGN_IN_REFUSED, object_type="users", object_id=key, reason="locked"
            )
            raise SignInRefused(BAD_CREDENTIALS, locked_until=until)
    failed = events.where(AuditEvent.action == Action.ACCOUNT_SIGN_IN_FAILED)
    if last_lock is not None:  # as an account's count starts again after each lock
        failed = failed.where(AuditEvent.id > last_lock.id)
    failures = 1 + db.session.scalar(select(func.count()).select_from(failed.subquery()))
    audit.record(
        Action.ACCOUNT_SIGN_IN_FAILED,
        object_type="users",
        object_id=key,
        reason="unknown_email",
        email=shown,
        failures=failures,
    )
    if failures >= config["LOGIN_MAX_FAILURES"]:
        until = now + timedelta(minutes=config["LOGIN_LOCKOUT_MINUTES"])
        audit.record(
            Action.ACCOUNT_LOCKED,
            object_type="users",
            object_id=key,
            email=shown,
            until=until.isoformat(),
        )
        raise SignInRefused(BAD_CREDENTIALS, locked_until=until)
    raise SignInRefused(BAD_CREDENTIALS)


def record_sign_out(user: User) -> None:
    """Signing out ends every session of the account: a session lives in a signed cookie,
    so a copy taken before signing out would otherwise still work."""
    user.session_version += 1
    audit.record(Action.ACCOUNT_SIGNED_OUT, user, actor=user)


def change_password(user: User, current_password: str, new_password: str) -> None:
    if not verify_password(user.password_hash, current_password):
        raise DomainError(_l("Your current password is not right."), field="current_password")
    check_new_password(new_password, user.email, field="new_password")
    user.password_hash = hash_password(new_password)
    user.session_version += 1  # every other session of this account ends
    audit.record(Action.ACCOUNT_PASSWORD_CHANGED, user)


def check_new_password(password: str, email: str, *, field: str) -> None:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise DomainError(_l("Use at least %(n)d characters.", n=MIN_PASSWORD_LENGTH), field=field)
    if password.strip().lower() == normalise_email(email):
        raise DomainError(_l("The password must not be your email address."), field=field)


def set_locale(user: User, locale: str) -> None:
    if user.locale != locale:
        user.locale = locale


# --- staff --------------------------------------------------------------------------------


def create_staff(email: str, role: Role, display_name: str, password: str, *, actor=None) -> User:
    if not role.is_staff:
        raise DomainError(_l("Staff accounts are officers, reviewers or admins."), field="role")
    if find_user_by_email(email) is not None:
        raise DomainError(DUPLICATE_EMAIL, field="email")
    check_new_password(password, email, field="password")
    user = User(
        email=normalise_email(email),
        password_hash=hash_password(password),
        role=role,
        display_name=display_name.strip() or normalise_email(email),
    )
    db.session.add(user)
    audit.record(Action.STAFF_CREATED, user, actor=actor, role=role.value, email=user.email)
    return user


def change_staff_role(user: User, role: Role, *, actor: User) -> None:
    if not user.is_staff or not role.is_staff:
        raise DomainError(_l("Only staff accounts hold staff roles."), field="role")
    if user.id == actor.id and role is not Role.ADMIN:
        raise DomainError(_l("You cannot remove your own admin role."), field="role")
    if user.role is role:
        return
    old = user.role
    user.role = role
    user.session_version += 1  # the old role's open sessions end
    audit.record(Action.STAFF_ROLE_CHANGED, user, actor=actor, old=old.value, new=role.value)


def set_account_disabled(user: User, disabled: bool, *, actor: User) -> None:
    if user.id == actor.id:
        raise DomainError(_l("You cannot disable your own account."))
    if disabled == (not user.is_active):
        return
    user.disabled_at = utcnow() if disabled else None
    if disabled:
        user.session_version += 1
    action = Action.ACCOUNT_DISABLED if disabled else Action.ACCOUNT_ENABLED
    audit.record(action, user, actor=actor)


def count_active_admins() -> int:
    return (
        db.session.scalar(
            select(func.count())
            .select_from(User)
            .where(User.role == Role.ADMIN, User.disabled_at.is_(None))
        )
        or 0
    )
