"""Who may use the prints of the wall map: everyone who reads the wall prints it and reads the
weekly dispatch report; a supervisor alone sends the report from its page; the year-end
accountability is for supervisors, the leaders (approvers) and admins."""

from portal.core.access import ADMIN, APPROVER, SUPERVISOR, WALL_READERS

EXPECTED = {
    "task_prints.wall_pdf": set(WALL_READERS),
    "task_prints.dispatch": set(WALL_READERS),
    "task_prints.dispatch_pdf": set(WALL_READERS),
    "task_prints.send_dispatch": {SUPERVISOR},
    "task_prints.accountability_page": {SUPERVISOR, ADMIN, APPROVER},
    "task_prints.accountability": {SUPERVISOR, ADMIN, APPROVER},
}
