"""Who may use the formal-check endpoints of the officers' desk (merged by test_access.py)."""

from portal.core.access import ADMIN, OFFICER

EXPECTED = {
    "staff_applications.start_check": {OFFICER, ADMIN},
    "staff_applications.pass_check": {OFFICER, ADMIN},
    "staff_applications.reject": {OFFICER, ADMIN},
}
