"""Portal paths and absolute links that work in requests, jobs and commands alike."""

from __future__ import annotations

from typing import Any

from flask import current_app


def path_for(endpoint: str, **values: Any) -> str:
    """A portal path (no host): in requests, jobs and commands alike (url_for needs a request
    or SERVER_NAME); mails make it absolute with PORTAL_BASE_URL."""
    return current_app.url_map.bind("portal.invalid").build(endpoint, values)


def absolute(link: str) -> str:
    """A link inside the portal, as an address a mail reader can open."""
    if not link or link.startswith(("http://", "https://")):
        return link
    return current_app.config["BASE_URL"].rstrip("/") + link
