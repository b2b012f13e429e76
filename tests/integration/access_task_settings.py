"""Who may keep the wall map's settings (departments and goal tiles): the supervisor and the
admin."""

from portal.core.access import ADMIN, SUPERVISOR

EXPECTED = {
    "task_settings.index": {SUPERVISOR, ADMIN},
    "task_settings.new_department": {SUPERVISOR, ADMIN},
    "task_settings.edit_department": {SUPERVISOR, ADMIN},
    "task_settings.new_goal_tile": {SUPERVISOR, ADMIN},
    "task_settings.edit_goal_tile": {SUPERVISOR, ADMIN},
}
