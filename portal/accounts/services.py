"""Account rules: registration (confirmed by mail), sign-in with throttling, passwords, staff
management.

Services add and flush; the request commits (see portal/core/database.py).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, NoReturn

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, null, select
from sqlalchemy.exc import IntegrityError

from portal.accounts import confirmation, throttle
from portal.accounts.models import Department, Enterprise, Role, User
from portal.accounts.passwords import (
    MIN_PASSWORD_LENGTH,
    Weakness,
    burn_password_check,
    hash_password,
    password_weakness,
    verify_password,
)
from portal.accounts.uscc import normalise_uscc
from portal.core import audit
from portal.core.audit import Action
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
    locale: str = ""  # none chosen: the browser's language applies
    founded_on: date | None = None
    in_fluorine_park: bool = False


DUPLICATE_USCC = _l(
    "An account already exists for this unified social credit code. "
    "Sign in with it, or contact the bureau if you did not register it."
)
DUPLICATE_EMAIL = _l("An account with this email address already exists. Sign in instead.")


def register_enterprise(data: EnterpriseRegistration, *, confirmed: bool = False) -> User | None:
    """Create the firm and its account, unconfirmed until the emailed link is followed; return
    it. When the address already has an account nothing is created, the owner is told by mail
    and None is returned: the caller answers the same either way, so that registering does not
    tell who has an account. (A taken USCC is still said, beside its field.)"""
    uscc = normalise_uscc(data.uscc)
    email = normalise_email(data.email)
    check_new_password(data.password, email, field="password")
    if enterprise_by_uscc(uscc) is not None:
        raise DomainError(DUPLICATE_USCC, field="uscc")
    password_hash = hash_password(data.password)  # hashed either way: the same time either way
    owner = find_user_by_email(email)
    if owner is not None:
        confirmation.tell_owner_of_attempt(owner)
        return None
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
        password_hash=password_hash,
        role=Role.ENTERPRISE,
        display_name=data.contact_person.strip(),
        enterprise=enterprise,
        locale=data.locale,
        # null(), not None: None would let the column's default (confirmed) fill it in.
        email_confirmed_at=utcnow() if confirmed else null(),
    )
    try:
        # Two simultaneous registrations both pass the checks above; the unique indexes decide.
        # (Added inside the savepoint, so that its rollback takes them out of the session.)
        with db.session.begin_nested():
            db.session.add_all([enterprise, user])
            db.session.flush()
    except IntegrityError as exc:
        if enterprise_by_uscc(uscc) is not None:
            raise DomainError(DUPLICATE_USCC, field="uscc") from exc
        return None  # the address was registered at the same moment: its registrant is mailed
    audit.record(Action.ACCOUNT_REGISTERED, user, actor=user, uscc=uscc, company=enterprise.name)
    if not confirmed:
        confirmation.send_link(user)
    return user


# --- sign-in ------------------------------------------------------------------------------


class SignInRefused(DomainError):
    def __init__(
        self,
        message: Any,
        *,
        locked_until: datetime | None = None,
        unconfirmed: User | None = None,
    ) -> None:
        super().__init__(message)
        self.locked_until = locked_until
        # The account whose right password was given but whose address is not confirmed yet.
        self.unconfirmed = unconfirmed


BAD_CREDENTIALS = _l("The email address or password is not right.")
ACCOUNT_DISABLED = _l("This account has been disabled. Contact the bureau to have it restored.")
NOT_CONFIRMED = _l(
    "Your registration is not finished yet: open the link in the mail we sent to this "
    "address to finish it."
)


def sign_in(
    email: str, password: str, now: datetime | None = None, *, client: str | None = None
) -> User:
    """Check the credentials and the throttle (see portal/accounts/throttle.py); raise
    SignInRefused with the reason to show. Every answer costs one password-hash check, so
    that its timing does not tell whether the address has an account or is locked."""
    now = now or utcnow()
    user = find_user_by_email(email)
    subject = throttle.subject_of(user, normalise_email(email))
    until = throttle.refused_until(subject, client, now)
    if until is not None:
        burn_password_check(password)
        if user is None:
            key = _unknown_email_key(email)
            audit.record(
                Action.ACCOUNT_SIGN_IN_REFUSED, object_type="users", object_id=key, reason="locked"
            )
        else:
            audit.record(Action.ACCOUNT_SIGN_IN_REFUSED, user, actor=user, reason="locked")
        raise SignInRefused(BAD_CREDENTIALS, locked_until=until)
    if user is None:
        burn_password_check(password)
        _refuse_failure(None, email, subject, client, now)
    if not verify_password(user.password_hash, password):
        _refuse_failure(user, email, subject, client, now)
    if not user.is_active:
        audit.record(Action.ACCOUNT_SIGN_IN_REFUSED, user, actor=user, reason="disabled")
        raise SignInRefused(ACCOUNT_DISABLED)
    if not user.is_confirmed:
        audit.record(Action.ACCOUNT_SIGN_IN_REFUSED, user, actor=user, reason="unconfirmed")
        raise SignInRefused(NOT_CONFIRMED, unconfirmed=user)
    throttle.record_success(subject, client)
    user.failed_sign_ins = 0
    user.locked_until = None
    user.last_sign_in_at = now
    audit.record(Action.ACCOUNT_SIGNED_IN, user, actor=user)
    return user


def _unknown_email_key(email: str) -> str:
    """The audit log's object id for an address without an account (64 characters at most):
    the same key its sign-in throttle has."""
    return throttle.subject_of(None, normalise_email(email))


def _refuse_failure(
    user: User | None, email: str, subject: str, client: str | None, now: datetime
) -> NoReturn:
    """Count a failure and refuse. An address without an account is counted and locked
    exactly as an account would be, so that the answers do not tell which addresses have
    accounts; the account's own row keeps a record of the latest lock for staff to see."""
    failure = throttle.record_failure(subject, client, now)
    if user is None:
        target: dict[str, Any] = {"object_type": "users", "object_id": _unknown_email_key(email)}
        shown = {"email": normalise_email(email)[:254]}
        reason = "unknown_email"
    else:
        target, shown, reason = {"obj": user, "actor": user}, {}, "bad_password"
        user.failed_sign_ins = failure.account_failures
        if failure.locked_until is not None:
            user.locked_until = failure.locked_until
    audit.record(
        Action.ACCOUNT_SIGN_IN_FAILED,
        **target,
        reason=reason,
        failures=failure.failures,
        account_failures=failure.account_failures,
        **shown,
    )
    if failure.locked_until is not None:
        until = failure.locked_until.isoformat()
        audit.record(Action.ACCOUNT_LOCKED, **target, until=until, **shown)
        raise SignInRefused(BAD_CREDENTIALS, locked_until=failure.locked_until)
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
    weakness = password_weakness(password, email)
    if weakness is not None:
        raise DomainError(WEAKNESS_MESSAGES[weakness], field=field)


