"""Who may use notifications and password reset (merged into test_access.EXPECTED_ACCESS)."""

from portal.core.access import ANONYMOUS, SIGNED_IN

EXPECTED = {
    "notifications.index": set(SIGNED_IN),
    "notifications.open_notification": set(SIGNED_IN),
    "notifications.mark_all_read": set(SIGNED_IN),
    "accounts.forgot_password": {ANONYMOUS},
    "accounts.reset_password": {ANONYMOUS},
}
