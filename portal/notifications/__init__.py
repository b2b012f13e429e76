"""Notifications in the portal and by email, following the audit trail."""

from __future__ import annotations

from flask import Flask

from portal.core import audit
from portal.notifications import (  # noqa: F401  (the mail jobs, the catch-up command)
    catch_up,
    objectors,
    services,
    tasks,
)


def init_notifications(app: Flask) -> None:
    audit.on_record(services.on_audit_event)
