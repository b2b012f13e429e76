"""Who may use the wall map's views (挂图作战): the bureau's own staff (WALL_READERS), not the
outside expert reviewers nor the firms."""

from portal.core.access import WALL_READERS

EXPECTED = {
    "wall.index": set(WALL_READERS),
    "wall.timeline": set(WALL_READERS),
    "wall.responsibility": set(WALL_READERS),
}
