"""Who may use the exports' endpoints (merged into test_access.EXPECTED_ACCESS)."""

from portal.core.access import ADMIN, OFFICER

EXPECTED = {
    "exports.index": {OFFICER, ADMIN},
    # Downloads are POSTs from the page: each writes an audit event, and only POSTs commit.
    "exports.applications_csv": {OFFICER, ADMIN},
    "exports.applications_xlsx": {OFFICER, ADMIN},
    "exports.awards_json": {OFFICER, ADMIN},
    "exports.money_csv": {OFFICER, ADMIN},
    "exports.money_xlsx": {OFFICER, ADMIN},
}
