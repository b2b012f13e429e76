"""Who may use the progress report pages (merged by test_access.py)."""

from portal.core.access import ADMIN, ENTERPRISE, OFFICER

OFFICERS = {OFFICER, ADMIN}

EXPECTED = {
    "firm_reports.index": {ENTERPRISE},
    "firm_reports.show": {ENTERPRISE},
    "firm_reports.upload": {ENTERPRISE},
    "firm_reports.remove_file": {ENTERPRISE},
    "firm_reports.download": {ENTERPRISE},
    "desk_reports.index": OFFICERS,
    "desk_reports.show": OFFICERS,
    "desk_reports.accept": OFFICERS,
    "desk_reports.return_": OFFICERS,
    "desk_reports.download": OFFICERS,
}
