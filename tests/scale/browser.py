"""A person at a browser, as far as the multi-host tests need one: a ``requests`` session that
keeps its cookies, reads the CSRF token from the form it was shown and sends it back, and can
be pointed at another host with the same cookies (as a load balancer would move it)."""

from __future__ import annotations

import re

import requests

# The token's hidden input, whatever the order of its attributes (forms rendered by WTForms
# put ``name`` before ``type``; hand-written templates the other way round).
CSRF_INPUT = re.compile(r'<input[^>]*\bname="csrf_token"[^>]*>')
CSRF_VALUE = re.compile(r'\bvalue="([^"]+)"')
TIMEOUT = 60


class Browser:
    def __init__(self, base: str, *, forwarded_for: str | None = None) -> None:
        self.base = base
        self.session = requests.Session()
        if forwarded_for:
            self.session.headers["X-Forwarded-For"] = forwarded_for

    def at(self, base: str) -> Browser:
        """The same person (same cookies) sent to another host."""
        other = Browser(base)
        other.session = self.session
        return other

    def url(self, path: str) -> str:
        return path if path.startswith("http") else f"{self.base}{path}"

    def get(self, path: str, **kwargs) -> requests.Response:
        kwargs.setdefault("timeout", TIMEOUT)
        return self.session.get(self.url(path), **kwargs)

    def post(self, path: str, data: dict | None = None, **kwargs) -> requests.Response:
        kwargs.setdefault("timeout", TIMEOUT)
        return self.session.post(self.url(path), data=data, **kwargs)

    def csrf_token(self, path: str) -> str:
        page = self.get(path)
        field = CSRF_INPUT.search(page.text)
        match = CSRF_VALUE.search(field.group(0)) if field else None
        assert match, f"no CSRF token on {path} ({page.status_code})"
        return match.group(1)

    def submit(self, form_path: str, data: dict, *, to: str | None = None, **kwargs):
        """Open the form at ``form_path``, then post ``data`` with its CSRF token (to ``to``,
        the form's own address by default)."""
        token = self.csrf_token(form_path)
        return self.post(to or form_path, {**data, "csrf_token": token}, **kwargs)

    def sign_in(self, email: str, password: str = "Demo-Portal-2026", **kwargs):  # noqa: S107
        return self.submit("/login", {"email": email, "password": password}, **kwargs)

    def sign_out(self, from_page: str = "/") -> requests.Response:
        return self.submit(from_page, {}, to="/logout")
