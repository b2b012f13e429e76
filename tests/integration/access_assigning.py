"""Who may use the officers' review desk (merged by test_access.py)."""

from portal.core.access import ADMIN, OFFICER

OFFICERS = {OFFICER, ADMIN}

EXPECTED = {
    "review_admin.reviewers": OFFICERS,
    "review_admin.edit_reviewer": OFFICERS,
    "review_admin.application_reviews": OFFICERS,
    "review_admin.assign": OFFICERS,
    "review_admin.auto_assign_one": OFFICERS,
    "review_admin.unassign": OFFICERS,
    "review_admin.reopen": OFFICERS,
    "review_admin.moderate": OFFICERS,
    "review_admin.program_overview": OFFICERS,
    "review_admin.auto_assign": OFFICERS,
    "review_admin.auto_assign_chosen": OFFICERS,
}
