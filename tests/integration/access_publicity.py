"""Who may use the publicity notice and objection endpoints (merged by test_access.py).

The objector's status page is public as a route, but shows an objection only to the account
that signed it or to the holder of the signed link mailed to the objector (a 404 otherwise:
tests/integration/test_publicity_notice.py)."""

from portal.core.access import ADMIN, OFFICER, PUBLIC

EXPECTED = {
    "publicity.notice_pdf": {PUBLIC},
    "publicity.send_code": {PUBLIC},
    "publicity.confirm_code": {PUBLIC},
    "publicity.objection_status": {PUBLIC},
    "decisions.objection_evidence": {OFFICER, ADMIN},
}
