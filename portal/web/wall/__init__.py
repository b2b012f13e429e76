"""The key-task wall map's pages (挂图作战), for the bureau's own staff: the wall, the timeline
and the responsibility view (``wall``), a task and its editing (``task_pages``), supervision
slips (``slips``), the prints and exports (``prints``), and the settings: departments and goal
tiles (``settings``)."""
