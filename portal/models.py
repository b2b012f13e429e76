"""Imports every model so that the metadata (and Alembic) sees them all."""

from portal.accounts.models import Enterprise, Role, User
from portal.audit import AuditEvent

__all__ = ["AuditEvent", "Enterprise", "Role", "User"]
