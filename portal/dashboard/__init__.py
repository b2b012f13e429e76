"""The officers' dashboard: where every programme of the year stands."""
