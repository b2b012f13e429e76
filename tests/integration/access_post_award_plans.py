"""Who may use the post-award plan's endpoints (merged into test_access.EXPECTED_ACCESS)."""

from portal.core.access import ADMIN, OFFICER

EXPECTED = {
    # Officers read the plan; only an admin changes it.
    "post_award_plans.edit": {ADMIN, OFFICER},
    "post_award_plans.save": {ADMIN},
}
