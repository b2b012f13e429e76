"""Who may use the supervision slips' pages (督办单): everyone who reads the wall sees the list, a
slip and its evidence; the supervisor alone issues and reviews; signing and answering are open
to the wall's readers at the door and decided per slip (the task's responsible person or a
member of its lead department; anyone else is refused with 403)."""

from portal.core.access import ADMIN, APPROVER, DEPARTMENT, OFFICER, SUPERVISOR

READERS = {OFFICER, ADMIN, APPROVER, SUPERVISOR, DEPARTMENT}

EXPECTED = {
    "slips.index": READERS,
    "slips.show": READERS,
    "slips.issue": {SUPERVISOR},
    "slips.sign": READERS,
    "slips.answer": READERS,
    "slips.review": {SUPERVISOR},
    "slips.file": READERS,
}
