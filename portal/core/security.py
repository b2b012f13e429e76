"""Response headers, caching of private pages, and the redirect-target check that Flask-Login
leaves to us."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import Flask, Response, request, session

CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",  # no inline scripts, no eval
        "style-src 'self'",
        "img-src 'self' data:",
        "font-src 'self'",
        "connect-src 'self'",
        "object-src 'none'",
        "base-uri 'none'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
)


def safe_next_url(target: str | None) -> str | None:
    """Return ``target`` when it is a path on this site, else None.

    Browsers treat ``//host`` and ``/\\host`` as other sites, so a plain "starts with /" test
    is not enough.
    """
    if not target or not isinstance(target, str):
        return None
    if not target.startswith("/") or target.startswith("//"):
        return None
    if "\\" in target or any(ord(ch) < 32 or ord(ch) == 127 for ch in target):
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc:
        return None
    return target


def add_security_headers(response: Response) -> Response:
    headers = response.headers
    headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
    headers.setdefault("X-Content-Type-Options", "nosniff")
    headers.setdefault("X-Frame-Options", "DENY")
    headers.setdefault("Referrer-Policy", "same-origin")
    headers.setdefault("Cross-Origin-Opener-Policy", "same-origin")
    headers.setdefault("Permissions-Policy", "camera=(), microphone=(), geolocation=()")
    return response


# A signed-in person's pages show USCCs, figures and account lists: no browser or proxy keeps
# them, nor any error page. Anyone's pages carry a session's CSRF token in their forms, so a
# browser may keep them only to ask again (no-cache); static files keep Flask's conditional
# caching.
PRIVATE = "no-store"
PUBLIC_PAGE = "no-cache"


def add_cache_policy(response: Response) -> Response:
    if request.endpoint == "static":
        return response
    # Flask-Login keeps the signed-in account's id in the session: no database read here.
    if response.status_code >= 400 or session.get("_user_id") is not None:
        if PRIVATE not in (response.headers.get("Cache-Control") or ""):  # ("private, no-store")
            response.headers["Cache-Control"] = PRIVATE
        response.headers.pop("Expires", None)
    elif "Cache-Control" not in response.headers:
        response.headers["Cache-Control"] = PUBLIC_PAGE
    # A public page's language follows the browser's Accept-Language and the session cookie.
    response.vary.update(("Accept-Language", "Cookie"))
    return response


def init_security(app: Flask) -> None:
    app.after_request(add_security_headers)
    app.after_request(add_cache_policy)
    if app.config.get("SESSION_COOKIE_SECURE"):

        @app.after_request
        def _hsts(response: Response) -> Response:
            response.headers.setdefault("Strict-Transport-Security", "max-age=31536000")
            return response
