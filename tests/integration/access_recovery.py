"""Who may use the recovery pages (追回): officers and approvers on the desk (the approver alone
decides and repairs credit, the officer alone records repayments); each firm its own cases."""

from portal.core.access import APPROVER, ENTERPRISE, OFFICER

EXPECTED = {
    "recovery.index": {OFFICER, APPROVER},
    "recovery.open_case": {OFFICER, APPROVER},
    "recovery.show": {OFFICER, APPROVER},
    "recovery.decide": {APPROVER},
    "recovery.issue_notice": {OFFICER, APPROVER},
    "recovery.notice_pdf": {OFFICER, APPROVER},
    "recovery.record_repayment": {OFFICER},
    "recovery.repair": {APPROVER},
    "recovery.download_file": {OFFICER, APPROVER},
    "firm_recovery.index": {ENTERPRISE},
    "firm_recovery.show": {ENTERPRISE},
    "firm_recovery.statement": {ENTERPRISE},
    "firm_recovery.notice_pdf": {ENTERPRISE},
    "firm_recovery.download_file": {ENTERPRISE},
}
