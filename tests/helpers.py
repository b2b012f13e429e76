"""Helpers for tests: sign in through the real form, read CSRF tokens from pages."""

from __future__ import annotations

import re

DEMO_PASSWORD = "Demo-Portal-2026"

CSRF_PATTERN = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"')


def csrf_token_from(html: str) -> str:
    match = CSRF_PATTERN.search(html) or re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert match, "page has no CSRF token"
    return match.group(1)


def sign_in(client, email: str, password: str = DEMO_PASSWORD):
    """Sign in through the real form (CSRF token included when CSRF is on)."""
    page = client.get("/login")
    data = {"email": email, "password": password}
    token = CSRF_PATTERN.search(page.get_data(as_text=True))
    if token:
        data["csrf_token"] = token.group(1)
    response = client.post("/login", data=data)
    return response


def use_english(client):
    """Switch a test client to English so that assertions can quote the English messages.

    Goes through the language switch, so a signed-in account's preference changes too
    (integration tests run without CSRF).
    """
    response = client.post("/language", data={"locale": "en", "next": "/"})
    assert response.status_code == 302
    return client


def make_pdf(pages: int = 1, text: str = "") -> bytes:
    """A real, parseable PDF made with pypdf (blank pages)."""
    import io

    from pypdf import PdfWriter

    writer = PdfWriter()
    for _ in range(pages):
        writer.add_blank_page(width=595, height=842)
    if text:
        writer.add_metadata({"/Title": text})
    buffer = io.BytesIO()
    writer.write(buffer)
    return buffer.getvalue()
