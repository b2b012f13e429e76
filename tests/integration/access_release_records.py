"""Who may read the release records kept for the minutes (merged by test_access.py): officers,
the approvers who sign releases off and administrators; the public verifies a record by its
code or its file at /verify only."""

from portal.core.access import ADMIN, APPROVER, OFFICER

EXPECTED = {
    "release_records.programme": {OFFICER, APPROVER, ADMIN},
    "release_records.record": {OFFICER, APPROVER, ADMIN},
    "release_records.pdf": {OFFICER, APPROVER, ADMIN},
    "release_records.xlsx": {OFFICER, APPROVER, ADMIN},
}
