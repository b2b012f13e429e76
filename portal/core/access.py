"""Who may use each endpoint.

Every view declares its audience with ``@allow(...)``. A ``before_request`` hook enforces the
declaration for every endpoint and refuses any endpoint that has none (fail closed), so a
forgotten decorator is a 403 in development and a failing test in CI, never an open door.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from flask import Flask, abort, current_app, redirect, request, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user

PUBLIC = "public"  # anyone, signed in or not
ANONYMOUS = "anonymous"  # only visitors who are not signed in (sign-in, register)
# The roles' stored names (accounts.models.Role takes its values from these).
ENTERPRISE = "enterprise"
OFFICER = "officer"
REVIEWER = "reviewer"
ADMIN = "admin"
# The bureau's leadership (分管领导): signs off what an officer proposes and cannot be undone.
APPROVER = "approver"
# The key-task wall map (挂图作战): the supervisor (督查) keeps the tasks and runs the slips; a
# department member (科室人员) reports on the tasks and answers the slips of their department.
SUPERVISOR = "supervisor"
DEPARTMENT = "department"
SIGNED_IN = (ENTERPRISE, OFFICER, REVIEWER, ADMIN, APPROVER, SUPERVISOR, DEPARTMENT)
STAFF = (OFFICER, REVIEWER, ADMIN, APPROVER, SUPERVISOR, DEPARTMENT)
# Who sees the wall map: the bureau's own staff (not the outside expert reviewers).
WALL_READERS = (OFFICER, ADMIN, APPROVER, SUPERVISOR, DEPARTMENT)

AUDIENCES = {PUBLIC, ANONYMOUS, *SIGNED_IN}
ACCESS_ATTRIBUTE = "_portal_access"

F = TypeVar("F", bound=Callable[..., Any])


def allow(*audience: str) -> Callable[[F], F]:
    """Declare who may call this view: PUBLIC, ANONYMOUS, or one or more roles."""
    unknown = set(audience) - AUDIENCES
    if not audience or unknown:
        raise ValueError(f"bad audience {audience!r}")

    def decorate(view: F) -> F:
        setattr(view, ACCESS_ATTRIBUTE, frozenset(audience))
        return view

    return decorate


# Endpoints provided by Flask or extensions rather than by our views.
BUILTIN_ACCESS: dict[str, frozenset[str]] = {"static": frozenset({PUBLIC})}


def declared_access(app: Flask, endpoint: str) -> frozenset[str] | None:
    if endpoint in BUILTIN_ACCESS:
        return BUILTIN_ACCESS[endpoint]
    view = app.view_functions.get(endpoint)
    return getattr(view, ACCESS_ATTRIBUTE, None)


def may_use(audience: frozenset[str], user: Any) -> bool:
    if PUBLIC in audience:
        return True
    if not user.is_authenticated:
        return ANONYMOUS in audience
    return user.role.value in audience


def enforce_declared_access() -> ResponseReturnValue | None:
    endpoint = request.endpoint
    if endpoint is None:  # no route matched: let Flask answer 404/405
        return None
    audience = declared_access(current_app, endpoint)
    if audience is None:
        current_app.logger.error("endpoint %s declares no access rule", endpoint)
        abort(403)
    if may_use(audience, current_user):
        return None
    if ANONYMOUS in audience and current_user.is_authenticated:
        return redirect(url_for("accounts.home"))
    if not current_user.is_authenticated:
        return current_app.login_manager.unauthorized()  # type: ignore[attr-defined]
    abort(403)


def init_access(app: Flask) -> None:
    app.before_request(enforce_declared_access)
