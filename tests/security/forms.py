"""Read a page's form as a browser would send it, and small request helpers."""

from __future__ import annotations

import re
from html.parser import HTMLParser

from werkzeug.datastructures import MultiDict

META_TOKEN = re.compile(r'<meta name="csrf-token" content="([^"]+)"')
# The message of the CSRF error page in Chinese (the default language), see portal/core/errors.py.
CSRF_REFUSAL_TEXT = "重新打开页面"


class _FormReader(HTMLParser):
    """The fields of the form whose ``action`` is ``action`` (the first form when None); a
    form without an action posts to its own page, ``page_url``."""

    def __init__(self, action: str | None, page_url: str | None) -> None:
        super().__init__(convert_charrefs=True)
        self.action = action
        self.page_url = page_url
        self.found = False
        self.fields: list[tuple[str, str]] = []
        self._in_form = False
        self._done = False
        self._select: str | None = None
        self._options: list[tuple[str, bool]] = []
        self._textarea: str | None = None
        self._text: list[str] = []

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        if tag == "form" and not self._done:
            target = attributes.get("action") or self.page_url
            wanted = self.action is None or target == self.action
            self._in_form = wanted
            self.found = self.found or wanted
            return
        if not self._in_form:
            return
        name = attributes.get("name")
        if tag == "input" and name:
            kind = attributes.get("type", "text")
            if kind in ("submit", "button", "file", "image"):
                return
            if kind in ("checkbox", "radio") and "checked" not in attributes:
                return
            self.fields.append((name, attributes.get("value") or ""))
        elif tag == "select" and name:
            self._select, self._options = name, []
        elif tag == "option" and self._select:
            self._options.append((attributes.get("value") or "", "selected" in attributes))
        elif tag == "textarea" and name:
            self._textarea, self._text = name, []

    def handle_data(self, data):
        if self._textarea:
            self._text.append(data)

    def handle_endtag(self, tag):
        if tag == "form" and self._in_form:
            self._in_form = False
            self._done = True
        elif tag == "select" and self._select:
            chosen = [value for value, selected in self._options if selected]
            if chosen or self._options:
                self.fields.append((self._select, (chosen or [self._options[0][0]])[0]))
            self._select = None
        elif tag == "textarea" and self._textarea:
            text = "".join(self._text)
            self.fields.append((self._textarea, text.removeprefix("\r\n").removeprefix("\n")))
            self._textarea = None


def form_fields(page: str, action: str | None = None, page_url: str | None = None) -> MultiDict:
    """What submitting the form with ``action`` would send (without any submit button)."""
    reader = _FormReader(action, page_url)
    reader.feed(page)
    assert reader.found, f"no form with action {action!r} on the page"
    return MultiDict(reader.fields)


def page_token(page: str) -> str:
    """The CSRF token every page carries in its head."""
    match = META_TOKEN.search(page)
    assert match, "page has no CSRF token"
    return match.group(1)


def fill(client, url: str, action: str | None = None, **changes) -> MultiDict:
    """GET ``url`` and return its form (``action`` defaults to ``url``) with ``changes``."""
    page = client.get(url)
    assert page.status_code == 200, (url, page.status_code)
    data = form_fields(page.get_data(as_text=True), action or url, page_url=url)
    for name, value in changes.items():
        data.setlist(name, value if isinstance(value, list) else [value])
    return data


def post_form(client, url: str, action: str | None = None, *, expect=(302,), **changes):
    """Submit the form on ``url`` as a browser would, with ``changes`` typed in."""
    data = fill(client, url, action, **changes)
    response = client.post(action or url, data=data)
    assert response.status_code in expect, (
        action or url,
        response.status_code,
        response.get_data(as_text=True)[:800],
    )
    return response
