"""Who may use the expert reviewer's pages (merged by test_access.py)."""

from portal.core.access import REVIEWER

EXPECTED = {
    "reviewer.queue": {REVIEWER},
    "reviewer.score": {REVIEWER},
    "reviewer.decline": {REVIEWER},
}
