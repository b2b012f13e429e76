"""Who may use the officers' dashboard (merged by test_access.py)."""

from portal.core.access import ADMIN, OFFICER

EXPECTED = {"dashboard.index": {OFFICER, ADMIN}}
