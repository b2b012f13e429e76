"""Who may use the payment pages (merged by test_access.py): officers batch and record
payments, approvers approve batches; both read batches and the payment order."""

from portal.core.access import APPROVER, OFFICER

STAFF = {OFFICER, APPROVER}

EXPECTED = {
    "payments.index": STAFF,
    "payments.create_batch": {OFFICER},
    "payments.batch_list": STAFF,
    "payments.batch": STAFF,
    "payments.approve": {APPROVER},
    "payments.send_back": {APPROVER},
    "payments.order_xlsx": STAFF,
    "payments.order_csv": STAFF,
    "payments.confirmation_template": STAFF,
    "payments.print_sheet": STAFF,
    "payments.record_paid": {OFFICER},
    "payments.import_confirmations": {OFFICER},
}
