"""Audiences of the expert-review endpoints (merged into test_access.EXPECTED_ACCESS)."""

from portal.access import ADMIN, OFFICER, PUBLIC, REVIEWER  # noqa: F401

EXPECTED: dict[str, set[str]] = {}
