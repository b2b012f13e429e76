"""Who may use the decision and publicity endpoints (merged by test_access.py)."""

from portal.core.access import ADMIN, OFFICER, PUBLIC

EXPECTED = {
    "decisions.index": {OFFICER, ADMIN},
    "decisions.ranked": {OFFICER, ADMIN},
    "decisions.decide": {OFFICER, ADMIN},
    "decisions.bulk_decide": {OFFICER, ADMIN},
    "decisions.release": {OFFICER, ADMIN},
    "decisions.objections": {OFFICER, ADMIN},
    "decisions.resolve_objection": {OFFICER, ADMIN},
    "publicity.index": {PUBLIC},
    "publicity.object": {PUBLIC},
}
