"""Notifications in the portal and by email, following the audit trail."""

from __future__ import annotations

from flask import Flask


def init_notifications(app: Flask) -> None:
    from portal import audit
    from portal.notifications.services import on_audit_event

    audit.on_record(on_audit_event)
