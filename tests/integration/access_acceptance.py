"""Who may use the acceptance (验收) pages (merged by test_access.py)."""

from portal.core.access import ADMIN, ENTERPRISE, OFFICER, REVIEWER

OFFICERS = {OFFICER, ADMIN}

EXPECTED = {
    "desk_acceptance.index": OFFICERS,
    "desk_acceptance.form_panel": OFFICERS,
    "desk_acceptance.show": OFFICERS,
    "desk_acceptance.conclude": OFFICERS,
    "desk_acceptance.issue_notice": OFFICERS,
    "desk_acceptance.notice_pdf": OFFICERS,
    "acceptance_panel.index": {REVIEWER},
    "acceptance_panel.show": {REVIEWER},
    "firm_acceptance.notice": {ENTERPRISE},
}
