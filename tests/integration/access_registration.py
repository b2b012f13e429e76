"""Who may finish a registration by its emailed link (merged into test_access.EXPECTED_ACCESS)."""

from portal.core.access import ANONYMOUS

EXPECTED = {
    "accounts.confirm_registration": {ANONYMOUS},
    "accounts.resend_confirmation": {ANONYMOUS},
}
