"""Who may use the funding agreement and bank account pages (merged by test_access.py).

A firm sees only its own agreements (a 404 otherwise: tests/integration/test_agreements.py)."""

from portal.core.access import ADMIN, ENTERPRISE, OFFICER

OFFICERS = {OFFICER, ADMIN}

EXPECTED = {
    "firm_agreements.index": {ENTERPRISE},
    "firm_agreements.show": {ENTERPRISE},
    "firm_agreements.bank_account": {ENTERPRISE},
    "firm_agreements.accept": {ENTERPRISE},
    "firm_agreements.download": {ENTERPRISE},
    "desk_agreements.index": OFFICERS,
    "desk_agreements.show": OFFICERS,
    "desk_agreements.account": OFFICERS,
    "desk_agreements.confirm": OFFICERS,
    "desk_agreements.send_back": OFFICERS,
    "desk_agreements.download": OFFICERS,
}
