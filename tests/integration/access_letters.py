"""Who may use the letters' endpoints (merged into test_access.EXPECTED_ACCESS)."""

from portal.core.access import ADMIN, ENTERPRISE, OFFICER, PUBLIC

EXPECTED = {
    # The firm downloads its own letters (404 for another's), officers and admins any.
    "letters.download": {ENTERPRISE, OFFICER, ADMIN},
    "letters.issue_now": {OFFICER, ADMIN},
    "letters.reissue": {OFFICER, ADMIN},
    "letter_admin.index": {OFFICER, ADMIN},
    "letter_admin.program_letters": {OFFICER, ADMIN},
    "letter_admin.start_export": {OFFICER, ADMIN},
    "letter_admin.export_page": {OFFICER, ADMIN},
    "letter_admin.export_status": {OFFICER, ADMIN},
    "letter_admin.download_export": {OFFICER, ADMIN},
    "verify.index": {PUBLIC},
    "verify.by_code": {PUBLIC},
    "verify.by_file": {PUBLIC},
}
