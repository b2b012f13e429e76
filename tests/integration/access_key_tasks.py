"""Who may use a key task's pages: every wall reader sees a task; a supervisor or an
administrator creates and edits tasks; reporting is open to the wall's readers at the door and
decided per task (the responsible person or a member of the lead department), as is the
evidence download."""

from portal.core.access import ADMIN, APPROVER, DEPARTMENT, OFFICER, SUPERVISOR

WALL_READERS = {OFFICER, ADMIN, APPROVER, SUPERVISOR, DEPARTMENT}

EXPECTED = {
    "key_tasks.show": WALL_READERS,
    "key_tasks.new": {SUPERVISOR, ADMIN},
    "key_tasks.edit": {SUPERVISOR, ADMIN},
    "key_tasks.report_value": WALL_READERS,
    "key_tasks.milestone_done": WALL_READERS,
    "key_tasks.report_file": WALL_READERS,
}
