"""Who may use the officers' dashboard (merged by test_access.py)."""

from portal.access import ADMIN, OFFICER

EXPECTED = {"dashboard.index": {OFFICER, ADMIN}}