WEAKNESS_MESSAGES = {
    Weakness.COMMON: _l(
        "This is one of the most common passwords, among the first an attacker tries. "
        "Choose another, e.g. a few unrelated words."
    ),
    Weakness.REPEAT: _l(
        "This password repeats the same characters, so it is easy to guess. Choose another, "
        "e.g. a few unrelated words."
    ),
    Weakness.RUN: _l(
        "This password is a run of keys, letters or digits (like 1234 or qwerty), so it is "
        "easy to guess. Choose another, e.g. a few unrelated words."
    ),
    Weakness.PERSONAL: _l(
        "This password is made from your email address, so it is easy to guess. Choose "
        "another, e.g. a few unrelated words."
    ),
    Weakness.GUESSABLE: _l(
        "This password is too easy to guess. Make it longer, e.g. a few unrelated words."
    ),
}


def set_locale(user: User, locale: str) -> None:
    if user.locale != locale:
        user.locale = locale


# --- staff --------------------------------------------------------------------------------


def create_staff(
    email: str,
    role: Role,
    display_name: str,
    password: str,
    *,
    actor=None,
    department_id: int | None = None,
) -> User:
    if not role.is_staff:
        raise DomainError(_l("Staff accounts are officers, reviewers or admins."), field="role")
    if find_user_by_email(email) is not None:
        raise DomainError(DUPLICATE_EMAIL, field="email")
    if department_id is not None and db.session.get(Department, department_id) is None:
        raise DomainError(_l("Choose one of the departments."), field="department")
    if role is Role.DEPARTMENT and department_id is None:
        raise DomainError(
            _l("A department member needs a department: choose one."), field="department"
        )
    check_new_password(password, email, field="password")
    user = User(
        email=normalise_email(email),
        password_hash=hash_password(password),
        role=role,
        display_name=display_name.strip() or normalise_email(email),
        department_id=department_id,
    )
    db.session.add(user)
    audit.record(
        Action.STAFF_CREATED,
        user,
        actor=actor,
        role=role.value,
        email=user.email,
        **({"department_id": department_id} if department_id else {}),
    )
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
